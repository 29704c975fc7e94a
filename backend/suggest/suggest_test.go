package suggest

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"threadline/backend/store"
	"threadline/backend/templates"
)

type memSecrets struct {
	mu sync.Mutex
	m  map[string]string
}

func (s *memSecrets) Get(n string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[n]
	if !ok {
		return "", ErrNoSecret
	}
	return v, nil
}
func (s *memSecrets) Set(n, v string) error { s.mu.Lock(); s.m[n] = v; s.mu.Unlock(); return nil }
func (s *memSecrets) Delete(n string) error { s.mu.Lock(); delete(s.m, n); s.mu.Unlock(); return nil }

func newService(t *testing.T) (*Service, *templates.Service) {
	t.Helper()
	st, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	tpl := templates.New(st)
	return New(st, tpl, &memSecrets{m: map[string]string{}}, nil), tpl
}

func thread(last string) Input {
	return Input{
		Subject: "Threadline for Acme",
		Messages: []Message{
			{From: "sam@example.com", Date: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC), Text: "Hi Jane, here is our offer.", Direction: Outbound},
			{From: "jane@acme.test", Date: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC), Text: last, Direction: Inbound},
		},
		Vars: templates.Vars("Jane Doe", "jane@acme.test", "Acme", "Sam Seller", "sam@example.com"),
	}
}

func TestDetectIntent(t *testing.T) {
	for text, want := range map[string]string{
		"How much would 20 seats cost per month?":                            "pricing",
		"Could we schedule a call next week? Tuesday works.":                 "meeting",
		"Thanks a lot, that was helpful!":                                    "thanks",
		"Thanks! What is the price for the pro plan?":                        "pricing",
		"Please unsubscribe me from this list.":                              "unsubscribe",
		"Honestly it is too expensive for us.":                               "objection",
		"Where is your company based?":                                       "info",
		"Sounds good.\n\nOn Mon, 1 Mar 2026, Sam wrote:\n> our price is 20€": "info",
	} {
		if got := DetectIntent(thread(text)); got != want {
			t.Errorf("%q: %s, want %s", text, got, want)
		}
	}
	in := thread("x")
	in.Messages = in.Messages[:1]
	if got := DetectIntent(in); got != "followup" {
		t.Errorf("user wrote last: %s", got)
	}
}

func TestHeuristicUsesUserTemplate(t *testing.T) {
	s, tpl := newService(t)
	ctx := context.Background()
	sg, err := s.Suggest(ctx, thread("What does it cost?"))
	if err != nil {
		t.Fatal(err)
	}
	if sg.Source != "heuristic" || sg.Intent != "pricing" || !strings.HasPrefix(sg.Text, "Hi Jane,") ||
		!strings.Contains(sg.Text, "Acme") || !strings.HasSuffix(sg.Text, "Sam Seller") || len(sg.Missing) != 0 {
		t.Fatalf("built-in: %+v", sg)
	}
	mine, err := tpl.Create(templates.Template{Name: "My pricing", Body: "Dear {first_name}, see {deal_link}.", Intent: "pricing"})
	if err != nil {
		t.Fatal(err)
	}
	sg, _ = s.Suggest(ctx, thread("What does it cost?"))
	if sg.TemplateID != mine.ID || sg.Text != "Dear Jane, see {deal_link}." || len(sg.Missing) != 1 || sg.Missing[0] != "deal_link" {
		t.Fatalf("user template: %+v", sg)
	}
}

// fakeModel is an OpenAI-compatible chat completions server.
type fakeModel struct {
	mu       sync.Mutex
	requests []chatRequest
	auth     []string
	fail     bool
}

func (f *fakeModel) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != "POST" || r.URL.Path != "/v1/chat/completions" {
		http.NotFound(w, r)
		return
	}
	var req chatRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, err.Error(), 400)
		return
	}
	f.mu.Lock()
	f.requests = append(f.requests, req)
	f.auth = append(f.auth, r.Header.Get("Authorization"))
	fail := f.fail
	f.mu.Unlock()
	if fail {
		w.WriteHeader(500)
		w.Write([]byte(`{"error":{"message":"model not loaded"}}`))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{
		"id": "chatcmpl-1", "object": "chat.completion", "model": req.Model,
		"choices": []map[string]any{{"index": 0, "finish_reason": "stop",
			"message": map[string]string{"role": "assistant", "content": "  Hi Jane, Tuesday at 10 works.\n\nSam  "}}},
	})
}

func TestModelEndpoint(t *testing.T) {
	s, _ := newService(t)
	fm := &fakeModel{}
	srv := httptest.NewServer(fm)
	defer srv.Close()
	key := "sk-local"
	set, err := s.SetSettings(SettingsUpdate{BaseURL: srv.URL + "/", Model: "llama3.2", APIKey: &key})
	if err != nil {
		t.Fatal(err)
	}
	if !set.HasAPIKey || !set.Local() || set.BaseURL != srv.URL {
		t.Fatalf("settings %+v", set)
	}
	in := thread("Can we meet on Tuesday?\n\nOn Mon, 1 Mar 2026, Sam wrote:\n> secret quoted text")
	sg, err := s.Suggest(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if sg.Source != "llm" || sg.Text != "Hi Jane, Tuesday at 10 works.\n\nSam" || sg.Model != "llama3.2" {
		t.Fatalf("suggestion %+v", sg)
	}
	req := fm.requests[0]
	if req.Model != "llama3.2" || len(req.Messages) != 2 || req.Messages[0].Role != "system" || fm.auth[0] != "Bearer sk-local" {
		t.Fatalf("request %+v auth %q", req, fm.auth[0])
	}
	prompt := req.Messages[1].Content
	for _, want := range []string{"Subject: Threadline for Acme", "Contact: Jane Doe (Acme)", "Me (sam@example.com)", "Can we meet on Tuesday?"} {
		if !strings.Contains(prompt, want) {
			t.Errorf("prompt lacks %q:\n%s", want, prompt)
		}
	}
	if strings.Contains(prompt, "secret quoted text") {
		t.Errorf("prompt repeats quoted text:\n%s", prompt)
	}

	// The endpoint fails: the heuristic answers and says why.
	fm.mu.Lock()
	fm.fail = true
	fm.mu.Unlock()
	sg, err = s.Suggest(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if sg.Source != "heuristic" || sg.Intent != "meeting" || !strings.Contains(sg.Fallback, "model not loaded") {
		t.Fatalf("fallback %+v", sg)
	}

	// Removing the key stops sending it.
	empty := ""
	if _, err := s.SetSettings(SettingsUpdate{BaseURL: srv.URL + "/v1", Model: "llama3.2", APIKey: &empty}); err != nil {
		t.Fatal(err)
	}
	fm.mu.Lock()
	fm.fail = false
	fm.mu.Unlock()
	if _, err := s.Suggest(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	if got := fm.auth[len(fm.auth)-1]; got != "" {
		t.Fatalf("key still sent: %q", got)
	}
}

func TestSettingsValidation(t *testing.T) {
	s, _ := newService(t)
	for field, u := range map[string]SettingsUpdate{
		"base_url":        {BaseURL: "ftp://x", Model: "m"},
		"model":           {BaseURL: "http://localhost:11434"},
		"timeout_seconds": {BaseURL: "http://localhost:11434", Model: "m", TimeoutSeconds: 9999},
	} {
		_, err := s.SetSettings(u)
		var se *SettingsError
		if !errors.As(err, &se) || se.Field != field {
			t.Errorf("%s: %v", field, err)
		}
	}
	if set, _ := s.Settings(); set.Enabled() {
		t.Fatal("invalid settings were stored")
	}
	if _, err := s.Suggest(context.Background(), Input{}); !errors.Is(err, ErrNoInbound) {
		t.Fatalf("empty thread: %v", err)
	}
}
