package crm

import (
	"context"
	"testing"
	"time"

	"threadline/backend/events"
	"threadline/backend/store"
)

// A reply whose Date header (whole seconds) falls in the same second as
// the exact send time it answers is still the newest message.
func TestReplyInTheSameSecondIsTheLastMessage(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(t.TempDir(), store.Options{})
	must(t, err)
	defer st.Close()
	s, err := New(st, events.NewBus(), Options{})
	must(t, err)
	l, err := s.CreateLead(ctx, LeadInput{Email: "b@buyer.test", Name: "Bob"})
	must(t, err)
	sent := time.Date(2026, 11, 21, 7, 57, 47, 843_000_000, time.UTC)
	_, err = s.RecordMail(ctx, l.ID, Mail{ThreadID: "t1", MessageID: "out@x", Direction: DirectionOutbound, At: sent})
	must(t, err)
	l, err = s.RecordMail(ctx, l.ID, Mail{ThreadID: "t1", MessageID: "in@x", Direction: DirectionInbound, At: sent.Truncate(time.Second)})
	must(t, err)
	if l.LastMessageDirection != DirectionInbound {
		t.Fatalf("last direction %q; want inbound", l.LastMessageDirection)
	}
	if !l.LastActivityAt.Equal(sent) {
		t.Fatalf("last activity %v; want it to stay at %v", l.LastActivityAt, sent)
	}
	// Mail from an earlier second is history and changes neither.
	l, err = s.RecordMail(ctx, l.ID, Mail{ThreadID: "t1", MessageID: "old@x", Direction: DirectionOutbound, At: sent.Add(-time.Minute)})
	must(t, err)
	if l.LastMessageDirection != DirectionInbound {
		t.Fatalf("older mail changed the last direction to %q", l.LastMessageDirection)
	}
}
