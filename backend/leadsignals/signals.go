package leadsignals

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"threadline/backend/capture"
	"threadline/backend/crm"
	"threadline/backend/mail"
	"threadline/backend/store"
)

// Item is one signal as the board shows it.
type Item struct {
	ThreadID     string           `json:"thread_id"`
	Subject      string           `json:"subject"`
	From         capture.Person   `json:"from"`
	Prospect     capture.Person   `json:"prospect"`
	Score        float64          `json:"score"`
	Label        capture.Label    `json:"label"`
	Category     capture.Category `json:"category"`
	Reasons      []capture.Reason `json:"reasons"`
	ReceivedAt   time.Time        `json:"received_at"`
	MessageCount int              `json:"message_count"`
}

// List returns the hot threads that are not leads and were not dismissed,
// newest first (equal times: higher score first). With a pipeline id,
// "not a lead" means not a lead of that pipeline: neither linked to one of
// its leads nor from a person who already is one.
func (s *Service) List(ctx context.Context, pipelineID string) ([]Item, error) {
	if pipelineID != "" {
		if _, err := s.crm.Pipeline(ctx, pipelineID); err != nil {
			return nil, err
		}
	}
	dismissed := map[string]bool{}
	ds, err := s.crm.DismissedSignals(ctx)
	if err != nil {
		return nil, err
	}
	for _, d := range ds {
		dismissed[d.ThreadID] = true
	}
	byThread := map[string]Item{}
	err = s.st.View(func(txn *store.Txn) error {
		return txn.Scan(store.Key("lsig", "thread", ""), store.ScanOptions{}, func(_, v []byte) error {
			var sig Signal
			if err := jsonUnmarshal(v, &sig); err != nil {
				return err
			}
			if sig.Label != capture.Lead || sig.Learned == "lead" || dismissed[sig.ThreadID] {
				return nil
			}
			// Threads merge as references arrive: show the signal on the
			// thread that now holds the message.
			t, err := mail.GetThread(txn, sig.ThreadID)
			if errors.Is(err, store.ErrNotFound) {
				return nil
			} else if err != nil {
				return err
			}
			if dismissed[t.ID] {
				return nil
			}
			it := Item{ThreadID: t.ID, Subject: sig.Subject, From: sig.From, Prospect: sig.Prospect, Score: sig.Score,
				Label: sig.Label, Category: sig.Category, Reasons: sig.Reasons, ReceivedAt: sig.ReceivedAt,
				MessageCount: t.MessageCount}
			if old, ok := byThread[t.ID]; !ok || it.Score > old.Score {
				byThread[t.ID] = it
			}
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	out := make([]Item, 0, len(byThread))
	for _, it := range byThread {
		leads, err := s.crm.LeadsByThread(ctx, it.ThreadID)
		if err != nil {
			return nil, err
		}
		if slices.ContainsFunc(leads, func(l *crm.Lead) bool { return pipelineID == "" || l.PipelineID == pipelineID }) {
			continue
		}
		if pipelineID != "" && it.Prospect.Email != "" {
			if _, err := s.crm.LeadByEmail(ctx, pipelineID, it.Prospect.Email); err == nil {
				continue
			}
		}
		out = append(out, it)
	}
	slices.SortFunc(out, func(a, b Item) int {
		if c := b.ReceivedAt.Compare(a.ReceivedAt); c != 0 {
			return c
		}
		if c := cmp.Compare(b.Score, a.Score); c != 0 {
			return c
		}
		return strings.Compare(a.ThreadID, b.ThreadID)
	})
	return out, nil
}

// Signal returns a thread's stored signal.
func (s *Service) Signal(ctx context.Context, thread string) (*Signal, error) {
	if thread == "" || len(thread) > 200 || strings.ContainsRune(thread, 0) {
		return nil, ErrNoSignal
	}
	sig := new(Signal)
	err := s.st.View(func(txn *store.Txn) error { return txn.GetJSON(signalKey(thread), sig) })
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrNoSignal
	}
	return sig, err
}

// ConvertInput says where a converted signal's lead goes.
type ConvertInput struct {
	PipelineID string `json:"pipeline_id"`
	StageID    string `json:"stage_id"`
}

// Convert makes the thread's sender (for a contact-form notification, the
// visitor in Reply-To) a lead of the pipeline, or finds the lead they
// already are, links the thread and the mailbox it came through, and
// teaches the classifier that the message was a lead.
func (s *Service) Convert(ctx context.Context, thread string, in ConvertInput) (*crm.Lead, bool, error) {
	sig, err := s.Signal(ctx, thread)
	if err != nil {
		return nil, false, err
	}
	raw, m, err := s.message(sig.MessageKey)
	if err != nil {
		return nil, false, err
	}
	email := sig.Prospect.Email
	name := sig.Prospect.Name
	if email == "" {
		email, name = sig.From.Email, sig.From.Name
	}
	if email == "" {
		return nil, false, fmt.Errorf("%w: the message has no sender address", ErrNoSignal)
	}
	p := newPass(s)
	mailbox := p.mailbox(m)
	l, created, err := s.crm.UpsertLead(ctx, crm.UpsertInput{Email: email, Name: name, PipelineID: in.PipelineID,
		StageID: in.StageID, ThreadID: thread, Mailbox: mailbox, Source: "email"})
	if err != nil {
		return nil, false, err
	}
	if l, err = s.crm.LinkThread(ctx, l.ID, thread, mailbox); err != nil {
		return nil, false, err
	}
	if err := s.learn(thread, sig, raw, p, true); err != nil {
		return l, created, err
	}
	s.bus.Publish("signal.converted", map[string]any{"thread_id": thread, "lead_id": l.ID, "created": created})
	return l, created, nil
}

// Dismiss hides the thread's signal for good and teaches the classifier
// that its message was not a lead. A thread without a signal is dismissed
// all the same, so that mail arriving on it later is not offered.
func (s *Service) Dismiss(ctx context.Context, thread string) (*crm.DismissedSignal, error) {
	d, err := s.crm.DismissSignal(ctx, thread)
	if err != nil {
		return nil, err
	}
	sig, err := s.Signal(ctx, thread)
	if errors.Is(err, ErrNoSignal) {
		return d, nil
	} else if err != nil {
		return nil, err
	}
	raw, _, err := s.message(sig.MessageKey)
	if errors.Is(err, store.ErrNotFound) {
		return d, nil
	} else if err != nil {
		return nil, err
	}
	return d, s.learn(thread, sig, raw, newPass(s), false)
}

// ThreadBecameLead counts a lead made from a thread some other way (a
// lead created or upserted with the thread, a thread linked by hand) as the
// owner's word that the thread's message was a lead. A thread without a
// signal, or one already learned as a lead, is left alone.
func (s *Service) ThreadBecameLead(ctx context.Context, thread string) error {
	sig, err := s.Signal(ctx, thread)
	if errors.Is(err, ErrNoSignal) {
		return nil
	} else if err != nil || sig.Learned == "lead" {
		return err
	}
	raw, _, err := s.message(sig.MessageKey)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	return s.learn(thread, sig, raw, newPass(s), true)
}

// learn teaches one correction and records it on the signal. The learner
// keys corrections by Message-ID, so a repeat is a no-op there too.
func (s *Service) learn(thread string, sig *Signal, raw []byte, p *passCtx, lead bool) error {
	label := "not_lead"
	if lead {
		label = "lead"
	}
	if sig.Learned == label {
		return nil
	}
	if _, err := s.learner.Learn(raw, p.owner(sig.Account), lead); err != nil {
		return fmt.Errorf("learn from the correction (retrying helps): %w", err)
	}
	err := s.st.Update(func(txn *store.Txn) error {
		var cur Signal
		if err := txn.GetJSON(signalKey(thread), &cur); err != nil {
			return err
		}
		cur.Learned = label
		return txn.SetJSON(signalKey(thread), &cur)
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	return err
}

func (s *Service) message(key string) ([]byte, *mail.Message, error) {
	var (
		raw []byte
		m   *mail.Message
	)
	err := s.st.View(func(txn *store.Txn) error {
		var err error
		if m, err = mail.GetMessage(txn, key); err != nil {
			return err
		}
		raw, err = mail.RawMessage(txn, key)
		return err
	})
	return raw, m, err
}

// mailbox is the owner's address a message reached: the first of the
// account's identities among its recipients, else the account's address.
func (p *passCtx) mailbox(m *mail.Message) string {
	a := p.accts[m.Account]
	if a == nil {
		return ""
	}
	own := ownAddresses(a)
	for _, list := range [][]mail.Address{m.To, m.Cc} {
		for _, r := range list {
			if slices.Contains(own, strings.ToLower(r.Address)) {
				return strings.ToLower(r.Address)
			}
		}
	}
	if a.Email != "" && strings.Contains(a.Email, "@") {
		return strings.ToLower(a.Email)
	}
	if len(a.Identities) > 0 {
		return a.Identities[0]
	}
	return ""
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
