package cli

import (
	"bytes"
	"strings"
	"testing"

	"threadline/backend/store"
)

func TestCRMCheck(t *testing.T) {
	dir := t.TempDir()
	var out, errOut bytes.Buffer
	env := Env{Stdout: &out, Stderr: &errOut}
	if code := Main([]string{"crm-check", "--data", dir}, env); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if !strings.Contains(out.String(), "agree") || !strings.Contains(out.String(), "(0 leads)") {
		t.Fatalf("output %q", out.String())
	}
	// While another process (here: this one) holds the store, it says so.
	st, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	errOut.Reset()
	if code := Main([]string{"crm-check", "--data", dir}, env); code != 1 || !strings.Contains(errOut.String(), store.ErrAlreadyRunning.Error()) {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
}
