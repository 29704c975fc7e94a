package engine

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"

	"threadline/backend/crm"
	"threadline/backend/events"
	"threadline/backend/mail"
	"threadline/backend/outbox"
	"threadline/backend/reminders"
)

// desktopNotifier shows reminders on the desktop; tests replace it to
// count what would have been shown.
var desktopNotifier reminders.Notifier = reminders.DesktopNotifier{}

// sentFollowUps is the outbox's FollowUpCreator: a sent message is
// recorded on the leads of its thread, which creates the no-reply
// follow-up when their pipeline asks for one.
type sentFollowUps struct {
	crm  *crm.Service
	mail *mail.Service
}

func (f sentFollowUps) AfterSend(ctx context.Context, it outbox.Item) error {
	// The thread the mail store put the message in is the one to link:
	// a new message from the lead page has no thread before it is sent,
	// and a reply's thread may have been merged since it was queued.
	tid := it.ThreadID
	if t, err := f.mail.ThreadOfMessageID(it.MessageID); err == nil {
		tid = t
	}
	at := it.SentAt
	if at.IsZero() {
		at = time.Now()
	}
	return f.crm.AfterSend(ctx, it.LeadID, crm.Mail{ThreadID: tid, MessageID: it.MessageID, At: at, Subject: it.Subject})
}

// mailToCRM records synced mail on the leads linked to its thread: a
// reply cancels the thread's no-reply follow-up, mail sent from another
// client schedules one. Mail of a folder's first sync is history, not
// news, and is left alone.
type mailToCRM struct {
	crm *crm.Service
	log *slog.Logger
}

func (h mailToCRM) record(ctx context.Context, msgs []mail.StoredMessage) {
	for _, m := range msgs {
		if m.Initial || m.ThreadID == "" {
			continue
		}
		leads, err := h.crm.LeadsByThread(ctx, m.ThreadID)
		if err != nil {
			h.log.Warn("look up the leads of a thread", "thread", m.ThreadID, "err", err)
			continue
		}
		dir := crm.DirectionInbound
		if m.Direction == mail.Outbound {
			dir = crm.DirectionOutbound
		}
		for _, l := range leads {
			_, err := h.crm.RecordMail(ctx, l.ID, crm.Mail{ThreadID: m.ThreadID, MessageID: m.MessageID,
				Direction: dir, At: m.Date, Subject: m.Subject})
			if err != nil {
				h.log.Warn("record mail on a lead", "lead", l.ID, "message", m.MessageID, "err", err)
			}
		}
	}
}

// dueFollowUps is the reminders' DueSource: the CRM's open follow-ups due
// by now, with the lead's name in the title.
type dueFollowUps struct{ crm *crm.Service }

func (d dueFollowUps) DueFollowUps(ctx context.Context, now time.Time) ([]reminders.Due, error) {
	fs, err := d.crm.DueFollowUps(ctx, now)
	if err != nil {
		return nil, err
	}
	out := make([]reminders.Due, 0, len(fs))
	for _, f := range fs {
		out = append(out, reminderOf(f))
	}
	return out, nil
}

func reminderOf(f *crm.FollowUp) reminders.Due {
	who := f.LeadName
	if who == "" {
		who = f.LeadEmail
	}
	title := "Follow up"
	if who != "" {
		title = "Follow up with " + who
	}
	body := strings.TrimSpace(f.Note)
	if body == "" && f.Kind == crm.FollowUpNoReply {
		body = "No reply since your last message."
	}
	return reminders.Due{ID: f.ID, Due: f.DueAt, Title: title, Body: body, LeadID: f.LeadID, ThreadID: f.ThreadID}
}

// retryQueued makes the queued messages of an account due now: its mail
// server has just answered, so the network is back and waiting out the
// rest of a backoff would only delay mail that can go.
func (e *Engine) retryQueued(accountID string) {
	items, err := e.Outbox.List(outbox.StateQueued)
	if err != nil {
		e.log.Warn("list queued mail", "err", err)
		return
	}
	now := time.Now()
	for _, it := range items {
		if it.AccountID != accountID || it.Attempts == 0 || !it.NextAttempt.After(now) {
			continue
		}
		// A StateError means the sender took the item meanwhile: fine.
		if _, err := e.Outbox.Retry(it.ID); err != nil && !errors.As(err, new(*outbox.StateError)) {
			e.log.Warn("retry queued mail", "item", it.ID, "err", err)
		}
	}
	e.Sender.Kick()
}

// kickOnChanges retries an account's queued mail when the account
// (re)connects, since its SMTP server is then likely reachable too, and
// wakes the reminders when a follow-up changes, so a snooze or reschedule
// into the past is raised at once rather than at the next tick.
func (e *Engine) kickOnChanges(ctx context.Context, sub *events.Subscription) {
	defer sub.Cancel()
	last := map[string]string{}
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-sub.C:
			if !ok {
				return
			}
			switch {
			case ev.Type == "sync.progress":
				st, ok := ev.Data.(*mail.AccountStatus)
				if !ok {
					continue
				}
				prev := last[st.Account]
				last[st.Account] = st.State
				if st.State == mail.StateSyncing && (prev == "" || prev == mail.StateConnecting) {
					e.retryQueued(st.Account)
				}
			case strings.HasPrefix(ev.Type, "followup."):
				e.Reminders.Kick()
			}
		}
	}
}
