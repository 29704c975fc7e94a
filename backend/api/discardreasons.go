package api

import (
	"net/http"

	"threadline/backend/crm"
)

func (s *Server) routesDiscardReasons() {
	s.handle("GET /api/discard-reasons", s.listDiscardReasons)
	s.handle("POST /api/discard-reasons", s.createDiscardReason)
	s.handle("PATCH /api/discard-reasons/{id}", s.patchDiscardReason)
	s.handle("DELETE /api/discard-reasons/{id}", s.deleteDiscardReason)
}

func (s *Server) listDiscardReasons(w http.ResponseWriter, r *http.Request) error {
	ds, err := s.cfg.CRM.DiscardReasons(r.Context())
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, items(ds))
}

func (s *Server) createDiscardReason(w http.ResponseWriter, r *http.Request) error {
	var in crm.DiscardInput
	if err := DecodeJSON(w, r, &in); err != nil {
		return err
	}
	d, err := s.cfg.CRM.CreateDiscardReason(r.Context(), in)
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusCreated, d)
}

func (s *Server) patchDiscardReason(w http.ResponseWriter, r *http.Request) error {
	var in crm.DiscardInput
	if err := DecodeJSON(w, r, &in); err != nil {
		return err
	}
	d, err := s.cfg.CRM.UpdateDiscardReason(r.Context(), r.PathValue("id"), in)
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, d)
}

func (s *Server) deleteDiscardReason(w http.ResponseWriter, r *http.Request) error {
	v, err := versionParam(r)
	if err != nil {
		return err
	}
	if err := s.cfg.CRM.DeleteDiscardReason(r.Context(), r.PathValue("id"), v); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
