package api

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"threadline/backend/events"
	"threadline/backend/outbox"
	"threadline/backend/store"
	"threadline/backend/suggest"
	"threadline/backend/templates"
)

// fakeMail is the mail store seen through outbox.Mailboxes.
type fakeMail struct{ msgs map[string]string }

func (f fakeMail) Identities(context.Context, string) ([]outbox.Identity, error) {
	return []outbox.Identity{{Name: "Sam Seller", Address: "sam@example.com"}, {Address: "sales@example.com"}}, nil
}

func (f fakeMail) RawMessage(_ context.Context, id string) ([]byte, string, error) {
	raw, ok := f.msgs[id]
	if !ok {
		return nil, "", outbox.ErrNoOriginal
	}
	return []byte(raw), "thread-7", nil
}

// acceptAll is a transport that takes every message.
type acceptAll struct{ sent []string }

func (a *acceptAll) Send(_ context.Context, _ string, env outbox.Envelope, msg []byte, commit func() error) error {
	if err := commit(); err != nil {
		return err
	}
	a.sent = append(a.sent, strings.Join(env.Rcpts, ","))
	return nil
}

type sendingServer struct {
	*Server
	ob *outbox.Outbox
}

func newSendingServer(t *testing.T) sendingServer {
	t.Helper()
	st, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	bus := events.NewBus()
	ob := outbox.New(st, bus)
	tpl := templates.New(st)
	s := New(Config{Store: st, Bus: bus,
		Outbox: &outbox.Service{Outbox: ob, Mail: fakeMail{msgs: map[string]string{
			"m1": "From: Bob <bob@customer.test>\r\nTo: sam@example.com, carol@customer.test\r\nCc: sales@example.com\r\n" +
				"Subject: Pricing\r\nMessage-ID: <p1@customer.test>\r\nDate: Mon, 2 Mar 2026 09:00:00 +0000\r\n\r\nHow much?\r\n",
		}}},
		Templates: tpl,
		Suggest:   suggest.New(st, tpl, nil, nil),
	})
	t.Cleanup(func() { s.Close(); bus.Close(); st.Close() })
	return sendingServer{s, ob}
}

func do(t *testing.T, h http.Handler, method, path, body string, out any) *httptest.ResponseRecorder {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, r)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if out != nil && rec.Code < 300 {
		if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, rec.Body)
		}
	}
	return rec
}

func TestOutboxAPI(t *testing.T) {
	s := newSendingServer(t)
	att := base64.StdEncoding.EncodeToString([]byte("hello"))
	var it outbox.Item
	rec := do(t, s, "POST", "/api/outbox", `{"account_id":"a1","to":["Bob <bob@customer.test>"],"bcc":["boss@example.com"],
		"subject":"Offer","text":"Hi","html":"<p>Hi</p>","attachments":[{"filename":"a.txt","data":"`+att+`"}],"lead_id":"l1"}`, &it)
	if rec.Code != 202 || it.State != outbox.StateQueued || it.LeadID != "l1" || !strings.HasSuffix(it.MessageID, "@example.com") ||
		strings.Join(it.Envelope.Rcpts, ",") != "bob@customer.test,boss@example.com" || it.Envelope.From != "sam@example.com" {
		t.Fatalf("POST: %d %s", rec.Code, rec.Body)
	}

	// Reply-all to a stored message: recipients, subject and thread come
	// from the original, the user's own addresses are left out.
	var reply outbox.Item
	rec = do(t, s, "POST", "/api/outbox", `{"account_id":"a1","text":"20 EUR.","reply_to_message_id":"m1","reply_all":true}`, &reply)
	if rec.Code != 202 || reply.Subject != "Re: Pricing" || reply.ThreadID != "thread-7" ||
		strings.Join(reply.Envelope.Rcpts, ",") != "bob@customer.test,carol@customer.test" {
		t.Fatalf("reply: %d %s", rec.Code, rec.Body)
	}
	raw, _ := s.ob.Raw(reply.ID)
	if !strings.Contains(string(raw), "In-Reply-To: <p1@customer.test>") || !strings.Contains(string(raw), "> How much?") {
		t.Fatalf("reply message:\n%s", raw)
	}

	// The same draft submitted twice (a double click) is queued once.
	var d1, d2 outbox.Item
	body := `{"account_id":"a1","to":["x@y.test"],"text":"once","draft_id":"draft-42"}`
	if rec := do(t, s, "POST", "/api/outbox", body, &d1); rec.Code != 202 {
		t.Fatalf("draft: %d %s", rec.Code, rec.Body)
	}
	if rec := do(t, s, "POST", "/api/outbox", body, &d2); rec.Code != 200 || d2.ID != d1.ID || d2.MessageID != d1.MessageID {
		t.Fatalf("draft again: %d %s", rec.Code, rec.Body)
	}
	if rec := do(t, s, "DELETE", "/api/outbox/"+d1.ID, "", nil); rec.Code != 204 {
		t.Fatalf("delete draft: %d", rec.Code)
	}

	var list struct{ Items []outbox.Item }
	do(t, s, "GET", "/api/outbox?state=queued", "", &list)
	if len(list.Items) != 2 {
		t.Fatalf("queued: %+v", list)
	}

	// Send them; a sent message can be neither deleted nor retried.
	tr := &acceptAll{}
	sender := &outbox.Sender{Outbox: s.ob, Transport: tr}
	if _, err := sender.RunDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	do(t, s, "GET", "/api/outbox?state=sent", "", &list)
	if len(list.Items) != 2 || len(tr.sent) != 2 {
		t.Fatalf("sent: %+v, transport %v", list, tr.sent)
	}
	if rec := do(t, s, "DELETE", "/api/outbox/"+it.ID, "", nil); rec.Code != 409 {
		t.Fatalf("delete sent: %d %s", rec.Code, rec.Body)
	}
	if rec := do(t, s, "POST", "/api/outbox/"+it.ID+"/retry", "", nil); rec.Code != 409 {
		t.Fatalf("retry sent: %d %s", rec.Code, rec.Body)
	}

	// A queued one can be deleted, once.
	var third outbox.Item
	do(t, s, "POST", "/api/outbox", `{"account_id":"a1","to":["x@y.test"],"text":"t"}`, &third)
	if rec := do(t, s, "DELETE", "/api/outbox/"+third.ID, "", nil); rec.Code != 204 {
		t.Fatalf("delete queued: %d %s", rec.Code, rec.Body)
	}
	if rec := do(t, s, "DELETE", "/api/outbox/"+third.ID, "", nil); rec.Code != 404 {
		t.Fatalf("delete twice: %d %s", rec.Code, rec.Body)
	}
}

func TestOutboxAPIRejectsBadInput(t *testing.T) {
	s := newSendingServer(t)
	cases := []struct {
		body   string
		status int
		field  string
	}{
		{`{"account_id":"a1","to":["not an address"],"text":"x"}`, 422, "to[0]"},
		{`{"to":["a@b.test"],"text":"x"}`, 422, "account_id"},
		{`{"account_id":"a1","from":"other@example.com","to":["a@b.test"],"text":"x"}`, 422, "from"},
		{`{"account_id":"a1","to":["a@b.test"],"text":"x","colour":1}`, 400, "colour"},
		{`{"account_id":"a1","to":["a@b.test"],"text":"x","attachments":[{"filename":"f","data":"***"}]}`, 400, "attachments[0].data"},
		{`{"account_id":"a1","to":["a@b.test"],"text":"x","attachments":[{"data":"eA=="}]}`, 422, "attachments[0].filename"},
		{`{"account_id":"a1","text":"x","reply_to_message_id":"nope"}`, 422, "reply_to_message_id"},
		{`{"account_id":"a1","to":["a@b.test"],"forward_as":"pigeon"}`, 400, "forward_as"},
		{`{"account_id":"a1","to":["a@b.test"],"subject":"a\nb","text":"x"}`, 422, "subject"},
		{`{"account_id":"a1","to":["a@b.test"],"text":"x","attachments":[{"filename":"a\r\nX-Evil: 1","data":"eA=="}]}`, 422, "attachments[0].filename"},
	}
	for _, tc := range cases {
		rec := do(t, s, "POST", "/api/outbox", tc.body, nil)
		if rec.Code != tc.status || decodeAPIError(t, rec.Body.String()).Field != tc.field {
			t.Errorf("%s: %d %s", tc.body, rec.Code, rec.Body)
		}
	}
	if rec := do(t, s, "GET", "/api/outbox?state=lost", "", nil); rec.Code != 400 {
		t.Errorf("bad state: %d", rec.Code)
	}
	if items, _ := s.ob.List(""); len(items) != 0 {
		t.Fatalf("bad requests queued %d items", len(items))
	}
	// Attachments over the limit: 413, nothing queued.
	big := base64.StdEncoding.EncodeToString(make([]byte, MaxAttachmentBytes+1))
	rec := do(t, s, "POST", "/api/outbox", `{"account_id":"a1","to":["a@b.test"],"text":"x","attachments":[{"filename":"big.bin","data":"`+big+`"}]}`, nil)
	if rec.Code != 413 {
		t.Fatalf("big attachment: %d %s", rec.Code, rec.Body)
	}
}

func TestTemplatesAndSuggestAPI(t *testing.T) {
	s := newSendingServer(t)
	var tpl templates.Template
	rec := do(t, s, "POST", "/api/templates", `{"name":"Meeting","body":"Hi {first_name}, Tuesday? {my_name}","intent":"meeting"}`, &tpl)
	if rec.Code != 201 || tpl.ID == "" || tpl.Kind != templates.KindTemplate {
		t.Fatalf("create: %d %s", rec.Code, rec.Body)
	}
	if rec := do(t, s, "POST", "/api/templates", `{"name":"x","body":"y","intent":"gossip"}`, nil); rec.Code != 422 ||
		decodeAPIError(t, rec.Body.String()).Field != "intent" {
		t.Fatalf("invalid: %d %s", rec.Code, rec.Body)
	}
	var r templates.Rendered
	do(t, s, "POST", "/api/templates/"+tpl.ID+"/render", `{"vars":{"first_name":"Jane"}}`, &r)
	if r.Body != "Hi Jane, Tuesday? {my_name}" || len(r.Missing) != 1 || r.Missing[0] != "my_name" {
		t.Fatalf("render: %+v", r)
	}
	if rec := do(t, s, "PUT", "/api/templates/"+tpl.ID, `{"name":"Meeting 2","body":"Hello {first_name}","intent":"meeting"}`, &tpl); rec.Code != 200 || tpl.Name != "Meeting 2" {
		t.Fatalf("update: %d %s", rec.Code, rec.Body)
	}
	var sg suggest.Suggestion
	rec = do(t, s, "POST", "/api/suggest-reply", `{"subject":"Demo","messages":[{"from":"jane@acme.test","date":"2026-03-02T09:00:00Z","text":"Can we schedule a demo call?","direction":"inbound"}],"vars":{"first_name":"Jane"}}`, &sg)
	if rec.Code != 200 || sg.Source != "heuristic" || sg.Intent != "meeting" || sg.TemplateID != tpl.ID || sg.Text != "Hello Jane" {
		t.Fatalf("suggest: %d %s", rec.Code, rec.Body)
	}
	if rec := do(t, s, "POST", "/api/suggest-reply", `{"messages":[{"text":"x","direction":"sideways"}]}`, nil); rec.Code != 400 ||
		decodeAPIError(t, rec.Body.String()).Field != "messages[0].direction" {
		t.Fatalf("bad direction: %d %s", rec.Code, rec.Body)
	}
	var set struct {
		BaseURL string `json:"base_url"`
		Enabled bool
		Local   bool
	}
	if rec := do(t, s, "PUT", "/api/settings/llm", `{"base_url":"http://127.0.0.1:11434","model":"llama3.2"}`, &set); rec.Code != 200 || !set.Enabled || !set.Local {
		t.Fatalf("put settings: %d %s", rec.Code, rec.Body)
	}
	if rec := do(t, s, "PUT", "/api/settings/llm", `{"base_url":"gopher://x","model":"m"}`, nil); rec.Code != 422 {
		t.Fatalf("bad settings: %d %s", rec.Code, rec.Body)
	}
	do(t, s, "GET", "/api/settings/llm", "", &set)
	if set.BaseURL != "http://127.0.0.1:11434" {
		t.Fatalf("get settings: %+v", set)
	}
	if rec := do(t, s, "DELETE", "/api/templates/"+tpl.ID, "", nil); rec.Code != 204 {
		t.Fatalf("delete: %d", rec.Code)
	}
	if rec := do(t, s, "GET", "/api/templates/"+tpl.ID, "", nil); rec.Code != 404 {
		t.Fatalf("get deleted: %d", rec.Code)
	}
}
