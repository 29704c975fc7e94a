package crm

import (
	"context"
	"errors"
	"time"

	"threadline/backend/store"
)

// DueFollowUps returns the open follow-ups due at or before now, oldest
// due first, with the lead's name and address filled in. The reminders
// scheduler polls it and raises each (follow-up, due time) once; the CRM
// itself announces nothing, so there is one reminder mechanism.
func (s *Service) DueFollowUps(ctx context.Context, now time.Time) ([]*FollowUp, error) {
	var due []*FollowUp
	end := nanosKey(now)
	err := s.view(func(txn *store.Txn) error {
		return txn.Scan(store.Key("crmidx", "due", ""), store.ScanOptions{KeysOnly: true}, func(k, v []byte) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			parts := store.SplitKey(k)
			if parts[2] > end {
				return store.ErrStopScan
			}
			f := new(FollowUp)
			if err := getJSON(txn, "followup", parts[3], f); err != nil {
				return err
			}
			if !f.open() {
				return nil
			}
			if sm := s.proj.get(f.LeadID); sm != nil {
				f.LeadName, f.LeadEmail = sm.Name, sm.Email
			}
			due = append(due, f)
			return nil
		})
	})
	return due, err
}

// AfterSend records a message the user sent on every lead linked to its
// thread (and on leadID, when the composer named one): the timeline entry,
// the "waiting for reply" state and, when the lead's pipeline asks for it,
// the no-reply follow-up. It is idempotent by Message-ID, so running it
// again after a crash changes nothing.
func (s *Service) AfterSend(ctx context.Context, leadID string, m Mail) error {
	m.Direction = DirectionOutbound
	ids := map[string]bool{}
	var order []string
	if leadID != "" {
		ids[leadID] = true
		order = append(order, leadID)
	}
	if m.ThreadID != "" {
		leads, err := s.LeadsByThread(ctx, m.ThreadID)
		if err != nil {
			return err
		}
		for _, l := range leads {
			if !ids[l.ID] {
				ids[l.ID] = true
				order = append(order, l.ID)
			}
		}
	}
	for _, id := range order {
		if _, err := s.RecordMail(ctx, id, m); err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
	}
	return nil
}
