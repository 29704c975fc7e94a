package mail

import (
	"context"
	"slices"
	"testing"
	"time"

	"threadline/backend/outbox"
	"threadline/backend/search"
	"threadline/backend/store"
)

func TestSendingSettingsFromTheAccount(t *testing.T) {
	e := newTestEnv(t, nil)
	ctx := context.Background()
	pw := "imap-pw"
	a, err := e.svc.CreateAccount(AccountInput{Account: Account{Email: "sam@example.com", Name: "Sam Seller",
		Identities: []string{"sales@example.com"},
		IMAP:       Server{Host: "imap.example.com"}, SMTP: Server{Host: "smtp.example.com", Security: SecurityStartTLS}},
		Password: &pw})
	if err != nil {
		t.Fatal(err)
	}
	smtp, err := e.svc.SMTPSettings(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if smtp.Host != "smtp.example.com" || smtp.Port != 587 || smtp.Security != outbox.SecurityStartTLS ||
		smtp.Username != "sam@example.com" || smtp.Password != "imap-pw" || smtp.Auth != outbox.AuthPlain {
		t.Fatalf("SMTP settings without an SMTP password: %+v", smtp)
	}
	spw := "smtp-pw"
	if _, err := e.svc.UpdateAccount(a.ID, AccountInput{Account: *a, SMTPPassword: &spw}); err != nil {
		t.Fatal(err)
	}
	if smtp, _ = e.svc.SMTPSettings(ctx, a.ID); smtp.Password != "smtp-pw" {
		t.Fatalf("SMTP password %q", smtp.Password)
	}
	imapCfg, err := e.svc.IMAPSettings(ctx, a.ID)
	if err != nil || imapCfg.Host != "imap.example.com" || imapCfg.Port != 993 || imapCfg.Password != "imap-pw" || imapCfg.ServerFilesSent {
		t.Fatalf("IMAP settings %+v, %v", imapCfg, err)
	}
	ids, err := e.svc.Identities(ctx, a.ID)
	if err != nil || len(ids) != 2 || ids[0] != (outbox.Identity{Name: "Sam Seller", Address: "sam@example.com"}) || ids[1].Address != "sales@example.com" {
		t.Fatalf("identities %+v, %v", ids, err)
	}

	g, err := e.svc.CreateAccount(AccountInput{Account: Account{Email: "sam@gmail.com", Preset: "gmail"}, Password: &pw})
	if err != nil {
		t.Fatal(err)
	}
	if imapCfg, _ := e.svc.IMAPSettings(ctx, g.ID); !imapCfg.ServerFilesSent {
		t.Fatal("a Gmail account must not get an APPEND to Sent")
	}
	noSMTP, err := e.svc.CreateAccount(AccountInput{Account: Account{Email: "x@example.com", IMAP: Server{Host: "imap.example.com"}}, Password: &pw})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.SMTPSettings(ctx, noSMTP.ID); !outbox.IsPermanent(err) {
		t.Fatalf("no SMTP server: %v, want a permanent error", err)
	}
	if _, err := e.svc.SMTPSettings(ctx, "nope"); !outbox.IsPermanent(err) {
		t.Fatalf("deleted account: %v, want a permanent error", err)
	}
}

// TestRecordSentThreadsOnceAndSyncAddsALocation: the sent reply joins the
// original's thread at once, recording it again changes nothing, and the
// copy fetched from Sent later is the same message with a location.
func TestRecordSentThreadsOnceAndSyncAddsALocation(t *testing.T) {
	e := newTestEnv(t, nil)
	ctx := context.Background()
	pw := "pw"
	a, err := e.svc.CreateAccount(AccountInput{Account: Account{Email: "sam@example.com", IMAP: Server{Host: "imap.example.com"}}, Password: &pw})
	if err != nil {
		t.Fatal(err)
	}
	orig := []byte("From: Bob <bob@customer.test>\r\nTo: sam@example.com\r\nSubject: Pricing\r\n" +
		"Date: Mon, 2 Mar 2026 09:15:00 +0100\r\nMessage-ID: <q1@customer.test>\r\n\r\nHow much?\r\n")
	items := []*fetched{{raw: orig, internal: time.Now()}}
	parseAll(items)
	if _, err := e.svc.storeFetched(a, items, nil); err != nil {
		t.Fatal(err)
	}
	_, tid, err := e.svc.RawMessage(ctx, MessageKey("q1@customer.test", nil))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.svc.RawMessage(ctx, "nope"); err != outbox.ErrNoOriginal {
		t.Fatalf("unknown original: %v", err)
	}
	sent := []byte("From: sam@example.com\r\nTo: bob@customer.test\r\nSubject: Re: Pricing\r\n" +
		"Date: Mon, 2 Mar 2026 10:00:00 +0100\r\nMessage-ID: <r1@example.com>\r\nIn-Reply-To: <q1@customer.test>\r\n" +
		"References: <q1@customer.test>\r\n\r\n20 EUR.\r\n")
	it := outbox.Item{AccountID: a.ID, MessageID: "r1@example.com", SentAt: time.Now(), Bcc: []string{"boss@example.com"}}
	sub := e.bus.Subscribe(8)
	defer sub.Cancel()
	for range 2 {
		if err := e.svc.RecordSent(ctx, it, sent); err != nil {
			t.Fatal(err)
		}
	}
	if ev := <-sub.C; ev.Type != "mail.new" {
		t.Fatalf("event %s", ev.Type)
	}
	if len(sub.C) != 0 {
		t.Fatal("recording again announced the message again")
	}
	if got, err := e.svc.ThreadOfMessageID("r1@example.com"); err != nil || got != tid {
		t.Fatalf("sent message in thread %q (%v), want %q", got, err, tid)
	}
	tv, err := e.svc.ThreadView(tid, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(tv.Messages) != 2 || tv.Messages[1].Direction != Outbound || tv.Messages[1].Unread {
		t.Fatalf("thread %+v", tv.Messages)
	}
	in, err := e.svc.SuggestInput(ctx, tid)
	if err != nil || in.Subject != "Pricing" || len(in.Messages) != 2 || in.Messages[1].Direction != "outbound" ||
		in.Messages[0].Text == "" {
		t.Fatalf("suggest input %+v, %v", in, err)
	}

	// Until a server folder holds it, search files it under Sent, not
	// with imported mail.
	if d := sentSearchDoc(t, e); d.Folder != SentFolder || slices.Contains(d.Folders, ImportedFolder) {
		t.Fatalf("search document of the sent message: folder %q, folders %v", d.Folder, d.Folders)
	}

	// The copy in Sent, as the sync stores it.
	copyItems := []*fetched{{uid: 7, raw: outbox.WithBcc(sent, it.Bcc), flags: []string{`\Seen`}, internal: time.Now()}}
	parseAll(copyItems)
	loc := func(uid uint32) Location { return Location{Account: a.ID, Mailbox: "Sent", UIDValidity: 1, UID: uid} }
	added, err := e.svc.storeFetched(a, copyItems, loc)
	if err != nil || len(added) != 0 {
		t.Fatalf("the Sent copy was stored as a new message: %d, %v", len(added), err)
	}
	var m *Message
	err = e.st.View(func(txn *store.Txn) error {
		var err error
		m, err = GetMessage(txn, MessageKey("r1@example.com", nil))
		return err
	})
	if err != nil || len(m.Locations) != 1 || m.Locations[0].Mailbox != "Sent" {
		t.Fatalf("message after the Sent sync: %+v, %v", m, err)
	}
	if tv, _ := e.svc.ThreadView(tid, false); len(tv.Messages) != 2 {
		t.Fatalf("thread after the Sent sync has %d messages", len(tv.Messages))
	}
	if d := sentSearchDoc(t, e); d.Folder != "Sent" || len(d.Folders) != 0 {
		t.Fatalf("search document after the Sent sync: folder %q, folders %v", d.Folder, d.Folders)
	}
}

func sentSearchDoc(t *testing.T, e *testEnv) *search.MessageDoc {
	t.Helper()
	var docs []search.Doc
	err := e.st.View(func(txn *store.Txn) error {
		var err error
		docs, err = SearchLoader{}.Load(txn, []string{MessageKey("r1@example.com", nil)})
		return err
	})
	if err != nil || len(docs) != 1 {
		t.Fatalf("search documents %v, %v", docs, err)
	}
	d := docs[0].(*search.MessageDoc)
	// Snippets read the start of the same text the document holds.
	err = e.st.View(func(txn *store.Txn) error {
		for _, n := range []int{1 << 20, 5} {
			text, err := SearchLoader{}.Text(txn, d.ID, n)
			if want := d.Body[:min(n, len(d.Body))]; err != nil || text != want || want == "" {
				t.Errorf("Text(%d) = %q, %v; want %q", n, text, err, want)
			}
		}
		if text, err := (SearchLoader{}).Text(txn, "no such message", 5); text != "" || err != nil {
			t.Errorf("Text of a missing message: %q, %v", text, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return d
}
