package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"threadline/backend/leadsignals"
)

func (s *Server) routesSignals() {
	s.handle("GET /api/signals/dismissed", s.listDismissed)
	s.handle("POST /api/signals/{thread}/dismiss", s.dismissSignal)
	s.handle("DELETE /api/signals/{thread}/dismiss", s.undismissSignal)
	if s.cfg.Signals == nil {
		return
	}
	s.mappers = append(s.mappers, signalErrors)
	s.handle("GET /api/signals", s.listSignals)
	s.handle("POST /api/signals/{thread}/convert", s.convertSignal)
	s.handle("GET /api/capture/status", s.captureStatus)
}

func signalErrors(err error) *Error {
	if errors.Is(err, leadsignals.ErrNoSignal) {
		return NotFound("%s", err.Error())
	}
	return nil
}

// listSignals: GET /api/signals?pipeline=&limit= → {"signals": [item]},
// at most limit (1-500, default 200) of them.
func (s *Server) listSignals(w http.ResponseWriter, r *http.Request) error {
	limit := 200
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			return BadRequest("limit", "limit must be a number from 1 to 500")
		}
		limit = n
	}
	list, err := s.cfg.Signals.List(r.Context(), r.URL.Query().Get("pipeline"))
	if err != nil {
		return err
	}
	if len(list) > limit {
		list = list[:limit]
	}
	return WriteJSON(w, http.StatusOK, map[string]any{"signals": list})
}

// convertSignal: {"pipeline_id", "stage_id"?} → the lead, 201 when it was
// created, 200 when the sender already was a lead of the pipeline.
func (s *Server) convertSignal(w http.ResponseWriter, r *http.Request) error {
	var in leadsignals.ConvertInput
	if err := DecodeJSON(w, r, &in); err != nil {
		return err
	}
	l, created, err := s.cfg.Signals.Convert(r.Context(), r.PathValue("thread"), in)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return WriteJSON(w, status, l)
}

func (s *Server) captureStatus(w http.ResponseWriter, r *http.Request) error {
	st, err := s.cfg.Signals.Status()
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, st)
}

// threadsBecameLeads tells lead capture that the user made leads of these
// threads, a positive correction. The lead is saved either way, so a
// failure here is logged rather than returned.
func (s *Server) threadsBecameLeads(ctx context.Context, threads ...string) {
	if s.cfg.Signals == nil {
		return
	}
	for _, t := range threads {
		if t == "" {
			continue
		}
		if err := s.cfg.Signals.ThreadBecameLead(ctx, t); err != nil {
			s.log.Warn("lead capture could not learn from a new lead's thread", "thread", t, "err", err)
		}
	}
}

func (s *Server) listDismissed(w http.ResponseWriter, r *http.Request) error {
	ds, err := s.cfg.CRM.DismissedSignals(r.Context())
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, items(ds))
}

// dismissSignal hides the thread's signal for good; with lead capture
// running it is also the owner's word that the thread is not a lead.
func (s *Server) dismissSignal(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.Signals != nil {
		d, err := s.cfg.Signals.Dismiss(r.Context(), r.PathValue("thread"))
		if err != nil {
			return err
		}
		return WriteJSON(w, http.StatusOK, d)
	}
	d, err := s.cfg.CRM.DismissSignal(r.Context(), r.PathValue("thread"))
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, d)
}

func (s *Server) undismissSignal(w http.ResponseWriter, r *http.Request) error {
	if err := s.cfg.CRM.UndismissSignal(r.Context(), r.PathValue("thread")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
