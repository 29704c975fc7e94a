// Package crm is Threadline's sales model: pipelines with ordered stages,
// leads moving through them, the timeline of everything that happened to a
// lead, notes, follow-ups, contacts, deals, tags, custom field definitions,
// discard reasons and dismissed signals.
//
// # Storage
//
// Everything lives in the one Badger store. Records are JSON under their
// own first key part; every secondary index lives under "crmidx" and is
// written in the same transaction as the record it points at, so a crash
// can never leave the two disagreeing (CheckIndexes verifies it):
//
//	pipeline/{id}                       Pipeline
//	lead/{id}                           Lead
//	activity/{lead}/{at}/{id}           Activity (timeline; at = 20-digit unix nanos)
//	note/{id}                           Note
//	followup/{id}                       FollowUp
//	contact/{id}                        Contact
//	deal/{id}                           Deal
//	tag/{id}                            Tag
//	cfield/{id}                         FieldDef (custom field definition)
//	discard/{id}                        DiscardReason
//	signal/{thread}                     DismissedSignal
//	crm/seeded                          marker: the default pipeline exists
//
//	crmidx/stage/{pipeline}/{stage}/{lead}   ""       leads by stage
//	crmidx/email/{pipeline}/{email}          lead id  unique e-mail per pipeline
//	crmidx/updated/{nanos}/{lead}            ""       leads by last change
//	crmidx/tag/{tag lower}/{lead}            ""       leads by tag
//	crmidx/thread/{thread}/{lead}            ""       leads by linked thread
//	crmidx/due/{nanos}/{followup}            ""       open follow-ups by due time
//	crmidx/leadfu/{lead}/{followup}          ""       follow-ups by lead
//	crmidx/threadfu/{thread}/{followup}      ""       follow-ups by thread
//	crmidx/leadnote/{lead}/{note}            ""       notes by lead
//	crmidx/leaddeal/{lead}/{deal}            ""       deals by lead
//	crmidx/contactemail/{email}              contact  unique contact e-mail
//	crmidx/mail/{lead}/{message id}          ""       mail already on the timeline
//
// ("/" stands for the NUL separator of store.Key.)
//
// # Reads
//
// The board and the lead list must answer in milliseconds for a pipeline of
// ten thousand leads, with arbitrary filters and sorts. Scanning Badger and
// decoding every lead costs far more than that, so the service keeps a
// compact projection of every lead (the fields that lists filter, sort and
// show on cards; a few hundred bytes each) in memory. It is loaded when the
// service starts and updated right after each commit, under the same mutex
// that serialises CRM writes, so it always reflects the committed state in
// commit order. Badger stays the truth: a list page loads its full leads
// from the store, and CheckIndexes compares the projection with the records.
//
// # Writes
//
// Every mutation is one store.Update: the record, its index entries and the
// timeline activities that describe it commit together or not at all. Bus
// events are published only after the commit. A write that changes what a
// lead's search document holds records a search change (search.RecordChange)
// in the same transaction; SearchLoader makes the documents. Each record carries a version
// incremented by every write; a caller that sends a stale version gets a
// *VersionConflict instead of overwriting someone else's change.
package crm

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"threadline/backend/events"
	"threadline/backend/store"
)

// Actor says who caused a change: the user, the system (mail sync,
// follow-up timers) or a named rule ("rule:hot-lead").
const (
	ActorYou    = "you"
	ActorSystem = "system"
)

// Service is the CRM over one store.
type Service struct {
	st  *store.Store
	bus *events.Bus
	now func() time.Time

	// wmu serialises writes so that the projection sees commits in order;
	// one salesperson's edits and the mail sync never need more.
	wmu  sync.Mutex
	proj *projection
}

// Options tune a Service.
type Options struct {
	// Now is the clock; nil means time.Now. Tests inject a fixed one.
	Now func() time.Time
}

// New opens the CRM on st: it creates the default "Sales" pipeline on a
// fresh store (once, atomically) and loads the lead projection.
func New(st *store.Store, bus *events.Bus, opts Options) (*Service, error) {
	if bus == nil {
		bus = events.NewBus()
	}
	s := &Service{st: st, bus: bus, now: opts.Now, proj: newProjection()}
	if s.now == nil {
		s.now = time.Now
	}
	if err := s.seed(); err != nil {
		return nil, fmt.Errorf("crm: create default pipeline: %w", err)
	}
	if err := s.loadProjection(); err != nil {
		return nil, fmt.Errorf("crm: load leads: %w", err)
	}
	return s, nil
}

func (s *Service) clock() time.Time { return s.now().UTC() }

var seededKey = store.Key("crm", "seeded")

// seed creates the default pipeline and discard reasons in one
// transaction guarded by a marker, so neither a restart nor a crash halfway
// can duplicate them.
func (s *Service) seed() error {
	return s.update(func(t *tx) error {
		if ok, err := t.Has(seededKey); err != nil || ok {
			return err
		}
		p := &Pipeline{ID: store.NewID(), Name: "Sales", Stages: defaultStages(),
			Settings: PipelineSettings{Currency: "EUR", FollowUpAfterSend: FollowUpAfterSend{Enabled: true, Days: 3}}}
		if err := t.putPipeline(nil, p); err != nil {
			return err
		}
		for _, label := range []string{"No budget", "No response", "Chose a competitor", "Bad fit", "Bad timing"} {
			d := &DiscardReason{ID: store.NewID(), Label: label}
			if err := t.putDiscard(nil, d); err != nil {
				return err
			}
		}
		return t.Set(seededKey, []byte("1"))
	})
}

// tx is one CRM write transaction. It collects what must happen after the
// commit (projection updates, bus events); store.Update may run the
// function more than once, so each attempt starts from a fresh tx.
type tx struct {
	*store.Txn
	s      *Service
	now    time.Time
	leads  map[string]*Lead // changed leads; nil value: deleted
	events []pending
}

type pending struct {
	typ  string
	data any
}

func (t *tx) publish(typ string, data any) { t.events = append(t.events, pending{typ, data}) }

func (s *Service) update(fn func(t *tx) error) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	var t *tx
	err := s.st.Update(func(txn *store.Txn) error {
		t = &tx{Txn: txn, s: s, now: s.clock(), leads: map[string]*Lead{}}
		return fn(t)
	})
	if err != nil {
		return err
	}
	s.proj.apply(t.leads)
	for _, e := range t.events {
		s.bus.Publish(e.typ, e.data)
	}
	return nil
}

func (s *Service) view(fn func(txn *store.Txn) error) error { return s.st.View(fn) }

// getJSON reads a record and maps a missing key to a NotFoundError.
func getJSON(txn *store.Txn, what, id string, v any) error {
	if id == "" {
		return notFound(what, id)
	}
	err := txn.GetJSON(store.Key(what, id), v)
	if errors.Is(err, store.ErrNotFound) {
		return notFound(what, id)
	}
	return err
}

// scanJSON decodes every record under prefix, in key order.
func scanJSON[T any](txn *store.Txn, prefix []byte, fn func(*T) error) error {
	return txn.Scan(prefix, store.ScanOptions{}, func(key, value []byte) error {
		v := new(T)
		if err := jsonUnmarshal(value, v); err != nil {
			return fmt.Errorf("crm: corrupt record %q: %w", key, err)
		}
		return fn(v)
	})
}

// Bus is the event bus the service publishes on.
func (s *Service) Bus() *events.Bus { return s.bus }

// Ping checks that the store answers; for health checks.
func (s *Service) Ping(ctx context.Context) error {
	return s.view(func(txn *store.Txn) error { _, err := txn.Has(seededKey); return err })
}

func nanosKey(t time.Time) string { return fmt.Sprintf("%020d", t.UnixNano()) }

// Now is the service's clock (UTC).
func (s *Service) Now() time.Time { return s.clock() }
