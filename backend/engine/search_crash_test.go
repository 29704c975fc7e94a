package engine

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"threadline/backend/crm"
	"threadline/backend/events"
	"threadline/backend/mail"
	"threadline/backend/search"
	"threadline/backend/store"
)

const (
	crashChildEnv = "THREADLINE_SEARCH_CRASH_CHILD"
	crashBatch    = 20
)

// TestSearchIndexerCrashChild is the process that TestSearchCrashReindexesTail
// kills: it runs the indexer on the data directory in small batches and
// prints how many documents the index holds as it goes.
func TestSearchIndexerCrashChild(t *testing.T) {
	dir := os.Getenv(crashChildEnv)
	if dir == "" {
		t.Skip("run by TestSearchCrashReindexesTail")
	}
	st, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	idx, err := search.Open(filepath.Join(dir, "search"), st, search.Options{BatchSize: crashBatch})
	if err != nil {
		t.Fatal(err)
	}
	idx.Register(search.KindMail, mail.SearchLoader{})
	idx.Register(search.KindLead, crm.SearchLoader{})
	idx.Start()
	for {
		fmt.Printf("docs %d\n", idx.Status().Docs)
		time.Sleep(2 * time.Millisecond)
	}
}

// TestSearchCrashReindexesTail kills the indexer with SIGKILL halfway
// through the change log of an mbox import and of new leads; the next
// start must apply only the tail it had not reached (no rebuild) and end
// with the index holding exactly what the store holds.
func TestSearchCrashReindexesTail(t *testing.T) {
	dir := t.TempDir()
	log := slog.New(slog.DiscardHandler)

	// An empty, complete index first, so that the child has a log to work
	// through rather than a rebuild.
	st, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	idx, err := OpenSearch(st, nil, log)
	if err != nil {
		t.Fatal(err)
	}
	if err := idx.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := idx.Close(); err != nil {
		t.Fatal(err)
	}

	// Mail from an mbox import and leads with notes, with the indexer not
	// running: all of it waits in the change log.
	const nMsgs, nLeads = 1500, 100
	var mbox bytes.Buffer
	for i := range nMsgs {
		fmt.Fprintf(&mbox, "From sender%d@example.com Mon Mar  2 10:00:00 2026\n", i%7)
		mbox.Write(bytes.ReplaceAll(testMessage(fmt.Sprintf("crash%d@example.com", i), fmt.Sprintf("sender%d@example.com", i%7),
			fmt.Sprintf("Order %d", i), "Mon, 02 Mar 2026 10:00:00 +0000", "Shipping details for order "+strconv.Itoa(i), "", ""), []byte("\r\n"), []byte("\n")))
		mbox.WriteString("\n")
	}
	mboxPath := filepath.Join(t.TempDir(), "archive.mbox")
	if err := os.WriteFile(mboxPath, mbox.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	bus := events.NewBus()
	msvc := mail.NewService(mail.Options{Store: st, Bus: bus, Logger: log, Secrets: mail.NewFileSecrets(filepath.Join(dir, "secrets"))})
	if p, err := msvc.Import(context.Background(), mboxPath, nil); err != nil || p.Added != nMsgs {
		t.Fatalf("import: %+v %v", p, err)
	}
	csvc, err := crm.New(st, bus, crm.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range nLeads {
		l, err := csvc.CreateLead(context.Background(), crm.LeadInput{Name: fmt.Sprintf("Lead %d", i), Tags: []string{"crashtest"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := csvc.AddNote(context.Background(), l.ID, crm.NoteInput{Body: "note for lead " + strconv.Itoa(i)}); err != nil {
			t.Fatal(err)
		}
	}
	bus.Close()
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	// Kill the indexer once it has applied part of the log.
	cmd := exec.Command(os.Args[0], "-test.run=^TestSearchIndexerCrashChild$", "-test.v")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	killedAt := int64(-1)
	for sc.Scan() {
		var n int64
		if _, err := fmt.Sscanf(sc.Text(), "docs %d", &n); err == nil && n >= 300 {
			cmd.Process.Kill()
			killedAt = n
			break
		}
	}
	cmd.Wait()
	if killedAt < 0 {
		t.Fatal("the indexer process ended before it indexed 300 documents")
	}

	st, err = store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	bus = events.NewBus()
	defer bus.Close()
	reindex := bus.Subscribe(16)
	idx, err = OpenSearch(st, bus, log)
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	before := idx.Status()
	total := nMsgs + nLeads
	// Documents of the batch in flight at the kill were visible but not
	// yet persisted; every earlier batch was.
	if before.Docs < killedAt-crashBatch || before.Pending == 0 || before.Pending >= total+nLeads {
		t.Fatalf("after the kill: index holds %d documents (saw %d before the kill), %d changes pending of %d", before.Docs, killedAt, before.Pending, total+nLeads)
	}
	if err := idx.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	select {
	case ev := <-reindex.C:
		t.Fatalf("the index was rebuilt instead of catching up with the log: %+v", ev)
	default:
	}
	msgs, leads := storeCounts(t, st)
	after := idx.Status()
	if msgs != nMsgs || leads != nLeads || after.Docs != int64(msgs+leads) || after.Pending != 0 {
		t.Fatalf("store holds %d messages and %d leads; index %+v", msgs, leads, after)
	}
	res, err := idx.Search(context.Background(), search.Request{Query: "tag:crashtest note", Limit: 1})
	if err != nil || res.Total != nLeads {
		t.Fatalf("tag:crashtest note: %v %v", res, err)
	}
	res, err = idx.Search(context.Background(), search.Request{Query: "from:sender3@example.com in:imported", Limit: 1})
	if err != nil || res.Total != (nMsgs+3)/7 {
		t.Fatalf("from:sender3@example.com in:imported: total %v, want %d (%v)", res, (nMsgs+3)/7, err)
	}
	t.Logf("killed at %d documents; restart applied the %d pending changes", killedAt, before.Pending)
}
