package reminders

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"threadline/backend/events"
	"threadline/backend/store"
)

// followUps is a DueSource over an in-memory list, like the CRM's.
type followUps struct {
	mu   sync.Mutex
	list []Due
}

func (f *followUps) DueFollowUps(_ context.Context, now time.Time) ([]Due, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Due
	for _, d := range f.list {
		if !d.Due.After(now) {
			out = append(out, d)
		}
	}
	return out, nil
}

func (f *followUps) snooze(id string, to time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range f.list {
		if f.list[i].ID == id {
			f.list[i].Due = to
		}
	}
}

type countingNotifier struct {
	mu    sync.Mutex
	shown []string
	err   error
}

func (n *countingNotifier) Notify(title, body string) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.err != nil {
		return n.err
	}
	n.shown = append(n.shown, title)
	return nil
}

func TestReminderFiresOnceAcrossRestartAndAgainAfterSnooze(t *testing.T) {
	dir := t.TempDir()
	clock := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	src := &followUps{list: []Due{
		{ID: "f1", Due: clock.Add(-time.Hour), Title: "Chase Acme", LeadID: "l1"},
		{ID: "f2", Due: clock.Add(time.Hour), Title: "Call Globex"},
	}}
	notes := &countingNotifier{}
	bus := events.NewBus()
	sub := bus.Subscribe(16)
	open := func() (*store.Store, *Scheduler) {
		st, err := store.Open(dir, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return st, &Scheduler{Store: st, Bus: bus, Source: src, Notifier: notes, Now: func() time.Time { return clock }}
	}
	ctx := context.Background()

	st, s := open()
	raised, err := s.Check(ctx)
	if err != nil || len(raised) != 1 || raised[0].ID != "f1" {
		t.Fatalf("first check: %v %v", raised, err)
	}
	if raised, _ := s.Check(ctx); len(raised) != 0 {
		t.Fatalf("second check raised %v", raised)
	}
	st.Close()

	// Restart: nothing is raised again.
	st, s = open()
	defer func() { st.Close() }()
	if raised, _ := s.Check(ctx); len(raised) != 0 {
		t.Fatalf("after restart raised %v", raised)
	}
	if len(notes.shown) != 1 {
		t.Fatalf("desktop notifications %v", notes.shown)
	}
	ev := <-sub.C
	if ev.Type != EventDue || ev.Data.(Event).ID != "f1" || !ev.Data.(Event).Desktop {
		t.Fatalf("event %+v", ev)
	}

	// Snooze f1 by a day: not due now, raised once when the day has passed.
	src.snooze("f1", clock.Add(24*time.Hour))
	if raised, _ := s.Check(ctx); len(raised) != 0 {
		t.Fatalf("snoozed follow-up raised early: %v", raised)
	}
	clock = clock.Add(25 * time.Hour)
	raised, _ = s.Check(ctx)
	if len(raised) != 2 { // f1 again (new due time) and f2
		t.Fatalf("after the snooze: %v", raised)
	}
	if raised, _ := s.Check(ctx); len(raised) != 0 {
		t.Fatalf("raised twice after snooze: %v", raised)
	}
	if len(notes.shown) != 3 {
		t.Fatalf("desktop notifications %v", notes.shown)
	}
}

func TestNoNotificationServiceStillRaisesInApp(t *testing.T) {
	st, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	bus := events.NewBus()
	sub := bus.Subscribe(4)
	now := time.Now()
	s := &Scheduler{Store: st, Bus: bus, Notifier: &countingNotifier{err: errors.New("no D-Bus session")},
		Source: &followUps{list: []Due{{ID: "f1", Due: now.Add(-time.Minute), Title: "Chase"}}}}
	raised, err := s.Check(context.Background())
	if err != nil || len(raised) != 1 {
		t.Fatalf("%v %v", raised, err)
	}
	ev := (<-sub.C).Data.(Event)
	if ev.Desktop || ev.DesktopError != "no D-Bus session" {
		t.Fatalf("event %+v", ev)
	}
	if raised, _ := s.Check(context.Background()); len(raised) != 0 {
		t.Fatal("a reminder without a desktop notification was raised again")
	}
}

// TestDesktopNotifierOnThisMachine exercises the real library: on a desktop
// it shows a notification, on a headless machine it must fail cleanly.
func TestDesktopNotifierOnThisMachine(t *testing.T) {
	done := make(chan error, 1)
	go func() { done <- DesktopNotifier{}.Notify("Threadline test", "reminder test") }()
	select {
	case err := <-done:
		t.Logf("desktop notification: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("the desktop notifier hung")
	}
}

func TestOldMarkersArePruned(t *testing.T) {
	st, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Now()
	old := now.Add(-keepMarkers - time.Hour)
	s := &Scheduler{Store: st, Source: &followUps{list: []Due{{ID: "f1", Due: old}, {ID: "f2", Due: now.Add(-time.Hour)}}}}
	if _, err := s.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
	st.View(func(txn *store.Txn) error {
		if ok, _ := txn.Has(markerKey("f1", old)); ok {
			t.Error("old marker kept")
		}
		if ok, _ := txn.Has(markerKey("f2", now.Add(-time.Hour))); !ok {
			t.Error("recent marker pruned")
		}
		return nil
	})
}
