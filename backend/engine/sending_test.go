package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"threadline/backend/events"
	"threadline/backend/internal/dovecottest"
	tlmail "threadline/backend/mail"
	"threadline/backend/reminders"
)

// smtpSink is a real go-smtp server on loopback that keeps what it
// accepts. It stands for the recipient's mail server, or is the user's
// SMTP server itself.
type smtpSink struct {
	srv  *smtp.Server
	Port int

	mu   sync.Mutex
	msgs [][]byte
}

func startSMTPSink(t *testing.T) *smtpSink { return startSMTPSinkAt(t, "127.0.0.1:0") }

func startSMTPSinkAt(t *testing.T, addr string) *smtpSink {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	s := &smtpSink{Port: ln.Addr().(*net.TCPAddr).Port}
	s.srv = smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &sinkSession{s: s}, nil }))
	s.srv.Domain = "localhost"
	s.srv.AllowInsecureAuth = true
	go s.srv.Serve(ln)
	t.Cleanup(func() { s.srv.Close() })
	return s
}

func (s *smtpSink) messages() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([][]byte(nil), s.msgs...)
}

type sinkSession struct{ s *smtpSink }

func (ss *sinkSession) AuthMechanisms() []string { return []string{sasl.Plain} }
func (ss *sinkSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != "test@example.com" || pass != "test" {
			return smtp.ErrAuthFailed
		}
		return nil
	}), nil
}
func (ss *sinkSession) Mail(string, *smtp.MailOptions) error { return nil }
func (ss *sinkSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (ss *sinkSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	ss.s.mu.Lock()
	ss.s.msgs = append(ss.s.msgs, b)
	ss.s.mu.Unlock()
	return nil
}
func (ss *sinkSession) Reset()        {}
func (ss *sinkSession) Logout() error { return nil }

// call does one API request against the engine and decodes the answer.
func call(t *testing.T, e *Engine, method, path string, body any, want int) map[string]any {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	rec := httptest.NewRecorder()
	e.API.ServeHTTP(rec, httptest.NewRequest(method, path, rd))
	if rec.Code != want {
		t.Fatalf("%s %s: %d %s", method, path, rec.Code, rec.Body)
	}
	var out map[string]any
	if rec.Body.Len() > 0 {
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, rec.Body)
		}
	}
	return out
}

// eventually polls cond until it holds or 20 s pass.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func openEngine(t *testing.T, dir string) *Engine {
	t.Helper()
	e, err := Open(dir, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func port(t *testing.T, addr string) int {
	_, p, _ := net.SplitHostPort(addr)
	n, err := strconv.Atoi(p)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// salesSetup creates a pipeline with followup_after_send and a lead in it.
func salesSetup(t *testing.T, e *Engine, email string) (leadID string) {
	t.Helper()
	p := call(t, e, "POST", "/api/pipelines", map[string]any{"name": "Sales", "settings": map[string]any{
		"followup_after_send": map[string]any{"enabled": true, "days": 2}}}, http.StatusCreated)
	l := call(t, e, "POST", "/api/leads", map[string]any{"pipeline_id": p["id"], "email": email, "name": "Bob Buyer"}, http.StatusCreated)
	return l["id"].(string)
}

func followUpsOf(t *testing.T, e *Engine, leadID string) []map[string]any {
	t.Helper()
	page := call(t, e, "GET", "/api/leads/"+leadID+"/followups", nil, http.StatusOK)
	var out []map[string]any
	for _, it := range page["items"].([]any) {
		out = append(out, it.(map[string]any))
	}
	return out
}

// sentCopies counts the messages with this Message-ID in the Maildir of
// the test user's Sent folder.
func sentCopies(t *testing.T, d *dovecottest.Server, msgID string) int {
	t.Helper()
	n := 0
	for _, sub := range []string{"cur", "new"} {
		files, _ := filepath.Glob(filepath.Join(d.Maildir("test@example.com", "Sent"), sub, "*"))
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err == nil && bytes.Contains(b, []byte("<"+msgID+">")) {
				n++
			}
		}
	}
	return n
}

// TestReplyThroughDovecotSubmission is the daily loop end to end with real
// parts: a lead's mail arrives in Dovecot and is synced; the user replies
// through the API; Dovecot's submission service takes the reply and relays
// it to the recipient's (go-smtp) server; the reply is in its thread at
// once, a copy lands in Dovecot's Sent and syncing Sent does not duplicate
// it; a no-reply follow-up appears; the lead's answer, delivered over LMTP
// and synced, cancels it.
func TestReplyThroughDovecotSubmission(t *testing.T) {
	t.Setenv(tlmail.EnvSecrets, "file")
	relay := startSMTPSink(t)
	d := dovecottest.StartSubmission(t, relay.Port)
	first := "From: Bob Buyer <bob@customer.test>\r\nTo: test@example.com\r\nSubject: Pricing for 20 seats\r\n" +
		"Date: " + time.Now().Add(-time.Hour).Format(time.RFC1123Z) + "\r\nMessage-ID: <q1@customer.test>\r\n\r\n" +
		"What would 20 seats cost?\r\n"
	if err := d.Deliver("bob@customer.test", "test@example.com", []byte(first)); err != nil {
		t.Fatal(err)
	}

	e := openEngine(t, t.TempDir())
	defer e.Close()
	leadID := salesSetup(t, e, "bob@customer.test")
	pw := "test"
	acct, err := e.Mail.CreateAccount(tlmail.AccountInput{Account: tlmail.Account{Email: "test@example.com", Name: "Sam Seller",
		IMAP: tlmail.Server{Host: "127.0.0.1", Port: port(t, d.IMAPAddr), Security: tlmail.SecurityNone},
		SMTP: tlmail.Server{Host: "127.0.0.1", Port: port(t, d.SubmissionAddr), Security: tlmail.SecurityNone}}, Password: &pw})
	if err != nil {
		t.Fatal(err)
	}
	var threadID string
	eventually(t, "the lead's message to sync", func() bool {
		threadID, err = e.Mail.ThreadOfMessageID("q1@customer.test")
		return err == nil
	})
	call(t, e, "POST", "/api/leads/"+leadID+"/threads", map[string]any{"thread_id": threadID}, http.StatusOK)
	tv := call(t, e, "GET", "/api/threads/"+threadID, nil, http.StatusOK)
	origID := tv["messages"].([]any)[0].(map[string]any)["id"].(string)

	sub := e.Bus.Subscribe(256)
	defer sub.Cancel()
	item := call(t, e, "POST", "/api/outbox", map[string]any{"account_id": acct.ID, "reply_to_message_id": origID,
		"text": "20 seats are 400 EUR a month.", "draft_id": "d1"}, http.StatusAccepted)
	itemID := item["id"].(string)
	msgID := item["message_id"].(string)
	eventually(t, "the reply to be sent and its after-send steps to finish", func() bool {
		it := call(t, e, "GET", "/api/outbox/"+itemID, nil, http.StatusOK)
		if it["state"] == "failed" {
			t.Fatalf("send failed: %v\n%s", it["last_error"], d.Log())
		}
		return it["state"] == "sent" && it["post_sent_done"] == true
	})

	// The recipient's server got it once, threaded onto the lead's message.
	got := relay.messages()
	if len(got) != 1 {
		t.Fatalf("the recipient's server got %d messages", len(got))
	}
	r, err := mail.CreateReader(bytes.NewReader(got[0]))
	if err != nil {
		t.Fatal(err)
	}
	irt, _ := r.Header.MsgIDList("In-Reply-To")
	refs, _ := r.Header.MsgIDList("References")
	gotID, _ := r.Header.MessageID()
	subj, _ := r.Header.Subject()
	if gotID != msgID || strings.Join(irt, " ") != "q1@customer.test" || strings.Join(refs, " ") != "q1@customer.test" ||
		subj != "Re: Pricing for 20 seats" {
		t.Fatalf("Message-ID %q In-Reply-To %v References %v Subject %q", gotID, irt, refs, subj)
	}

	// In its thread at once, before any sync of Sent.
	tv = call(t, e, "GET", "/api/threads/"+threadID, nil, http.StatusOK)
	msgs := tv["messages"].([]any)
	if len(msgs) != 2 || msgs[1].(map[string]any)["message_id"] != msgID || msgs[1].(map[string]any)["direction"] != "outbound" {
		t.Fatalf("thread after send: %v", msgs)
	}
	if mbs, _ := msgs[1].(map[string]any)["mailboxes"].([]any); len(mbs) != 0 {
		t.Fatalf("the sent message came from a sync of %v, not from the send", mbs)
	}

	// The no-reply follow-up, due in the pipeline's two days.
	fus := followUpsOf(t, e, leadID)
	if len(fus) != 1 || fus[0]["kind"] != "no_reply" || fus[0]["state"] != "pending" || fus[0]["thread_id"] != threadID {
		t.Fatalf("follow-ups after send: %v", fus)
	}
	due, _ := time.Parse(time.RFC3339, fus[0]["due_at"].(string))
	if d := time.Until(due); d < 47*time.Hour || d > 49*time.Hour {
		t.Fatalf("follow-up due in %v, want about 48h", d)
	}

	// A copy in Dovecot's Sent; syncing it adds a location, not a message.
	if n := sentCopies(t, d, msgID); n != 1 {
		t.Fatalf("%d copies in Sent", n)
	}
	e.Mail.SyncNow(acct.ID)
	eventually(t, "the Sent copy to sync", func() bool {
		tv = call(t, e, "GET", "/api/threads/"+threadID, nil, http.StatusOK)
		msgs = tv["messages"].([]any)
		mbs, _ := msgs[len(msgs)-1].(map[string]any)["mailboxes"].([]any)
		return len(mbs) == 1 && mbs[0] == "Sent"
	})
	if len(msgs) != 2 {
		t.Fatalf("thread after syncing Sent has %d messages", len(msgs))
	}

	// A suggested reply can be asked for by thread.
	sug := call(t, e, "POST", "/api/suggest-reply", map[string]any{"thread_id": threadID}, http.StatusOK)
	if txt, _ := sug["text"].(string); txt == "" {
		t.Fatalf("suggestion for the thread: %v", sug)
	}

	// Bob answers; the sync sees it and the follow-up goes away by itself.
	answer := "From: Bob Buyer <bob@customer.test>\r\nTo: test@example.com\r\nSubject: Re: Pricing for 20 seats\r\n" +
		"Date: " + time.Now().Format(time.RFC1123Z) + "\r\nMessage-ID: <q3@customer.test>\r\n" +
		"In-Reply-To: <" + msgID + ">\r\nReferences: <q1@customer.test> <" + msgID + ">\r\n\r\nDeal.\r\n"
	if err := d.Deliver("bob@customer.test", "test@example.com", []byte(answer)); err != nil {
		t.Fatal(err)
	}
	e.Mail.SyncNow(acct.ID)
	eventually(t, "the answer to cancel the follow-up", func() bool {
		fus = followUpsOf(t, e, leadID)
		return len(fus) == 1 && fus[0]["state"] == "cancelled"
	})
	if tid, _ := e.Mail.ThreadOfMessageID("q3@customer.test"); tid != threadID {
		t.Fatalf("the answer is in thread %s, not %s", tid, threadID)
	}
	lead := call(t, e, "GET", "/api/leads/"+leadID, nil, http.StatusOK)
	if lead["last_message_direction"] != "inbound" {
		t.Fatalf("lead after the answer: %v", lead)
	}
}

// TestNewMessageFromLeadThroughGoSMTP sends a first message from the lead
// page (no thread yet) through a go-smtp server that is the account's SMTP
// server: the message gets a thread of its own at once, the lead is linked
// to it and gets its no-reply follow-up, and the copy lands in Sent.
func TestNewMessageFromLeadThroughGoSMTP(t *testing.T) {
	t.Setenv(tlmail.EnvSecrets, "file")
	srv := startSMTPSink(t)
	d := dovecottest.Start(t)
	e := openEngine(t, t.TempDir())
	defer e.Close()
	leadID := salesSetup(t, e, "carol@customer.test")
	pw := "test"
	acct, err := e.Mail.CreateAccount(tlmail.AccountInput{Account: tlmail.Account{Email: "test@example.com", Name: "Sam Seller",
		IMAP: tlmail.Server{Host: "127.0.0.1", Port: port(t, d.IMAPAddr), Security: tlmail.SecurityNone},
		SMTP: tlmail.Server{Host: "127.0.0.1", Port: srv.Port, Security: tlmail.SecurityNone}}, Password: &pw})
	if err != nil {
		t.Fatal(err)
	}
	item := call(t, e, "POST", "/api/outbox", map[string]any{"account_id": acct.ID, "lead_id": leadID,
		"to": []string{"Carol <carol@customer.test>"}, "subject": "Your trial", "text": "How is the trial going?",
		"html": "<p>How is the trial going?</p>"}, http.StatusAccepted)
	itemID, msgID := item["id"].(string), item["message_id"].(string)
	eventually(t, "the message to be sent", func() bool {
		it := call(t, e, "GET", "/api/outbox/"+itemID, nil, http.StatusOK)
		if it["state"] == "failed" {
			t.Fatalf("send failed: %v", it["last_error"])
		}
		return it["state"] == "sent" && it["post_sent_done"] == true
	})
	got := srv.messages()
	if len(got) != 1 || !bytes.Contains(got[0], []byte("multipart/alternative")) {
		t.Fatalf("go-smtp got %d messages: %q", len(got), got)
	}
	threadID, err := e.Mail.ThreadOfMessageID(msgID)
	if err != nil {
		t.Fatalf("the sent message is not in the mail store: %v", err)
	}
	lead := call(t, e, "GET", "/api/leads/"+leadID, nil, http.StatusOK)
	if ids, _ := lead["thread_ids"].([]any); len(ids) != 1 || ids[0] != threadID {
		t.Fatalf("lead threads %v, want [%s]", lead["thread_ids"], threadID)
	}
	fus := followUpsOf(t, e, leadID)
	if len(fus) != 1 || fus[0]["kind"] != "no_reply" || fus[0]["thread_id"] != threadID {
		t.Fatalf("follow-ups: %v", fus)
	}
	if n := sentCopies(t, d, msgID); n != 1 {
		t.Fatalf("%d copies in Sent", n)
	}
}

// TestQueuedWhileDownSentOnceWhenBack: the SMTP server is down, so the
// message waits in the outbox with the reason and a backoff; when the
// account reconnects the message goes out at once, exactly once.
func TestQueuedWhileDownSentOnceWhenBack(t *testing.T) {
	t.Setenv(tlmail.EnvSecrets, "file")
	d := dovecottest.Start(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	smtpAddr := ln.Addr().String()
	ln.Close()
	e := openEngine(t, t.TempDir())
	defer e.Close()
	pw := "test"
	in := tlmail.AccountInput{Account: tlmail.Account{Email: "test@example.com",
		IMAP: tlmail.Server{Host: "127.0.0.1", Port: port(t, d.IMAPAddr), Security: tlmail.SecurityNone},
		SMTP: tlmail.Server{Host: "127.0.0.1", Port: port(t, smtpAddr), Security: tlmail.SecurityNone}}, Password: &pw}
	acct, err := e.Mail.CreateAccount(in)
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "the account to connect", func() bool {
		for _, st := range e.Mail.Status() {
			if st.Account == acct.ID && st.State == tlmail.StateWaiting {
				return true
			}
		}
		return false
	})
	item := call(t, e, "POST", "/api/outbox", map[string]any{"account_id": acct.ID, "to": []string{"erin@customer.test"},
		"subject": "Hello", "text": "Hi Erin"}, http.StatusAccepted)
	itemID := item["id"].(string)
	var it map[string]any
	eventually(t, "a failed first attempt", func() bool {
		it = call(t, e, "GET", "/api/outbox/"+itemID, nil, http.StatusOK)
		return it["attempts"] == float64(1) && it["state"] == "queued"
	})
	next, _ := time.Parse(time.RFC3339Nano, it["next_attempt"].(string))
	if it["last_error"] == "" || time.Until(next) < 10*time.Second {
		t.Fatalf("queued item %v: want the reason and a backoff", it)
	}

	srv := startSMTPSinkAt(t, smtpAddr)
	// Saving the account reconnects it, as coming back online does.
	if _, err := e.Mail.UpdateAccount(acct.ID, in); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the message to go out after the reconnect", func() bool {
		it = call(t, e, "GET", "/api/outbox/"+itemID, nil, http.StatusOK)
		return it["state"] == "sent"
	})
	time.Sleep(200 * time.Millisecond)
	if got := srv.messages(); len(got) != 1 {
		t.Fatalf("the server got %d messages", len(got))
	}
}

// countingNotifier counts the desktop notifications per title.
type countingNotifier struct {
	mu    sync.Mutex
	shown []string
}

func (n *countingNotifier) Notify(title, body string) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.shown = append(n.shown, title)
	return nil
}

func (n *countingNotifier) count() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return len(n.shown)
}

// TestReminderOnceAcrossRestartAndAgainAfterSnooze: a due follow-up is
// raised once (desktop notification and reminder.due with what the badge
// needs), not again when the engine is reopened on the same data, and
// once more when it comes due again after a snooze.
func TestReminderOnceAcrossRestartAndAgainAfterSnooze(t *testing.T) {
	t.Setenv(tlmail.EnvSecrets, "file")
	n := &countingNotifier{}
	old := desktopNotifier
	desktopNotifier = n
	defer func() { desktopNotifier = old }()
	dir := t.TempDir()
	e := openEngine(t, dir)
	leadID := salesSetup(t, e, "dora@customer.test")
	sub := e.Bus.Subscribe(256)
	fu := call(t, e, "POST", "/api/leads/"+leadID+"/followups", map[string]any{
		"due_at": time.Now().Add(-time.Minute).UTC().Format(time.RFC3339), "note": "Send the quote"}, http.StatusCreated)
	fuID := fu["id"].(string)
	ev := waitEvent(t, sub, reminders.EventDue)
	got := ev.Data.(reminders.Event)
	if got.ID != fuID || got.LeadID != leadID || got.Title != "Follow up with Bob Buyer" || got.Body != "Send the quote" || !got.Desktop || got.DueNow != 1 {
		t.Fatalf("reminder.due %+v", got)
	}
	sub.Cancel()
	badge := call(t, e, "GET", "/api/reminders", nil, http.StatusOK)
	if badge["count"] != float64(1) {
		t.Fatalf("GET /api/reminders: %v", badge)
	}
	if raised, err := e.Reminders.Check(context.Background()); err != nil || len(raised) != 0 {
		t.Fatalf("second check raised %v, %v", raised, err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}

	e = openEngine(t, dir)
	defer e.Close()
	if raised, err := e.Reminders.Check(context.Background()); err != nil || len(raised) != 0 {
		t.Fatalf("check after restart raised %v, %v", raised, err)
	}
	if c := n.count(); c != 1 {
		t.Fatalf("%d desktop notifications after restart, want 1", c)
	}

	// Snoozed a moment into the future: nothing until then, once after.
	until := time.Now().Add(1500 * time.Millisecond).UTC()
	call(t, e, "POST", "/api/followups/"+fuID+"/snooze", map[string]any{"until": until.Format(time.RFC3339Nano)}, http.StatusOK)
	if raised, _ := e.Reminders.Check(context.Background()); len(raised) != 0 {
		t.Fatalf("raised before the snooze ended: %v", raised)
	}
	time.Sleep(time.Until(until) + 50*time.Millisecond)
	raised, err := e.Reminders.Check(context.Background())
	if err != nil || len(raised) != 1 || raised[0].ID != fuID || !raised[0].Due.Equal(until.Truncate(time.Second)) && !raised[0].Due.Equal(until) {
		t.Fatalf("after the snooze: %+v, %v", raised, err)
	}
	if raised, _ := e.Reminders.Check(context.Background()); len(raised) != 0 {
		t.Fatalf("raised twice after the snooze: %v", raised)
	}
	if c := n.count(); c != 2 {
		t.Fatalf("%d desktop notifications, want 2", c)
	}
}

func waitEvent(t *testing.T, sub *events.Subscription, typ string) events.Event {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case ev := <-sub.C:
			if ev.Type == typ {
				return ev
			}
		case <-timeout:
			t.Fatalf("no %s event", typ)
		}
	}
}
