package engine

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"threadline/backend/internal/dovecottest"
	"threadline/backend/mail"
	"threadline/backend/store"
)

// testMessage builds one RFC 5322 message; attach, when set, adds a PDF
// attachment of that name.
func testMessage(id, from, subject, date, body, attach, extra string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "Message-ID: <%s>\r\nFrom: %s\r\nTo: Me <test@example.com>\r\nSubject: %s\r\nDate: %s\r\nMIME-Version: 1.0\r\n%s", id, from, subject, date, extra)
	if attach == "" {
		fmt.Fprintf(&b, "Content-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n", body)
		return b.Bytes()
	}
	fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=XX\r\n\r\n--XX\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n"+
		"--XX\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=%q\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--XX--\r\n", body, attach)
	return b.Bytes()
}

type apiClient struct {
	t *testing.T
	e *Engine
}

func (c apiClient) do(method, path string, body any) (int, map[string]any) {
	c.t.Helper()
	var r *bytes.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		r = bytes.NewReader(raw)
	} else {
		r = bytes.NewReader(nil)
	}
	req := httptest.NewRequest(method, path, r)
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	c.e.API.ServeHTTP(rec, req)
	var out map[string]any
	if rec.Body.Len() > 0 {
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			c.t.Fatalf("%s %s: %d, not JSON: %s", method, path, rec.Code, rec.Body)
		}
	}
	return rec.Code, out
}

func (c apiClient) must(method, path string, body any, want int) map[string]any {
	c.t.Helper()
	code, out := c.do(method, path, body)
	if code != want {
		c.t.Fatalf("%s %s: %d, want %d: %v", method, path, code, want, out)
	}
	return out
}

// search returns the ids of the hits, sorted, and the total.
func (c apiClient) search(q, kind string) ([]string, int) {
	c.t.Helper()
	out := c.must("GET", "/api/search?limit=100&kind="+kind+"&q="+url.QueryEscape(q), nil, 200)
	var ids []string
	for _, h := range out["hits"].([]any) {
		ids = append(ids, h.(map[string]any)["id"].(string))
	}
	slices.Sort(ids)
	return ids, int(out["total"].(float64))
}

// eventually polls until the query returns exactly want (sorted ids): the
// index follows the store in the background.
func (c apiClient) eventually(q, kind string, want ...string) {
	c.t.Helper()
	slices.Sort(want)
	if want == nil {
		want = []string{}
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		got, total := c.search(q, kind)
		if got == nil {
			got = []string{}
		}
		if slices.Equal(got, want) && total == len(want) {
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("search %q (kind %s): got %v (total %d), want %v; index status %+v", q, kind, got, total, want, c.e.Search.Status())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// storeCounts counts messages and leads that are not archived: what the
// index should hold.
func storeCounts(t *testing.T, st *store.Store) (msgs, leads int) {
	t.Helper()
	err := st.View(func(txn *store.Txn) error {
		if err := txn.Scan(store.Key("msg", ""), store.ScanOptions{KeysOnly: true}, func(_, _ []byte) error { msgs++; return nil }); err != nil {
			return err
		}
		return txn.Scan(store.Key("lead", ""), store.ScanOptions{}, func(_, v []byte) error {
			var l struct {
				ArchivedAt *time.Time `json:"archived_at"`
			}
			if err := json.Unmarshal(v, &l); err != nil {
				return err
			}
			if l.ArchivedAt == nil {
				leads++
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return msgs, leads
}

func waitDocs(t *testing.T, e *Engine, want int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		st := e.Search.Status()
		if st.Docs == int64(want) && st.Pending == 0 && !st.Rebuilding {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("index holds %d documents, want %d: %+v", st.Docs, want, st)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestSearchFollowsMailAndLeads syncs real messages from Dovecot, creates
// and changes leads through the API, and checks that /api/search follows
// every change, and that a deleted index is rebuilt on open.
func TestSearchFollowsMailAndLeads(t *testing.T) {
	dovecottest.Require(t)
	srv := dovecottest.Start(t)
	date := "Mon, 02 Mar 2026 10:00:00 +0000"
	invoice := testMessage("inv42@acme.example", "Alice Müller <alice@acme.example>", "Quarterly invoice 42", date,
		"Please pay the invoice by Friday.", "invoice-42.pdf", "")
	lunch := testMessage("lunch@globex.example", "Bob <bob@globex.example>", "Lunch on Friday", date, "Pizza or sushi?", "", "")
	pricing := testMessage("price@initech.example", "carol@initech.example", "Pricing question", date, "What does the enterprise plan cost?", "", "")
	reply := testMessage("re42@example.org", "dave@example.org", "Re: Quarterly invoice 42", date, "Paid yesterday.", "",
		"In-Reply-To: <inv42@acme.example>\r\n")
	if err := srv.WriteMaildir("test@example.com", "INBOX", [][]byte{invoice, lunch, reply}, nil, []string{"", "S", ""}); err != nil {
		t.Fatal(err)
	}
	// The invoice is filed in Archive too: one message, two folders.
	if err := srv.WriteMaildir("test@example.com", "Archive", [][]byte{pricing, invoice}, nil, []string{"S", ""}); err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	e, err := Open(dir, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	closed := false
	defer func() {
		if !closed {
			e.Close()
		}
	}()
	c := apiClient{t, e}
	host, port, _ := strings.Cut(srv.IMAPAddr, ":")
	acct := c.must("POST", "/api/accounts", map[string]any{
		"email": "test@example.com", "imap": map[string]any{"host": host, "port": json.Number(port), "security": "none"}, "password": "test",
	}, 201)
	acctID := acct["id"].(string)

	// The account's worker syncs on its own; message ids are derived from
	// Message-IDs, so they can be named here.
	inv, lun, pri, rep := mail.MessageKey("inv42@acme.example", nil), mail.MessageKey("lunch@globex.example", nil),
		mail.MessageKey("price@initech.example", nil), mail.MessageKey("re42@example.org", nil)
	c.eventually("from:alice@acme.example", "mail", inv)
	c.eventually("from:muller", "mail", inv)
	c.eventually("subject:quarterly", "mail", inv, rep)
	c.eventually("is:unread", "mail", inv, rep)
	c.eventually("in:archive", "mail", inv, pri)
	c.eventually("in:inbox", "mail", inv, lun, rep)
	c.eventually("has:attachment", "mail", inv)
	c.eventually("invoice-42.pdf", "mail", inv)
	c.eventually("enterprise plan", "mail", pri)

	// Leads with notes and tags through the CRM API.
	dana := c.must("POST", "/api/leads", map[string]any{"name": "Dana Scully", "email": "dana@fbi.example", "company": "Bureau",
		"tags": []string{"vip", "renewal"}}, 201)
	fox := c.must("POST", "/api/leads", map[string]any{"name": "Fox Mulder", "email": "fox@fbi.example", "tags": []string{"prospect"}}, 201)
	danaID, foxID := dana["id"].(string), fox["id"].(string)
	note := c.must("POST", "/api/leads/"+danaID+"/notes", map[string]any{"body": "Wants the enterprise plan before March"}, 201)
	c.eventually("tag:vip", "all", danaID)
	c.eventually("enterprise", "leads", danaID)
	c.eventually("enterprise", "all", danaID, pri)
	c.eventually("stage:new", "leads", danaID, foxID)

	c.must("POST", "/api/leads/"+foxID+"/move", map[string]any{"stage_id": "interested"}, 200)
	c.eventually("stage:interested", "leads", foxID)
	c.eventually("stage:new", "leads", danaID)
	c.must("PATCH", "/api/leads/"+foxID, map[string]any{"tags": []string{"hot"}}, 200)
	c.eventually("tag:hot", "leads", foxID)
	c.eventually("tag:prospect", "leads")
	// Renaming the pipeline reaches every lead's document.
	pid := dana["pipeline_id"].(string)
	c.must("PATCH", "/api/pipelines/"+pid, map[string]any{"name": "Enterprise deals"}, 200)
	c.eventually(`pipeline:"enterprise deals"`, "leads", danaID, foxID)
	c.must("DELETE", "/api/notes/"+note["id"].(string), nil, 204)
	c.eventually("enterprise", "leads")

	// Mark read on the server: the next sync carries the flag to the index.
	if out, err := srv.Doveadm("flags", "add", "-u", "test@example.com", `\Seen`, "mailbox", "*", "header", "Message-ID", "inv42@acme.example"); err != nil {
		t.Fatalf("doveadm flags: %v %s", err, out)
	}
	c.must("POST", "/api/sync/now", map[string]any{"account": acctID}, 202)
	c.eventually("is:unread", "mail", rep)
	c.eventually("is:read", "mail", inv, lun, pri)

	// Archiving takes a lead out of search; purging too.
	c.must("DELETE", "/api/leads/"+danaID, nil, 200)
	c.eventually("tag:vip", "all")
	c.must("DELETE", "/api/leads/"+foxID+"?purge=1", nil, 204)
	c.eventually("mulder", "all")

	msgs, leads := storeCounts(t, e.Store)
	if msgs != 4 || leads != 0 {
		t.Fatalf("store holds %d messages and %d open leads, want 4 and 0", msgs, leads)
	}
	waitDocs(t, e, msgs+leads)

	// A deleted index is rebuilt when the engine opens.
	closed = true
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(dir, "search")); err != nil {
		t.Fatal(err)
	}
	e, err = Open(dir, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	closed = false
	c = apiClient{t, e}
	waitDocs(t, e, msgs+leads)
	c.eventually("subject:quarterly", "mail", inv, rep)
	c.eventually("in:archive", "mail", inv, pri)

	// So is a corrupt one, and the rebuild reports its progress.
	closed = true
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "search", "index_meta.json"), []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	e, err = Open(dir, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	closed = false
	c = apiClient{t, e}
	waitDocs(t, e, msgs+leads)
	st := c.must("GET", "/api/search/status", nil, 200)
	if st["done"] != float64(msgs+leads) || st["total"] != float64(msgs+leads) || st["rebuilding"] != false {
		t.Fatalf("status after rebuilding a corrupt index: %v", st)
	}
	c.eventually("from:alice@acme.example", "mail", inv)
}
