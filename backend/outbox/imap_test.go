package outbox

import (
	"bytes"
	"context"
	"net"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	gomail "github.com/emersion/go-message/mail"

	"threadline/backend/internal/dovecottest"
)

type staticIMAP map[string]IMAPSettings

func (a staticIMAP) IMAPSettings(_ context.Context, id string) (IMAPSettings, error) {
	return a[id], nil
}

func dovecotIMAP(d *dovecottest.Server, selfFiling bool) IMAPSettings {
	return IMAPSettings{Host: "127.0.0.1", Port: addrPort(d.IMAPAddr), Security: SecurityNone,
		Username: "test@example.com", Password: "test", ServerFilesSent: selfFiling}
}

// sentCopies returns the messages in the test user's Sent folder with the
// given Message-ID, with their flags.
func sentCopies(t *testing.T, d *dovecottest.Server, msgID string) (raws [][]byte, flags [][]imap.Flag) {
	t.Helper()
	c, err := imapclient.DialInsecure(d.IMAPAddr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login("test@example.com", "test").Wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Select("Sent", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	data, err := c.UIDSearch(&imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "Message-ID", Value: msgID}}}, nil).Wait()
	if err != nil {
		t.Fatal(err)
	}
	uids := data.AllUIDs()
	if len(uids) == 0 {
		return nil, nil
	}
	msgs, err := c.Fetch(imap.UIDSetNum(uids...), &imap.FetchOptions{Flags: true,
		BodySection: []*imap.FetchItemBodySection{{Peek: true}}}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		flags = append(flags, m.Flags)
		for _, b := range m.BodySection {
			raws = append(raws, b.Bytes)
		}
	}
	return raws, flags
}

func TestAppendLandsInDovecotSent(t *testing.T) {
	d := dovecottest.Start(t)
	a := &IMAPSent{Accounts: staticIMAP{"acct1": dovecotIMAP(d, false)}}
	c, err := Compose(testDraft())
	if err != nil {
		t.Fatal(err)
	}
	raw := WithBcc(c.Raw, []string{"boss@example.com"})
	ctx := context.Background()
	// Twice: the after-send hook may rerun, the copy must not double.
	for range 2 {
		if err := a.AppendSent(ctx, "acct1", raw, time.Now()); err != nil {
			t.Fatalf("append: %v\n%s", err, d.Log())
		}
	}
	raws, flags := sentCopies(t, d, c.MessageID)
	if len(raws) != 1 {
		t.Fatalf("%d copies in Sent, want 1", len(raws))
	}
	if !slices.Contains(flags[0], imap.FlagSeen) {
		t.Fatalf("flags %v lack \\Seen", flags[0])
	}
	if !bytes.Contains(raws[0], []byte("Bcc: <boss@example.com>")) {
		t.Fatalf("the Sent copy does not show the Bcc:\n%s", raws[0][:200])
	}
	found, conclusive, err := a.CheckSent(ctx, "acct1", c.MessageID)
	if err != nil || !found || conclusive {
		t.Fatalf("CheckSent: found %v conclusive %v err %v", found, conclusive, err)
	}
	found, _, err = a.CheckSent(ctx, "acct1", "nothere@example.com")
	if err != nil || found {
		t.Fatalf("CheckSent of an unknown id: %v %v", found, err)
	}
}

// TestSendThroughDovecotSubmission sends a reply through Dovecot's
// submission service, which relays to a go-smtp server, and checks that
// the relayed message threads under its parent.
func TestSendThroughDovecotSubmission(t *testing.T) {
	relay := startSMTP(t, "")
	d := dovecottest.StartSubmission(t, relay.Port)
	parent := mustParse(t, "From: Bob Buyer <bob@customer.test>\r\n"+
		"To: test@example.com\r\n"+
		"Subject: Pricing?\r\n"+
		"Date: Mon, 2 Mar 2026 09:15:00 +0100\r\n"+
		"Message-ID: <q2@customer.test>\r\n"+
		"In-Reply-To: <q1@example.com>\r\n"+
		"References: <root@customer.test> <q1@example.com>\r\n"+
		"\r\n"+
		"What does the pro plan cost?\r\n")
	draft := Draft{
		From:    Address{Name: "Sam Seller", Address: "test@example.com"},
		To:      []Address{{Address: "bob@customer.test"}},
		Subject: ReplySubject(parent.Subject),
		Text:    "It is 20 EUR per seat.",
		ReplyTo: parent, Quote: true,
	}
	st := openStore(t, t.TempDir())
	defer st.Close()
	o := New(st, nil)
	it := enqueue(t, o, draft)
	sub := SMTPSettings{Host: "127.0.0.1", Port: addrPort(d.SubmissionAddr), Security: SecurityNone,
		Auth: AuthLogin, Username: "test@example.com", Password: "test"}
	imapAcc := staticIMAP{"acct1": dovecotIMAP(d, false)}
	appender := &IMAPSent{Accounts: imapAcc}
	s := &Sender{Outbox: o, Transport: &SMTPTransport{Accounts: staticAccounts{"acct1": sub}}, Checker: appender,
		OnSent: func(ctx context.Context, it Item, raw []byte) error {
			return appender.AppendSent(ctx, it.AccountID, WithBcc(raw, it.Bcc), it.SentAt)
		}}
	if _, err := s.RunDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	got, _ := o.Get(it.ID)
	if got.State != StateSent {
		t.Fatalf("state %s: %s\n%s", got.State, got.LastError, d.Log())
	}
	msgs := relay.messages()
	if len(msgs) != 1 {
		t.Fatalf("relay received %d messages", len(msgs))
	}
	h := headerOf(t, msgs[0].Data)
	irt, _ := h.MsgIDList("In-Reply-To")
	refs, _ := h.MsgIDList("References")
	if strings.Join(irt, " ") != "q2@customer.test" ||
		strings.Join(refs, " ") != "root@customer.test q1@example.com q2@customer.test" {
		t.Fatalf("In-Reply-To %v References %v", irt, refs)
	}
	if subj, _ := h.Subject(); subj != "Re: Pricing?" {
		t.Fatalf("subject %q", subj)
	}
	if !bytes.Contains(msgs[0].Data, []byte("> What does the pro plan cost?")) {
		t.Fatalf("no quoted original:\n%s", msgs[0].Data)
	}
	// And a copy is in Sent.
	if raws, _ := sentCopies(t, d, it.MessageID); len(raws) != 1 {
		t.Fatalf("%d copies in Sent", len(raws))
	}
}

// TestKillAfterSendSelfFilingServer: the server files what it accepts in
// Sent (as Gmail does; here the test SMTP server appends to Dovecot). A
// child killed between the server's 250 and the bookkeeping leaves the
// item unsettled; the restarted Sender finds the Message-ID in Sent over
// IMAP, records it as sent and does not send it again.
func TestKillAfterSendSelfFilingServer(t *testing.T) {
	d := dovecottest.Start(t)
	srv := startSMTP(t, "")
	imapCfg := dovecotIMAP(d, true)
	filer := &IMAPSent{Accounts: staticIMAP{"acct1": {Host: imapCfg.Host, Port: imapCfg.Port,
		Security: SecurityNone, Username: imapCfg.Username, Password: imapCfg.Password}}}
	srv.set(func() {
		srv.onData = func(m received) {
			if err := filer.AppendSent(context.Background(), "acct1", m.Data, time.Now()); err != nil {
				t.Errorf("server-side filing: %v", err)
			}
		}
	})
	dir := filepath.Join(t.TempDir(), "data")
	msgID := runCrashChild(t, dir, srv.Port)

	st := openStore(t, dir)
	defer st.Close()
	o := New(st, nil)
	checker := &IMAPSent{Accounts: staticIMAP{"acct1": imapCfg}}
	appends := 0
	s := &Sender{Outbox: o, Checker: checker,
		Transport: &SMTPTransport{Accounts: staticAccounts{"acct1": loopbackSettings(srv.Port)}},
		OnSent: func(ctx context.Context, it Item, raw []byte) error {
			appends++
			return checker.AppendSent(ctx, it.AccountID, raw, it.SentAt)
		}}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	s.Kick()
	waitFor(t, "the after-send hook", func() bool {
		it, _ := o.ByMessageID(msgID)
		return it.PostSentDone
	})
	s.Stop()
	it, _ := o.ByMessageID(msgID)
	if it.State != StateSent || it.Attempts != 1 {
		t.Fatalf("after restart: %s, %d attempts, %q", it.State, it.Attempts, it.LastError)
	}
	if c := srv.countByMessageID(t); len(c) != 1 || c[msgID] != 1 {
		t.Fatalf("received by Message-ID: %v", c)
	}
	if raws, _ := sentCopies(t, d, msgID); len(raws) != 1 || appends != 1 {
		t.Fatalf("%d copies in Sent after %d hook runs", len(raws), appends)
	}
}

func mustParse(t *testing.T, raw string) *Original {
	t.Helper()
	o, err := ParseOriginal([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func headerOf(t *testing.T, raw []byte) gomail.Header {
	t.Helper()
	r, err := gomail.CreateReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	return r.Header
}

// addrPort is the port of a "host:port" address.
func addrPort(addr string) int {
	_, p, _ := net.SplitHostPort(addr)
	n, _ := strconv.Atoi(p)
	return n
}
