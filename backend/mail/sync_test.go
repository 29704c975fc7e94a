package mail

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"threadline/backend/internal/corpus"
	"threadline/backend/internal/dovecottest"
	"threadline/backend/store"
)

// loadCorpus puts the whole corpus into the user's INBOX and the first 300
// messages also into Sent, as Gmail shows one message under two labels.
func loadCorpus(t testing.TB, srv *dovecottest.Server) []corpus.Message {
	t.Helper()
	msgs := corpus.Load(t)
	raws := make([][]byte, len(msgs))
	for i, m := range msgs {
		raws[i] = m.Raw
	}
	if err := srv.WriteMaildir("test@example.com", "INBOX", raws, nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := srv.WriteMaildir("test@example.com", "Sent", raws[:300], nil, nil); err != nil {
		t.Fatal(err)
	}
	return msgs
}

func TestSyncCorpusAgainstDovecot(t *testing.T) {
	srv := dovecottest.Start(t)
	msgs := loadCorpus(t, srv)
	e := newTestEnv(t, srv)
	e.addAccount("test@example.com", "test", 0)

	start := time.Now()
	e.sync()
	elapsed := time.Since(start)
	t.Logf("first sync of %d+300 messages: %v (%.0f messages/s)", len(msgs), elapsed, float64(len(msgs)+300)/elapsed.Seconds())

	c := imapClient(t, srv, "test@example.com", "test")
	inbox := compareFolder(t, c, e.st, e.acct.ID, "INBOX")
	compareFolder(t, c, e.st, e.acct.ID, "Sent")
	if len(inbox.ids) != len(msgs) {
		t.Fatalf("the server holds %d messages, the corpus has %d", len(inbox.ids), len(msgs))
	}
	// One record per distinct message: Sent copies share their INBOX record.
	if got, want := countRecords(t, e.st, "msg"), expectedRecords(inbox); got != want {
		t.Errorf("store has %d message records, the server %d distinct messages", got, want)
	}
	checkIntegrity(t, e.st)

	// A second sync with nothing changed does nothing.
	before := countRecords(t, e.st, "msg")
	e.sync()
	if got := countRecords(t, e.st, "msg"); got != before {
		t.Errorf("idle resync changed the message count from %d to %d", before, got)
	}

	t.Run("flags and expunges propagate", func(t *testing.T) {
		if _, err := c.Select("INBOX", nil).Wait(); err != nil {
			t.Fatal(err)
		}
		uids := sortedKeys(inbox.ids)
		seen, flagged, gone := imap.UIDSet{}, imap.UIDSet{}, imap.UIDSet{}
		for i, u := range uids {
			switch {
			case i%7 == 0:
				seen.AddNum(imap.UID(u))
			case i%11 == 0:
				flagged.AddNum(imap.UID(u))
			case i%13 == 0:
				gone.AddNum(imap.UID(u))
			}
		}
		store := func(set imap.UIDSet, f imap.Flag) {
			if err := c.Store(set, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{f}}, nil).Close(); err != nil {
				t.Fatal(err)
			}
		}
		store(seen, imap.FlagSeen)
		store(flagged, imap.FlagFlagged)
		store(gone, imap.FlagDeleted)
		if err := c.UIDExpunge(gone).Close(); err != nil {
			t.Fatal(err)
		}
		// And one flag removed again.
		one := imap.UIDSetNum(imap.UID(uids[0]))
		if err := c.Store(one, &imap.StoreFlags{Op: imap.StoreFlagsDel, Silent: true, Flags: []imap.Flag{imap.FlagSeen}}, nil).Close(); err != nil {
			t.Fatal(err)
		}
		e.sync()
		after := compareFolder(t, c, e.st, e.acct.ID, "INBOX")
		if len(after.ids) >= len(inbox.ids) {
			t.Fatalf("nothing was expunged on the server")
		}
		checkIntegrity(t, e.st)
	})

	t.Run("UIDVALIDITY change re-maps without duplicates", func(t *testing.T) {
		msgsBefore := countRecords(t, e.st, "msg")
		threadsBefore := countRecords(t, e.st, "tlist")
		old := readServer(t, c, "INBOX").uidValidity
		if _, err := c.Select("Sent", nil).Wait(); err != nil { // leave INBOX
			t.Fatal(err)
		}
		if out, err := srv.Doveadm("mailbox", "update", "-u", "test@example.com", "--uid-validity", strconv.FormatUint(uint64(old)+1000, 10), "INBOX"); err != nil {
			t.Fatalf("doveadm: %v: %s", err, out)
		}
		e.sync()
		// A fresh session: Dovecot keeps showing an open session the old
		// UIDVALIDITY.
		c := imapClient(t, srv, "test@example.com", "test")
		sv := compareFolder(t, c, e.st, e.acct.ID, "INBOX")
		if sv.uidValidity == old {
			t.Fatalf("UIDVALIDITY did not change")
		}
		if got := countRecords(t, e.st, "msg"); got != msgsBefore {
			t.Errorf("message records went from %d to %d across the UIDVALIDITY change", msgsBefore, got)
		}
		if got := countRecords(t, e.st, "tlist"); got != threadsBefore {
			t.Errorf("threads went from %d to %d across the UIDVALIDITY change", threadsBefore, got)
		}
		stale := 0
		_ = e.st.View(func(txn *store.Txn) error {
			return scanLocations(txn, e.acct.ID, "INBOX", old, func(Location, locValue) error { stale++; return nil })
		})
		if stale != 0 {
			t.Errorf("%d locations of the old UIDVALIDITY remain", stale)
		}
		checkIntegrity(t, e.st)
	})
}

// expectedRecords is the number of distinct messages in a server view:
// one per Message-ID, and each message without one on its own (the corpus
// has no two identical ones).
func expectedRecords(v serverView) int {
	distinct := map[string]bool{}
	n := 0
	for _, id := range v.ids {
		if id == "" {
			n++
		} else if !distinct[id] {
			distinct[id] = true
			n++
		}
	}
	return n
}

func TestFirstSyncWindowAndFetchOlder(t *testing.T) {
	srv := dovecottest.Start(t)
	var raws [][]byte
	var dates []time.Time
	for i := 0; i < 10; i++ {
		age := 10 * 24 * time.Hour
		if i%2 == 1 {
			age = 200 * 24 * time.Hour
		}
		d := time.Now().Add(-age - time.Duration(i)*time.Hour)
		raws = append(raws, []byte(fmt.Sprintf("From: x%d@example.org\r\nSubject: m%d\r\nMessage-ID: <w%d@example.org>\r\nDate: %s\r\n\r\nbody\r\n", i, i, i, d.Format(time.RFC1123Z))))
		dates = append(dates, d)
	}
	if err := srv.WriteMaildir("test@example.com", "INBOX", raws, dates, nil); err != nil {
		t.Fatal(err)
	}
	e := newTestEnv(t, srv)
	var hooked []StoredMessage
	e.svc.OnNewMessages(func(_ context.Context, ms []StoredMessage) { hooked = append(hooked, ms...) })
	e.addAccount("test@example.com", "test", 90)
	e.sync()
	if n := countRecords(t, e.st, "msg"); n != 5 {
		t.Fatalf("a 90-day window stored %d messages, want the 5 recent ones", n)
	}
	if len(hooked) != 5 || !hooked[0].Initial || hooked[0].ThreadID == "" || hooked[0].Account != e.acct.ID {
		t.Errorf("hook got %+v", hooked)
	}
	reports, err := e.svc.Verify(context.Background(), e.acct.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range reports {
		if len(r.Missing)+len(r.Extra) != 0 || (r.Mailbox == "INBOX" && r.Server != 5) {
			t.Errorf("verify %s: %+v", r.Mailbox, r)
		}
	}
	// New mail arrives even when its Date is old.
	old := time.Now().AddDate(-1, 0, 0).Format(time.RFC1123Z)
	if err := srv.Deliver("a@example.org", "test@example.com", []byte("From: a@example.org\r\nSubject: late\r\nMessage-ID: <late@example.org>\r\nDate: "+old+"\r\n\r\nx\r\n")); err != nil {
		t.Fatal(err)
	}
	e.sync()
	if n := countRecords(t, e.st, "msg"); n != 6 {
		t.Fatalf("after new mail: %d messages, want 6", n)
	}
	if hooked[len(hooked)-1].Initial || hooked[len(hooked)-1].MessageID != "late@example.org" {
		t.Errorf("new mail hook: %+v", hooked[len(hooked)-1])
	}
	if err := e.svc.FetchOlder(context.Background(), e.acct.ID, 0); err != nil {
		t.Fatal(err)
	}
	if n := countRecords(t, e.st, "msg"); n != 11 {
		t.Fatalf("after fetching older mail: %d messages, want 11", n)
	}
	c := imapClient(t, srv, "test@example.com", "test")
	compareFolder(t, c, e.st, e.acct.ID, "INBOX")
}

func TestUntickedFolderIsForgotten(t *testing.T) {
	srv := dovecottest.Start(t)
	msg := []byte("From: a@example.org\r\nSubject: j\r\nMessage-ID: <junk1@example.org>\r\n\r\nx\r\n")
	if err := srv.WriteMaildir("test@example.com", "Junk", [][]byte{msg}, nil, nil); err != nil {
		t.Fatal(err)
	}
	e := newTestEnv(t, srv)
	e.addAccount("test@example.com", "test", 0)
	e.sync()
	if n := countRecords(t, e.st, "msg"); n != 0 {
		t.Fatalf("Junk is not synced by default, yet %d messages were stored", n)
	}
	e.acct.Folders = []string{"Junk"}
	if err := putAccount(e.st, e.acct); err != nil {
		t.Fatal(err)
	}
	e.sync()
	if n := countRecords(t, e.st, "msg"); n != 1 {
		t.Fatalf("ticked Junk: %d messages, want 1", n)
	}
	e.acct.Folders = nil
	if err := putAccount(e.st, e.acct); err != nil {
		t.Fatal(err)
	}
	e.sync()
	if n := countRecords(t, e.st, "msg"); n != 0 {
		t.Errorf("unticked Junk: %d messages remain", n)
	}
	if n := countRecords(t, e.st, "tlist"); n != 0 {
		t.Errorf("unticked Junk: %d threads remain", n)
	}
	checkIntegrity(t, e.st)
}

func TestLargeMessagesSplitBatches(t *testing.T) {
	old := batchBytes
	batchBytes = 250 << 10
	defer func() { batchBytes = old }()
	srv := dovecottest.Start(t)
	var raws [][]byte
	for i := 0; i < 30; i++ {
		body := strings.Repeat(fmt.Sprintf("line %d of a large attachment-like body\r\n", i), 2500+i*100)
		raws = append(raws, []byte(fmt.Sprintf("From: a@example.org\r\nSubject: big %d\r\nMessage-ID: <big%d@example.org>\r\n\r\n%s", i, i, body)))
	}
	if err := srv.WriteMaildir("test@example.com", "INBOX", raws, nil, nil); err != nil {
		t.Fatal(err)
	}
	e := newTestEnv(t, srv)
	e.addAccount("test@example.com", "test", 0)
	e.sync()
	c := imapClient(t, srv, "test@example.com", "test")
	compareFolder(t, c, e.st, e.acct.ID, "INBOX")
	if n := countRecords(t, e.st, "msg"); n != 30 {
		t.Errorf("%d messages stored, want 30", n)
	}
	checkIntegrity(t, e.st)
}
