package cli_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"threadline/backend/crm"
	"threadline/backend/events"
	"threadline/backend/mail"
	"threadline/backend/store"
)

func TestSearchCommand(t *testing.T) {
	dir := t.TempDir()
	bin := threadlineBinary(t)

	out, err := exec.Command(bin, "reindex", "--data", dir).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "search index rebuilt: 0 documents") {
		t.Fatalf("reindex: %v %s", err, out)
	}

	// Flags may follow the query; a leading '-' that is not a flag is a term.
	cmd := exec.Command(bin, "search", "-newsletter", "invoice", "--json", "--data", dir)
	raw, err := cmd.Output()
	if err != nil {
		t.Fatalf("search --json: %v", err)
	}
	var res struct {
		Total  *int              `json:"total"`
		Hits   []json.RawMessage `json:"hits"`
		Counts struct {
			Kinds map[string]int `json:"kinds"`
		} `json:"counts"`
	}
	if err := json.Unmarshal(raw, &res); err != nil || res.Total == nil || *res.Total != 0 || res.Hits == nil || res.Counts.Kinds["mail"] != 0 {
		t.Fatalf("search --json printed %s (%v)", raw, err)
	}

	cmd = exec.Command(bin, "search", "--data", dir, "from:alice", "(invoice", "OR")
	out, _ = cmd.CombinedOutput()
	if cmd.ProcessState.ExitCode() != 2 || !strings.Contains(string(out), "OR needs a term after it at character 21") ||
		!strings.Contains(string(out), "\n  from:alice (invoice OR\n  "+strings.Repeat(" ", 20)+"^") {
		t.Fatalf("malformed query: exit %d\n%s", cmd.ProcessState.ExitCode(), out)
	}

	cmd = exec.Command(bin, "search", "--data", dir)
	out, _ = cmd.CombinedOutput()
	if cmd.ProcessState.ExitCode() != 2 || !strings.Contains(string(out), "search needs a query") {
		t.Fatalf("no query: exit %d %s", cmd.ProcessState.ExitCode(), out)
	}
}

func TestSearchWhileServing(t *testing.T) {
	dir := t.TempDir()
	s := startServe(t, dir)
	code, body := s.get(t, "/api/search?q=hello")
	if code != 200 || !strings.Contains(body, `"total":0`) {
		t.Fatalf("GET /api/search: %d %s", code, body)
	}
	code, body = s.get(t, "/api/search?q=%22open")
	if code != 400 || !strings.Contains(body, `"bad_query"`) {
		t.Fatalf("malformed query over HTTP: %d %s", code, body)
	}
	out, err := exec.Command(threadlineBinary(t), "search", "--data", dir, "hello").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "Threadline is already running") {
		t.Fatalf("search while the app runs: %v %s", err, out)
	}
}

// TestSearchCommandsOnRealData fills a data directory the way the app does
// (an mbox import and leads with notes), then checks that `reindex`
// reports progress and indexes everything, that `search` finds mail and
// leads by field, and that a missing index is rebuilt by `search` itself.
func TestSearchCommandsOnRealData(t *testing.T) {
	dir := t.TempDir()
	bin := threadlineBinary(t)

	var mbox strings.Builder
	for i := range 50 {
		fmt.Fprintf(&mbox, "From x Mon Mar  2 10:00:00 2026\nMessage-ID: <cli%d@example.com>\nFrom: %s\nTo: me@example.com\n"+
			"Subject: Shipment %d\nDate: Mon, 02 Mar 2026 10:00:00 +0000\n\nYour parcel number %d is on its way.\n\n",
			i, []string{"Erin <erin@shop.example>", "frank@post.example"}[i%2], i, i)
	}
	mboxPath := filepath.Join(t.TempDir(), "old.mbox")
	if err := os.WriteFile(mboxPath, []byte(mbox.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	bus := events.NewBus()
	msvc := mail.NewService(mail.Options{Store: st, Bus: bus, Secrets: mail.NewFileSecrets(filepath.Join(dir, "secrets"))})
	if p, err := msvc.Import(context.Background(), mboxPath, nil); err != nil || p.Added != 50 {
		t.Fatalf("import: %+v %v", p, err)
	}
	csvc, err := crm.New(st, bus, crm.Options{})
	if err != nil {
		t.Fatal(err)
	}
	l, err := csvc.CreateLead(context.Background(), crm.LeadInput{Name: "Grace Hopper", Email: "grace@navy.example", Tags: []string{"Key account"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := csvc.AddNote(context.Background(), l.ID, crm.NoteInput{Body: "Asked about COBOL support"}); err != nil {
		t.Fatal(err)
	}
	bus.Close()
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	out, err := exec.Command(bin, "reindex", "--data", dir).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "indexed 51 of 51") || !strings.Contains(string(out), "search index rebuilt: 51 documents") {
		t.Fatalf("reindex: %v\n%s", err, out)
	}
	total := func(args ...string) int {
		t.Helper()
		raw, err := exec.Command(bin, append([]string{"search", "--json", "--data", dir}, args...)...).Output()
		if err != nil {
			t.Fatalf("search %v: %v", args, err)
		}
		var res struct {
			Total int `json:"total"`
		}
		if err := json.Unmarshal(raw, &res); err != nil {
			t.Fatalf("search %v printed %s", args, raw)
		}
		return res.Total
	}
	for _, c := range []struct {
		q    []string
		want int
	}{
		{[]string{"from:erin@shop.example"}, 25},
		{[]string{"subject:shipment", "-from:erin"}, 25},
		{[]string{"parcel", "in:imported"}, 50},
		{[]string{"--kind", "leads", `tag:"key account"`}, 1},
		{[]string{"cobol"}, 1},
		{[]string{"stage:new", "grace"}, 1},
	} {
		if got := total(c.q...); got != c.want {
			t.Errorf("search %v: %d hits, want %d", c.q, got, c.want)
		}
	}

	// A missing index is rebuilt before the search answers.
	if err := os.RemoveAll(filepath.Join(dir, "search")); err != nil {
		t.Fatal(err)
	}
	if got := total("from:frank@post.example"); got != 25 {
		t.Fatalf("search after deleting the index: %d hits, want 25", got)
	}
}
