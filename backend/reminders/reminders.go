// Package reminders raises due follow-ups: a desktop notification and a
// "reminder.due" event for the in-app badge, exactly once per follow-up and
// due time, across restarts. Snoozing or rescheduling gives a follow-up a
// new due time, which is raised once more when it comes.
//
// Once means: the "fired" marker is committed before the notification is
// shown. If the process dies between the two, that one notification is
// lost rather than shown twice; the follow-up itself still shows as due in
// the app, which reads due follow-ups from the CRM, not from these events.
//
// # Key layout
//
//	reminder␀fired␀<follow-up id>␀<due, Unix ns, 20 digits>  Fired (JSON)
package reminders

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/gen2brain/beeep"

	"threadline/backend/events"
	"threadline/backend/store"
)

// Due is a follow-up whose time has come.
type Due struct {
	ID       string    `json:"id"`
	Due      time.Time `json:"due"`
	Title    string    `json:"title"`
	Body     string    `json:"body,omitempty"`
	LeadID   string    `json:"lead_id,omitempty"`
	ThreadID string    `json:"thread_id,omitempty"`
}

// DueSource lists open follow-ups due at or before now. The CRM package's
// follow-up store implements it.
type DueSource interface {
	DueFollowUps(ctx context.Context, now time.Time) ([]Due, error)
}

// Notifier shows a desktop notification.
type Notifier interface {
	Notify(title, body string) error
}

// DesktopNotifier uses the platform's notification service through beeep
// (D-Bus or notify-send on Linux, Notification Center on macOS, toast on
// Windows).
type DesktopNotifier struct{}

func (DesktopNotifier) Notify(title, body string) error {
	beeep.AppName = "Threadline"
	return beeep.Notify(title, body, "")
}

// Fired records that a reminder was raised.
type Fired struct {
	FiredAt time.Time `json:"fired_at"`
}

// Event is the data of a "reminder.due" event.
type Event struct {
	Due
	// Desktop tells whether the desktop notification was shown; when not,
	// DesktopError says why (on a machine without a notification service
	// the reminder still counts as raised, in the app).
	Desktop      bool   `json:"desktop"`
	DesktopError string `json:"desktop_error,omitempty"`
	// DueNow is how many follow-ups are due at this moment, this one
	// included: the number on the in-app badge.
	DueNow int `json:"due_now"`
}

// EventDue is the bus event type.
const EventDue = "reminder.due"

// keepMarkers is how long fired markers are kept after their due time; a
// follow-up due that long ago is not reported as due again by any sane
// source, and if it were, one more reminder is harmless.
const keepMarkers = 180 * 24 * time.Hour

// Scheduler checks for due follow-ups periodically.
type Scheduler struct {
	Store    *store.Store
	Bus      *events.Bus
	Source   DueSource
	Notifier Notifier // nil: in-app only
	Logger   *slog.Logger
	Interval time.Duration // default 30 s
	Now      func() time.Time

	mu     sync.Mutex
	kick   chan struct{}
	cancel context.CancelFunc
	done   chan struct{}
}

func markerKey(id string, due time.Time) []byte {
	return store.Key("reminder", "fired", id, fmt.Sprintf("%020d", due.UnixNano()))
}

func (s *Scheduler) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Scheduler) log() *slog.Logger {
	if s.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Logger
}

// Check raises every due follow-up that has not been raised for its due
// time, and returns those it raised.
func (s *Scheduler) Check(ctx context.Context) ([]Due, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	due, err := s.Source.DueFollowUps(ctx, now)
	if err != nil {
		return nil, fmt.Errorf("list due follow-ups: %w", err)
	}
	dueNow := 0
	for _, d := range due {
		if !d.Due.After(now) {
			dueNow++
		}
	}
	var raised []Due
	for _, d := range due {
		if d.Due.After(now) {
			continue
		}
		first := false
		err := s.Store.Update(func(txn *store.Txn) error {
			first = false
			k := markerKey(d.ID, d.Due)
			ok, err := txn.Has(k)
			if err != nil || ok {
				return err
			}
			first = true
			return txn.SetJSON(k, Fired{FiredAt: now.UTC()})
		})
		if err != nil {
			return raised, err
		}
		if !first {
			continue
		}
		ev := Event{Due: d, DueNow: dueNow}
		if s.Notifier != nil {
			if err := notifyWithin(s.Notifier, d.Title, d.Body, notifyTimeout); err != nil {
				s.log().Info("reminders: no desktop notification; the reminder is shown in the app", "id", d.ID, "err", err)
				ev.DesktopError = err.Error()
			} else {
				ev.Desktop = true
			}
		}
		if s.Bus != nil {
			s.Bus.Publish(EventDue, ev)
		}
		raised = append(raised, d)
	}
	return raised, s.prune(now)
}

// notifyTimeout bounds a desktop notification: a hung notification daemon
// must not hold up the reminders after it.
const notifyTimeout = 10 * time.Second

func notifyWithin(n Notifier, title, body string, d time.Duration) error {
	done := make(chan error, 1)
	go func() { done <- n.Notify(title, body) }()
	select {
	case err := <-done:
		return err
	case <-time.After(d):
		return fmt.Errorf("the desktop notification service did not answer within %v", d)
	}
}

// prune deletes markers whose due time is long past.
func (s *Scheduler) prune(now time.Time) error {
	cutoff := now.Add(-keepMarkers).UnixNano()
	var old [][]byte
	err := s.Store.View(func(txn *store.Txn) error {
		return txn.Scan(store.Key("reminder", "fired", ""), store.ScanOptions{KeysOnly: true}, func(k, _ []byte) error {
			parts := store.SplitKey(k)
			ns, err := strconv.ParseInt(parts[len(parts)-1], 10, 64)
			if err == nil && ns < cutoff {
				old = append(old, append([]byte(nil), k...))
			}
			return nil
		})
	})
	if err != nil || len(old) == 0 {
		return err
	}
	return s.Store.Update(func(txn *store.Txn) error {
		for _, k := range old {
			if err := txn.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
}

// Start checks now and then every Interval until Stop.
func (s *Scheduler) Start(ctx context.Context) {
	if s.Interval == 0 {
		s.Interval = 30 * time.Second
	}
	s.kick = make(chan struct{}, 1)
	ctx, s.cancel = context.WithCancel(ctx)
	s.done = make(chan struct{})
	go func() {
		defer close(s.done)
		t := time.NewTicker(s.Interval)
		defer t.Stop()
		for {
			if _, err := s.Check(ctx); err != nil && !errors.Is(err, context.Canceled) {
				s.log().Error("reminders: check failed", "err", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			case <-s.kick:
			}
		}
	}()
}

// Kick makes the scheduler check now, e.g. after a follow-up was snoozed.
func (s *Scheduler) Kick() {
	if s.kick == nil {
		return
	}
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// Stop ends the background checks.
func (s *Scheduler) Stop() {
	if s.cancel != nil {
		s.cancel()
		<-s.done
	}
}
