package outbox

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"threadline/backend/events"
	"threadline/backend/store"
)

func openStore(t testing.TB, dir string) *store.Store {
	t.Helper()
	st, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func testDraft() Draft {
	return Draft{
		From:    Address{Name: "Sam Seller", Address: "test@example.com"},
		To:      []Address{{Name: "Bob Buyer", Address: "bob@customer.test"}},
		Bcc:     []Address{{Address: "boss@example.com"}},
		Subject: "Quote for 20 seats",
		Text:    "Hi Bob,\n\nhere is the quote.\n",
		HTML:    "<p>Hi Bob,</p><p>here is the <b>quote</b>.</p>",
	}
}

func enqueue(t *testing.T, o *Outbox, d Draft) *Item {
	t.Helper()
	c, err := Compose(d)
	if err != nil {
		t.Fatal(err)
	}
	it, err := o.Enqueue(c, Meta{AccountID: "acct1", ThreadID: "thread1"})
	if err != nil {
		t.Fatal(err)
	}
	return it
}

func TestSendThroughGoSMTP(t *testing.T) {
	srv := startSMTP(t, "")
	st := openStore(t, t.TempDir())
	defer st.Close()
	bus := events.NewBus()
	sub := bus.Subscribe(64)
	o := New(st, bus)
	var hooked []string
	s := &Sender{Outbox: o, Transport: &SMTPTransport{Accounts: staticAccounts{"acct1": loopbackSettings(srv.Port)}},
		OnSent: func(_ context.Context, it Item, raw []byte) error {
			hooked = append(hooked, it.MessageID)
			return nil
		}}
	it := enqueue(t, o, testDraft())
	if _, err := s.RunDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	got, err := o.Get(it.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != StateSent || got.SentAt.IsZero() || got.Attempts != 1 || !got.PostSentDone {
		t.Fatalf("item after send: %+v", got)
	}
	msgs := srv.messages()
	if len(msgs) != 1 {
		t.Fatalf("server received %d messages, want 1", len(msgs))
	}
	m := msgs[0]
	if m.From != "test@example.com" || strings.Join(m.Rcpts, ",") != "bob@customer.test,boss@example.com" || m.Auth != "test@example.com" {
		t.Fatalf("envelope: from %q rcpts %v auth %q", m.From, m.Rcpts, m.Auth)
	}
	if strings.Contains(strings.ToLower(string(m.Data)), "boss@example.com") {
		t.Fatalf("Bcc recipient leaked into the message:\n%s", m.Data)
	}
	if id := messageIDOf(t, m.Data); id != it.MessageID || !strings.HasSuffix(id, "@example.com") {
		t.Fatalf("Message-ID %q, item has %q", id, it.MessageID)
	}
	if len(hooked) != 1 || hooked[0] != it.MessageID {
		t.Fatalf("OnSent ran for %v", hooked)
	}
	// A second pass sends nothing and reruns no hook.
	if _, err := s.RunDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(srv.messages()) != 1 || len(hooked) != 1 {
		t.Fatalf("second pass: %d messages, %d hooks", len(srv.messages()), len(hooked))
	}
	var states []State
	for len(sub.C) > 0 {
		ev := <-sub.C
		if ev.Type == EventUpdated {
			states = append(states, ev.Data.(Update).State)
		}
	}
	if fmt.Sprint(states) != "[queued sending sending sent sent]" {
		t.Fatalf("outbox.updated states: %v", states)
	}
}

func TestOfflineThenOnlineSendsOnce(t *testing.T) {
	port := freePort(t)
	st := openStore(t, t.TempDir())
	defer st.Close()
	o := New(st, nil)
	s := &Sender{Outbox: o, Transport: &SMTPTransport{Accounts: staticAccounts{"acct1": loopbackSettings(port)}},
		Backoff: Backoff{Base: 50 * time.Millisecond, Max: 200 * time.Millisecond}, Poll: 20 * time.Millisecond}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	it := enqueue(t, o, testDraft())

	// Server down: the item stays queued with a reason and more attempts.
	waitFor(t, "a failed attempt", func() bool {
		got, _ := o.Get(it.ID)
		return got.State == StateQueued && got.Attempts >= 2
	})
	got, _ := o.Get(it.ID)
	if !strings.Contains(got.LastError, "Could not reach the mail server") {
		t.Fatalf("last error %q", got.LastError)
	}

	// Server up: sent, exactly once.
	srv := startSMTP(t, "127.0.0.1:"+strconv.Itoa(port))
	waitFor(t, "the send", func() bool {
		got, _ := o.Get(it.ID)
		return got.State == StateSent
	})
	time.Sleep(300 * time.Millisecond) // several more worker passes
	if c := srv.countByMessageID(t); len(c) != 1 || c[it.MessageID] != 1 {
		t.Fatalf("received by Message-ID: %v", c)
	}
}

func TestPermanentErrorFailsWithoutRetry(t *testing.T) {
	srv := startSMTP(t, "")
	srv.set(func() {
		srv.rcptErr = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user here"}
	})
	st := openStore(t, t.TempDir())
	defer st.Close()
	o := New(st, nil)
	s := &Sender{Outbox: o, Transport: &SMTPTransport{Accounts: staticAccounts{"acct1": loopbackSettings(srv.Port)}}}
	it := enqueue(t, o, testDraft())
	s.RunDue(context.Background())
	got, _ := o.Get(it.ID)
	if got.State != StateFailed || !strings.Contains(got.LastError, "bob@customer.test") || !strings.Contains(got.LastError, "No such user") {
		t.Fatalf("after 550: %+v", got)
	}
	s.RunDue(context.Background())
	if got, _ := o.Get(it.ID); got.Attempts != 1 {
		t.Fatalf("a permanent failure was retried: %d attempts", got.Attempts)
	}
	// Fixed on the server side: the user retries and it goes out once.
	srv.set(func() { srv.rcptErr = nil })
	if _, err := o.Retry(it.ID); err != nil {
		t.Fatal(err)
	}
	s.RunDue(context.Background())
	if got, _ := o.Get(it.ID); got.State != StateSent || len(srv.messages()) != 1 {
		t.Fatalf("after retry: %+v, %d messages", got, len(srv.messages()))
	}
	if err := o.Delete(it.ID); err == nil {
		t.Fatal("deleting a sent message succeeded")
	}
}

func TestTemporaryErrorBacksOff(t *testing.T) {
	srv := startSMTP(t, "")
	srv.set(func() {
		srv.dataErr = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Try again later"}
	})
	st := openStore(t, t.TempDir())
	defer st.Close()
	o := New(st, nil)
	s := &Sender{Outbox: o, Transport: &SMTPTransport{Accounts: staticAccounts{"acct1": loopbackSettings(srv.Port)}},
		Backoff: Backoff{Base: time.Minute, Max: 10 * time.Minute}}
	it := enqueue(t, o, testDraft())
	start := time.Now()
	next, err := s.RunDue(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got, _ := o.Get(it.ID)
	if got.State != StateQueued || got.Attempts != 1 || !strings.Contains(got.LastError, "temporarily") {
		t.Fatalf("after 451: %+v", got)
	}
	if d := next.Sub(start); d < 59*time.Second || d > 61*time.Second {
		t.Fatalf("next attempt in %v, want 1 min", d)
	}
	// Not due yet: nothing is attempted.
	s.RunDue(context.Background())
	if got, _ := o.Get(it.ID); got.Attempts != 1 {
		t.Fatalf("attempted before due: %d", got.Attempts)
	}
	if err := o.Delete(it.ID); err != nil {
		t.Fatalf("delete a queued item: %v", err)
	}
	if _, err := o.Get(it.ID); err == nil {
		t.Fatal("item still there after delete")
	}
}

func TestBackoffIsExponentialAndCapped(t *testing.T) {
	b := Backoff{Base: 30 * time.Second, Max: 30 * time.Minute}
	want := []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute,
		16 * time.Minute, 30 * time.Minute, 30 * time.Minute}
	for i, w := range want {
		if got := b.Delay(i + 1); got != w {
			t.Errorf("Delay(%d) = %v, want %v", i+1, got, w)
		}
	}
	if b.Delay(1000) != 30*time.Minute {
		t.Error("no cap for many attempts")
	}
}

func TestEnqueueRejectsDuplicateMessageID(t *testing.T) {
	st := openStore(t, t.TempDir())
	defer st.Close()
	o := New(st, nil)
	c, err := Compose(testDraft())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := o.Enqueue(c, Meta{AccountID: "a"}); err != nil {
		t.Fatal(err)
	}
	if _, err := o.Enqueue(c, Meta{AccountID: "a"}); err == nil {
		t.Fatal("the same Message-ID was queued twice")
	}
}

// TestInterruptedBeforeCommitIsResent: a process that died before the
// point of no return leaves phase "connecting"; the message goes out once.
func TestInterruptedBeforeCommitIsResent(t *testing.T) {
	srv := startSMTP(t, "")
	st := openStore(t, t.TempDir())
	defer st.Close()
	o := New(st, nil)
	it := enqueue(t, o, testDraft())
	if _, err := o.transition(it.ID, "", func(it *Item) (string, error) {
		it.State, it.Phase = StateSending, phaseConnecting
		it.Attempts++
		return "dead-process-token", nil
	}); err != nil {
		t.Fatal(err)
	}
	s := &Sender{Outbox: o, Transport: &SMTPTransport{Accounts: staticAccounts{"acct1": loopbackSettings(srv.Port)}}}
	if _, err := s.RunDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got, _ := o.Get(it.ID); got.State != StateSent || got.Attempts != 2 {
		t.Fatalf("after recovery: %+v", got)
	}
	if c := srv.countByMessageID(t); c[it.MessageID] != 1 {
		t.Fatalf("received: %v", c)
	}
}

// TestLostAnswerIsNotResent: the connection drops after the final dot
// (the server accepted the message, the 250 is lost). Without a conclusive
// Sent check the item becomes failed "unconfirmed", never sent twice; with
// a self-filing server's Sent folder showing it, it becomes sent.
func TestLostAnswerIsNotResent(t *testing.T) {
	for _, tc := range []struct {
		name    string
		checker SentChecker
		want    State
	}{
		{"no checker", nil, StateFailed},
		{"found in Sent", fakeChecker{found: true, conclusive: true}, StateSent},
		// A conclusive "not there" (the fake lies here) puts it back in
		// the queue.
		{"absent from a self-filing Sent", fakeChecker{found: false, conclusive: true}, StateQueued},
		{"absent, not conclusive", fakeChecker{found: false, conclusive: false}, StateFailed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := startSMTP(t, "")
			st := openStore(t, t.TempDir())
			defer st.Close()
			o := New(st, nil)
			it := enqueue(t, o, testDraft())
			proxy := startDropAnswerProxy(t, srv.Addr)
			s := &Sender{Outbox: o, Checker: tc.checker,
				Transport: &SMTPTransport{Accounts: staticAccounts{"acct1": loopbackSettings(proxy.port)}}}
			if _, err := s.RunDue(context.Background()); err != nil {
				t.Fatal(err)
			}
			got, _ := o.Get(it.ID)
			if got.State != tc.want {
				t.Fatalf("state %s (%s), want %s", got.State, got.LastError, tc.want)
			}
			if got.State == StateFailed && !strings.HasPrefix(got.LastError, "Unconfirmed") {
				t.Fatalf("reason %q", got.LastError)
			}
			if c := srv.countByMessageID(t); c[it.MessageID] != 1 {
				t.Fatalf("received: %v", c)
			}
		})
	}
}

type fakeChecker struct{ found, conclusive bool }

func (f fakeChecker) CheckSent(context.Context, string, string) (bool, bool, error) {
	return f.found, f.conclusive, nil
}

// dropAnswerProxy forwards SMTP to a server but closes the client
// connection as soon as the client has sent the end-of-data dot, so the
// server's 250 never reaches the client.
type dropAnswerProxy struct {
	ln   net.Listener
	port int
}

func startDropAnswerProxy(t *testing.T, target string) *dropAnswerProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &dropAnswerProxy{ln: ln, port: ln.Addr().(*net.TCPAddr).Port}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			client, err := ln.Accept()
			if err != nil {
				return
			}
			go p.serve(client, target)
		}
	}()
	return p
}

func (p *dropAnswerProxy) serve(client net.Conn, target string) {
	defer client.Close()
	server, err := net.Dial("tcp", target)
	if err != nil {
		return
	}
	defer server.Close()
	dotSeen := make(chan struct{})
	answered := make(chan struct{})
	go func() { // server → client, until the answer to the dot
		buf := make([]byte, 4096)
		for {
			n, err := server.Read(buf)
			select {
			case <-dotSeen:
				// The server has answered the final dot: it took the
				// message. Swallow the answer.
				close(answered)
				return
			default:
			}
			if n > 0 {
				client.Write(buf[:n])
			}
			if err != nil {
				return
			}
		}
	}()
	r := bufio.NewReader(client)
	inData := false
	for {
		line, err := r.ReadString('\n')
		if inData && line == ".\r\n" {
			close(dotSeen) // before the server can answer
		}
		if len(line) > 0 {
			server.Write([]byte(line))
		}
		if err != nil {
			return
		}
		switch {
		case !inData && strings.EqualFold(strings.TrimSpace(line), "DATA"):
			inData = true
		case inData && line == ".\r\n":
			select {
			case <-answered:
			case <-time.After(5 * time.Second):
			}
			client.Close()
			return
		}
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// The crash test re-executes this test binary as a child that sends one
// message and stops in afterTransmitHook, after the server's 250 and
// before any bookkeeping. The parent kills it with SIGKILL, then runs a
// fresh Sender on the same store and counts what the server received.
const (
	crashEnvDir  = "OUTBOX_CRASH_CHILD_DIR"
	crashEnvPort = "OUTBOX_CRASH_CHILD_PORT"
	crashEnvAt   = "OUTBOX_CRASH_CHILD_AT" // "before-dot", or after the 250
)

func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashEnvDir)
	if dir == "" {
		t.Skip("run by TestKillAfterSendStillExactlyOnce")
	}
	port, _ := strconv.Atoi(os.Getenv(crashEnvPort))
	st := openStore(t, dir)
	o := New(st, nil)
	it := enqueue(t, o, testDraft())
	fmt.Printf("QUEUED %s\n", it.MessageID)
	stop := func(it Item) {
		fmt.Printf("TRANSMITTED %s\n", it.MessageID)
		os.Stdout.Sync()
		select {} // wait for SIGKILL
	}
	if os.Getenv(crashEnvAt) == "before-dot" {
		beforeCommitHook = stop
	} else {
		afterTransmitHook = stop
	}
	s := &Sender{Outbox: o, Transport: &SMTPTransport{Accounts: staticAccounts{"acct1": loopbackSettings(port)}}}
	s.RunDue(context.Background())
	t.Fatal("the child was not killed")
}

// runCrashChild runs the child against the SMTP server on port and kills
// it once it reports the message transmitted. It returns the Message-ID.
func runCrashChild(t *testing.T, dir string, port int) string {
	t.Helper()
	return runCrashChildAt(t, dir, port, "after-250")
}

func runCrashChildAt(t *testing.T, dir string, port int, at string) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashEnvDir+"="+dir, crashEnvPort+"="+strconv.Itoa(port), crashEnvAt+"="+at)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stdout)
	var msgID string
	done := make(chan struct{})
	go func() {
		defer close(done)
		for sc.Scan() {
			if id, ok := strings.CutPrefix(sc.Text(), "TRANSMITTED "); ok {
				msgID = id
				return
			}
		}
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		t.Fatal("the child never reported a transmitted message")
	}
	if msgID == "" {
		cmd.Wait()
		t.Fatal("the child exited without transmitting")
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("child did not die by SIGKILL: %v", err)
	}
	return msgID
}

func TestKillAfterSendStillExactlyOnce(t *testing.T) {
	srv := startSMTP(t, "")
	dir := filepath.Join(t.TempDir(), "data")
	msgID := runCrashChild(t, dir, srv.Port)

	st := openStore(t, dir)
	defer st.Close()
	o := New(st, nil)
	it, err := o.ByMessageID(msgID)
	if err != nil {
		t.Fatal(err)
	}
	if it.State != StateSending || it.Phase != phaseCommitting {
		t.Fatalf("after the kill the item is %s/%s, want sending/committing", it.State, it.Phase)
	}
	// No Sent-folder check is possible: never resend, tell the user.
	s := &Sender{Outbox: o, Transport: &SMTPTransport{Accounts: staticAccounts{"acct1": loopbackSettings(srv.Port)}}}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	s.Kick()
	time.Sleep(200 * time.Millisecond)
	s.Stop()
	got, _ := o.Get(it.ID)
	if got.State != StateFailed || !strings.HasPrefix(got.LastError, "Unconfirmed") {
		t.Fatalf("after restart: %s %q", got.State, got.LastError)
	}
	if c := srv.countByMessageID(t); len(c) != 1 || c[msgID] != 1 {
		t.Fatalf("received by Message-ID: %v", c)
	}
}

// TestReplyThroughGoSMTPThreads sends a reply and a reply to that reply
// straight to a go-smtp server: each received message points at its parent.
func TestReplyThroughGoSMTPThreads(t *testing.T) {
	srv := startSMTP(t, "")
	st := openStore(t, t.TempDir())
	defer st.Close()
	o := New(st, nil)
	s := &Sender{Outbox: o, Transport: &SMTPTransport{Accounts: staticAccounts{"acct1": loopbackSettings(srv.Port)}}}
	parent := mustParse(t, "From: Bob <bob@customer.test>\r\nTo: test@example.com\r\nSubject: Demo\r\n"+
		"Message-ID: <root@customer.test>\r\nDate: Mon, 2 Mar 2026 09:00:00 +0000\r\n\r\nCan we have a demo?\r\n")
	me := []Address{{Address: "test@example.com"}}
	for round := range 2 {
		to, _ := ReplyRecipients(parent, me, false)
		it := enqueue(t, o, Draft{From: me[0], To: to, Subject: ReplySubject(parent.Subject),
			Text: fmt.Sprintf("Answer %d", round), ReplyTo: parent, Quote: true})
		if _, err := s.RunDue(context.Background()); err != nil {
			t.Fatal(err)
		}
		msgs := srv.messages()
		got := msgs[len(msgs)-1]
		h := headerOf(t, got.Data)
		irt, _ := h.MsgIDList("In-Reply-To")
		refs, _ := h.MsgIDList("References")
		wantRefs := References(parent)
		if len(irt) != 1 || irt[0] != parent.MessageID || fmt.Sprint(refs) != fmt.Sprint(wantRefs) {
			t.Fatalf("round %d: In-Reply-To %v References %v, want parent %s refs %v", round, irt, refs, parent.MessageID, wantRefs)
		}
		if got.Rcpts[0] != "bob@customer.test" {
			t.Fatalf("round %d: rcpts %v", round, got.Rcpts)
		}
		// Next round answers the message just sent (a follow-up on our own).
		parent = mustParse(t, string(got.Data))
		if parent.MessageID != it.MessageID {
			t.Fatalf("round %d: sent %s, received %s", round, it.MessageID, parent.MessageID)
		}
	}
	if refs := References(parent); fmt.Sprint(refs[:1]) != "[root@customer.test]" || len(refs) != 3 {
		t.Fatalf("final chain %v", refs)
	}
}

func TestOldSentItemsArePruned(t *testing.T) {
	srv := startSMTP(t, "")
	st := openStore(t, t.TempDir())
	defer st.Close()
	o := New(st, nil)
	s := &Sender{Outbox: o, Transport: &SMTPTransport{Accounts: staticAccounts{"acct1": loopbackSettings(srv.Port)}},
		OnSent: func(context.Context, Item, []byte) error { return nil }}
	old := enqueue(t, o, testDraft())
	s.RunDue(context.Background())
	o.now = func() time.Time { return time.Now().Add(KeepSent + time.Hour) }
	recent := enqueue(t, o, testDraft())
	s.lastPrune = time.Time{}
	s.RunDue(context.Background())
	if _, err := o.Get(old.ID); err == nil {
		t.Fatal("a sent item older than KeepSent was kept")
	}
	if _, err := o.Raw(old.ID); err == nil {
		t.Fatal("the raw message of a pruned item was kept")
	}
	if got, err := o.Get(recent.ID); err != nil || got.State != StateSent {
		t.Fatalf("recent item: %+v %v", got, err)
	}
}

// TestKillBeforeFinalDotResends: the child is killed with the whole message
// written but not the final dot. The real go-smtp server must discard it,
// and the restarted Sender sends it again: one message arrives.
func TestKillBeforeFinalDotResends(t *testing.T) {
	srv := startSMTP(t, "")
	dir := filepath.Join(t.TempDir(), "data")
	msgID := runCrashChildAt(t, dir, srv.Port, "before-dot")
	// Give the server a moment to notice the dropped connection.
	time.Sleep(100 * time.Millisecond)
	if n := len(srv.messages()); n != 0 {
		t.Fatalf("the server kept %d messages without the final dot", n)
	}

	st := openStore(t, dir)
	defer st.Close()
	o := New(st, nil)
	it, err := o.ByMessageID(msgID)
	if err != nil {
		t.Fatal(err)
	}
	if it.State != StateSending || it.Phase != phaseConnecting {
		t.Fatalf("after the kill the item is %s/%s, want sending/connecting", it.State, it.Phase)
	}
	s := &Sender{Outbox: o, Transport: &SMTPTransport{Accounts: staticAccounts{"acct1": loopbackSettings(srv.Port)}}}
	if _, err := s.RunDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got, _ := o.Get(it.ID); got.State != StateSent || got.Attempts != 2 {
		t.Fatalf("after restart: %s, %d attempts, %q", got.State, got.Attempts, got.LastError)
	}
	if c := srv.countByMessageID(t); len(c) != 1 || c[msgID] != 1 {
		t.Fatalf("received by Message-ID: %v", c)
	}
}
