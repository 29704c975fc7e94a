package crm

import (
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"time"

	"threadline/backend/store"
)

// Activity types on a lead's timeline.
const (
	ActCreated       = "created"
	ActStageChanged  = "stage_changed"
	ActFieldChanged  = "field_changed"
	ActNoteAdded     = "note_added"
	ActNoteDeleted   = "note_deleted"
	ActThreadLinked  = "thread_linked"
	ActFollowUpMade  = "follow_up_created"
	ActFollowUpDone  = "follow_up_done"
	ActFollowUpMoved = "follow_up_snoozed"
	ActFollowUpGone  = "follow_up_cancelled"
	ActEmailSent     = "email_sent"
	ActEmailReceived = "email_received"
	ActScored        = "scored"
	ActQualified     = "qualified"
	ActConverted     = "converted"
	ActArchived      = "archived"
	ActReopened      = "reopened"
)

// ActivityTypes lists every type, for validating filters.
var ActivityTypes = []string{ActCreated, ActStageChanged, ActFieldChanged, ActNoteAdded, ActNoteDeleted,
	ActThreadLinked, ActFollowUpMade, ActFollowUpDone, ActFollowUpMoved, ActFollowUpGone, ActEmailSent,
	ActEmailReceived, ActScored, ActQualified, ActConverted, ActArchived, ActReopened}

// Activity is one entry of a lead's timeline. It is written in the same
// transaction as the change it records.
type Activity struct {
	ID         string    `json:"id"`
	LeadID     string    `json:"lead_id"`
	Type       string    `json:"type"`
	At         time.Time `json:"at"`
	Actor      string    `json:"actor"`
	FromStage  string    `json:"from_stage,omitempty"`
	ToStage    string    `json:"to_stage,omitempty"`
	Field      string    `json:"field,omitempty"`
	Old        any       `json:"old,omitempty"`
	New        any       `json:"new,omitempty"`
	Text       string    `json:"text,omitempty"`
	NoteID     string    `json:"note_id,omitempty"`
	ThreadID   string    `json:"thread_id,omitempty"`
	FollowUpID string    `json:"follow_up_id,omitempty"`
	ContactID  string    `json:"contact_id,omitempty"`
	DealID     string    `json:"deal_id,omitempty"`
}

func (t *tx) activity(leadID string, a Activity) error { return t.activityAt(leadID, t.now, a) }

// activityAt records an activity that happened at a given time (mail
// backfilled from a server happened before it was seen); the timeline
// sorts by that time.
func (t *tx) activityAt(leadID string, at time.Time, a Activity) error {
	a.ID = store.NewID()
	a.LeadID = leadID
	a.At = at.UTC()
	if a.Actor == "" {
		a.Actor = ActorSystem
	}
	return t.SetJSON(store.Key("activity", leadID, nanosKey(a.At), a.ID), &a)
}

// TimelineQuery pages through a lead's timeline, newest first.
type TimelineQuery struct {
	Types  []string
	Q      string
	Limit  int
	Cursor string
}

// TimelinePage is one page of a timeline.
type TimelinePage struct {
	Items      []*Activity `json:"items"`
	NextCursor string      `json:"next_cursor"`
}

// Timeline returns a lead's activities, newest first, filtered by type and
// free text (matched against the text, field, values and stages).
func (s *Service) Timeline(ctx context.Context, leadID string, q TimelineQuery) (*TimelinePage, error) {
	if q.Limit == 0 {
		q.Limit = 50
	}
	if q.Limit < 1 || q.Limit > 500 {
		return nil, fieldErr("limit", "limit must be between 1 and 500")
	}
	for _, typ := range q.Types {
		if !slices.Contains(ActivityTypes, typ) {
			return nil, fieldErr("type", "unknown activity type %q", typ)
		}
	}
	prefix := store.Key("activity", leadID, "")
	var after []byte
	if q.Cursor != "" {
		raw, err := base64.RawURLEncoding.DecodeString(q.Cursor)
		if err != nil || !strings.HasPrefix(string(raw), string(prefix)) {
			return nil, fieldErr("cursor", "the cursor is not one this timeline handed out")
		}
		after = raw
	}
	needle := strings.ToLower(strings.TrimSpace(q.Q))
	out := &TimelinePage{Items: []*Activity{}}
	err := s.view(func(txn *store.Txn) error {
		if ok, err := txn.Has(store.Key("lead", leadID)); err != nil {
			return err
		} else if !ok {
			return notFound("lead", leadID)
		}
		return txn.Scan(prefix, store.ScanOptions{Reverse: true, After: after}, func(k, v []byte) error {
			if len(out.Items) == q.Limit {
				out.NextCursor = base64.RawURLEncoding.EncodeToString(after)
				return store.ErrStopScan
			}
			a := new(Activity)
			if err := jsonUnmarshal(v, a); err != nil {
				return fmt.Errorf("crm: corrupt activity %q: %w", k, err)
			}
			after = slices.Clone(k)
			if len(q.Types) > 0 && !slices.Contains(q.Types, a.Type) {
				return nil
			}
			if needle != "" && !strings.Contains(strings.ToLower(fmt.Sprint(a.Text, " ", a.Field, " ", a.Old, " ", a.New, " ", a.FromStage, " ", a.ToStage, " ", a.Type)), needle) {
				return nil
			}
			out.Items = append(out.Items, a)
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
