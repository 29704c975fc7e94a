// Package engine assembles Threadline's backend for one data directory: the
// store, the event bus, the domain services and the API that serves them.
// The desktop shell and `threadline serve` both run exactly one Engine.
package engine

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"

	"threadline/backend/api"
	"threadline/backend/capture"
	"threadline/backend/capture/layerstore"
	"threadline/backend/crm"
	"threadline/backend/events"
	"threadline/backend/leadsignals"
	"threadline/backend/mail"
	"threadline/backend/outbox"
	"threadline/backend/reminders"
	"threadline/backend/search"
	"threadline/backend/store"
	"threadline/backend/suggest"
	"threadline/backend/templates"
)

// Engine is a running backend.
type Engine struct {
	Store  *store.Store
	Bus    *events.Bus
	CRM    *crm.Service
	Mail   *mail.Service
	Search *search.Index
	API    *api.Server
	// Capture scores inbound mail for lead signals, with the owner's
	// learned layer applied; Learner records convert/dismiss corrections.
	Capture *capture.Classifier
	Learner *capture.Learner
	// Signals is the lead-capture job fed by mail sync.
	Signals   *leadsignals.Service
	Outbox    *outbox.Outbox
	Sender    *outbox.Sender
	Templates *templates.Service
	Suggest   *suggest.Service
	// Reminders raises due follow-ups (desktop notification and the
	// reminder.due event), once per follow-up and due time.
	Reminders *reminders.Scheduler
	log       *slog.Logger

	// stop ends the background jobs; jobs waits for them.
	stop context.CancelFunc
	jobs sync.WaitGroup
}

// Open opens the store in dir and starts the services on it.
func Open(dir string, log *slog.Logger) (*Engine, error) {
	st, err := store.Open(dir, store.Options{Logger: log})
	if err != nil {
		return nil, err
	}
	bus := events.NewBus()
	e := &Engine{Store: st, Bus: bus, log: log}
	// undo stops what has started, newest first, when a later step fails.
	undo := []func(){func() { st.Close() }}
	fail := func(err error) (*Engine, error) {
		for i := len(undo) - 1; i >= 0; i-- {
			undo[i]()
		}
		return nil, err
	}
	if e.CRM, err = crm.New(st, bus, crm.Options{}); err != nil {
		return fail(err)
	}
	if e.Capture, err = capture.NewShipped(); err != nil {
		return fail(err)
	}
	if e.Learner, err = capture.NewLearner(e.Capture, layerstore.New(st)); err != nil {
		return fail(err)
	}
	secrets := mail.OpenSecrets(dir, log)
	e.Mail = mail.NewService(mail.Options{Store: st, Bus: bus, Logger: log, Secrets: secrets})
	// Lead capture registers with mail before the first sync, so that
	// every message stored from now on is queued in the same transaction.
	e.Signals = leadsignals.New(leadsignals.Options{Store: st, Bus: bus, Logger: log, Mail: e.Mail, CRM: e.CRM,
		Classifier: e.Capture, Learner: e.Learner})
	if err := e.Signals.Start(context.Background()); err != nil {
		return fail(err)
	}
	undo = append(undo, e.Signals.Stop)
	// Subscribed before sync starts: the first connection of each account
	// is a reconnect for the outbox too.
	changes := bus.Subscribe(256)
	undo = append(undo, changes.Cancel)
	if err := e.Mail.Start(context.Background()); err != nil {
		return fail(err)
	}
	undo = append(undo, e.Mail.Stop)
	if e.Search, err = OpenSearch(st, bus, log); err != nil {
		return fail(err)
	}
	e.Search.Start()
	undo = append(undo, func() { e.Search.Close() })
	e.Outbox = outbox.New(st, bus)
	e.Templates = templates.New(st)
	e.Suggest = suggest.New(st, e.Templates, llmSecrets{secrets}, log)
	sent := &outbox.IMAPSent{Accounts: e.Mail}
	e.Sender = &outbox.Sender{Outbox: e.Outbox, Logger: log,
		Transport: &outbox.SMTPTransport{Accounts: e.Mail},
		Checker:   sent,
		OnSent: outbox.AfterSend{Threads: e.Mail, FollowUps: sentFollowUps{crm: e.CRM, mail: e.Mail},
			Sent: sent}.Hook()}
	if err := e.Sender.Start(context.Background()); err != nil {
		return fail(fmt.Errorf("start the outbox: %w", err))
	}
	e.Reminders = &reminders.Scheduler{Store: st, Bus: bus, Source: dueFollowUps{e.CRM},
		Notifier: desktopNotifier, Logger: log}
	e.Reminders.Start(context.Background())
	e.API = api.New(api.Config{Store: st, Bus: bus, Logger: log, CRM: e.CRM, Mail: e.Mail, Search: e.Search,
		Outbox: &outbox.Service{Outbox: e.Outbox, Mail: e.Mail}, Templates: e.Templates, Suggest: e.Suggest,
		ThreadSuggestInput: e.Mail.SuggestInput, Reminders: dueFollowUps{e.CRM}, Signals: e.Signals})
	ctx, stop := context.WithCancel(context.Background())
	e.stop = stop
	e.jobs.Add(1)
	go func() {
		defer e.jobs.Done()
		e.kickOnChanges(ctx, changes)
	}()
	return e, nil
}

// Close stops the services, ends event streams and closes the store. It is
// safe to call once, after the HTTP side has stopped taking requests.
func (e *Engine) Close() error {
	e.stop()
	e.jobs.Wait()
	e.Sender.Stop()
	e.Reminders.Stop()
	e.API.Close()
	e.Mail.Stop()
	e.Signals.Stop()
	if err := e.Search.Close(); err != nil {
		e.log.Warn("search index did not close cleanly; it is checked at the next start", "err", err)
	}
	e.Bus.Close()
	err := e.Store.Close()
	if err == nil {
		e.log.Info("store closed cleanly")
	}
	return err
}

// OpenSearch opens the search index of st's data directory and registers
// the loaders of every package that owns searchable records. The engine
// starts it; the search and reindex commands drive it directly.
func OpenSearch(st *store.Store, bus *events.Bus, log *slog.Logger) (*search.Index, error) {
	idx, err := search.Open(filepath.Join(st.Dir(), "search"), st, search.Options{Bus: bus, Logger: log})
	if err != nil {
		return nil, err
	}
	idx.Register(search.KindMail, mail.SearchLoader{})
	idx.Register(search.KindLead, crm.SearchLoader{})
	return idx, nil
}
