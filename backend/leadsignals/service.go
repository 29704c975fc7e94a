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
	Signals int64 `json:"signals"`
	// LastError is the failure of the latest pass that failed, cleared
	// once a pass gets messages through again; the job retries by itself.
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

// backfill queues, once per store, every stored message neither processed
// nor queued yet, so that mail synced by a version without this job gets its
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
		queued := map[string]bool{}
		err := txn.Scan(store.Key("lsig", "queue", ""), store.ScanOptions{KeysOnly: true}, func(k, _ []byte) error {
			parts := store.SplitKey(k)
			queued[parts[len(parts)-1]] = true
			return nil
		})
		if err != nil {
			return err
		}
		return mail.MessageKeys(txn, func(id string) error {
			if queued[id] {
				return nil
			}
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
		switch {
		case err != nil && ctx.Err() == nil:
			s.status.LastError = err.Error()
			s.status.LastErrAt = &now
			s.log.Warn("lead signals: pass failed; retrying", "err", err)
		case err == nil && n > 0:
			// Work got through again: the error no longer describes the job.
			s.status.LastError, s.status.LastErrAt = "", nil
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
	var batch []*work
	commit := func() error {
		if len(batch) == 0 {
			return nil
		}
		leads := make([]bool, len(batch))
		err := s.st.Update(func(txn *store.Txn) error {
			for i, w := range batch {
				var err error
				if leads[i], err = w.apply(txn); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		s.mu.Lock()
		for i, w := range batch {
			if w.skip {
				continue
			}
			s.status.Processed++
			if leads[i] {
				s.status.Signals++
			}
		}
		s.mu.Unlock()
		for i, w := range batch {
			if leads[i] {
				s.bus.Publish("signal.new", map[string]any{"thread_id": w.thread, "score": w.sig.Score,
					"category": w.sig.Category, "subject": w.sig.Subject})
			}
		}
		batch = batch[:0]
		return nil
	}
	for i, it := range items {
		if ctx.Err() != nil {
			return i, commit()
		}
		w, err := s.prepare(ctx, p, []byte(it.key), it.id)
		if err != nil {
			if cerr := commit(); cerr != nil {
				return i, cerr
			}
			return i, fmt.Errorf("message %s: %w", it.id, err)
		}
		batch = append(batch, w)
		// A message on a lead's thread was recorded on the lead before
		// its commit; commit at once so that the window in which a crash
		// repeats that stays one message wide.
		if len(batch) == commitSize || w.leads > 0 {
			if err := commit(); err != nil {
				return i, err
			}
		}
	}
	return len(items), commit()
}

// commitSize bounds the messages committed together: one fsync per batch
// rather than per message is what lets the job keep up with an initial
// sync.
const commitSize = 100

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
