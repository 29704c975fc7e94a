package leadsignals

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"threadline/backend/capture"
	"threadline/backend/crm"
	"threadline/backend/events"
	"threadline/backend/mail"
	"threadline/backend/store"
)

// Options are what the job works with. All fields but Logger are required.
type Options struct {
	Store      *store.Store
	Bus        *events.Bus
	Logger     *slog.Logger
	Mail       *mail.Service
	CRM        *crm.Service
	Classifier *capture.Classifier
	Learner    *capture.Learner
	// RetryDelay is how long the job waits after a failed pass; 0 means 5 s.
	RetryDelay time.Duration
}

// Service is the lead-signal job and the operations on signals.
type Service struct {
	st      *store.Store
	bus     *events.Bus
	log     *slog.Logger
	mail    *mail.Service
	crm     *crm.Service
	cls     *capture.Classifier
	learner *capture.Learner
	retry   time.Duration

	wake chan struct{}
	stop context.CancelFunc
	done chan struct{}

	mu     sync.Mutex
	status Status
}

// Status is what the job is doing, for GET /api/capture/status.
type Status struct {
	// State is "stopped", "running" (working through the queue) or "idle".
	State string `json:"state"`
	// Pending is the number of stored messages not processed yet.
	Pending int `json:"pending"`
	// Processed counts the messages processed since the job started.
	Processed int64 `json:"processed"`
	// Signals counts the lead signals found since the job started.
	Signals   int64      `json:"signals"`
	LastError string     `json:"last_error,omitempty"`
	LastErrAt *time.Time `json:"last_error_at,omitempty"`
	LastRunAt *time.Time `json:"last_run_at,omitempty"`
}

// New returns the job and registers it with the mail service, which must
// not have started syncing yet: messages stored before registration are
// found only by the one-time backfill.
func New(o Options) *Service {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.RetryDelay == 0 {
		o.RetryDelay = 5 * time.Second
	}
	s := &Service{st: o.Store, bus: o.Bus, log: o.Logger, mail: o.Mail, crm: o.CRM, cls: o.Classifier,
		learner: o.Learner, retry: o.RetryDelay, wake: make(chan struct{}, 1), status: Status{State: "stopped"}}
	Queue(o.Mail)
	o.Mail.OnNewMessages(func(context.Context, []mail.StoredMessage) { s.kick() })
	return s
}

// Queue makes m queue every message it stores for lead capture, in the
// storing transaction. New does it; a mail service that runs without the
// job (`threadline sync`, `import`) must do it too, so that the job finds
// that mail when it next runs.
func Queue(m *mail.Service) { m.OnStore(enqueue) }

func queueKey(seq, msgID string) []byte { return store.Key("lsig", "queue", seq, msgID) }

// enqueue runs inside the mail store's transaction.
func enqueue(txn *store.Txn, ids []string) error {
	for _, id := range ids {
		if err := txn.Set(queueKey(store.NewID(), id), nil); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) kick() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Start queues mail stored before the job existed (once per store) and
// starts working through the queue.
func (s *Service) Start(ctx context.Context) error {
	if err := s.backfill(); err != nil {
		return fmt.Errorf("lead signals: queue existing mail: %w", err)
	}
	ctx, s.stop = context.WithCancel(ctx)
	s.done = make(chan struct{})
	s.setState("idle")
	go s.run(ctx)
	s.kick()
	return nil
}

// Stop ends the job and waits for the message in hand to be finished.
func (s *Service) Stop() {
	if s.stop == nil {
		return
	}
	s.stop()
	<-s.done
	s.stop = nil
	s.setState("stopped")
}

// backfill queues, once per store, every stored message not processed
// yet, so that mail synced by a version without this job gets its
// signals. Queue keys of the backfill use a fixed sequence, so an
// interrupted backfill that runs again writes the same keys rather than
// new ones; a message queued twice is processed once (its done marker).
func (s *Service) backfill() error {
	marker := store.Key("lsig", "backfilled")
	var done bool
	if err := s.st.View(func(txn *store.Txn) error {
		var err error
		done, err = txn.Has(marker)
		return err
	}); err != nil || done {
		return err
	}
	var ids []string
	if err := s.st.View(func(txn *store.Txn) error {
		return mail.MessageKeys(txn, func(id string) error {
			if ok, err := txn.Has(doneKey(id)); err != nil || ok {
				return err
			}
			ids = append(ids, id)
			return nil
		})
	}); err != nil {
		return err
	}
	const chunk = 1000
	for len(ids) > 0 {
		n := min(chunk, len(ids))
		part := ids[:n]
		ids = ids[n:]
		if err := s.st.Update(func(txn *store.Txn) error {
			for _, id := range part {
				if err := txn.Set(queueKey("0", id), nil); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return err
		}
	}
	return s.st.Update(func(txn *store.Txn) error { return txn.Set(marker, nil) })
}

// pollInterval is the backstop for a missed wake-up.
const pollInterval = 30 * time.Second

func (s *Service) run(ctx context.Context) {
	defer close(s.done)
	for {
		n, err := s.pass(ctx)
		now := time.Now().UTC()
		s.mu.Lock()
		s.status.LastRunAt = &now
		if err != nil && ctx.Err() == nil {
			s.status.LastError = err.Error()
			s.status.LastErrAt = &now
			s.log.Warn("lead signals: pass failed; retrying", "err", err)
		}
		s.mu.Unlock()
		if ctx.Err() != nil {
			return
		}
		var wait <-chan time.Time
		switch {
		case err != nil:
			s.setState("idle")
			wait = time.After(s.retry)
		case n > 0:
			continue
		default:
			s.setState("idle")
			wait = time.After(pollInterval)
		}
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		case <-wait:
		}
	}
}

func (s *Service) setState(st string) {
	s.mu.Lock()
	s.status.State = st
	s.mu.Unlock()
}

// passSize bounds the queue keys read per pass.
const passSize = 200

// pass processes up to passSize queued messages, oldest first, and
// returns how many it processed. It stops at the first failure, leaving
// that message queued.
func (s *Service) pass(ctx context.Context) (int, error) {
	type item struct{ key, id string }
	var items []item
	err := s.st.View(func(txn *store.Txn) error {
		return txn.Scan(store.Key("lsig", "queue", ""), store.ScanOptions{KeysOnly: true}, func(k, _ []byte) error {
			parts := store.SplitKey(k)
			items = append(items, item{string(k), parts[len(parts)-1]})
			if len(items) == passSize {
				return store.ErrStopScan
			}
			return nil
		})
	})
	if err != nil || len(items) == 0 {
		return 0, err
	}
	s.setState("running")
	p := newPass(s)
	for i, it := range items {
		if ctx.Err() != nil {
			return i, nil
		}
		done, lead, err := s.process(ctx, p, []byte(it.key), it.id)
		if err != nil {
			return i, fmt.Errorf("message %s: %w", it.id, err)
		}
		if !done {
			continue
		}
		s.mu.Lock()
		s.status.Processed++
		if lead {
			s.status.Signals++
		}
		s.mu.Unlock()
	}
	return len(items), nil
}

// Status reports the job's state and the length of its queue.
func (s *Service) Status() (Status, error) {
	n := 0
	err := s.st.View(func(txn *store.Txn) error {
		return txn.Scan(store.Key("lsig", "queue", ""), store.ScanOptions{KeysOnly: true}, func(_, _ []byte) error {
			n++
			return nil
		})
	})
	s.mu.Lock()
	st := s.status
	s.mu.Unlock()
	st.Pending = n
	return st, err
}

// WaitIdle blocks until the queue is empty and the job has settled, or ctx
// ends. Commands and tests use it to observe the job's effects.
func (s *Service) WaitIdle(ctx context.Context) error {
	for {
		s.kick()
		st, err := s.Status()
		if err != nil {
			return err
		}
		if st.Pending == 0 && st.State != "running" {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// ErrNoSignal is returned for a thread that has no scored inbound mail.
var ErrNoSignal = errors.New("no lead signal for this thread")
