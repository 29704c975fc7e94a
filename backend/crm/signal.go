package crm

import (
	"context"
	"time"

	"threadline/backend/store"
)

// DismissedSignal records that the user dismissed the "this thread looks
// like a lead" suggestion for a thread, so it is not offered again.
type DismissedSignal struct {
	ThreadID    string    `json:"thread_id"`
	DismissedAt time.Time `json:"dismissed_at"`
}

// DismissSignal dismisses a thread's lead suggestion; again is a no-op.
func (s *Service) DismissSignal(ctx context.Context, threadID string) (*DismissedSignal, error) {
	if err := checkThreadID("thread", threadID); err != nil {
		return nil, err
	}
	d := &DismissedSignal{ThreadID: threadID}
	err := s.update(func(t *tx) error {
		if err := t.GetJSON(store.Key("signal", threadID), d); err == nil {
			return nil
		}
		d.DismissedAt = t.now
		t.publish("signal.dismissed", map[string]string{"thread_id": threadID})
		return t.SetJSON(store.Key("signal", threadID), d)
	})
	return d, err
}

// UndismissSignal forgets a dismissal.
func (s *Service) UndismissSignal(ctx context.Context, threadID string) error {
	return s.update(func(t *tx) error { return t.Delete(store.Key("signal", threadID)) })
}

// IsDismissed reports whether a thread's suggestion was dismissed.
func (s *Service) IsDismissed(ctx context.Context, threadID string) (bool, error) {
	var ok bool
	err := s.view(func(txn *store.Txn) error {
		var err error
		ok, err = txn.Has(store.Key("signal", threadID))
		return err
	})
	return ok, err
}

// DismissedSignals lists every dismissal.
func (s *Service) DismissedSignals(ctx context.Context) ([]*DismissedSignal, error) {
	out := []*DismissedSignal{}
	err := s.view(func(txn *store.Txn) error {
		return scanJSON(txn, store.Key("signal", ""), func(d *DismissedSignal) error {
			out = append(out, d)
			return nil
		})
	})
	return out, err
}
