// Package templates keeps the user's reply templates and snippets, with
// {variables} filled in from the lead and the user when rendered.
//
// A template is a whole message (subject and body); a snippet is a piece
// of text inserted while writing. Both may carry an intent ("pricing",
// "meeting", "thanks", …) so that a suggested reply can pick one that fits
// the message being answered.
//
// # Key layout
//
//	template␀item␀<id>  Template (JSON)
package templates

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"threadline/backend/store"
)

// Kind tells a template from a snippet.
type Kind string

const (
	KindTemplate Kind = "template"
	KindSnippet  Kind = "snippet"
)

// Intents a template can be tagged with; the suggested-reply heuristic
// detects the same ones in inbound mail.
var Intents = []string{"pricing", "meeting", "thanks", "followup", "info", "objection", "unsubscribe"}

// Template is one stored template or snippet.
type Template struct {
	ID        string    `json:"id"`
	Kind      Kind      `json:"kind"`
	Name      string    `json:"name"`
	Subject   string    `json:"subject,omitempty"`
	Body      string    `json:"body"`
	Intent    string    `json:"intent,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Limits on stored fields.
const (
	MaxName = 200
	MaxBody = 64 << 10
)

// FieldError names the template field that is unusable.
type FieldError struct {
	Field   string
	Message string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Message }

// ErrNotFound is returned for an unknown template id.
var ErrNotFound = errors.New("no such template")

// Service stores templates.
type Service struct {
	st  *store.Store
	now func() time.Time
}

// New returns the template service on st.
func New(st *store.Store) *Service { return &Service{st: st, now: time.Now} }

func key(id string) []byte { return store.Key("template", "item", id) }

// Validate checks t's fields and normalises kind.
func Validate(t *Template) error {
	if t.Kind == "" {
		t.Kind = KindTemplate
	}
	if t.Kind != KindTemplate && t.Kind != KindSnippet {
		return &FieldError{"kind", fmt.Sprintf("kind must be %q or %q", KindTemplate, KindSnippet)}
	}
	t.Name = strings.TrimSpace(t.Name)
	switch {
	case t.Name == "":
		return &FieldError{"name", "a name is needed"}
	case utf8.RuneCountInString(t.Name) > MaxName:
		return &FieldError{"name", fmt.Sprintf("the name is longer than %d characters", MaxName)}
	case strings.TrimSpace(t.Body) == "":
		return &FieldError{"body", "the body is empty"}
	case len(t.Body) > MaxBody:
		return &FieldError{"body", fmt.Sprintf("the body is larger than %d KiB", MaxBody>>10)}
	case strings.ContainsAny(t.Subject, "\r\n"):
		return &FieldError{"subject", "the subject cannot contain line breaks"}
	case t.Kind == KindSnippet && t.Subject != "":
		return &FieldError{"subject", "a snippet has no subject"}
	case t.Intent != "" && !slices.Contains(Intents, t.Intent):
		return &FieldError{"intent", fmt.Sprintf("intent must be one of %s", strings.Join(Intents, ", "))}
	}
	for _, f := range []struct{ name, text string }{{"subject", t.Subject}, {"body", t.Body}} {
		if err := checkBraces(f.text); err != nil {
			return &FieldError{f.name, err.Error()}
		}
	}
	return nil
}

// Create stores a new template.
func (s *Service) Create(t Template) (*Template, error) {
	if err := Validate(&t); err != nil {
		return nil, err
	}
	now := s.now().UTC()
	t.ID, t.CreatedAt, t.UpdatedAt = store.NewID(), now, now
	if err := s.st.Update(func(txn *store.Txn) error { return txn.SetJSON(key(t.ID), t) }); err != nil {
		return nil, err
	}
	return &t, nil
}

// Update replaces the editable fields of template id.
func (s *Service) Update(id string, t Template) (*Template, error) {
	if err := Validate(&t); err != nil {
		return nil, err
	}
	var out Template
	err := s.st.Update(func(txn *store.Txn) error {
		var old Template
		if err := txn.GetJSON(key(id), &old); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("%w: %s", ErrNotFound, id)
			}
			return err
		}
		out = t
		out.ID, out.CreatedAt, out.UpdatedAt = id, old.CreatedAt, s.now().UTC()
		return txn.SetJSON(key(id), out)
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// Get returns one template.
func (s *Service) Get(id string) (*Template, error) {
	var t Template
	err := s.st.View(func(txn *store.Txn) error { return txn.GetJSON(key(id), &t) })
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// Delete removes a template; a missing one is ErrNotFound.
func (s *Service) Delete(id string) error {
	return s.st.Update(func(txn *store.Txn) error {
		ok, err := txn.Has(key(id))
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%w: %s", ErrNotFound, id)
		}
		return txn.Delete(key(id))
	})
}

// List returns the templates of kind (all when empty), sorted by name.
func (s *Service) List(kind Kind) ([]Template, error) {
	out := []Template{}
	err := s.st.View(func(txn *store.Txn) error {
		return txn.Scan(store.Key("template", "item", ""), store.ScanOptions{}, func(_, v []byte) error {
			var t Template
			if err := json.Unmarshal(v, &t); err != nil {
				return err
			}
			if kind == "" || t.Kind == kind {
				out = append(out, t)
			}
			return nil
		})
	})
	sort.SliceStable(out, func(i, j int) bool { return strings.ToLower(out[i].Name) < strings.ToLower(out[j].Name) })
	return out, err
}

// varPattern matches a {variable}: lower-case letters, digits and
// underscores. Other braces ("{ }" in pasted code, "{{") are literal.
var varPattern = regexp.MustCompile(`\{\{|\{([a-z][a-z0-9_]*)\}`)

// Variables returns the variable names used in s, in order of first use.
func Variables(s string) []string {
	var out []string
	for _, m := range varPattern.FindAllStringSubmatch(s, -1) {
		if m[1] != "" && !slices.Contains(out, m[1]) {
			out = append(out, m[1])
		}
	}
	return out
}

func checkBraces(s string) error {
	for _, m := range varPattern.FindAllStringSubmatch(s, -1) {
		if len(m[1]) > 64 {
			return fmt.Errorf("variable {%s…} has too long a name", m[1][:20])
		}
	}
	return nil
}

// Rendered is a template with its variables filled in.
type Rendered struct {
	Subject string `json:"subject,omitempty"`
	Body    string `json:"body"`
	// Missing lists the variables that had no value; they are left in the
	// text as {name} so the user sees the gap before sending.
	Missing []string `json:"missing"`
}

// Render fills t's variables from vars. "{{" renders as "{". Values are
// inserted as they are: the result is plain text.
func Render(t *Template, vars map[string]string) Rendered {
	missing := []string{}
	fill := func(s string) string {
		return varPattern.ReplaceAllStringFunc(s, func(m string) string {
			if m == "{{" {
				return "{"
			}
			name := m[1 : len(m)-1]
			if v, ok := vars[name]; ok && v != "" {
				return v
			}
			if !slices.Contains(missing, name) {
				missing = append(missing, name)
			}
			return m
		})
	}
	return Rendered{Subject: fill(t.Subject), Body: fill(t.Body), Missing: missing}
}

// Vars builds the standard variables from a contact's and the user's
// names: first_name, last_name, name, company, email, my_name,
// my_first_name, my_email.
func Vars(contactName, contactEmail, company, myName, myEmail string) map[string]string {
	first, last := splitName(contactName)
	myFirst, _ := splitName(myName)
	return map[string]string{
		"first_name": first, "last_name": last, "name": strings.TrimSpace(contactName),
		"company": company, "email": contactEmail,
		"my_name": strings.TrimSpace(myName), "my_first_name": myFirst, "my_email": myEmail,
	}
}

func splitName(name string) (first, last string) {
	name = strings.TrimSpace(name)
	if i := strings.IndexByte(name, ','); i > 0 { // "Doe, Jane"
		return strings.TrimSpace(name[i+1:]), strings.TrimSpace(name[:i])
	}
	f := strings.Fields(name)
	if len(f) == 0 {
		return "", ""
	}
	return f[0], strings.Join(f[1:], " ")
}
