package crm

import (
	"context"
	"encoding/base64"
	"slices"
	"strings"
	"time"

	"threadline/backend/store"
)

// Follow-up kinds and states. Pending and snoozed follow-ups are open: they
// sit in the due index and count for the lead's next_follow_up_at.
const (
	FollowUpManual  = "manual"
	FollowUpNoReply = "no_reply"

	FollowUpPending   = "pending"
	FollowUpDone      = "done"
	FollowUpSnoozed   = "snoozed"
	FollowUpCancelled = "cancelled"
)

// FollowUp is a reminder to get back to a lead.
type FollowUp struct {
	ID        string     `json:"id"`
	Version   int        `json:"version"`
	LeadID    string     `json:"lead_id"`
	ThreadID  string     `json:"thread_id"`
	Mailbox   string     `json:"mailbox"`
	DueAt     time.Time  `json:"due_at"`
	Kind      string     `json:"kind"`
	Note      string     `json:"note"`
	State     string     `json:"state"`
	DoneAt    *time.Time `json:"done_at"`
	CreatedAt time.Time  `json:"created_at"`
	UpdatedAt time.Time  `json:"updated_at"`

	// Filled on lists only.
	LeadName  string `json:"lead_name,omitempty"`
	LeadEmail string `json:"lead_email,omitempty"`
}

func (f *FollowUp) open() bool { return f.State == FollowUpPending || f.State == FollowUpSnoozed }

// FollowUpInput creates a follow-up.
type FollowUpInput struct {
	LeadID   string    `json:"-"`
	ThreadID string    `json:"thread_id"`
	Mailbox  string    `json:"mailbox"`
	DueAt    time.Time `json:"due_at"`
	Kind     string    `json:"kind"`
	Note     string    `json:"note"`
	Actor    string    `json:"-"`
}

// FollowUpPatch changes a follow-up; State may only become cancelled or
// pending (completing and snoozing have their own calls).
type FollowUpPatch struct {
	Version *int       `json:"version"`
	DueAt   *time.Time `json:"due_at"`
	Note    *string    `json:"note"`
	State   *string    `json:"state"`
}

func followUpIndexKeys(f *FollowUp) [][]byte {
	keys := [][]byte{store.Key("crmidx", "leadfu", f.LeadID, f.ID)}
	if f.ThreadID != "" {
		keys = append(keys, store.Key("crmidx", "threadfu", f.ThreadID, f.ID))
	}
	if f.open() {
		keys = append(keys, store.Key("crmidx", "due", nanosKey(f.DueAt), f.ID))
	}
	return keys
}

func (t *tx) putFollowUp(old, f *FollowUp) error {
	if old == nil {
		f.Version = 1
		f.CreatedAt = t.now
	} else {
		f.Version = old.Version + 1
		for _, k := range followUpIndexKeys(old) {
			if err := t.Delete(k); err != nil {
				return err
			}
		}
	}
	f.UpdatedAt = t.now
	f.LeadName, f.LeadEmail = "", ""
	for _, k := range followUpIndexKeys(f) {
		if err := t.Set(k, nil); err != nil {
			return err
		}
	}
	return t.SetJSON(store.Key("followup", f.ID), f)
}

// nextFollowUp is the earliest due time of a lead's open follow-ups.
func nextFollowUp(txn *store.Txn, leadID string) (*time.Time, error) {
	var next *time.Time
	err := txn.Scan(store.Key("crmidx", "leadfu", leadID, ""), store.ScanOptions{KeysOnly: true}, func(k, v []byte) error {
		parts := store.SplitKey(k)
		f := new(FollowUp)
		if err := getJSON(txn, "followup", parts[len(parts)-1], f); err != nil {
			return err
		}
		if f.open() && (next == nil || f.DueAt.Before(*next)) {
			d := f.DueAt
			next = &d
		}
		return nil
	})
	return next, err
}

func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

// syncLead refreshes a lead's next_follow_up_at after its follow-ups
// changed. inflight is a lead the caller is about to write itself (it is
// updated in place); any other lead is written here.
func (t *tx) syncLead(leadID string, inflight *Lead) error {
	next, err := nextFollowUp(t.Txn, leadID)
	if err != nil {
		return err
	}
	if inflight != nil && inflight.ID == leadID {
		inflight.NextFollowUpAt = next
		return nil
	}
	old, err := t.lead(leadID)
	if err != nil {
		return err
	}
	if sameTime(old.NextFollowUpAt, next) {
		return nil
	}
	l := old.clone()
	l.NextFollowUpAt = next
	return t.putLead(old, l)
}

func (t *tx) createFollowUp(in FollowUpInput, inflight *Lead) (*FollowUp, error) {
	if in.DueAt.IsZero() {
		return nil, fieldErr("due_at", "say when the follow-up is due")
	}
	switch in.Kind {
	case "":
		in.Kind = FollowUpManual
	case FollowUpManual, FollowUpNoReply:
	default:
		return nil, fieldErr("kind", "kind must be manual or no_reply, not %q", in.Kind)
	}
	note, err := checkText("note", in.Note, 2000)
	if err != nil {
		return nil, err
	}
	if in.ThreadID != "" {
		if err := checkThreadID("thread_id", in.ThreadID); err != nil {
			return nil, err
		}
	}
	if in.Mailbox != "" {
		if in.Mailbox, err = NormalizeEmail(in.Mailbox); err != nil {
			return nil, fieldErr("mailbox", "%v", err)
		}
	}
	if inflight == nil || inflight.ID != in.LeadID {
		if ok, err := t.Has(store.Key("lead", in.LeadID)); err != nil || !ok {
			if err == nil {
				err = notFound("lead", in.LeadID)
			}
			return nil, err
		}
	}
	f := &FollowUp{ID: store.NewID(), LeadID: in.LeadID, ThreadID: in.ThreadID, Mailbox: in.Mailbox,
		DueAt: in.DueAt.UTC(), Kind: in.Kind, Note: note, State: FollowUpPending}
	if err := t.putFollowUp(nil, f); err != nil {
		return nil, err
	}
	if err := t.activity(f.LeadID, Activity{Type: ActFollowUpMade, Actor: actorOr(in.Actor), FollowUpID: f.ID, ThreadID: f.ThreadID, Text: note, New: f.DueAt}); err != nil {
		return nil, err
	}
	t.publish("followup.created", followUpEvent(f))
	return f, t.syncLead(f.LeadID, inflight)
}

func followUpEvent(f *FollowUp) map[string]any {
	return map[string]any{"follow_up_id": f.ID, "lead_id": f.LeadID, "thread_id": f.ThreadID, "state": f.State, "due_at": f.DueAt}
}

// CreateFollowUp schedules a reminder on a lead.
func (s *Service) CreateFollowUp(ctx context.Context, in FollowUpInput) (*FollowUp, error) {
	var f *FollowUp
	err := s.update(func(t *tx) error {
		var err error
		f, err = t.createFollowUp(in, nil)
		return err
	})
	return f, err
}

// FollowUp returns one follow-up.
func (s *Service) FollowUp(ctx context.Context, id string) (*FollowUp, error) {
	f := new(FollowUp)
	err := s.view(func(txn *store.Txn) error { return getJSON(txn, "followup", id, f) })
	return f, err
}

func (s *Service) modifyFollowUp(id string, version *int, fn func(t *tx, f *FollowUp) (bool, error)) (*FollowUp, error) {
	var out *FollowUp
	err := s.update(func(t *tx) error {
		old := new(FollowUp)
		if err := getJSON(t.Txn, "followup", id, old); err != nil {
			return err
		}
		if err := checkVersion("follow-up", id, version, old.Version); err != nil {
			return err
		}
		f := *old
		out = &f
		changed, err := fn(t, &f)
		if err != nil || !changed {
			out = old
			return err
		}
		if err := t.putFollowUp(old, &f); err != nil {
			return err
		}
		t.publish("followup.updated", followUpEvent(&f))
		return t.syncLead(f.LeadID, nil)
	})
	return out, err
}

// CompleteFollowUp marks a follow-up done.
func (s *Service) CompleteFollowUp(ctx context.Context, id string, version *int) (*FollowUp, error) {
	return s.modifyFollowUp(id, version, func(t *tx, f *FollowUp) (bool, error) {
		if f.State == FollowUpDone {
			return false, nil
		}
		if f.State == FollowUpCancelled {
			return false, ruleErr("state", "the follow-up was cancelled; it cannot be completed")
		}
		f.State = FollowUpDone
		f.DoneAt = &t.now
		return true, t.activity(f.LeadID, Activity{Type: ActFollowUpDone, Actor: ActorYou, FollowUpID: f.ID, ThreadID: f.ThreadID, Text: f.Note})
	})
}

// SnoozeFollowUp moves an open follow-up to a later time.
func (s *Service) SnoozeFollowUp(ctx context.Context, id string, until time.Time, version *int) (*FollowUp, error) {
	if until.IsZero() {
		return nil, fieldErr("until", "say until when to snooze")
	}
	return s.modifyFollowUp(id, version, func(t *tx, f *FollowUp) (bool, error) {
		if !f.open() {
			return false, ruleErr("state", "only an open follow-up can be snoozed; this one is %s", f.State)
		}
		if !until.After(t.now) {
			return false, ruleErr("until", "snooze until a time in the future")
		}
		f.State = FollowUpSnoozed
		f.DueAt = until.UTC()
		return true, t.activity(f.LeadID, Activity{Type: ActFollowUpMoved, Actor: ActorYou, FollowUpID: f.ID, New: f.DueAt})
	})
}

// UpdateFollowUp changes a follow-up's due time or note, cancels it, or
// reopens a done or cancelled one (state "pending").
func (s *Service) UpdateFollowUp(ctx context.Context, id string, in FollowUpPatch) (*FollowUp, error) {
	return s.modifyFollowUp(id, in.Version, func(t *tx, f *FollowUp) (bool, error) {
		changed := false
		if in.Note != nil {
			n, err := checkText("note", *in.Note, 2000)
			if err != nil {
				return false, err
			}
			changed = changed || n != f.Note
			f.Note = n
		}
		if in.DueAt != nil {
			if in.DueAt.IsZero() {
				return false, fieldErr("due_at", "due_at cannot be empty")
			}
			changed = changed || !in.DueAt.Equal(f.DueAt)
			f.DueAt = in.DueAt.UTC()
		}
		if in.State != nil && *in.State != f.State {
			switch *in.State {
			case FollowUpCancelled:
				if err := t.activity(f.LeadID, Activity{Type: ActFollowUpGone, Actor: ActorYou, FollowUpID: f.ID}); err != nil {
					return false, err
				}
			case FollowUpPending:
				f.DoneAt = nil
			case FollowUpDone, FollowUpSnoozed:
				return false, fieldErr("state", "use .../complete or .../snooze for %s", *in.State)
			default:
				return false, fieldErr("state", "state must be pending or cancelled, not %q", *in.State)
			}
			f.State = *in.State
			changed = true
		}
		return changed, nil
	})
}

// ensureNoReply makes sure the lead has one open no-reply follow-up on the
// thread, due at due: the latest outgoing message restarts the wait.
func (t *tx) ensureNoReply(l *Lead, threadID string, due time.Time) error {
	var existing *FollowUp
	err := t.Scan(store.Key("crmidx", "threadfu", threadID, ""), store.ScanOptions{KeysOnly: true}, func(k, v []byte) error {
		parts := store.SplitKey(k)
		f := new(FollowUp)
		if err := getJSON(t.Txn, "followup", parts[len(parts)-1], f); err != nil {
			return err
		}
		if f.LeadID == l.ID && f.Kind == FollowUpNoReply && f.open() {
			existing = f
			return store.ErrStopScan
		}
		return nil
	})
	if err != nil {
		return err
	}
	if existing == nil {
		_, err := t.createFollowUp(FollowUpInput{LeadID: l.ID, ThreadID: threadID, Mailbox: l.Mailbox, DueAt: due,
			Kind: FollowUpNoReply, Actor: ActorSystem, Note: "No reply yet"}, l)
		return err
	}
	if !due.After(existing.DueAt) {
		return nil
	}
	f := *existing
	f.DueAt = due
	if err := t.putFollowUp(existing, &f); err != nil {
		return err
	}
	return t.syncLead(l.ID, l)
}

// cancelNoReply cancels the open no-reply follow-ups on a thread: the
// other side answered.
func (t *tx) cancelNoReply(threadID string, inflight *Lead) (int, error) {
	var open []*FollowUp
	err := t.Scan(store.Key("crmidx", "threadfu", threadID, ""), store.ScanOptions{KeysOnly: true}, func(k, v []byte) error {
		parts := store.SplitKey(k)
		f := new(FollowUp)
		if err := getJSON(t.Txn, "followup", parts[len(parts)-1], f); err != nil {
			return err
		}
		if f.Kind == FollowUpNoReply && f.open() {
			open = append(open, f)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	leads := map[string]bool{}
	for _, old := range open {
		f := *old
		f.State = FollowUpCancelled
		if err := t.putFollowUp(old, &f); err != nil {
			return 0, err
		}
		if err := t.activity(f.LeadID, Activity{Type: ActFollowUpGone, Actor: ActorSystem, FollowUpID: f.ID, ThreadID: threadID, Text: "reply received"}); err != nil {
			return 0, err
		}
		t.publish("followup.cancelled", followUpEvent(&f))
		leads[f.LeadID] = true
	}
	for id := range leads {
		if err := t.syncLead(id, inflight); err != nil {
			return 0, err
		}
	}
	return len(open), nil
}

// CancelNoReplyFollowUps cancels every open no-reply follow-up on a
// thread; the mail sync calls it when a reply arrives.
func (s *Service) CancelNoReplyFollowUps(ctx context.Context, threadID string) (int, error) {
	n := 0
	err := s.update(func(t *tx) error {
		var err error
		n, err = t.cancelNoReply(threadID, nil)
		return err
	})
	return n, err
}

// FollowUpQuery selects follow-ups. Due is "overdue" (due before now),
// "today" (due from now to the end of the local day), "upcoming" (after
// today) or "" (every open one), all in due order. LeadID lists one lead's
// follow-ups in every state instead.
type FollowUpQuery struct {
	Due    string
	LeadID string
	Limit  int
	Cursor string
}

// FollowUpPage is one page of follow-ups.
type FollowUpPage struct {
	Items      []*FollowUp `json:"items"`
	NextCursor string      `json:"next_cursor"`
}

// FollowUps lists follow-ups.
func (s *Service) FollowUps(ctx context.Context, q FollowUpQuery) (*FollowUpPage, error) {
	if q.Limit == 0 {
		q.Limit = 100
	}
	if q.Limit < 1 || q.Limit > 500 {
		return nil, fieldErr("limit", "limit must be between 1 and 500")
	}
	now := s.clock()
	_, endOfDay := dayBounds(now)
	var from, to time.Time // to exclusive; zero = unbounded
	switch q.Due {
	case "":
	case "overdue":
		to = now
	case "today":
		from, to = now, endOfDay
	case "upcoming":
		from = endOfDay
	default:
		return nil, fieldErr("due", "due must be overdue, today or upcoming, not %q", q.Due)
	}
	prefix := store.Key("crmidx", "due", "")
	if q.LeadID != "" {
		prefix = store.Key("crmidx", "leadfu", q.LeadID, "")
	}
	var after []byte
	if q.Cursor != "" {
		raw, err := base64.RawURLEncoding.DecodeString(q.Cursor)
		if err != nil || !strings.HasPrefix(string(raw), string(prefix)) {
			return nil, fieldErr("cursor", "the cursor is not one this list handed out")
		}
		after = raw
	} else if !from.IsZero() && q.LeadID == "" {
		after = store.Key("crmidx", "due", nanosKey(from))
	}
	out := &FollowUpPage{Items: []*FollowUp{}}
	err := s.view(func(txn *store.Txn) error {
		if q.LeadID != "" {
			if ok, err := txn.Has(store.Key("lead", q.LeadID)); err != nil || !ok {
				if err == nil {
					err = notFound("lead", q.LeadID)
				}
				return err
			}
		}
		return txn.Scan(prefix, store.ScanOptions{KeysOnly: true, After: after}, func(k, v []byte) error {
			parts := store.SplitKey(k)
			f := new(FollowUp)
			if err := getJSON(txn, "followup", parts[len(parts)-1], f); err != nil {
				return err
			}
			if q.LeadID != "" && q.Due != "" {
				if !f.open() || (!from.IsZero() && f.DueAt.Before(from)) || (!to.IsZero() && !f.DueAt.Before(to)) {
					return nil
				}
			} else if !to.IsZero() && !f.DueAt.Before(to) {
				return store.ErrStopScan
			}
			if len(out.Items) == q.Limit {
				out.NextCursor = base64.RawURLEncoding.EncodeToString(after)
				return store.ErrStopScan
			}
			after = slices.Clone(k)
			if sm := s.proj.get(f.LeadID); sm != nil {
				f.LeadName, f.LeadEmail = sm.Name, sm.Email
			}
			out.Items = append(out.Items, f)
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
