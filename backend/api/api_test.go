package api

import (
	"bufio"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"threadline/backend/events"
	"threadline/backend/store"
)

func newTestServer(t *testing.T) (*Server, *events.Bus) {
	t.Helper()
	st, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	bus := events.NewBus()
	s := New(Config{Store: st, Bus: bus})
	t.Cleanup(func() { s.Close(); bus.Close(); st.Close() })
	return s, bus
}

// decodeAPIError reads the one error shape.
func decodeAPIError(t *testing.T, body string) Error {
	t.Helper()
	var env struct{ Error *Error }
	if err := json.Unmarshal([]byte(body), &env); err != nil || env.Error == nil {
		t.Fatalf("body %q is not the error shape: %v", body, err)
	}
	return *env.Error
}

func TestHealthAndVersion(t *testing.T) {
	s, _ := newTestServer(t)
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "/api/health", nil))
	if rec.Code != 200 || strings.TrimSpace(rec.Body.String()) != `{"status":"ok"}` {
		t.Fatalf("health: %d %s", rec.Code, rec.Body)
	}
	rec = httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "/api/version", nil))
	var v struct {
		Version string
		Schema  int
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil || v.Version == "" || v.Schema != store.SchemaVersion {
		t.Fatalf("version: %s (%v)", rec.Body, err)
	}
}

func TestUnknownEndpointIsJSON404(t *testing.T) {
	s, _ := newTestServer(t)
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "/api/no-such-thing", nil))
	if rec.Code != 404 || decodeAPIError(t, rec.Body.String()).Code != "not_found" {
		t.Fatalf("got %d %s", rec.Code, rec.Body)
	}
}

func TestDecodeJSONNamesTheField(t *testing.T) {
	type inner struct {
		Days int `json:"days"`
	}
	type body struct {
		Name     string `json:"name"`
		Settings inner  `json:"settings"`
	}
	cases := []struct {
		name, body, ctype string
		status            int
		field, msg        string
	}{
		{"unknown field", `{"name":"a","colour":"red"}`, "application/json", 400, "colour", "unknown field"},
		{"wrong type", `{"name":5}`, "application/json", 400, "name", "must be a string"},
		{"nested wrong type", `{"settings":{"days":"x"}}`, "application/json", 400, "settings.days", "whole number"},
		{"syntax", `{"name":`, "application/json", 400, "", "cut off"},
		{"empty", ``, "application/json", 400, "", "empty"},
		{"trailing", `{"name":"a"} {}`, "application/json", 400, "", "more than one"},
		{"not json type", `name=a`, "application/x-www-form-urlencoded", 415, "", "application/json"},
		{"too large", `{"name":"` + strings.Repeat("x", MaxBodyBytes) + `"}`, "application/json", 413, "", "1 MiB"},
		{"not an object", `[1]`, "application/json", 400, "", "object"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest("POST", "/", strings.NewReader(tc.body))
			req.Header.Set("Content-Type", tc.ctype)
			rec := httptest.NewRecorder()
			var v body
			err := DecodeJSON(rec, req, &v)
			apiErr, ok := err.(*Error)
			if !ok {
				t.Fatalf("err = %v (%T); want *Error", err, err)
			}
			if apiErr.Status != tc.status || apiErr.Field != tc.field || !strings.Contains(apiErr.Message, tc.msg) {
				t.Fatalf("got %d field=%q %q; want %d field=%q containing %q", apiErr.Status, apiErr.Field, apiErr.Message, tc.status, tc.field, tc.msg)
			}
		})
	}
	req := httptest.NewRequest("POST", "/", strings.NewReader(`{"name":"ok","settings":{"days":3}}`))
	var v body
	if err := DecodeJSON(httptest.NewRecorder(), req, &v); err != nil || v.Name != "ok" || v.Settings.Days != 3 {
		t.Fatalf("valid body: %+v, %v", v, err)
	}
}

func TestEventStreamDeliversBusEvents(t *testing.T) {
	s, bus := newTestServer(t)
	ts := httptest.NewServer(s)
	defer ts.Close()
	resp, err := http.Get(ts.URL + "/api/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type %q", ct)
	}
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	next := func() string {
		select {
		case l := <-lines:
			return l
		case <-time.After(5 * time.Second):
			t.Fatal("no event within 5 s")
			return ""
		}
	}
	if l := next(); l != "event: hello" {
		t.Fatalf("first line %q; want the hello event", l)
	}
	next() // hello's data
	next() // blank line
	bus.Publish("lead.created", map[string]string{"id": "L1"})
	if l := next(); l != "event: lead.created" {
		t.Fatalf("got %q; want event: lead.created", l)
	}
	if l := next(); !strings.Contains(l, `"id":"L1"`) {
		t.Fatalf("data line %q lacks the payload", l)
	}
	// Close must end the stream so a graceful shutdown does not hang.
	s.Close()
	for range lines {
	}
}

// streamOnlyWriter is a ResponseWriter without Flush, like the webview's: it
// streams every write straight to the page.
type streamOnlyWriter struct {
	header http.Header
	lines  chan string
}

func (w *streamOnlyWriter) Header() http.Header { return w.header }
func (w *streamOnlyWriter) WriteHeader(int)     {}
func (w *streamOnlyWriter) Write(b []byte) (int, error) {
	for _, l := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
		w.lines <- l
	}
	return len(b), nil
}

func TestEventStreamWithoutFlusherStaysOpen(t *testing.T) {
	s, bus := newTestServer(t)
	w := &streamOnlyWriter{header: http.Header{}, lines: make(chan string, 64)}
	done := make(chan struct{})
	go func() {
		s.ServeHTTP(w, httptest.NewRequest("GET", "/api/events", nil))
		close(done)
	}()
	want := func(prefix string) {
		t.Helper()
		for {
			select {
			case l := <-w.lines:
				if strings.HasPrefix(l, prefix) {
					return
				}
			case <-done:
				t.Fatalf("the stream ended before %q", prefix)
			case <-time.After(5 * time.Second):
				t.Fatalf("no %q within 5 s", prefix)
			}
		}
	}
	want("event: hello")
	bus.Publish("mail.new", nil)
	want("event: mail.new")
	s.Close()
	<-done
}
