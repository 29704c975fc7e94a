package mail

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"threadline/backend/internal/corpus"
	"threadline/backend/internal/dovecottest"
	"threadline/backend/store"
)

func TestNewMailArrivesThroughIdle(t *testing.T) {
	srv := dovecottest.Start(t)
	msgs := corpus.Load(t)
	raws := [][]byte{msgs[0].Raw, msgs[1].Raw}
	if err := srv.WriteMaildir("test@example.com", "INBOX", raws, nil, nil); err != nil {
		t.Fatal(err)
	}
	e := newTestEnv(t, srv, func(o *Options) { o.PollInterval = time.Hour })
	e.addAccount("test@example.com", "test", 0)
	sub := e.bus.Subscribe(1024)
	defer sub.Cancel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := e.svc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "the account to finish its first sync and wait for push", func() bool {
		for _, st := range e.svc.Status() {
			if st.Account == e.acct.ID && st.State == StateWaiting && st.Push {
				return true
			}
		}
		return false
	})
	// Let the IDLE connection settle.
	time.Sleep(300 * time.Millisecond)

	var latencies []time.Duration
	for i := range 3 {
		id := fmt.Sprintf("idle-%d-%d@threadline.test", i, time.Now().UnixNano())
		msg := fmt.Sprintf("From: Carol <carol@example.org>\r\nTo: test@example.com\r\nSubject: ping %d\r\nMessage-ID: <%s>\r\nDate: %s\r\n\r\nhello\r\n",
			i, id, time.Now().Format(time.RFC1123Z))
		sent := time.Now()
		if err := srv.Deliver("carol@example.org", "test@example.com", []byte(msg)); err != nil {
			t.Fatal(err)
		}
		deadline := time.After(10 * time.Second)
	wait:
		for {
			select {
			case ev := <-sub.C:
				if ev.Type != "mail.new" {
					continue
				}
				data := ev.Data.(map[string]any)
				for _, m := range data["messages"].([]StoredMessage) {
					if m.MessageID == id {
						if m.Initial {
							t.Errorf("pushed mail is marked initial")
						}
						if m.Direction != Inbound {
							t.Errorf("mail from carol is %s", m.Direction)
						}
						latencies = append(latencies, time.Since(sent))
						break wait
					}
				}
			case <-deadline:
				t.Fatalf("message %d did not arrive through IDLE within 10 s", i)
			}
		}
	}
	t.Logf("delivery → stored and announced via IDLE: %v", latencies)

	// A flag change made by another client is pushed too.
	c := imapClient(t, srv, "test@example.com", "test")
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	all := imap.SeqSet{}
	all.AddRange(1, 0)
	if err := c.Store(all, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagFlagged}}, nil).Close(); err != nil {
		t.Fatal(err)
	}
	flagged := time.Now()
	waitFor(t, 10*time.Second, "the flag change to arrive through IDLE", func() bool {
		ok := true
		_ = e.st.View(func(txn *store.Txn) error {
			return scanLocations(txn, e.acct.ID, "INBOX", readServer(t, c, "INBOX").uidValidity, func(_ Location, lv locValue) error {
				if !slices.Contains(lv.Flags, `\Flagged`) {
					ok = false
				}
				return nil
			})
		})
		return ok
	})
	t.Logf("flag change made elsewhere → stored via IDLE: %v", time.Since(flagged))
	for _, l := range latencies {
		if l > 2*time.Second {
			t.Errorf("IDLE latency %v is above the 2 s target", l)
		}
	}
}

func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// cutProxy forwards TCP to a server and, when armed, cuts every
// connection once a number of bytes has flowed from the server.
type cutProxy struct {
	ln     net.Listener
	target string
	cutAt  atomic.Int64 // 0: never
	sent   atomic.Int64
	mu     sync.Mutex
	conns  []net.Conn
	cuts   atomic.Int32
}

func newCutProxy(t testing.TB, target string) *cutProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{ln: ln, target: target}
	go p.serve()
	t.Cleanup(func() { ln.Close(); p.cutAll() })
	return p
}

func (p *cutProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, s)
		p.mu.Unlock()
		go func() { _, _ = io.Copy(s, c); s.Close() }()
		go func() {
			buf := make([]byte, 32<<10)
			for {
				n, err := s.Read(buf)
				if n > 0 {
					total := p.sent.Add(int64(n))
					if at := p.cutAt.Load(); at > 0 && total >= at {
						p.cutAt.Store(0)
						p.cuts.Add(1)
						p.cutAll()
						return
					}
					if _, err := c.Write(buf[:n]); err != nil {
						return
					}
				}
				if err != nil {
					c.Close()
					return
				}
			}
		}()
	}
}

func (p *cutProxy) cutAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func (p *cutProxy) addr() (string, int) {
	a := p.ln.Addr().(*net.TCPAddr)
	return a.IP.String(), a.Port
}

func TestSyncResumesAfterConnectionCut(t *testing.T) {
	srv := dovecottest.Start(t)
	msgs := loadCorpus(t, srv)
	proxy := newCutProxy(t, srv.IMAPAddr)
	e := newTestEnv(t, srv)
	e.addAccount("test@example.com", "test", 0)
	host, port := proxy.addr()
	e.acct.IMAP.Host, e.acct.IMAP.Port = host, port
	if err := putAccount(e.st, e.acct); err != nil {
		t.Fatal(err)
	}
	var total int64
	for _, m := range msgs {
		total += int64(len(m.Raw))
	}
	// Cut twice in the middle of fetching bodies.
	for _, frac := range []float64{0.3, 0.6} {
		proxy.sent.Store(0)
		proxy.cutAt.Store(int64(float64(total) * frac))
		err := e.svc.SyncAccount(context.Background(), e.acct.ID)
		if err == nil {
			t.Fatalf("sync did not notice the cut connection at %.0f%%", frac*100)
		}
		t.Logf("cut at %.0f%% of the corpus bytes: %v; %d messages stored so far", frac*100, err, countRecords(t, e.st, "msg"))
		checkIntegrity(t, e.st)
	}
	if proxy.cuts.Load() != 2 {
		t.Fatalf("the proxy cut %d times, want 2", proxy.cuts.Load())
	}
	e.sync()
	c := imapClient(t, srv, "test@example.com", "test")
	compareFolder(t, c, e.st, e.acct.ID, "INBOX")
	compareFolder(t, c, e.st, e.acct.ID, "Sent")
	checkIntegrity(t, e.st)
	reports, err := e.svc.Verify(context.Background(), e.acct.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range reports {
		if len(r.Missing)+len(r.Extra) > 0 || r.Server != r.Stored {
			t.Errorf("verify %s: server %d, store %d, missing %d, extra %d", r.Mailbox, r.Server, r.Stored, len(r.Missing), len(r.Extra))
		}
	}
}

// TestSyncChildProcess is the child of TestSyncSurvivesKill9: it syncs the
// account named in the environment and exits.
func TestSyncChildProcess(t *testing.T) {
	dir := os.Getenv("THREADLINE_SYNC_CHILD_DIR")
	if dir == "" {
		t.Skip("runs only as the child of TestSyncSurvivesKill9")
	}
	st, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	svc := NewService(Options{Store: st, Secrets: NewFileSecrets(filepath.Join(dir, InsecureSecretsFile))})
	if err := svc.SyncAccount(context.Background(), os.Getenv("THREADLINE_SYNC_CHILD_ACCOUNT")); err != nil {
		t.Fatal(err)
	}
	st.Close()
}

func TestSyncSurvivesKill9(t *testing.T) {
	srv := dovecottest.Start(t)
	loadCorpus(t, srv)
	dir := t.TempDir()
	e := openTestEnv(t, dir, srv)
	acct := e.addAccount("test@example.com", "test", 0)
	e.st.Close()

	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	var kills []string
	for round := 0; round < 6; round++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestSyncChildProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), "THREADLINE_SYNC_CHILD_DIR="+dir, "THREADLINE_SYNC_CHILD_ACCOUNT="+acct.ID)
		var out strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		delay := time.Duration(150+rng.IntN(3500)) * time.Millisecond
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		select {
		case err := <-exited:
			if err != nil {
				t.Fatalf("child failed on its own: %v\n%s", err, out.String())
			}
			kills = append(kills, "finished")
		case <-time.After(delay):
			_ = cmd.Process.Signal(syscall.SIGKILL)
			<-exited
			kills = append(kills, delay.String())
		}
	}
	t.Logf("kill -9 after: %v", kills)
	// The last run completes.
	cmd := exec.Command(os.Args[0], "-test.run=^TestSyncChildProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), "THREADLINE_SYNC_CHILD_DIR="+dir, "THREADLINE_SYNC_CHILD_ACCOUNT="+acct.ID)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("final sync: %v\n%s", err, out)
	}
	st, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	c := imapClient(t, srv, "test@example.com", "test")
	inbox := compareFolder(t, c, st, acct.ID, "INBOX")
	compareFolder(t, c, st, acct.ID, "Sent")
	checkIntegrity(t, st)
	if got, want := countRecords(t, st, "msg"), expectedRecords(inbox); got != want {
		t.Errorf("%d message records, want %d (one per distinct message)", got, want)
	}
}

// TestWorkerReconnectsAfterCut: the background worker notices its
// connections dying, reports the error in plain words, reconnects with
// backoff, and keeps delivering new mail; "sync now" works through it.
func TestWorkerReconnectsAfterCut(t *testing.T) {
	srv := dovecottest.Start(t)
	proxy := newCutProxy(t, srv.IMAPAddr)
	e := newTestEnv(t, srv, func(o *Options) { o.PollInterval = time.Hour })
	e.addAccount("test@example.com", "test", 0)
	host, port := proxy.addr()
	e.acct.IMAP.Host, e.acct.IMAP.Port = host, port
	if err := putAccount(e.st, e.acct); err != nil {
		t.Fatal(err)
	}
	sub := e.bus.Subscribe(4096)
	defer sub.Cancel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := e.svc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	waiting := func() bool {
		for _, st := range e.svc.Status() {
			if st.Account == e.acct.ID && st.State == StateWaiting {
				return true
			}
		}
		return false
	}
	waitFor(t, 20*time.Second, "the first sync", waiting)
	time.Sleep(200 * time.Millisecond)
	proxy.cutAll()
	var sawError string
	deliverAndWait := func(id string) {
		t.Helper()
		msg := fmt.Sprintf("From: a@example.org\r\nSubject: %s\r\nMessage-ID: <%s>\r\n\r\nx\r\n", id, id)
		if err := srv.Deliver("a@example.org", "test@example.com", []byte(msg)); err != nil {
			t.Fatal(err)
		}
		deadline := time.After(15 * time.Second)
		for {
			select {
			case ev := <-sub.C:
				switch d := ev.Data.(type) {
				case *AccountStatus:
					if d.State == StateError && d.LastError != "" {
						sawError = d.LastError
					}
				case map[string]any:
					if ms, ok := d["messages"].([]StoredMessage); ok {
						for _, m := range ms {
							if m.MessageID == id {
								return
							}
						}
					}
				}
			case <-deadline:
				t.Fatalf("%s did not arrive after the connections were cut", id)
			}
		}
	}
	deliverAndWait("after-cut@example.org")
	if sawError == "" {
		t.Errorf("the cut was not reported as an error")
	} else {
		t.Logf("reported while reconnecting: %q", sawError)
	}
	// Sync now goes through the running worker.
	if err := srv.WriteMaildir("test@example.com", "Sent", [][]byte{[]byte("From: test@example.com\r\nSubject: s\r\nMessage-ID: <sent-now@example.org>\r\n\r\nx\r\n")}, nil, nil); err != nil {
		t.Fatal(err)
	}
	if !e.svc.SyncNow(e.acct.ID) {
		t.Fatal("sync now found no worker")
	}
	waitFor(t, 15*time.Second, "sync now to fetch the Sent message", func() bool {
		ok := false
		_ = e.st.View(func(txn *store.Txn) error {
			ok, _ = txn.Has(msgKey(MessageKey("sent-now@example.org", nil)))
			return nil
		})
		return ok
	})
	e.svc.Stop()
}
