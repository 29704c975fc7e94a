// Package engine assembles Threadline's backend for one data directory: the
// store, the event bus, the domain services and the API that serves them.
// The desktop shell and `threadline serve` both run exactly one Engine.
package engine

import (
	"context"
	"fmt"
	"log/slog"

	"threadline/backend/api"
	"threadline/backend/events"
	"threadline/backend/outbox"
	"threadline/backend/reminders"
	"threadline/backend/store"
	"threadline/backend/suggest"
	"threadline/backend/templates"
)

// Engine is a running backend.
type Engine struct {
	Store *store.Store
	Bus   *events.Bus
	API   *api.Server
	log   *slog.Logger

	Outbox    *outbox.Outbox
	Sender    *outbox.Sender
	Templates *templates.Service
	Suggest   *suggest.Service
	Reminders *reminders.Scheduler // nil until StartReminders
}

// Open opens the store in dir and starts the services on it.
func Open(dir string, log *slog.Logger) (*Engine, error) {
	st, err := store.Open(dir, store.Options{Logger: log})
	if err != nil {
		return nil, err
	}
	bus := events.NewBus()
	e := &Engine{Store: st, Bus: bus, log: log}
	e.Outbox = outbox.New(st, bus)
	e.Templates = templates.New(st)
	e.Suggest = suggest.New(st, e.Templates, suggest.KeyringSecrets{Service: "threadline"}, log)
	// Until mail accounts exist, the transport has no SMTP settings to use
	// and the composer no identities: new messages queue and wait.
	e.Sender = &outbox.Sender{Outbox: e.Outbox, Logger: log,
		Transport: &outbox.SMTPTransport{Accounts: noSMTPAccounts{}}}
	if err := e.Sender.Start(context.Background()); err != nil {
		st.Close()
		return nil, fmt.Errorf("start the outbox: %w", err)
	}
	e.API = api.New(api.Config{Store: st, Bus: bus, Logger: log,
		Outbox: &outbox.Service{Outbox: e.Outbox}, Templates: e.Templates, Suggest: e.Suggest})
	return e, nil
}

// StartReminders raises desktop and in-app reminders for the follow-ups
// that src reports due. The CRM's follow-up store is the source.
func (e *Engine) StartReminders(src reminders.DueSource) {
	e.Reminders = &reminders.Scheduler{Store: e.Store, Bus: e.Bus, Source: src,
		Notifier: reminders.DesktopNotifier{}, Logger: e.log}
	e.Reminders.Start(context.Background())
}

// noSMTPAccounts stands in until mail accounts are wired in.
type noSMTPAccounts struct{}

func (noSMTPAccounts) SMTPSettings(_ context.Context, id string) (outbox.SMTPSettings, error) {
	return outbox.SMTPSettings{}, fmt.Errorf("account %s is not set up for sending yet", id)
}

// Close stops the services, ends event streams and closes the store. It is
// safe to call once, after the HTTP side has stopped taking requests.
func (e *Engine) Close() error {
	e.Sender.Stop()
	if e.Reminders != nil {
		e.Reminders.Stop()
	}
	e.API.Close()
	e.Bus.Close()
	err := e.Store.Close()
	if err == nil {
		e.log.Info("store closed cleanly")
	}
	return err
}
