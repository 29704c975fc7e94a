package leadsignals

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"threadline/backend/capture"
	"threadline/backend/crm"
	"threadline/backend/mail"
	"threadline/backend/store"
)

// Signal is a thread's best inbound message as the classifier saw it.
type Signal struct {
	ThreadID string `json:"thread_id"`
	// MessageKey is the mail store's key of the message; MessageID its
	// Message-ID header.
	MessageKey string           `json:"message_key"`
	MessageID  string           `json:"message_id,omitempty"`
	Account    string           `json:"account,omitempty"`
	Subject    string           `json:"subject"`
	From       capture.Person   `json:"from"`
	Prospect   capture.Person   `json:"prospect"`
	Form       bool             `json:"form,omitempty"`
	Score      float64          `json:"score"`
	Label      capture.Label    `json:"label"`
	Category   capture.Category `json:"category"`
	Reasons    []capture.Reason `json:"reasons"`
	ReceivedAt time.Time        `json:"received_at"`
	// Learned is the correction already taught from this signal:
	// "lead", "not_lead" or "".
	Learned string `json:"learned,omitempty"`
}

func signalKey(thread string) []byte { return store.Key("lsig", "thread", thread) }
func sentToKey(addr string) []byte   { return store.Key("lsig", "sentto", addr) }
func doneKey(id string) []byte       { return store.Key("lsig", "done", id) }

// passCtx caches what every message of one pass needs.
type passCtx struct {
	s     *Service
	accts map[string]*mail.Account
	all   []string // every account's identities, for imported mail
}

func newPass(s *Service) *passCtx {
	p := &passCtx{s: s, accts: map[string]*mail.Account{}}
	if list, err := mail.ListAccounts(s.st); err == nil {
		for _, a := range list {
			p.accts[a.ID] = a
			p.all = append(p.all, ownAddresses(a)...)
		}
	}
	return p
}

func ownAddresses(a *mail.Account) []string {
	out := slices.Clone(a.Identities)
	if a.Email != "" && !slices.Contains(out, strings.ToLower(a.Email)) {
		out = append(out, strings.ToLower(a.Email))
	}
	return out
}

// owner describes the mailbox owner of an account for the classifier:
// their addresses, whom they know (CRM leads and contacts, everyone they
// have written to) and which Message-IDs they sent.
func (p *passCtx) owner(account string) capture.Owner {
	addrs := p.all
	if a := p.accts[account]; a != nil {
		addrs = ownAddresses(a)
	}
	st := p.s.st
	return capture.Owner{
		Addresses: addrs,
		KnownContact: func(addr string) bool {
			var known bool
			_ = st.View(func(txn *store.Txn) error {
				var err error
				if known, err = crm.KnownEmail(txn, addr); err != nil || known {
					return err
				}
				known, err = txn.Has(sentToKey(addr))
				return err
			})
			return known
		},
		OwnOutreach: func(ids []string) bool {
			var own bool
			_ = st.View(func(txn *store.Txn) error {
				for _, id := range ids {
					m, err := mail.GetMessage(txn, mail.MessageKey(id, nil))
					if err == nil && m.Direction == mail.Outbound {
						own = true
						return nil
					}
				}
				return nil
			})
			return own
		},
	}
}

// process handles one queued message and removes its queue key. It
// reports whether it did anything (a message processed before, queued
// twice, is skipped) and whether the message made its thread a lead
// signal.
func (s *Service) process(ctx context.Context, p *passCtx, qkey []byte, id string) (done, lead bool, err error) {
	var (
		m      *mail.Message
		raw    []byte
		thread string
		seen   bool
	)
	err = s.st.View(func(txn *store.Txn) error {
		var err error
		if seen, err = txn.Has(doneKey(id)); err != nil || seen {
			return err
		}
		if m, err = mail.GetMessage(txn, id); err != nil {
			return err
		}
		if raw, err = mail.RawMessage(txn, id); err != nil {
			return err
		}
		t, err := mail.GetThread(txn, m.ThreadID)
		if err != nil {
			return err
		}
		thread = t.ID
		return nil
	})
	if seen || errors.Is(err, store.ErrNotFound) {
		// Queued twice, or deleted since it was stored: nothing to do.
		return false, false, s.st.Update(func(txn *store.Txn) error { return txn.Delete(qkey) })
	}
	if err != nil {
		return false, false, err
	}
	leads, err := s.crm.LeadsByThread(ctx, thread)
	if err != nil {
		return false, false, err
	}
	at := m.Date
	if at.IsZero() {
		at = m.InternalDate
	}
	if at.IsZero() {
		at = time.Now()
	}
	dir := crm.DirectionInbound
	if m.Direction == mail.Outbound {
		dir = crm.DirectionOutbound
	}
	msgID := m.MessageID
	if msgID == "" {
		msgID = m.ID
	}
	// Idempotent by Message-ID: a crash before the queue key goes
	// repeats it without a second timeline entry.
	for _, l := range leads {
		if _, err := s.crm.RecordMail(ctx, l.ID, crm.Mail{ThreadID: thread, MessageID: msgID, Direction: dir,
			At: at, Subject: m.Subject}); err != nil && !errors.Is(err, crm.ErrNotFound) {
			return false, false, err
		}
	}
	var sig *Signal
	if len(leads) == 0 && m.Direction == mail.Inbound {
		res := s.cls.Classify(raw, p.owner(m.Account))
		prospect, form := capture.Prospect(raw)
		sig = &Signal{ThreadID: thread, MessageKey: m.ID, MessageID: m.MessageID, Account: m.Account,
			Subject: m.Subject, Prospect: prospect, Form: form, Score: res.Score, Label: res.Label,
			Category: res.Category, Reasons: res.Reasons, ReceivedAt: at.UTC()}
		if len(m.From) > 0 {
			sig.From = capture.Person{Name: m.From[0].Name, Email: m.From[0].Address}
		}
		if sig.Reasons == nil {
			sig.Reasons = []capture.Reason{}
		}
	}
	published := false
	err = s.st.Update(func(txn *store.Txn) error {
		published = false
		if err := txn.Delete(qkey); err != nil {
			return err
		}
		if err := txn.Set(doneKey(id), nil); err != nil {
			return err
		}
		if m.Direction == mail.Outbound {
			for _, list := range [][]mail.Address{m.To, m.Cc} {
				for _, a := range list {
					if a.Address != "" {
						if err := txn.Set(sentToKey(strings.ToLower(a.Address)), nil); err != nil {
							return err
						}
					}
				}
			}
		}
		if len(leads) > 0 {
			// A lead owns the thread: it is no longer a signal.
			return txn.Delete(signalKey(thread))
		}
		if sig == nil {
			return nil
		}
		var old Signal
		switch err := txn.GetJSON(signalKey(thread), &old); {
		case err == nil:
			if old.MessageKey != sig.MessageKey && old.Score >= sig.Score {
				return nil
			}
			sig.Learned = old.Learned
		case !errors.Is(err, store.ErrNotFound):
			return err
		}
		published = sig.Label == capture.Lead && (old.Label != capture.Lead || old.MessageKey == "")
		return txn.SetJSON(signalKey(thread), sig)
	})
	if err != nil {
		return false, false, err
	}
	if published {
		s.bus.Publish("signal.new", map[string]any{"thread_id": thread, "score": sig.Score,
			"category": sig.Category, "subject": sig.Subject})
	}
	return true, published, nil
}
