// Package api is Threadline's one HTTP JSON API under /api/. The desktop
// shell serves it through the Wails asset server and `threadline serve`
// through a loopback listener; both mount the same Server.
package api

import (
	"log/slog"
	"net/http"
	"sync"

	"threadline/backend/buildinfo"
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

// Config is what the API serves.
type Config struct {
	Store  *store.Store
	Bus    *events.Bus
	Logger *slog.Logger
	// CRM serves pipelines, leads and the rest of the sales model; nil
	// leaves those routes out.
	CRM *crm.Service

	// Outbox composes and queues outgoing mail (POST /api/outbox).
	Outbox *outbox.Service
	// Templates stores templates and snippets.
	Templates *templates.Service
	// Suggest drafts replies; ThreadSuggestInput, when set, lets
	// /api/suggest-reply take a thread id instead of the messages.
	Suggest            *suggest.Service
	ThreadSuggestInput ThreadSuggestInput
	// Mail serves accounts, sync and threads; nil leaves those endpoints
	// answering 503.
	Mail *mail.Service
	// Search is the search index; nil answers /api/search with 503.
	Search *search.Index
	// Reminders lists the follow-ups due now for the in-app badge
	// (GET /api/reminders); nil answers 503.
	Reminders reminders.DueSource
	// Signals is lead capture: /api/signals, convert, dismiss with
	// learning, /api/capture/status. Nil leaves only the CRM's dismissals.
	Signals *leadsignals.Service
}

// Server routes /api/ requests to handlers.
type Server struct {
	cfg     Config
	log     *slog.Logger
	mux     *http.ServeMux
	mappers []ErrorMapper

	closeOnce sync.Once
	done      chan struct{}
}

// New returns a Server with every route registered.
func New(cfg Config) *Server {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg, log: log, mux: http.NewServeMux(), done: make(chan struct{})}
	s.handle("GET /api/health", s.health)
	s.handle("GET /api/version", s.version)
	s.handle("GET /api/events", s.events)
	if cfg.CRM != nil {
		s.routesCRM()
	}
	s.routesOutbox()
	s.routesTemplates()
	s.routesAccounts()
	s.routesThreads()
	s.routesSearch()
	s.routesReminders()
	s.handle("/api/", func(w http.ResponseWriter, r *http.Request) error {
		return NotFound("no API endpoint %s %s", r.Method, r.URL.Path)
	})
	return s
}

func (s *Server) handle(pattern string, h HandlerFunc) { s.mux.HandleFunc(pattern, s.wrap(h)) }

// ServeHTTP serves one API request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Close ends open event streams so that a graceful HTTP shutdown does not
// wait for them.
func (s *Server) Close() { s.closeOnce.Do(func() { close(s.done) }) }

// uiClientHeader marks requests made by Threadline's own frontend; it lets
// the logs (and the desktop smoke test) tell that the page inside the
// window is alive.
const uiClientHeader = "X-Threadline-Client"

func (s *Server) health(w http.ResponseWriter, r *http.Request) error {
	if r.Header.Get(uiClientHeader) == "ui" {
		s.log.Info("frontend reached /api/health", "events", r.URL.Query().Get("events"))
	}
	return WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) version(w http.ResponseWriter, r *http.Request) error {
	schema, err := s.cfg.Store.Schema()
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, map[string]any{
		"version": buildinfo.Version,
		"commit":  buildinfo.Commit,
		"schema":  schema,
	})
}
