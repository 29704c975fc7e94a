package layerstore_test

import (
	"fmt"
	"strings"
	"testing"

	"threadline/backend/capture"
	"threadline/backend/capture/layerstore"
	"threadline/backend/store"
)

var owner = capture.Owner{Addresses: []string{"sam@brightpath.io"}, KnownContact: func(string) bool { return false }}

// inquiry is a lead-like message from a sender at domain.
func inquiry(n int, domain, ask string) []byte {
	return []byte(strings.ReplaceAll(fmt.Sprintf(`From: Pat Lee <pat%d@%s>
To: sam@brightpath.io
Subject: Question %d
Message-ID: <m%d@%s>

Hi Sam,

%s

Pat
`, n, domain, n, n, domain, ask), "\n", "\r\n"))
}

func open(t *testing.T, dir string) (*store.Store, *capture.Classifier, *capture.Learner) {
	t.Helper()
	st, err := store.Open(dir, store.Options{})
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
	return st, c, l
}

// Dismissing a sender's inquiries lowers the score of the next message from
// the same organisation, and the lesson survives a restart.
func TestDismissPersistsAndGeneralisesToSender(t *testing.T) {
	dir := t.TempDir()
	st, c, l := open(t, dir)
	next := inquiry(9, "mail.resellers-united.com", "We'd like to get your pricing for 40 seats and see a demo next week.")
	before := c.Classify(next, owner)
	if before.Label != capture.Lead {
		t.Fatalf("baseline: %+v", before)
	}
	for i := 0; i < 2; i++ {
		raw := inquiry(i, "resellers-united.com", "Could you send me a quote for your software? We need it for our team.")
		if _, err := l.Learn(raw, owner, false); err != nil {
			t.Fatal(err)
		}
	}
	after := c.Classify(next, owner)
	if after.Score >= before.Score-0.2 {
		t.Fatalf("score of the next message from the dismissed sender went %.3f -> %.3f; want a clear drop", before.Score, after.Score)
	}
	found := false
	for _, r := range after.Reasons {
		if strings.Contains(r.Text, "dismissed mail from this sender") {
			found = true
		}
	}
	if !found {
		t.Errorf("reasons %v do not mention the dismissed sender", after.Reasons)
	}
	// Other senders are affected far less.
	other := inquiry(10, "harborlight.com", "We'd like to get your pricing for 40 seats and see a demo next week.")
	if o := c.Classify(other, owner); o.Label != capture.Lead {
		t.Errorf("an unrelated sender's inquiry fell to %+v", o)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	st2, c2, _ := open(t, dir)
	defer st2.Close()
	if again := c2.Classify(next, owner); again.Score != after.Score {
		t.Fatalf("after reopening the store the score is %.4f, before closing it was %.4f", again.Score, after.Score)
	}
}

func TestCorrectionIsIdempotentAndReversible(t *testing.T) {
	st, c, l := open(t, t.TempDir())
	defer st.Close()
	raw := inquiry(1, "acme-tools.com", "Do you offer a free trial? What does it cost for 12 users?")
	r1, err := l.Learn(raw, owner, false)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := l.Learn(raw, owner, false)
	if err != nil {
		t.Fatal(err)
	}
	if r1.Score != r2.Score {
		t.Fatalf("learning the same dismissal twice moved the score %.4f -> %.4f", r1.Score, r2.Score)
	}
	if r1.Label != capture.NotLead {
		t.Fatalf("dismissed message still a lead: %+v", r1)
	}
	r3, err := l.Learn(raw, owner, true)
	if err != nil {
		t.Fatal(err)
	}
	if r3.Label != capture.Lead || c.Classify(raw, owner).Label != capture.Lead {
		t.Fatalf("converting after dismissing left %+v", r3)
	}
	lead, ok, err := layerstore.New(st).Correction(capture.MessageKey(raw))
	if err != nil || !ok || !lead {
		t.Fatalf("stored correction: lead=%v ok=%v err=%v", lead, ok, err)
	}
}

// Dismissing someone at a free-mail provider must not mark down everyone
// else who writes from it.
func TestFreeMailDomainIsNotPenalised(t *testing.T) {
	st, c, l := open(t, t.TempDir())
	defer st.Close()
	ask := "We'd like to get your pricing for 40 seats and see a demo next week."
	other := inquiry(5, "gmail.com", ask)
	before := c.Classify(other, owner)
	if _, err := l.Learn(inquiry(1, "gmail.com", "Can you send me a quote for a website?"), owner, false); err != nil {
		t.Fatal(err)
	}
	after := c.Classify(other, owner)
	if after.Label != capture.Lead || before.Score-after.Score > 0.05 {
		t.Fatalf("another gmail.com sender went %.3f -> %.3f (%s)", before.Score, after.Score, after.Label)
	}
}

// Scoring goes on while corrections are learned.
func TestConcurrentClassifyAndLearn(t *testing.T) {
	st, c, l := open(t, t.TempDir())
	defer st.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 200; i++ {
			c.Classify(inquiry(i, "example.com", "Could you send pricing?"), owner)
		}
	}()
	for i := 0; i < 20; i++ {
		if _, err := l.Learn(inquiry(i, fmt.Sprintf("d%d.com", i), "We need a quote for 10 seats."), owner, i%2 == 0); err != nil {
			t.Fatal(err)
		}
	}
	<-done
}
