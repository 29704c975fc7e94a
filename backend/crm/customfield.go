package crm

import (
	"context"
	"fmt"
	"math"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"threadline/backend/store"
)

// Custom field types.
const (
	FieldText        = "text"
	FieldNumber      = "number"
	FieldDate        = "date"
	FieldSelect      = "select"
	FieldMultiSelect = "multi_select"
	FieldURL         = "url"
)

// FieldDef defines a custom lead field; lead values are validated against
// it. Key is what leads use in their custom map and never changes.
type FieldDef struct {
	ID        string    `json:"id"`
	Version   int       `json:"version"`
	Key       string    `json:"key"`
	Label     string    `json:"label"`
	Type      string    `json:"type"`
	Options   []string  `json:"options"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// FieldDefInput creates a definition (Key, Label, Type, Options) or changes
// one (Label, Options).
type FieldDefInput struct {
	Version *int      `json:"version"`
	Key     *string   `json:"key"`
	Label   *string   `json:"label"`
	Type    *string   `json:"type"`
	Options *[]string `json:"options"`
}

var fieldKeyRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

func (t *tx) fieldDefs() (map[string]*FieldDef, error) {
	defs := map[string]*FieldDef{}
	err := scanJSON(t.Txn, store.Key("cfield", ""), func(d *FieldDef) error {
		defs[d.Key] = d
		return nil
	})
	return defs, err
}

// applyCustom validates in against defs and merges it into dst; a nil
// value removes the field.
func applyCustom(defs map[string]*FieldDef, dst, in map[string]any) error {
	for k, v := range in {
		field := "custom." + k
		d := defs[k]
		if d == nil {
			return ruleErr(field, "no custom field %q is defined", k)
		}
		if v == nil {
			delete(dst, k)
			continue
		}
		nv, err := d.check(v)
		if err != nil {
			return ruleErr(field, "%s: %v", d.Label, err)
		}
		dst[k] = nv
	}
	return nil
}

// check validates one value and returns its stored form.
func (d *FieldDef) check(v any) (any, error) {
	switch d.Type {
	case FieldText:
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("must be text")
		}
		if len(s) > 5000 {
			return nil, fmt.Errorf("at most 5000 characters")
		}
		return s, nil
	case FieldNumber:
		f, ok := v.(float64)
		if !ok || math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("must be a number")
		}
		return f, nil
	case FieldDate:
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("must be a date like 2026-06-30")
		}
		if _, err := time.Parse(time.DateOnly, s); err != nil {
			return nil, fmt.Errorf("must be a date like 2026-06-30, not %q", s)
		}
		return s, nil
	case FieldSelect:
		s, ok := v.(string)
		if !ok || !slices.Contains(d.Options, s) {
			return nil, fmt.Errorf("must be one of %s", strings.Join(d.Options, ", "))
		}
		return s, nil
	case FieldMultiSelect:
		var list []any
		switch x := v.(type) {
		case []any:
			list = x
		case []string:
			for _, s := range x {
				list = append(list, s)
			}
		default:
			return nil, fmt.Errorf("must be a list of options")
		}
		out := []string{}
		for _, e := range list {
			s, ok := e.(string)
			if !ok || !slices.Contains(d.Options, s) {
				return nil, fmt.Errorf("every entry must be one of %s", strings.Join(d.Options, ", "))
			}
			if !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
		return out, nil
	case FieldURL:
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("must be a URL")
		}
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(s) > 2000 {
			return nil, fmt.Errorf("must be an http or https URL, not %q", s)
		}
		return s, nil
	}
	return nil, fmt.Errorf("unknown field type %q", d.Type)
}

var fieldTypes = []string{FieldText, FieldNumber, FieldDate, FieldSelect, FieldMultiSelect, FieldURL}

func checkOptions(typ string, opts []string) ([]string, error) {
	if typ != FieldSelect && typ != FieldMultiSelect {
		if len(opts) > 0 {
			return nil, fieldErr("options", "only select and multi_select fields have options")
		}
		return nil, nil
	}
	if len(opts) == 0 {
		return nil, fieldErr("options", "a %s field needs options", typ)
	}
	if len(opts) > 200 {
		return nil, fieldErr("options", "at most 200 options")
	}
	var out []string
	for i, o := range opts {
		o = strings.TrimSpace(o)
		if o == "" || len(o) > 200 {
			return nil, fieldErr(fmt.Sprintf("options[%d]", i), "an option is 1-200 characters")
		}
		if slices.Contains(out, o) {
			return nil, fieldErr(fmt.Sprintf("options[%d]", i), "option %q is listed twice", o)
		}
		out = append(out, o)
	}
	return out, nil
}

// FieldDefs lists the custom field definitions.
func (s *Service) FieldDefs(ctx context.Context) ([]*FieldDef, error) {
	out := []*FieldDef{}
	err := s.view(func(txn *store.Txn) error {
		return scanJSON(txn, store.Key("cfield", ""), func(d *FieldDef) error {
			out = append(out, d)
			return nil
		})
	})
	return out, err
}

// CreateFieldDef adds a custom field definition.
func (s *Service) CreateFieldDef(ctx context.Context, in FieldDefInput) (*FieldDef, error) {
	d := &FieldDef{ID: store.NewID()}
	if in.Key == nil || !fieldKeyRE.MatchString(*in.Key) {
		return nil, fieldErr("key", "key must be 1-40 lower-case letters, digits or _, starting with a letter")
	}
	d.Key = *in.Key
	if in.Type == nil || !slices.Contains(fieldTypes, *in.Type) {
		return nil, fieldErr("type", "type must be one of %s", strings.Join(fieldTypes, ", "))
	}
	d.Type = *in.Type
	d.Label = d.Key
	if in.Label != nil {
		l, err := checkText("label", *in.Label, 100)
		if err != nil {
			return nil, err
		}
		if l != "" {
			d.Label = l
		}
	}
	var opts []string
	if in.Options != nil {
		opts = *in.Options
	}
	var err error
	if d.Options, err = checkOptions(d.Type, opts); err != nil {
		return nil, err
	}
	err = s.update(func(t *tx) error {
		defs, err := t.fieldDefs()
		if err != nil {
			return err
		}
		if x := defs[d.Key]; x != nil {
			return &DuplicateError{Field: "key", Msg: "a custom field with key " + d.Key + " exists", ExistingID: x.ID}
		}
		d.Version, d.CreatedAt, d.UpdatedAt = 1, t.now, t.now
		t.publish("custom_field.created", map[string]string{"id": d.ID})
		return t.SetJSON(store.Key("cfield", d.ID), d)
	})
	return d, err
}

// UpdateFieldDef changes a definition's label or options. Key and type
// are fixed: existing values were validated against them.
func (s *Service) UpdateFieldDef(ctx context.Context, id string, in FieldDefInput) (*FieldDef, error) {
	if in.Key != nil {
		return nil, ruleErr("key", "a custom field's key cannot change")
	}
	var out *FieldDef
	err := s.update(func(t *tx) error {
		d := new(FieldDef)
		if err := getJSON(t.Txn, "cfield", id, d); err != nil {
			return err
		}
		if err := checkVersion("custom field", id, in.Version, d.Version); err != nil {
			return err
		}
		if in.Type != nil && *in.Type != d.Type {
			return ruleErr("type", "a custom field's type cannot change; create a new field")
		}
		if in.Label != nil {
			l, err := checkText("label", *in.Label, 100)
			if err != nil {
				return err
			}
			if l == "" {
				return fieldErr("label", "the label cannot be empty")
			}
			d.Label = l
		}
		if in.Options != nil {
			opts, err := checkOptions(d.Type, *in.Options)
			if err != nil {
				return err
			}
			d.Options = opts
		}
		d.Version++
		d.UpdatedAt = t.now
		out = d
		t.publish("custom_field.updated", map[string]string{"id": d.ID})
		return t.SetJSON(store.Key("cfield", id), d)
	})
	return out, err
}

// DeleteFieldDef removes a definition and its values from every lead (in
// chunks; the definition goes last so that repeating an interrupted
// delete finishes it).
func (s *Service) DeleteFieldDef(ctx context.Context, id string, version *int) error {
	d := new(FieldDef)
	if err := s.view(func(txn *store.Txn) error { return getJSON(txn, "cfield", id, d) }); err != nil {
		return err
	}
	if err := checkVersion("custom field", id, version, d.Version); err != nil {
		return err
	}
	var ids []string
	err := s.view(func(txn *store.Txn) error {
		return scanJSON(txn, store.Key("lead", ""), func(l *Lead) error {
			if _, ok := l.Custom[d.Key]; ok {
				ids = append(ids, l.ID)
			}
			return nil
		})
	})
	if err != nil {
		return err
	}
	for len(ids) > 0 {
		chunk := ids[:min(moveChunk, len(ids))]
		ids = ids[len(chunk):]
		err := s.update(func(t *tx) error {
			for _, lid := range chunk {
				old, err := t.lead(lid)
				if isNotFound(err) {
					continue
				}
				if err != nil {
					return err
				}
				if _, ok := old.Custom[d.Key]; !ok {
					continue
				}
				l := old.clone()
				delete(l.Custom, d.Key)
				if len(l.Custom) == 0 {
					l.Custom = nil
				}
				if err := t.activity(l.ID, Activity{Type: ActFieldChanged, Actor: ActorSystem, Field: "custom." + d.Key, Old: old.Custom[d.Key]}); err != nil {
					return err
				}
				if err := t.putLead(old, l); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return s.update(func(t *tx) error {
		t.publish("custom_field.deleted", map[string]string{"id": id})
		return t.Delete(store.Key("cfield", id))
	})
}
