package outbox

import (
	"context"
	"errors"
	"testing"
	"time"
)

type recorder struct {
	threads, followUps, appends int
	failAppend                  int // fail this many appends first
}

func (r *recorder) RecordSent(context.Context, Item, []byte) error { r.threads++; return nil }
func (r *recorder) AfterSend(context.Context, Item) error          { r.followUps++; return nil }
func (r *recorder) AppendSent(context.Context, string, []byte, time.Time) error {
	if r.failAppend > 0 {
		r.failAppend--
		return errors.New("IMAP server unreachable")
	}
	r.appends++
	return nil
}

// TestAfterSendRerunsUntilDone: a failed APPEND leaves the hook pending;
// the next pass reruns it, and the message itself is not sent again.
func TestAfterSendRerunsUntilDone(t *testing.T) {
	srv := startSMTP(t, "")
	st := openStore(t, t.TempDir())
	defer st.Close()
	o := New(st, nil)
	rec := &recorder{failAppend: 1}
	s := &Sender{Outbox: o, Transport: &SMTPTransport{Accounts: staticAccounts{"acct1": loopbackSettings(srv.Port)}},
		OnSent: AfterSend{Threads: rec, FollowUps: rec, Sent: rec}.Hook()}
	it := enqueue(t, o, testDraft())
	s.RunDue(context.Background())
	got, _ := o.Get(it.ID)
	if got.State != StateSent || got.PostSentDone || rec.threads != 1 || rec.followUps != 1 || rec.appends != 0 {
		t.Fatalf("after the first pass: %+v %+v", got, rec)
	}
	s.RunDue(context.Background())
	got, _ = o.Get(it.ID)
	if !got.PostSentDone || rec.appends != 1 || rec.threads != 2 {
		t.Fatalf("after the second pass: %+v %+v", got, rec)
	}
	s.RunDue(context.Background())
	if rec.appends != 1 || rec.threads != 2 || len(srv.messages()) != 1 {
		t.Fatalf("after the third pass: %+v, %d messages", rec, len(srv.messages()))
	}
}
