package leadsignals_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"threadline/backend/crm"
	"threadline/backend/engine"
	"threadline/backend/internal/dovecottest"
	"threadline/backend/leadsignals"
	"threadline/backend/mail"
	"threadline/backend/store"
)

const owner = "test@example.com"

// app is one engine on a data directory, with its API on a test server.
type app struct {
	t    *testing.T
	dir  string
	srv  *dovecottest.Server
	e    *engine.Engine
	hs   *httptest.Server
	acct string
}

func logger() *slog.Logger {
	if os.Getenv("THREADLINE_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

func openApp(t *testing.T, srv *dovecottest.Server, dir string) *app {
	t.Helper()
	t.Setenv(mail.EnvSecrets, "file")
	e, err := engine.Open(dir, logger())
	if err != nil {
		t.Fatal(err)
	}
	a := &app{t: t, dir: dir, srv: srv, e: e, hs: httptest.NewServer(e.API)}
	accts, err := mail.ListAccounts(e.Store)
	if err != nil {
		t.Fatal(err)
	}
	if len(accts) > 0 {
		a.acct = accts[0].ID
	}
	t.Cleanup(a.close)
	return a
}

func (a *app) close() {
	if a.e == nil {
		return
	}
	a.hs.Close()
	if err := a.e.Close(); err != nil {
		a.t.Error(err)
	}
	a.e = nil
}

func (a *app) addAccount() {
	a.t.Helper()
	host, portStr, _ := net.SplitHostPort(a.srv.IMAPAddr)
	port, _ := strconv.Atoi(portStr)
	pw, days := "test", 0
	acct, err := a.e.Mail.CreateAccount(mail.AccountInput{Account: mail.Account{Email: owner,
		IMAP: mail.Server{Host: host, Port: port, Security: mail.SecurityNone}, Identities: []string{owner}},
		Password: &pw, SyncDays: &days})
	if err != nil {
		a.t.Fatal(err)
	}
	a.acct = acct.ID
}

// sync runs a full sync and waits until lead capture has processed it.
func (a *app) sync() {
	a.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := a.e.Mail.SyncAccount(ctx, a.acct); err != nil {
		a.t.Fatalf("sync: %v", err)
	}
	if err := a.e.Signals.WaitIdle(ctx); err != nil {
		a.t.Fatalf("lead capture did not settle: %v", err)
	}
	if st, _ := a.e.Signals.Status(); st.LastError != "" {
		a.t.Fatalf("lead capture failed: %s", st.LastError)
	}
}

func (a *app) do(method, path string, body any, out any) int {
	a.t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, a.hs.URL+path, r)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			a.t.Fatalf("%s %s: %d %s: %v", method, path, resp.StatusCode, raw, err)
		}
	}
	return resp.StatusCode
}

type signalList struct {
	Signals []signalItem `json:"signals"`
}

type signalItem struct {
	ThreadID string `json:"thread_id"`
	Subject  string `json:"subject"`
	From     struct {
		Name string `json:"name"`
		Addr string `json:"addr"`
	} `json:"from"`
	Score    float64 `json:"score"`
	Label    string  `json:"label"`
	Category string  `json:"category"`
	Reasons  []struct {
		Text   string  `json:"text"`
		Effect float64 `json:"effect"`
	} `json:"reasons"`
	ReceivedAt   time.Time `json:"received_at"`
	MessageCount int       `json:"message_count"`
}

func (a *app) signals() signalList {
	a.t.Helper()
	var l signalList
	if code := a.do("GET", "/api/signals", nil, &l); code != 200 {
		a.t.Fatalf("GET /api/signals: %d", code)
	}
	return l
}

func (l signalList) bySubject(s string) int {
	return slices.IndexFunc(l.Signals, func(x signalItem) bool {
		return x.Subject == s
	})
}

// threadOf finds the thread of a stored message by Message-ID.
func (a *app) threadOf(messageID string) string {
	a.t.Helper()
	return threadOf(a.t, a.e.Store, messageID)
}

// threadOf is the id of the thread that holds the message.
func threadOf(t *testing.T, st *store.Store, messageID string) string {
	t.Helper()
	var tid string
	err := st.View(func(txn *store.Txn) error {
		m, err := mail.GetMessage(txn, mail.MessageKey(messageID, nil))
		if err != nil {
			return err
		}
		t, err := mail.GetThread(txn, m.ThreadID)
		if err != nil {
			return err
		}
		tid = t.ID
		return nil
	})
	if err != nil {
		t.Fatalf("message <%s>: %v", messageID, err)
	}
	return tid
}

// openSyncOnly opens dir as `threadline sync` does: the store, the CRM and
// the mail service with an account on srv, and the lead-signal queue but
// no job, so synced mail waits for the job's next start.
func openSyncOnly(t *testing.T, srv *dovecottest.Server, dir string) (*store.Store, *crm.Service, *mail.Service, *mail.Account) {
	t.Helper()
	st, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cr, err := crm.New(st, nil, crm.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ms := mail.NewService(mail.Options{Store: st, Secrets: mail.NewFileSecrets(dir + "/" + mail.InsecureSecretsFile)})
	leadsignals.Queue(ms)
	host, portStr, _ := net.SplitHostPort(srv.IMAPAddr)
	port, _ := strconv.Atoi(portStr)
	pw, days := "test", 0
	acct, err := ms.CreateAccount(mail.AccountInput{Account: mail.Account{Email: owner,
		IMAP: mail.Server{Host: host, Port: port, Security: mail.SecurityNone}, Identities: []string{owner}},
		Password: &pw, SyncDays: &days})
	if err != nil {
		t.Fatal(err)
	}
	return st, cr, ms, acct
}

func msg(from, to, subject, id, extra, body string, at time.Time) []byte {
	s := fmt.Sprintf("From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <%s>\r\n%s\r\n%s",
		from, to, subject, at.Format(time.RFC1123Z), id, extra, strings.ReplaceAll(body, "\n", "\r\n"))
	return []byte(s)
}

const inquiryBody = `Hi,

We are a logistics company with about 40 sales reps and we're evaluating
tools to manage our pipeline. Could you send me pricing for 40 seats and
let me know if you have time for a demo call next week?

Thanks,
Dana Whitfield
Head of Sales, Northwind Logistics
`

const samBody = `Hello,

I run a small design studio with 8 people. Could you send a quote for a
team plan and tell me how onboarding works? We'd like to start next month.

Best,
Sam
`

func TestSignalsWithDovecot(t *testing.T) {
	srv := dovecottest.Start(t)
	dir := t.TempDir()
	a := openApp(t, srv, dir)
	a.addAccount()
	now := time.Now().Add(-time.Hour).Truncate(time.Second)

	deliver := func(from string, m []byte) {
		t.Helper()
		if err := srv.Deliver(from, owner, m); err != nil {
			t.Fatal(err)
		}
	}
	deliver("dana@northwind-logistics.com", msg("Dana Whitfield <dana@northwind-logistics.com>", owner,
		"Pricing for 40 seats and a demo", "inq-1@northwind-logistics.com", "", inquiryBody, now))
	deliver("newsletter@growthweekly.io", msg("Growth Weekly <newsletter@growthweekly.io>", owner,
		"10 tactics to grow your pipeline this week", "nl-77@growthweekly.io",
		"List-Unsubscribe: <https://growthweekly.io/unsub?u=1>\r\nList-Id: Growth Weekly <weekly.growthweekly.io>\r\nPrecedence: bulk\r\n",
		"This week's issue: 10 tactics to grow your pipeline. Read online at https://growthweekly.io/1\nUnsubscribe at https://growthweekly.io/unsub\n", now))
	deliver("sam@ortega-studio.com", msg("Sam Ortega <sam@ortega-studio.com>", owner,
		"Quote for a team plan", "sam-1@ortega-studio.com", "", samBody, now.Add(-time.Minute)))
	deliver("jo@fabrikam.example", msg("Jo Park <jo@fabrikam.example>", owner,
		"Looking for a CRM for our agency", "jo-1@fabrikam.example", "",
		"Hi, we're a 12-person agency looking to replace our spreadsheet. Could you send pricing and book a demo?\n", now.Add(-2*time.Minute)))
	deliver("wordpress@example.com", msg("WordPress <wordpress@example.com>", owner, "New contact form submission",
		"form-1@example.com", "Reply-To: Lena Fischer <lena@kontor-bau.example>\r\n",
		"New submission from the contact form on your website.\n\nName: Lena Fischer\nEmail: lena@kontor-bau.example\n"+
			"Company: Kontor Bau GmbH\nMessage: We need a CRM for our 15 sales staff. Could you send us pricing and a quote for annual billing?\n",
		now.Add(-3*time.Minute)))
	a.sync()

	// An inquiry from an unknown sender is a signal, with its reasons; a
	// newsletter is not.
	l := a.signals()
	i := l.bySubject("Pricing for 40 seats and a demo")
	if i < 0 {
		t.Fatalf("the inquiry is not a signal: %+v", l)
	}
	inq := l.Signals[i]
	if inq.Label != "lead" || inq.Category != "hot_lead" || inq.Score < 0.5 || len(inq.Reasons) == 0 ||
		inq.From.Addr != "dana@northwind-logistics.com" || inq.MessageCount != 1 || !inq.ReceivedAt.Equal(now) {
		t.Errorf("inquiry signal: %+v", inq)
	}
	if !slices.ContainsFunc(inq.Reasons, func(r struct {
		Text   string  `json:"text"`
		Effect float64 `json:"effect"`
	}) bool {
		return strings.Contains(r.Text, "pricing") && r.Effect > 0
	}) {
		t.Errorf("reasons do not mention the pricing question: %+v", inq.Reasons)
	}
	if l.bySubject("10 tactics to grow your pipeline this week") >= 0 {
		t.Errorf("a newsletter is a signal: %+v", l)
	}
	if len(l.Signals) != 4 || l.Signals[0].Subject != "Pricing for 40 seats and a demo" || l.Signals[2].Subject != "Looking for a CRM for our agency" ||
		l.Signals[3].Subject != "New contact form submission" {
		t.Errorf("want the inquiry, then the older requests: %+v", l)
	}
	var st leadsignals.Status
	if code := a.do("GET", "/api/capture/status", nil, &st); code != 200 || st.Processed != 5 || st.Pending != 0 || st.State != "idle" {
		t.Errorf("status: %d %+v", code, st)
	}
	type apiErr struct {
		Error struct{ Code, Field string }
	}
	var bad apiErr
	if code := a.do("GET", "/api/signals?pipeline=nope", nil, &bad); code != 404 {
		t.Errorf("signals of an unknown pipeline: %d %+v", code, bad)
	}
	if code := a.do("GET", "/api/signals?limit=0", nil, &bad); code != 400 || bad.Error.Field != "limit" {
		t.Errorf("limit 0: %d %+v", code, bad)
	}
	var one signalList
	if code := a.do("GET", "/api/signals?limit=1", nil, &one); code != 200 || len(one.Signals) != 1 || one.Signals[0].ThreadID != l.Signals[0].ThreadID {
		t.Errorf("limit 1: %d %+v", code, one)
	}
	if code := a.do("POST", "/api/signals/a%00b/convert", map[string]string{}, &bad); code != 404 {
		t.Errorf("convert a thread id with NUL: %d %+v", code, bad)
	}

	// Converting a contact-form notification makes a lead of the visitor
	// in Reply-To, not of the website.
	var formLead crm.Lead
	if code := a.do("POST", "/api/signals/"+a.threadOf("form-1@example.com")+"/convert", map[string]string{}, &formLead); code != 201 ||
		formLead.Email != "lena@kontor-bau.example" || formLead.Name != "Lena Fischer" {
		t.Errorf("convert a form notification: %d %+v", code, formLead)
	}

	// A lead made from Jo's thread by hand counts as converting it.
	joThread := a.threadOf("jo-1@fabrikam.example")
	if code := a.do("POST", "/api/leads/upsert", map[string]string{"email": "jo@fabrikam.example", "thread_id": joThread}, nil); code != 201 {
		t.Fatalf("upsert with the thread: %d", code)
	}
	if a.signals().bySubject("Looking for a CRM for our agency") >= 0 {
		t.Error("a thread made a lead by hand is still a signal")
	}
	if sig, err := a.e.Signals.Signal(context.Background(), joThread); err != nil || sig.Learned != "lead" {
		t.Errorf("upsert with a thread was not learned as a lead: %+v %v", sig, err)
	}

	// Dismiss Sam: gone, and still gone after a restart.
	samThread := a.threadOf("sam-1@ortega-studio.com")
	samSig, err := a.e.Signals.Signal(context.Background(), samThread)
	if err != nil {
		t.Fatal(err)
	}
	if code := a.do("POST", "/api/signals/"+samThread+"/dismiss", nil, nil); code != 200 {
		t.Fatalf("dismiss: %d", code)
	}
	if a.signals().bySubject("Quote for a team plan") >= 0 {
		t.Fatal("dismissed signal still listed")
	}
	a.close()
	a = openApp(t, srv, dir)
	if a.signals().bySubject("Quote for a team plan") >= 0 {
		t.Fatal("dismissed signal listed again after a restart")
	}
	// The learned layer persisted: Sam's next message scores lower.
	deliver("sam@ortega-studio.com", msg("Sam Ortega <sam@ortega-studio.com>", owner,
		"Quote for a team plan, again", "sam-2@ortega-studio.com", "", samBody, now))
	a.sync()
	sam2, err := a.e.Signals.Signal(context.Background(), a.threadOf("sam-2@ortega-studio.com"))
	if err != nil {
		t.Fatal(err)
	}
	if sam2.Score >= samSig.Score-0.2 {
		t.Errorf("after dismissing Sam, his next message scores %.3f, before %.3f", sam2.Score, samSig.Score)
	}

	// Convert the inquiry: a lead with the thread, the mailbox and a
	// timeline entry; no longer a signal.
	ctx := context.Background()
	pipes, err := a.e.CRM.Pipelines(ctx)
	if err != nil || len(pipes) == 0 {
		t.Fatal(pipes, err)
	}
	pipe := pipes[0]
	if _, err := a.e.CRM.UpdatePipeline(ctx, pipe.ID, crm.PipelinePatch{Settings: &crm.PipelineSettings{
		Currency: pipe.Settings.Currency, FollowUpAfterSend: crm.FollowUpAfterSend{Enabled: true, Days: 3}}}); err != nil {
		t.Fatal(err)
	}
	inqThread := a.threadOf("inq-1@northwind-logistics.com")
	var lead crm.Lead
	if code := a.do("POST", "/api/signals/"+inqThread+"/convert", map[string]string{"pipeline_id": pipe.ID}, &lead); code != 201 {
		t.Fatalf("convert: %d %+v", code, lead)
	}
	if lead.Email != "dana@northwind-logistics.com" || lead.Name != "Dana Whitfield" || lead.PipelineID != pipe.ID ||
		!slices.Contains(lead.ThreadIDs, inqThread) || lead.Mailbox != owner {
		t.Errorf("converted lead: %+v", lead)
	}
	if a.signals().bySubject("Pricing for 40 seats and a demo") >= 0 {
		t.Error("a converted thread is still a signal")
	}
	tl, err := a.e.CRM.Timeline(ctx, lead.ID, crm.TimelineQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(tl.Items, func(x *crm.Activity) bool { return x.Type == crm.ActThreadLinked && x.ThreadID == inqThread }) {
		t.Errorf("no thread_linked event: %+v", tl.Items)
	}
	if code := a.do("POST", "/api/signals/no-such-thread/convert", map[string]string{"pipeline_id": pipe.ID}, &bad); code != 404 {
		t.Errorf("convert without a signal: %d %+v", code, bad)
	}
	if code := a.do("POST", "/api/signals/"+inqThread+"/convert", map[string]any{"pipeline_id": pipe.ID, "bogus": 1}, &bad); code != 400 || bad.Error.Field != "bogus" {
		t.Errorf("unknown field: %d %+v", code, bad)
	}

	// The owner's answer lands in Sent: the lead is contacted and a
	// no-reply follow-up waits on the thread.
	if err := srv.WriteMaildir(owner, "Sent", [][]byte{msg(owner, "Dana Whitfield <dana@northwind-logistics.com>",
		"Re: Pricing for 40 seats and a demo", "out-1@example.com",
		"In-Reply-To: <inq-1@northwind-logistics.com>\r\nReferences: <inq-1@northwind-logistics.com>\r\n",
		"Hi Dana, pricing attached. Tuesday works.\n", now.Add(10*time.Minute))}, nil, []string{"S"}); err != nil {
		t.Fatal(err)
	}
	a.sync()
	fus, err := a.e.CRM.FollowUps(ctx, crm.FollowUpQuery{LeadID: lead.ID})
	if err != nil {
		t.Fatal(err)
	}
	var noReply *crm.FollowUp
	for _, f := range fus.Items {
		if f.Kind == crm.FollowUpNoReply && f.ThreadID == inqThread {
			noReply = f
		}
	}
	if noReply == nil || noReply.State != crm.FollowUpPending {
		t.Fatalf("no pending no-reply follow-up after our answer: %+v", fus.Items)
	}

	// Dana replies: engagement replied, last activity, email_received,
	// follow-up cancelled.
	replyAt := now.Add(30 * time.Minute)
	deliver("dana@northwind-logistics.com", msg("Dana Whitfield <dana@northwind-logistics.com>", owner,
		"Re: Pricing for 40 seats and a demo", "inq-2@northwind-logistics.com",
		"In-Reply-To: <out-1@example.com>\r\nReferences: <inq-1@northwind-logistics.com> <out-1@example.com>\r\n",
		"Thanks, Tuesday at 10 then.\n", replyAt))
	a.sync()
	got, err := a.e.CRM.Lead(ctx, lead.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Engagement != crm.EngagementReplied || got.LastActivityAt == nil || !got.LastActivityAt.Equal(replyAt) ||
		got.LastMessageDirection != crm.DirectionInbound {
		t.Errorf("after the reply: engagement %q, last activity %v (want %v), direction %q",
			got.Engagement, got.LastActivityAt, replyAt, got.LastMessageDirection)
	}
	tl, _ = a.e.CRM.Timeline(ctx, lead.ID, crm.TimelineQuery{})
	received := 0
	for _, x := range tl.Items {
		if x.Type == crm.ActEmailReceived && x.ThreadID == inqThread {
			received++
		}
	}
	if received != 1 {
		t.Errorf("want one email_received event, got %d: %+v", received, tl.Items)
	}
	f, err := a.e.CRM.FollowUp(ctx, noReply.ID)
	if err != nil || f.State != crm.FollowUpCancelled {
		t.Errorf("no-reply follow-up after the reply: %+v %v", f, err)
	}
}

// TestCatchUpAfterRestart stores mail while the job is not running (as
// `threadline sync` does, or an app killed before it got to the queue),
// including one message whose processing was cut short after the lead was
// updated, and checks that the next start processes each message exactly
// once.
func TestCatchUpAfterRestart(t *testing.T) {
	srv := dovecottest.Start(t)
	dir := t.TempDir()
	t.Setenv(mail.EnvSecrets, "file")
	ctx := context.Background()
	now := time.Now().Add(-time.Hour).Truncate(time.Second)

	st, cr, ms, acct := openSyncOnly(t, srv, dir)
	for _, m := range []struct{ from, subj, id, extra, body string }{
		{"Dana Whitfield <dana@northwind-logistics.com>", "Pricing for 40 seats and a demo", "inq-1@northwind-logistics.com", "", inquiryBody},
		{"Growth Weekly <newsletter@growthweekly.io>", "10 tactics", "nl-1@growthweekly.io",
			"List-Unsubscribe: <https://growthweekly.io/unsub>\r\nPrecedence: bulk\r\n", "This week's issue. Unsubscribe at https://growthweekly.io/unsub\n"},
		{"Kim Lee <kim@beta-parts.example>", "Contract draft", "kim-1@beta-parts.example", "", "Here is the signed contract draft.\n"},
	} {
		if err := srv.Deliver("x@example.org", owner, msg(m.from, owner, m.subj, m.id, m.extra, m.body, now)); err != nil {
			t.Fatal(err)
		}
	}
	if err := ms.SyncAccount(ctx, acct.ID); err != nil {
		t.Fatal(err)
	}
	kimThread := threadOf(t, st, "kim-1@beta-parts.example")
	kim, _, err := cr.UpsertLead(ctx, crm.UpsertInput{Email: "kim@beta-parts.example", ThreadID: kimThread})
	if err != nil {
		t.Fatal(err)
	}
	// The job had recorded Kim's message on the lead and crashed before
	// committing that it had.
	if _, err := cr.RecordMail(ctx, kim.ID, crm.Mail{ThreadID: kimThread, MessageID: "kim-1@beta-parts.example",
		Direction: crm.DirectionInbound, At: now, Subject: "Contract draft"}); err != nil {
		t.Fatal(err)
	}
	ms.Stop()
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	a := openApp(t, srv, dir)
	waitCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := a.e.Signals.WaitIdle(waitCtx); err != nil {
		t.Fatal(err)
	}
	s, _ := a.e.Signals.Status()
	if s.Processed != 3 || s.Pending != 0 || s.LastError != "" {
		t.Errorf("after restart: %+v", s)
	}
	l := a.signals()
	if len(l.Signals) != 1 || l.Signals[0].Subject != "Pricing for 40 seats and a demo" {
		t.Errorf("signals after restart: %+v", l)
	}
	tl, err := a.e.CRM.Timeline(ctx, kim.ID, crm.TimelineQuery{Types: []string{crm.ActEmailReceived}})
	if err != nil {
		t.Fatal(err)
	}
	if len(tl.Items) != 1 {
		t.Errorf("Kim's message on the timeline %d times", len(tl.Items))
	}
	a.close()

	a = openApp(t, srv, dir)
	if err := a.e.Signals.WaitIdle(waitCtx); err != nil {
		t.Fatal(err)
	}
	if s, _ := a.e.Signals.Status(); s.Processed != 0 {
		t.Errorf("a second restart processed %d messages again", s.Processed)
	}
}
