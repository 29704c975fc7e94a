package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"threadline/backend/events"
	"threadline/backend/internal/dovecottest"
	"threadline/backend/mail"
	"threadline/backend/store"
)

type mailAPI struct {
	t   *testing.T
	srv *httptest.Server
	svc *mail.Service
}

func newMailAPI(t *testing.T) *mailAPI {
	dir := t.TempDir()
	st, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	bus := events.NewBus()
	svc := mail.NewService(mail.Options{Store: st, Bus: bus, Secrets: mail.NewFileSecrets(filepath.Join(dir, mail.InsecureSecretsFile))})
	s := New(Config{Store: st, Bus: bus, Mail: svc})
	hs := httptest.NewServer(s)
	t.Cleanup(func() { hs.Close(); s.Close(); svc.Stop(); st.Close() })
	return &mailAPI{t: t, srv: hs, svc: svc}
}

func (a *mailAPI) do(method, path string, body any) (int, map[string]any, string) {
	a.t.Helper()
	var r io.Reader
	if body != nil {
		if s, ok := body.(string); ok {
			r = strings.NewReader(s)
		} else {
			b, _ := json.Marshal(body)
			r = bytes.NewReader(b)
		}
	}
	req, _ := http.NewRequest(method, a.srv.URL+path, r)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	return resp.StatusCode, out, string(raw)
}

func errField(out map[string]any) string {
	e, _ := out["error"].(map[string]any)
	f, _ := e["field"].(string)
	return f
}

func TestAccountsAPI(t *testing.T) {
	a := newMailAPI(t)
	// Validation names the field and writes nothing.
	for _, c := range []struct {
		body  string
		field string
	}{
		{`{"email":"nobody","imap":{"host":"imap.example.com"},"password":"x"}`, "email"},
		{`{"email":"a@b.c","imap":{"host":"imap.example.com","security":"none"},"password":"x"}`, "imap.security"},
		{`{"email":"a@b.c","imap":{"host":"imap.example.com","port":70000},"password":"x"}`, "imap.port"},
		{`{"email":"a@b.c","imap":{"host":"imap.example.com"}}`, "password"},
		{`{"email":"a@b.c","preset":"aol","password":"x"}`, "preset"},
		{`{"email":"a@b.c","imap":{"host":"h"},"password":"x","colour":"red"}`, "colour"},
	} {
		code, out, raw := a.do("POST", "/api/accounts", c.body)
		if code/100 != 4 || errField(out) != c.field {
			t.Errorf("%s: %d %s; want 4xx naming %s", c.body, code, raw, c.field)
		}
	}
	if code, out, _ := a.do("GET", "/api/accounts", nil); code != 200 || len(out["accounts"].([]any)) != 0 {
		t.Fatalf("accounts after failed creates: %v", out)
	}

	code, out, raw := a.do("POST", "/api/accounts", map[string]any{
		"email": "Me@Example.com", "preset": "fastmail", "password": "s3cret-pass", "identities": []string{"sales@example.com"},
	})
	if code != 201 {
		t.Fatalf("create: %d %s", code, raw)
	}
	if strings.Contains(raw, "s3cret-pass") {
		t.Fatalf("the password came back: %s", raw)
	}
	id := out["id"].(string)
	imapCfg := out["imap"].(map[string]any)
	if imapCfg["host"] != "imap.fastmail.com" || out["sync_days"].(float64) != 90 || out["email"] != "me@example.com" {
		t.Errorf("preset/defaults not applied: %s", raw)
	}
	code, out, raw = a.do("GET", "/api/accounts", nil)
	if code != 200 || strings.Contains(raw, "s3cret") {
		t.Fatalf("list: %d %s", code, raw)
	}
	if ss := out["secret_storage"].(map[string]any); ss["insecure"] != true || ss["warning"] == "" {
		t.Errorf("the file fallback is not flagged: %v", ss)
	}
	code, _, raw = a.do("PUT", "/api/accounts/"+id, map[string]any{"email": "me@example.com", "name": "Work", "imap": map[string]any{"host": "127.0.0.1", "port": 1, "security": "none"}})
	if code != 200 || !strings.Contains(raw, `"name":"Work"`) || !strings.Contains(raw, `"sync_days":90`) {
		t.Fatalf("update: %d %s", code, raw)
	}
	if code, _, _ := a.do("GET", "/api/accounts/nope", nil); code != 404 {
		t.Errorf("unknown account: %d", code)
	}
	if code, _, _ := a.do("DELETE", "/api/accounts/"+id, nil); code != 204 {
		t.Errorf("delete: %d", code)
	}
	if code, _, _ := a.do("GET", "/api/accounts/"+id, nil); code != 404 {
		t.Errorf("deleted account still there: %d", code)
	}
}

func TestConnectionTestReportsTheFailingStage(t *testing.T) {
	dovecottest.Require(t)
	srv := dovecottest.Start(t)
	a := newMailAPI(t)
	host, portStr, _ := net.SplitHostPort(srv.IMAPAddr)
	var port int
	fmt.Sscan(portStr, &port)
	closed, _ := net.Listen("tcp", "127.0.0.1:0")
	closedPort := closed.Addr().(*net.TCPAddr).Port
	closed.Close()
	// A TLS server with a certificate nobody trusts.
	untrusted := httptest.NewTLSServer(http.NotFoundHandler())
	defer untrusted.Close()
	uHost, uPort, _ := net.SplitHostPort(untrusted.Listener.Addr().String())
	// An IMAP server too old for Threadline: no IMAP4rev1.
	oldLn, _ := net.Listen("tcp", "127.0.0.1:0")
	defer oldLn.Close()
	go func() {
		for {
			c, err := oldLn.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				fmt.Fprint(c, "* OK [CAPABILITY IMAP2] old server\r\n")
				buf := make([]byte, 4096)
				for {
					n, err := c.Read(buf)
					if err != nil {
						return
					}
					tag, _, _ := strings.Cut(string(buf[:n]), " ")
					fmt.Fprintf(c, "* CAPABILITY IMAP2\r\n%s OK done\r\n", tag)
				}
			}()
		}
	}()
	oldPort := oldLn.Addr().(*net.TCPAddr).Port
	for _, c := range []struct {
		name  string
		body  map[string]any
		stage string
	}{
		{"certificate", map[string]any{"email": "a@b.c", "imap": map[string]any{"host": uHost, "port": json.Number(uPort), "security": "tls"}, "password": "x"}, "tls"},
		{"capability", map[string]any{"email": "a@b.c", "imap": map[string]any{"host": "127.0.0.1", "port": oldPort, "security": "none"}, "password": "x"}, "capability"},
		{"dns", map[string]any{"email": "a@b.c", "imap": map[string]any{"host": "no-such-host.invalid", "port": 993}, "password": "x"}, "dns"},
		{"tcp", map[string]any{"email": "a@b.c", "imap": map[string]any{"host": "127.0.0.1", "port": closedPort, "security": "none"}, "password": "x"}, "tcp"},
		{"tls", map[string]any{"email": "a@b.c", "imap": map[string]any{"host": host, "port": port, "security": "tls"}, "password": "x"}, "tls"},
		{"starttls", map[string]any{"email": "a@b.c", "imap": map[string]any{"host": host, "port": port, "security": "starttls"}, "password": "x"}, "tls"},
		{"auth", map[string]any{"email": "test@example.com", "imap": map[string]any{"host": host, "port": port, "security": "none"}, "password": "wrong"}, "auth"},
		{"ok", map[string]any{"email": "test@example.com", "imap": map[string]any{"host": host, "port": port, "security": "none"}, "password": "test"}, ""},
	} {
		code, out, raw := a.do("POST", "/api/accounts/test", c.body)
		if code != 200 {
			t.Errorf("%s: %d %s", c.name, code, raw)
			continue
		}
		fail, _ := out["failure"].(map[string]any)
		got := ""
		if fail != nil {
			got, _ = fail["stage"].(string)
		}
		if got != c.stage || (c.stage == "") != (out["ok"] == true) {
			t.Errorf("%s: failed at %q, want %q: %s", c.name, got, c.stage, raw)
		} else if fail != nil {
			t.Logf("%s: %s", c.name, fail["detail"])
		}
	}
}

func TestThreadsAPIAfterSync(t *testing.T) {
	dovecottest.Require(t)
	srv := dovecottest.Start(t)
	a := newMailAPI(t)
	msgs := [][]byte{
		[]byte("From: Carol <carol@example.org>\r\nTo: me@example.com\r\nSubject: Quote\r\nMessage-ID: <q1@example.org>\r\nDate: Mon, 2 Jan 2023 10:00:00 +0000\r\nContent-Type: text/html\r\n\r\n<p>Hi</p><img src=\"https://t.example/px.gif\"><script>x()</script>\r\n"),
		[]byte("From: Me <me@example.com>\r\nTo: carol@example.org\r\nSubject: Re: Quote\r\nMessage-ID: <q2@example.com>\r\nIn-Reply-To: <q1@example.org>\r\nDate: Mon, 2 Jan 2023 11:00:00 +0000\r\n\r\nHere it is.\r\n"),
		[]byte("From: Dan <dan@example.net>\r\nTo: me@example.com\r\nSubject: Lunch\r\nMessage-ID: <l1@example.net>\r\nDate: Tue, 3 Jan 2023 12:00:00 +0000\r\n\r\nLunch?\r\n"),
	}
	if err := srv.WriteMaildir("test@example.com", "INBOX", msgs, nil, []string{"S", "S", ""}); err != nil {
		t.Fatal(err)
	}
	host, portStr, _ := net.SplitHostPort(srv.IMAPAddr)
	code, out, raw := a.do("POST", "/api/accounts", map[string]any{
		"email": "test@example.com", "identities": []string{"me@example.com"}, "sync_days": 0, "password": "test",
		"imap": map[string]any{"host": host, "port": json.Number(portStr), "security": "none"},
	})
	if code != 201 {
		t.Fatalf("create: %s", raw)
	}
	acctID := out["id"].(string)
	if err := a.svc.SyncAccount(context.Background(), acctID); err != nil {
		t.Fatal(err)
	}
	code, out, raw = a.do("GET", "/api/accounts/"+acctID+"/folders", nil)
	if code != 200 {
		t.Fatalf("folders: %s", raw)
	}
	synced := map[string]bool{}
	for _, f := range out["folders"].([]any) {
		fm := f.(map[string]any)
		synced[fm["name"].(string)] = fm["synced"].(bool)
	}
	if !synced["INBOX"] || !synced["Sent"] || !synced["Archive"] || synced["Trash"] || synced["Junk"] {
		t.Errorf("folders: %s", raw)
	}
	if code, out, raw := a.do("POST", "/api/accounts/"+acctID+"/fetch-older", map[string]any{"days": -3}); code != 422 || errField(out) != "days" {
		t.Errorf("fetch-older with negative days: %d %s", code, raw)
	}
	code, out, raw = a.do("GET", "/api/threads", nil)
	if code != 200 || len(out["threads"].([]any)) != 2 {
		t.Fatalf("threads: %s", raw)
	}
	first := out["threads"].([]any)[0].(map[string]any)
	if first["subject"] != "Lunch" || first["unread"].(float64) != 1 || first["last_direction"] != "inbound" {
		t.Errorf("newest thread: %v", first)
	}
	for q, want := range map[string]int{
		"direction=outbound": 1, "unread=true": 1, "unread=false": 1, "participant=carol": 1,
		"folder=inbox": 2, "folder=Sent": 0, "limit=1": 1, "account=zzz": 0,
	} {
		code, out, raw := a.do("GET", "/api/threads?"+q, nil)
		if code != 200 || len(out["threads"].([]any)) != want {
			t.Errorf("%s: %d %s; want %d threads", q, code, raw, want)
		}
	}
	// Pagination walks every thread once.
	_, out, _ = a.do("GET", "/api/threads?limit=1", nil)
	cursor, _ := out["next_cursor"].(string)
	_, out2, raw := a.do("GET", "/api/threads?limit=1&cursor="+cursor, nil)
	if cursor == "" || len(out2["threads"].([]any)) != 1 || out2["threads"].([]any)[0].(map[string]any)["subject"] != "Quote" {
		t.Errorf("second page: %s", raw)
	}
	for _, q := range []string{"unread=maybe", "direction=sideways", "limit=0", "cursor=garbage"} {
		if code, out, raw := a.do("GET", "/api/threads?"+q, nil); code != 400 || errField(out) == "" {
			t.Errorf("%s: %d %s", q, code, raw)
		}
	}
	tid := out2["threads"].([]any)[0].(map[string]any)["id"].(string)
	code, out, raw = a.do("GET", "/api/threads/"+tid, nil)
	if code != 200 {
		t.Fatalf("thread: %s", raw)
	}
	ms := out["messages"].([]any)
	if len(ms) != 2 || out["last_direction"] != "outbound" {
		t.Fatalf("thread view: %s", raw)
	}
	m0 := ms[0].(map[string]any)
	if m0["remote_content_blocked"] != true || strings.Contains(m0["html"].(string), "<script") || strings.Contains(m0["html"].(string), ` src="https://t.example`) {
		t.Errorf("html not made safe: %v", m0["html"])
	}
	if ms[1].(map[string]any)["text"] != "Here it is.\r\n" && !strings.Contains(ms[1].(map[string]any)["text"].(string), "Here it is.") {
		t.Errorf("text: %v", ms[1])
	}
	_, allowed, _ := a.do("GET", "/api/threads/"+tid+"?remote_content=allow", nil)
	if h := allowed["messages"].([]any)[0].(map[string]any)["html"].(string); !strings.Contains(h, `src="https://t.example/px.gif"`) {
		t.Errorf("remote content not allowed on request: %s", h)
	}
	resp, err := http.Get(a.srv.URL + m0["raw_url"].(string))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Contains(body, []byte("Message-ID: <q1@example.org>")) || resp.Header.Get("Content-Type") != "message/rfc822" {
		t.Errorf("raw: %d %s", resp.StatusCode, body)
	}
	if code, _, _ := a.do("GET", "/api/threads/nope", nil); code != 404 {
		t.Errorf("unknown thread: %d", code)
	}
	if code, out, raw := a.do("GET", "/api/sync/status", nil); code != 200 || len(out["accounts"].([]any)) != 1 {
		t.Errorf("status: %s", raw)
	} else if !strings.Contains(raw, `"mailbox":"INBOX"`) {
		t.Errorf("status lacks the inbox: %s", raw)
	}
	if code, out, raw := a.do("POST", "/api/sync/now", map[string]any{"account": "nope"}); code != 422 || errField(out) != "account" {
		t.Errorf("sync now for unknown account: %d %s", code, raw)
	}
	// Removing the account removes its mail.
	if code, _, raw := a.do("DELETE", "/api/accounts/"+acctID, nil); code != 204 {
		t.Fatalf("delete: %d %s", code, raw)
	}
	if code, out, raw := a.do("GET", "/api/threads", nil); code != 200 || len(out["threads"].([]any)) != 0 {
		t.Errorf("threads after deleting the account: %s", raw)
	}
	if code, _, _ := a.do("GET", m0["raw_url"].(string), nil); code != 404 {
		t.Errorf("raw message after deleting the account: %d", code)
	}
}
