package engine

import (
	"io"
	"log/slog"
	"testing"

	"threadline/backend/capture"
)

// The engine's learner persists through the store: a dismissal made in
// one run lowers the score in the next.
func TestEngineCaptureLearnsAcrossRestarts(t *testing.T) {
	dir := t.TempDir()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	raw := []byte("From: Gina Holt <gina@holtplumbing.com>\r\nTo: sam@brightpath.io\r\nSubject: Pricing\r\nMessage-ID: <1@holtplumbing.com>\r\n\r\nCould you send me your pricing for 14 plumbers and set up a demo?\r\n")
	owner := capture.Owner{Addresses: []string{"sam@brightpath.io"}}

	e, err := Open(dir, log)
	if err != nil {
		t.Fatal(err)
	}
	before := e.Capture.Classify(raw, owner)
	if _, err := e.Learner.Learn(raw, owner, false); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}

	e, err = Open(dir, log)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	after := e.Capture.Classify(raw, owner)
	if before.Label != capture.Lead || after.Label != capture.NotLead {
		t.Fatalf("before %s %.3f, after restart %s %.3f", before.Label, before.Score, after.Label, after.Score)
	}
}
