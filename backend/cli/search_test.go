package cli_test

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
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
