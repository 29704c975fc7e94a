// Package engine assembles Threadline's backend for one data directory: the
// store, the event bus, the domain services and the API that serves them.
// The desktop shell and `threadline serve` both run exactly one Engine.
package engine

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"threadline/backend/api"
	"threadline/backend/crm"
	"threadline/backend/events"
	"threadline/backend/store"
)

// Engine is a running backend.
type Engine struct {
	Store *store.Store
	Bus   *events.Bus
	CRM   *crm.Service
	API   *api.Server
	log   *slog.Logger

	// stop ends the background jobs; jobs waits for them.
	stop context.CancelFunc
	jobs sync.WaitGroup
}

// reminderInterval is how often due follow-ups are announced on the bus.
const reminderInterval = 30 * time.Second

// Open opens the store in dir and starts the services on it.
func Open(dir string, log *slog.Logger) (*Engine, error) {
	st, err := store.Open(dir, store.Options{Logger: log})
	if err != nil {
		return nil, err
	}
	bus := events.NewBus()
	e := &Engine{Store: st, Bus: bus, log: log}
	if e.CRM, err = crm.New(st, bus, crm.Options{}); err != nil {
		st.Close()
		return nil, err
	}
	e.API = api.New(api.Config{Store: st, Bus: bus, Logger: log, CRM: e.CRM})
	ctx, stop := context.WithCancel(context.Background())
	e.stop = stop
	e.jobs.Add(1)
	go func() {
		defer e.jobs.Done()
		e.CRM.RunReminders(ctx, reminderInterval, log)
	}()
	return e, nil
}

// Close stops the services, ends event streams and closes the store. It is
// safe to call once, after the HTTP side has stopped taking requests.
func (e *Engine) Close() error {
	e.stop()
	e.jobs.Wait()
	e.API.Close()
	e.Bus.Close()
	err := e.Store.Close()
	if err == nil {
		e.log.Info("store closed cleanly")
	}
	return err
}
