package api

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"threadline/backend/crm"
	"threadline/backend/events"
	"threadline/backend/store"
)

// crmEnv is an API server over a real on-disk store with a clock the test
// moves.
type crmEnv struct {
	t   *testing.T
	srv *Server
	crm *crm.Service
	bus *events.Bus
	st  *store.Store
	dir string

	mu  sync.Mutex
	now time.Time
}

func newCRMEnv(t *testing.T) *crmEnv {
	t.Helper()
	e := &crmEnv{t: t, dir: t.TempDir(), now: time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)}
	e.open()
	t.Cleanup(func() { e.st.Close() })
	return e
}

func (e *crmEnv) open() {
	st, err := store.Open(e.dir, store.Options{})
	if err != nil {
		e.t.Fatal(err)
	}
	e.st = st
	e.bus = events.NewBus()
	e.crm, err = crm.New(st, e.bus, crm.Options{Now: e.clock})
	if err != nil {
		e.t.Fatal(err)
	}
	e.srv = New(Config{Store: st, Bus: e.bus, CRM: e.crm})
}

func (e *crmEnv) reopen() {
	e.t.Helper()
	if err := e.st.Close(); err != nil {
		e.t.Fatal(err)
	}
	e.open()
}

func (e *crmEnv) clock() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.now
}

func (e *crmEnv) advance(d time.Duration) {
	e.mu.Lock()
	e.now = e.now.Add(d)
	e.mu.Unlock()
}

// call makes a request and checks the status; it returns the body.
func (e *crmEnv) call(method, path string, body any, want int) []byte {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req := httptest.NewRequest(method, path, rd)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	e.srv.ServeHTTP(rec, req)
	if rec.Code != want {
		b := rec.Body.String()
		if len(b) > 600 {
			b = b[:600] + "..."
		}
		e.t.Fatalf("%s %s: status %d, want %d; body %s", method, path, rec.Code, want, b)
	}
	return rec.Body.Bytes()
}

// into calls and decodes the answer into a fresh T.
func into[T any](e *crmEnv, method, path string, body any, want int) T {
	e.t.Helper()
	var v T
	raw := e.call(method, path, body, want)
	if err := json.Unmarshal(raw, &v); err != nil {
		e.t.Fatalf("%s %s: decode %s: %v", method, path, raw, err)
	}
	return v
}

// fail calls expecting an error and checks its status, code and field.
func (e *crmEnv) fail(method, path string, body any, status int, code, field string) *Error {
	e.t.Helper()
	var resp struct {
		Error *Error `json:"error"`
	}
	raw := e.call(method, path, body, status)
	if err := json.Unmarshal(raw, &resp); err != nil || resp.Error == nil {
		e.t.Fatalf("%s %s: error body %s", method, path, raw)
	}
	if code != "" && resp.Error.Code != code {
		e.t.Fatalf("%s %s: code %q, want %q (%s)", method, path, resp.Error.Code, code, resp.Error.Message)
	}
	if resp.Error.Field != field {
		e.t.Fatalf("%s %s: field %q, want %q (%s)", method, path, resp.Error.Field, field, resp.Error.Message)
	}
	return resp.Error
}

func (e *crmEnv) check() {
	e.t.Helper()
	if err := e.crm.CheckIndexes(); err != nil {
		e.t.Fatal(err)
	}
}

func (e *crmEnv) sales() *crm.Pipeline {
	e.t.Helper()
	ps := into[list[*crm.Pipeline]](e, "GET", "/api/pipelines", nil, 200)
	if len(ps.Items) == 0 {
		e.t.Fatal("no pipeline")
	}
	return ps.Items[0]
}

func (e *crmEnv) newLead(body map[string]any) *crm.Lead {
	e.t.Helper()
	return into[*crm.Lead](e, "POST", "/api/leads", body, 201)
}
