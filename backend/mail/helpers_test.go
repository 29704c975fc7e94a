package mail

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"threadline/backend/events"
	"threadline/backend/internal/dovecottest"
	"threadline/backend/store"
)

func testLogger(t testing.TB) *slog.Logger {
	if os.Getenv("THREADLINE_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

type testEnv struct {
	t    testing.TB
	dir  string
	st   *store.Store
	bus  *events.Bus
	svc  *Service
	srv  *dovecottest.Server
	acct *Account
}

// newTestEnv opens a store on disk and a service whose passwords live in
// the file fallback.
func newTestEnv(t testing.TB, srv *dovecottest.Server, opts ...func(*Options)) *testEnv {
	t.Helper()
	dir := t.TempDir()
	return openTestEnv(t, dir, srv, opts...)
}

func openTestEnv(t testing.TB, dir string, srv *dovecottest.Server, opts ...func(*Options)) *testEnv {
	st, err := store.Open(dir, store.Options{NoSync: os.Getenv("NOSYNC") != ""})
	if err != nil {
		t.Fatal(err)
	}
	bus := events.NewBus()
	o := Options{Store: st, Bus: bus, Logger: testLogger(t), Secrets: NewFileSecrets(filepath.Join(dir, InsecureSecretsFile))}
	for _, f := range opts {
		f(&o)
	}
	svc := NewService(o)
	e := &testEnv{t: t, dir: dir, st: st, bus: bus, svc: svc, srv: srv}
	t.Cleanup(func() {
		svc.Stop()
		st.Close()
	})
	return e
}

func (e *testEnv) addAccount(user, pass string, syncDays int) *Account {
	e.t.Helper()
	host, port, _ := strings.Cut(e.srv.IMAPAddr, ":")
	var p int
	fmt.Sscan(port, &p)
	a, err := e.svc.CreateAccount(AccountInput{
		Account:  Account{Email: user, IMAP: Server{Host: host, Port: p, Security: SecurityNone}, Identities: []string{"me@example.com"}},
		SyncDays: &syncDays,
		Password: &pass,
	})
	if err != nil {
		e.t.Fatal(err)
	}
	e.acct = a
	return a
}

func (e *testEnv) sync() {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := e.svc.SyncAccount(ctx, e.acct.ID); err != nil {
		e.t.Fatalf("sync: %v", err)
	}
}

// serverView is what the server holds in one mailbox: UID → Message-ID,
// and UID → flags.
type serverView struct {
	uidValidity uint32
	ids         map[uint32]string
	flags       map[uint32][]string
}

func imapClient(t testing.TB, srv *dovecottest.Server, user, pass string) *imapclient.Client {
	t.Helper()
	c, err := imapclient.DialInsecure(srv.IMAPAddr, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Login(user, pass).Wait(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func readServer(t testing.TB, c *imapclient.Client, mailbox string) serverView {
	t.Helper()
	sel, err := c.Select(mailbox, nil).Wait()
	if err != nil {
		t.Fatal(err)
	}
	v := serverView{uidValidity: sel.UIDValidity, ids: map[uint32]string{}, flags: map[uint32][]string{}}
	if sel.NumMessages == 0 {
		return v
	}
	all := imap.SeqSet{}
	all.AddRange(1, 0)
	msgs, err := c.Fetch(all, &imap.FetchOptions{UID: true, Flags: true, BodySection: []*imap.FetchItemBodySection{messageIDSection}}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		v.ids[uint32(m.UID)] = HeaderMessageID(m.FindBodySection(messageIDSection))
		v.flags[uint32(m.UID)] = flagStrings(m.Flags)
	}
	return v
}

// storeView is the same from the store's side.
type storeView struct {
	ids   map[uint32]string
	keys  map[uint32]string
	flags map[uint32][]string
}

func readStore(t testing.TB, st *store.Store, acct, mailbox string, uidValidity uint32) storeView {
	t.Helper()
	v := storeView{ids: map[uint32]string{}, keys: map[uint32]string{}, flags: map[uint32][]string{}}
	err := st.View(func(txn *store.Txn) error {
		return scanLocations(txn, acct, mailbox, uidValidity, func(l Location, lv locValue) error {
			m, err := GetMessage(txn, lv.Msg)
			if err != nil {
				return fmt.Errorf("location %v points to missing message %s: %w", l, lv.Msg, err)
			}
			v.ids[l.UID] = m.MessageID
			v.keys[l.UID] = m.ID
			v.flags[l.UID] = lv.Flags
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// compareFolder fails the test unless store and server agree on UIDs,
// Message-IDs and flags.
func compareFolder(t testing.TB, c *imapclient.Client, st *store.Store, acct, mailbox string) serverView {
	t.Helper()
	sv := readServer(t, c, mailbox)
	lv := readStore(t, st, acct, mailbox, sv.uidValidity)
	if len(sv.ids) != len(lv.ids) {
		t.Errorf("%s: server has %d messages, store has %d locations", mailbox, len(sv.ids), len(lv.ids))
	}
	missing, extra, wrongFlags := 0, 0, 0
	for uid, id := range sv.ids {
		got, ok := lv.ids[uid]
		if !ok {
			missing++
			if missing < 5 {
				t.Errorf("%s: UID %d (%s) is missing from the store", mailbox, uid, id)
			}
			continue
		}
		if got != id && !(id == "" && got == "") {
			t.Errorf("%s: UID %d has Message-ID %q on the server, %q in the store", mailbox, uid, id, got)
		}
		if strings.Join(sv.flags[uid], " ") != strings.Join(lv.flags[uid], " ") {
			wrongFlags++
			if wrongFlags < 5 {
				t.Errorf("%s: UID %d flags %v on the server, %v in the store", mailbox, uid, sv.flags[uid], lv.flags[uid])
			}
		}
	}
	for uid := range lv.ids {
		if _, ok := sv.ids[uid]; !ok {
			extra++
			if extra < 5 {
				t.Errorf("%s: UID %d is in the store but not on the server", mailbox, uid)
			}
		}
	}
	if missing+extra+wrongFlags > 0 {
		t.Errorf("%s: %d missing, %d extra, %d with wrong flags", mailbox, missing, extra, wrongFlags)
	}
	serverIDs := map[string]bool{}
	for _, id := range sv.ids {
		serverIDs[id] = true
	}
	storeIDs := map[string]bool{}
	for _, id := range lv.ids {
		storeIDs[id] = true
	}
	if len(serverIDs) != len(storeIDs) {
		t.Errorf("%s: %d distinct Message-IDs on the server, %d in the store", mailbox, len(serverIDs), len(storeIDs))
	}
	return sv
}

// countRecords counts keys under a first key part.
func countRecords(t testing.TB, st *store.Store, part string) int {
	t.Helper()
	n := 0
	err := st.View(func(txn *store.Txn) error {
		return txn.Scan(store.Key(part, ""), store.ScanOptions{KeysOnly: true}, func(_, _ []byte) error { n++; return nil })
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// checkIntegrity verifies the invariants between records and indexes:
// every location's message exists and lists it; every message is in its
// thread; every message has its raw bytes; no orphan raw.
func checkIntegrity(t testing.TB, st *store.Store) {
	t.Helper()
	err := st.View(func(txn *store.Txn) error {
		msgs := map[string]*Message{}
		if err := txn.Scan(store.Key("msg", ""), store.ScanOptions{}, func(k, v []byte) error {
			m, err := GetMessage(txn, store.SplitKey(k)[1])
			if err != nil {
				return err
			}
			msgs[m.ID] = m
			return nil
		}); err != nil {
			return err
		}
		locCount := 0
		if err := txn.Scan(store.Key("mloc", ""), store.ScanOptions{}, func(k, v []byte) error {
			locCount++
			l, _ := parseLocKey(k)
			var lv locValue
			if err := jsonUnmarshalTest(v, &lv); err != nil {
				return err
			}
			m := msgs[lv.Msg]
			if m == nil {
				t.Errorf("location %v points to a missing message", l)
				return nil
			}
			found := false
			for _, x := range m.Locations {
				if x == l {
					found = true
				}
			}
			if !found {
				t.Errorf("message %s does not list its location %v", m.ID, l)
			}
			return nil
		}); err != nil {
			return err
		}
		listed := 0
		for _, m := range msgs {
			listed += len(m.Locations)
			if ok, _ := txn.Has(rawKey(m.ID)); !ok {
				t.Errorf("message %s has no raw bytes", m.ID)
			}
			if r, err := getThreadRecord(txn, m.ThreadID); err != nil || !slices.Contains(r.Members, memberEntry(m)) {
				t.Errorf("message %s is not in its thread %s", m.ID, m.ThreadID)
			}
			if _, err := GetThread(txn, m.ThreadID); err != nil {
				t.Errorf("message %s: thread %s: %v", m.ID, m.ThreadID, err)
			}
		}
		if listed != locCount {
			t.Errorf("messages list %d locations, the index has %d", listed, locCount)
		}
		raws := 0
		_ = txn.Scan(store.Key("mraw", ""), store.ScanOptions{KeysOnly: true}, func(k, _ []byte) error {
			raws++
			if msgs[store.SplitKey(k)[1]] == nil {
				t.Errorf("raw bytes without a message: %s", store.SplitKey(k)[1])
			}
			return nil
		})
		if raws != len(msgs) {
			t.Errorf("%d messages but %d raw records", len(msgs), raws)
		}
		// Thread summaries agree with their members.
		total := 0
		return txn.Scan(store.Key("tlist", ""), store.ScanOptions{KeysOnly: true}, func(k, _ []byte) error {
			parts := store.SplitKey(k)
			th, err := GetThread(txn, parts[2])
			if err != nil {
				t.Errorf("listed thread %s: %v", parts[2], err)
				return nil
			}
			ms, err := ThreadMessages(txn, th.ID)
			if err != nil {
				return err
			}
			total += len(ms)
			if len(ms) != th.MessageCount {
				t.Errorf("thread %s says %d messages, has %d", th.ID, th.MessageCount, len(ms))
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
}

func sortedKeys[V any](m map[uint32]V) []uint32 {
	out := make([]uint32, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

func jsonUnmarshalTest(b []byte, v any) error { return json.Unmarshal(b, v) }
