// Package engine assembles Threadline's backend for one data directory: the
// store, the event bus, the domain services and the API that serves them.
// The desktop shell and `threadline serve` both run exactly one Engine.
package engine

import (
	"log/slog"
	"path/filepath"

	"threadline/backend/api"
	"threadline/backend/events"
	"threadline/backend/search"
	"threadline/backend/store"
)

// Engine is a running backend.
type Engine struct {
	Store  *store.Store
	Bus    *events.Bus
	Search *search.Index
	API    *api.Server
	log    *slog.Logger
}

// Open opens the store in dir and starts the services on it.
func Open(dir string, log *slog.Logger) (*Engine, error) {
	st, err := store.Open(dir, store.Options{Logger: log})
	if err != nil {
		return nil, err
	}
	bus := events.NewBus()
	e := &Engine{Store: st, Bus: bus, log: log}
	idx, err := OpenSearch(st, bus, log)
	if err != nil {
		st.Close()
		return nil, err
	}
	e.Search = idx
	idx.Start()
	e.API = api.New(api.Config{Store: st, Bus: bus, Logger: log, Search: idx})
	return e, nil
}

// Close stops the services, ends event streams and closes the store. It is
// safe to call once, after the HTTP side has stopped taking requests.
func (e *Engine) Close() error {
	e.API.Close()
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
	// Packages with searchable records register their search.Loader here:
	// idx.Register(search.KindMail, …) and idx.Register(search.KindLead, …).
	return idx, nil
}
