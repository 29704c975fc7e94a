package leadsignals_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"threadline/backend/crm"
	"threadline/backend/engine"
	"threadline/backend/internal/dovecottest"
	"threadline/backend/mail"
	"threadline/backend/store"
)

const crashChildEnv = "THREADLINE_LSIG_CRASH_CHILD"

// TestCrashChild is the process that TestKillDuringProcessing kills: it
// opens the engine on the given directory and reports the job's progress
// until it is killed.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashChildEnv)
	if dir == "" {
		t.Skip("runs only as TestKillDuringProcessing's child")
	}
	e, err := engine.Open(dir, logger())
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	for {
		st, _ := e.Signals.Status()
		fmt.Println("processed", st.Processed)
		time.Sleep(time.Millisecond)
	}
}

// TestKillDuringProcessing kills the app with SIGKILL while lead capture
// works through a queue of mail (half of it on a thread linked to a lead),
// restarts it, and checks that every message was processed exactly once:
// one timeline entry per linked message, one signal per inquiry, nothing
// left queued.
func TestKillDuringProcessing(t *testing.T) {
	srv := dovecottest.Start(t)
	dir := t.TempDir()
	t.Setenv(mail.EnvSecrets, "file")
	ctx := context.Background()
	const perKind = 150
	now := time.Now().Add(-2 * time.Hour).Truncate(time.Second)

	var msgs [][]byte
	for i := range perKind {
		extra := ""
		if i > 0 {
			extra = "In-Reply-To: <kim-0@beta-parts.example>\r\nReferences: <kim-0@beta-parts.example>\r\n"
		}
		msgs = append(msgs, msg("Kim Lee <kim@beta-parts.example>", owner, "Contract draft", fmt.Sprintf("kim-%d@beta-parts.example", i),
			extra, fmt.Sprintf("Revision %d of the contract.\n", i), now.Add(time.Duration(i)*time.Second)))
		msgs = append(msgs, msg(fmt.Sprintf("Buyer %d <buyer%d@prospect%d.example>", i, i, i), owner, fmt.Sprintf("Pricing for %d seats", 10+i),
			fmt.Sprintf("buyer-%d@prospect%d.example", i, i), "", inquiryBody, now.Add(time.Duration(i)*time.Second)))
	}
	if err := srv.WriteMaildir(owner, "INBOX", msgs, nil, nil); err != nil {
		t.Fatal(err)
	}

	// Sync with the job not running, as `threadline sync` does, and make
	// Kim's thread a lead's.
	st, cr, ms, acct := openSyncOnly(t, srv, dir)
	if err := ms.SyncAccount(ctx, acct.ID); err != nil {
		t.Fatal(err)
	}
	var kimThread string
	if err := st.View(func(txn *store.Txn) error {
		m, err := mail.GetMessage(txn, mail.MessageKey("kim-7@beta-parts.example", nil))
		if err == nil {
			var th *mail.Thread
			th, err = mail.GetThread(txn, m.ThreadID)
			if err == nil {
				kimThread = th.ID
				if th.MessageCount != perKind {
					err = fmt.Errorf("Kim's thread has %d messages", th.MessageCount)
				}
			}
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	kim, _, err := cr.UpsertLead(ctx, crm.UpsertInput{Email: "kim@beta-parts.example", ThreadID: kimThread})
	if err != nil {
		t.Fatal(err)
	}
	ms.Stop()
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	// Run the app and kill it a third of the way through.
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.v")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	seen := int64(-1)
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if n, ok := strings.CutPrefix(sc.Text(), "processed "); ok {
			seen, _ = strconv.ParseInt(n, 10, 64)
			if seen >= 2*perKind/3 {
				break
			}
		}
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	_ = cmd.Wait()
	if seen < 0 {
		t.Fatal("the child reported nothing")
	}
	t.Logf("killed after %d of %d messages", seen, 2*perKind)

	a := openApp(t, srv, dir)
	wctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := a.e.Signals.WaitIdle(wctx); err != nil {
		t.Fatal(err)
	}
	s, _ := a.e.Signals.Status()
	if s.Pending != 0 || s.LastError != "" || s.Processed > 2*perKind-seen || s.Processed == 0 {
		t.Errorf("after the restart: %+v (the child had processed %d)", s, seen)
	}
	tl, err := a.e.CRM.Timeline(ctx, kim.ID, crm.TimelineQuery{Types: []string{crm.ActEmailReceived}, Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	if len(tl.Items) != perKind {
		t.Errorf("Kim's thread has %d messages, her timeline %d", perKind, len(tl.Items))
	}
	if l := a.signals(); len(l.Signals) != perKind {
		t.Errorf("%d signals, want %d", len(l.Signals), perKind)
	}
}
