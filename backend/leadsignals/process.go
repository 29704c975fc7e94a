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

// work is one processed message waiting to be committed.
type work struct {
	qkey   []byte
	id     string
	skip   bool // queued twice, or deleted since: only the queue key goes
	m      *mail.Message
	thread string
	leads  int
	sig    *Signal // nil unless an inbound message on a thread no lead owns
}

// prepare does the reading and the scoring for one queued message, and
// records it on the thread's leads. The one write it makes outside the
// commit, crm.RecordMail, is idempotent by Message-ID: a crash before the
// commit repeats it without a second timeline entry.
func (s *Service) prepare(ctx context.Context, p *passCtx, qkey []byte, id string) (*work, error) {
	w := &work{qkey: qkey, id: id}
	var raw []byte
	err := s.st.View(func(txn *store.Txn) error {
		var err error
		if w.skip, err = txn.Has(doneKey(id)); err != nil || w.skip {
			return err
		}
		if w.m, err = mail.GetMessage(txn, id); err != nil {
			return err
		}
		if raw, err = mail.RawMessage(txn, id); err != nil {
			return err
		}
		t, err := mail.GetThread(txn, w.m.ThreadID)
		if err != nil {
			return err
		}
		w.thread = t.ID
		return nil
	})
	if w.skip || errors.Is(err, store.ErrNotFound) {
		w.skip = true
		return w, nil
	}
	if err != nil {
		return nil, err
	}
	m := w.m
	leads, err := s.crm.LeadsByThread(ctx, w.thread)
	if err != nil {
		return nil, err
	}
	w.leads = len(leads)
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
	for _, l := range leads {
		if _, err := s.crm.RecordMail(ctx, l.ID, crm.Mail{ThreadID: w.thread, MessageID: msgID, Direction: dir,
			At: at, Subject: m.Subject}); err != nil && !errors.Is(err, crm.ErrNotFound) {
			return nil, err
		}
	}
	if len(leads) == 0 && m.Direction == mail.Inbound {
		res := s.cls.Classify(raw, p.owner(m.Account))
		prospect, form := capture.Prospect(raw)
		sig := &Signal{ThreadID: w.thread, MessageKey: m.ID, MessageID: m.MessageID, Account: m.Account,
			Subject: m.Subject, Prospect: prospect, Form: form, Score: res.Score, Label: res.Label,
			Category: res.Category, Reasons: res.Reasons, ReceivedAt: at.UTC()}
		if len(m.From) > 0 {
			sig.From = capture.Person{Name: m.From[0].Name, Email: m.From[0].Address}
		}
		if sig.Reasons == nil {
			sig.Reasons = []capture.Reason{}
		}
		w.sig = sig
	}
	return w, nil
}

// apply writes what processing the message produced, removes its queue
// key and marks it done, all in txn. It reports whether the thread became
// a lead signal. Works of one batch are applied in order in one
// transaction, which sees their earlier writes, so two messages of one
// thread in a batch keep the better score.
func (w *work) apply(txn *store.Txn) (bool, error) {
	if err := txn.Delete(w.qkey); err != nil {
		return false, err
	}
	if w.skip {
		return false, nil
	}
	if err := txn.Set(doneKey(w.id), nil); err != nil {
		return false, err
	}
	m := w.m
	if m.Direction == mail.Outbound {
		for _, list := range [][]mail.Address{m.To, m.Cc} {
			for _, a := range list {
				if a.Address != "" {
					if err := txn.Set(sentToKey(strings.ToLower(a.Address)), nil); err != nil {
						return false, err
					}
				}
			}
		}
	}
	if w.leads > 0 {
		// A lead owns the thread: it is no longer a signal.
		return false, txn.Delete(signalKey(w.thread))
	}
	if w.sig == nil {
		return false, nil
	}
	sig := *w.sig
	var old Signal
	switch err := txn.GetJSON(signalKey(w.thread), &old); {
	case err == nil:
		if old.MessageKey != sig.MessageKey && old.Score >= sig.Score {
			return false, nil
		}
		sig.Learned = old.Learned
	case !errors.Is(err, store.ErrNotFound):
		return false, err
	}
	lead := sig.Label == capture.Lead && (old.Label != capture.Lead || old.MessageKey == "")
	return lead, txn.SetJSON(signalKey(w.thread), &sig)
}
