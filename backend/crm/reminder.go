package crm

import (
	"context"
	"log/slog"
	"time"

	"threadline/backend/store"
)

// RunReminders publishes a "followup.due" event each time an open
// follow-up's due time passes, checking every interval until ctx ends. Only
// times that pass while it runs are announced: follow-ups already overdue
// at start are on the overdue list, not news.
func (s *Service) RunReminders(ctx context.Context, interval time.Duration, log *slog.Logger) {
	last := s.clock()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := s.clock()
		if _, err := s.announceDue(last, now); err != nil {
			if log != nil {
				log.Warn("follow-up reminders failed; retrying at the next tick", "err", err)
			}
			continue
		}
		last = now
	}
}

// announceDue publishes followup.due for open follow-ups due in (from, to].
func (s *Service) announceDue(from, to time.Time) (int, error) {
	var due []*FollowUp
	after := store.Key("crmidx", "due", nanosKey(from), "\xff")
	end := nanosKey(to)
	err := s.view(func(txn *store.Txn) error {
		return txn.Scan(store.Key("crmidx", "due", ""), store.ScanOptions{KeysOnly: true, After: after}, func(k, v []byte) error {
			parts := store.SplitKey(k)
			if parts[2] > end {
				return store.ErrStopScan
			}
			f := new(FollowUp)
			if err := getJSON(txn, "followup", parts[3], f); err != nil {
				return err
			}
			if sm := s.proj.get(f.LeadID); sm != nil {
				f.LeadName, f.LeadEmail = sm.Name, sm.Email
			}
			due = append(due, f)
			return nil
		})
	})
	if err != nil {
		return 0, err
	}
	for _, f := range due {
		ev := followUpEvent(f)
		ev["note"], ev["kind"], ev["lead_name"], ev["lead_email"] = f.Note, f.Kind, f.LeadName, f.LeadEmail
		s.bus.Publish("followup.due", ev)
	}
	return len(due), nil
}
