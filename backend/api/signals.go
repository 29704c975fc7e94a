package api

import "net/http"

func (s *Server) routesSignals() {
	s.handle("GET /api/signals/dismissed", s.listDismissed)
	s.handle("POST /api/signals/{thread}/dismiss", s.dismissSignal)
	s.handle("DELETE /api/signals/{thread}/dismiss", s.undismissSignal)
}

func (s *Server) listDismissed(w http.ResponseWriter, r *http.Request) error {
	ds, err := s.cfg.CRM.DismissedSignals(r.Context())
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, items(ds))
}

func (s *Server) dismissSignal(w http.ResponseWriter, r *http.Request) error {
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
