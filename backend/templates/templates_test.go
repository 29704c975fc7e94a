package templates

import (
	"errors"
	"fmt"
	"testing"

	"threadline/backend/store"
)

func newService(t *testing.T) (*Service, string) {
	t.Helper()
	dir := t.TempDir()
	st, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return New(st), dir
}

func TestCRUDSurvivesReopen(t *testing.T) {
	dir := t.TempDir()
	st, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := New(st)
	a, err := s.Create(Template{Name: "Pricing answer", Subject: "Re: {subject}", Body: "Hi {first_name}, ...", Intent: "pricing"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Create(Template{Kind: KindSnippet, Name: "Sign-off", Body: "Best,\n{my_name}"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Update(a.ID, Template{Name: "Pricing reply", Body: "Hello {first_name}", Intent: "pricing"}); err != nil {
		t.Fatal(err)
	}
	st.Close()

	st, err = store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s = New(st)
	all, _ := s.List("")
	snippets, _ := s.List(KindSnippet)
	if len(all) != 2 || len(snippets) != 1 || all[0].Name != "Pricing reply" || all[0].Body != "Hello {first_name}" || all[0].CreatedAt != a.CreatedAt {
		t.Fatalf("after reopen: %+v", all)
	}
	if err := s.Delete(a.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(a.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("get deleted: %v", err)
	}
	if err := s.Delete(a.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("delete twice: %v", err)
	}
}

func TestValidateNamesTheField(t *testing.T) {
	s, _ := newService(t)
	for field, tpl := range map[string]Template{
		"name":    {Body: "x"},
		"body":    {Name: "x", Body: "  "},
		"kind":    {Name: "x", Body: "x", Kind: "letter"},
		"intent":  {Name: "x", Body: "x", Intent: "gossip"},
		"subject": {Name: "x", Body: "x", Subject: "a\nb"},
	} {
		_, err := s.Create(tpl)
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != field {
			t.Errorf("%s: got %v", field, err)
		}
	}
	if l, _ := s.List(""); len(l) != 0 {
		t.Fatalf("invalid templates were stored: %v", l)
	}
}

func TestRenderReportsMissing(t *testing.T) {
	tpl := &Template{Subject: "Offer for {company}", Body: "Hi {first_name},\n{{not a var} {weird-thing} {Name}\n{first_name} again. {my_name}"}
	vars := Vars("Jane Doe", "jane@acme.test", "", "Sam Seller", "sam@example.com")
	r := Render(tpl, vars)
	if r.Subject != "Offer for {company}" {
		t.Fatalf("subject %q", r.Subject)
	}
	if r.Body != "Hi Jane,\n{not a var} {weird-thing} {Name}\nJane again. Sam Seller" {
		t.Fatalf("body %q", r.Body)
	}
	if fmt.Sprint(r.Missing) != "[company]" {
		t.Fatalf("missing %v", r.Missing)
	}
	if fmt.Sprint(Variables(tpl.Body+tpl.Subject)) != "[first_name my_name company]" {
		t.Fatalf("variables %v", Variables(tpl.Body+tpl.Subject))
	}
	if f, l := splitName("Doe, Jane"); f != "Jane" || l != "Doe" {
		t.Fatalf("split %q %q", f, l)
	}
}
