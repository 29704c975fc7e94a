package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"threadline/backend/capture"
	"threadline/backend/capture/layerstore"
	"threadline/backend/store"
)

const leadMail = "From: Gina Holt <gina@holtplumbing.com>\r\nTo: sam@brightpath.io\r\nSubject: Pricing for 14 plumbers\r\nMessage-ID: <1@holtplumbing.com>\r\n\r\nHi Sam,\r\n\r\nWe're a plumbing company with 14 plumbers looking for scheduling software. Could you send me your pricing and set up a demo next week?\r\n\r\nGina\r\n"

const listMail = "From: Tim <tim@example.org>\r\nTo: founders@lists.example.org\r\nSubject: [founders] meetup\r\nList-Id: <founders.lists.example.org>\r\nList-Unsubscribe: <https://lists.example.org/u>\r\nPrecedence: list\r\n\r\nSee you all on Thursday.\r\n"

func runCLI(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Main(args, Env{Stdout: &out, Stderr: &errb})
	return out.String(), errb.String(), code
}

func writeMail(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestClassifyText(t *testing.T) {
	dir := t.TempDir()
	lead := writeMail(t, dir, "in/lead.eml", leadMail)
	writeMail(t, dir, "in/sub/list.eml", listMail)
	writeMail(t, dir, "in/.hidden/skip.eml", listMail)
	out, errOut, code := runCLI(t, "classify", filepath.Join(dir, "in"))
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 lines (hidden directory skipped), got %q", out)
	}
	f := strings.Split(lines[0], "\t")
	if len(f) != 5 || f[0] != lead || f[2] != "lead" || f[3] != "hot_lead" || !strings.Contains(f[4], "Asks for pricing") {
		t.Errorf("lead line %q", lines[0])
	}
	if f := strings.Split(lines[1], "\t"); f[2] != "not_lead" || !strings.Contains(f[4], "List-Id") {
		t.Errorf("list line %q", lines[1])
	}
}

func TestClassifyJSONAndUnreadable(t *testing.T) {
	dir := t.TempDir()
	lead := writeMail(t, dir, "lead.eml", leadMail)
	missing := filepath.Join(dir, "missing.eml")
	out, _, code := runCLI(t, "classify", lead, "--json", missing)
	if code != 1 {
		t.Fatalf("exit %d with an unreadable input, want 1", code)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("output %q", out)
	}
	var ok classifyLine
	if err := json.Unmarshal([]byte(lines[0]), &ok); err != nil {
		t.Fatal(err)
	}
	if ok.File != lead || ok.Label != capture.Lead || ok.Category != capture.HotLead || ok.Score < 0.5 || len(ok.Reasons) == 0 {
		t.Errorf("result line %+v", ok)
	}
	var bad classifyError
	if err := json.Unmarshal([]byte(lines[1]), &bad); err != nil || bad.File != missing || bad.Error == "" {
		t.Errorf("error line %q (%v)", lines[1], err)
	}
}

func TestClassifyUsage(t *testing.T) {
	if _, _, code := runCLI(t, "classify"); code != 2 {
		t.Errorf("no paths: exit %d, want 2", code)
	}
	if _, _, code := runCLI(t, "classify", "--bogus", "x"); code != 2 {
		t.Errorf("unknown flag: exit %d, want 2", code)
	}
}

// With --data the owner's learned layer applies; a data directory held by
// another process is skipped with a warning.
func TestClassifyWithLearnedLayer(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	lead := writeMail(t, dir, "lead.eml", leadMail)
	st, err := store.Open(data, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := capture.NewShipped()
	if err != nil {
		t.Fatal(err)
	}
	l, err := capture.NewLearner(c, layerstore.New(st))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Learn([]byte(leadMail), capture.Owner{}, false); err != nil {
		t.Fatal(err)
	}

	// Store still open: classify must not wait for it or fail.
	out, errOut, code := runCLI(t, "classify", "--data", data, lead)
	if code != 0 || !strings.Contains(errOut, "without your learned layer") || !strings.Contains(out, "\tlead\t") {
		t.Fatalf("locked store: exit %d, out %q, stderr %q", code, out, errOut)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	out, errOut, code = runCLI(t, "classify", "--data", data, lead)
	if code != 0 || !strings.Contains(out, "\tnot_lead\t") || !strings.Contains(out, "dismissed") {
		t.Fatalf("with the layer: exit %d, out %q, stderr %q", code, out, errOut)
	}
}
