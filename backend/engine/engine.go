// Package engine assembles Threadline's backend for one data directory: the
// store, the event bus, the domain services and the API that serves them.
// The desktop shell and `threadline serve` both run exactly one Engine.
package engine

import (
	"context"
	"log/slog"

	"threadline/backend/api"
	"threadline/backend/events"
	"threadline/backend/mail"
	"threadline/backend/store"
)

// Engine is a running backend.
type Engine struct {
	Store *store.Store
	Bus   *events.Bus
	API   *api.Server
	Mail  *mail.Service
	log   *slog.Logger
}

// Open opens the store in dir and starts the services on it.
func Open(dir string, log *slog.Logger) (*Engine, error) {
	st, err := store.Open(dir, store.Options{Logger: log})
	if err != nil {
		return nil, err
	}
	bus := events.NewBus()
	e := &Engine{Store: st, Bus: bus, log: log}
	e.Mail = mail.NewService(mail.Options{Store: st, Bus: bus, Logger: log})
	if err := e.Mail.Start(context.Background()); err != nil {
		st.Close()
		return nil, err
	}
	e.API = api.New(api.Config{Store: st, Bus: bus, Logger: log, Mail: e.Mail})
	return e, nil
}

// Close stops the services, ends event streams and closes the store. It is
// safe to call once, after the HTTP side has stopped taking requests.
func (e *Engine) Close() error {
	e.API.Close()
	e.Mail.Stop()
	e.Bus.Close()
	err := e.Store.Close()
	if err == nil {
		e.log.Info("store closed cleanly")
	}
	return err
}
