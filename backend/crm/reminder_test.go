package crm

import (
	"context"
	"testing"
	"time"

	"threadline/backend/events"
	"threadline/backend/store"
)

func TestRemindersAnnounceEachDueTimeOnce(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(t.TempDir(), store.Options{})
	must(t, err)
	defer st.Close()
	clock := &fakeClock{t: time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)}
	bus := events.NewBus()
	s, err := New(st, bus, Options{Now: clock.now})
	must(t, err)
	l, err := s.CreateLead(ctx, LeadInput{Email: "r@x.io", Name: "Rita"})
	must(t, err)
	start := clock.t
	for _, d := range []time.Duration{-time.Hour, 10 * time.Minute, 20 * time.Minute, 3 * time.Hour} {
		_, err := s.CreateFollowUp(ctx, FollowUpInput{LeadID: l.ID, DueAt: start.Add(d)})
		must(t, err)
	}
	done, err := s.CreateFollowUp(ctx, FollowUpInput{LeadID: l.ID, DueAt: start.Add(15 * time.Minute)})
	must(t, err)
	_, err = s.CompleteFollowUp(ctx, done.ID, nil)
	must(t, err)

	sub := bus.Subscribe(16)
	defer sub.Cancel()
	if n, err := s.announceDue(start, start.Add(15*time.Minute)); err != nil || n != 1 {
		t.Fatalf("first window: %d, %v", n, err)
	}
	if n, _ := s.announceDue(start.Add(15*time.Minute), start.Add(20*time.Minute)); n != 1 {
		t.Fatalf("second window (due exactly at its end): %d", n)
	}
	if n, _ := s.announceDue(start.Add(20*time.Minute), start.Add(time.Hour)); n != 0 {
		t.Fatalf("quiet window: %d", n)
	}
	ev := <-sub.C
	data := ev.Data.(map[string]any)
	if ev.Type != "followup.due" || data["lead_name"] != "Rita" || data["lead_id"] != l.ID {
		t.Fatalf("event %+v", ev)
	}

	// The loop itself: a due time passing while it runs is announced.
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go s.RunReminders(runCtx, 5*time.Millisecond, nil)
	time.Sleep(20 * time.Millisecond)
	for len(sub.C) > 0 {
		<-sub.C
	}
	clock.set(start.Add(4 * time.Hour))
	select {
	case ev := <-sub.C:
		if ev.Type != "followup.due" {
			t.Fatalf("event %s", ev.Type)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("RunReminders announced nothing")
	}
}
