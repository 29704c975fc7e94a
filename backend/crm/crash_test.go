package crm

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"threadline/backend/events"
	"threadline/backend/store"
)

const crashDirEnv = "THREADLINE_CRM_CRASH_DIR"

// TestHelperWriter is not a test: the crash test runs the test binary
// again with only this function and a data directory, and kills it while it
// writes. After every commit it prints "committed LEAD VERSION".
func TestHelperWriter(t *testing.T) {
	dir := os.Getenv(crashDirEnv)
	if dir == "" {
		t.Skip("helper process for TestCrashDuringWrites")
	}
	st, err := store.Open(dir, store.Options{})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(3)
	}
	s, err := New(st, events.NewBus(), Options{})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(3)
	}
	ctx := context.Background()
	seed := time.Now().UnixNano()
	report := func(l *Lead) { fmt.Printf("committed %s %d\n", l.ID, l.Version) }
	fail := func(err error) {
		fmt.Println("error", err)
		os.Exit(3)
	}
	for i := 0; ; i++ {
		l, _, err := s.UpsertLead(ctx, UpsertInput{Email: fmt.Sprintf("c%d-%d@crash.example", seed, i), Name: "Crash",
			ThreadID: fmt.Sprint("th", i%50), Tags: []string{"burst", fmt.Sprint("t", i%7)}})
		if err != nil {
			fail(err)
		}
		report(l)
		if l, err = s.MoveLead(ctx, l.ID, MoveInput{StageID: []string{"interested", "follow-up", "won"}[i%3]}); err != nil {
			fail(err)
		}
		report(l)
		if _, err := s.CreateFollowUp(ctx, FollowUpInput{LeadID: l.ID, DueAt: time.Now().Add(time.Hour), ThreadID: fmt.Sprint("th", i%50)}); err != nil {
			fail(err)
		}
		if l, err = s.RecordMail(ctx, l.ID, Mail{ThreadID: fmt.Sprint("th", i%50), Direction: DirectionOutbound, At: time.Now()}); err != nil {
			fail(err)
		}
		report(l)
		if _, err := s.AddNote(ctx, l.ID, NoteInput{Body: strings.Repeat("n", 500)}); err != nil {
			fail(err)
		}
		if i%5 == 0 {
			if _, err := s.CancelNoReplyFollowUps(ctx, fmt.Sprint("th", i%50)); err != nil {
				fail(err)
			}
		}
	}
}

// TestCrashDuringWrites kills a writer with SIGKILL in the middle of a
// burst, three times over the same data directory, and checks after each
// that the indexes agree with the records and that every write the writer
// saw committed is there.
func TestCrashDuringWrites(t *testing.T) {
	dir := t.TempDir()
	committed := map[string]int{}
	for round := 0; round < 3; round++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperWriter$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashDirEnv+"="+dir)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Kill after a varying number of commits, so the kill lands in
		// different places of the burst.
		killAfter := 150 + round*97
		sc := bufio.NewScanner(out)
		n := 0
		deadline := time.AfterFunc(60*time.Second, func() { cmd.Process.Kill() })
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			if len(f) > 0 && f[0] == "error" {
				t.Fatalf("writer failed: %s", sc.Text())
			}
			if len(f) != 3 || f[0] != "committed" {
				continue
			}
			v, _ := strconv.Atoi(f[2])
			if v > committed[f[1]] {
				committed[f[1]] = v
			}
			n++
			if n == killAfter {
				if err := cmd.Process.Kill(); err != nil {
					t.Fatal(err)
				}
				break
			}
		}
		deadline.Stop()
		cmd.Wait()
		if n < killAfter {
			t.Fatalf("round %d: writer stopped after %d commits", round, n)
		}

		st, err := store.Open(dir, store.Options{})
		if err != nil {
			t.Fatalf("round %d: reopen after kill: %v", round, err)
		}
		s, err := New(st, events.NewBus(), Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.CheckIndexes(); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		for id, v := range committed {
			l, err := s.Lead(context.Background(), id)
			if err != nil {
				t.Fatalf("round %d: committed lead %s lost: %v", round, id, err)
			}
			if l.Version < v {
				t.Fatalf("round %d: lead %s at version %d, the writer saw %d committed", round, id, l.Version, v)
			}
		}
		ps, _ := s.Pipelines(context.Background())
		if len(ps) != 1 {
			t.Fatalf("round %d: %d pipelines", round, len(ps))
		}
		t.Logf("round %d: killed after %d commits; %d leads verified", round, n, len(committed))
		if err := st.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
