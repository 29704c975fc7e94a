package api

import (
	"net/http"

	"threadline/backend/crm"
)

func (s *Server) routesDeals() {
	s.handle("GET /api/deals", s.listDeals)
	s.handle("POST /api/deals", s.createDeal)
	s.handle("GET /api/deals/{id}", s.getDeal)
	s.handle("PATCH /api/deals/{id}", s.patchDeal)
	s.handle("DELETE /api/deals/{id}", s.deleteDeal)
}

// listDeals: GET /api/deals?lead_id=&contact_id=&status=
func (s *Server) listDeals(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	switch q.Get("status") {
	case "", crm.DealOpen, crm.DealWon, crm.DealLost:
	default:
		return BadRequest("status", "status must be open, won or lost")
	}
	ds, err := s.cfg.CRM.Deals(r.Context(), crm.DealQuery{LeadID: q.Get("lead_id"), ContactID: q.Get("contact_id"), Status: q.Get("status")})
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, items(ds))
}

func (s *Server) createDeal(w http.ResponseWriter, r *http.Request) error {
	var in crm.DealInput
	if err := DecodeJSON(w, r, &in); err != nil {
		return err
	}
	d, err := s.cfg.CRM.CreateDeal(r.Context(), in)
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusCreated, d)
}

func (s *Server) getDeal(w http.ResponseWriter, r *http.Request) error {
	d, err := s.cfg.CRM.Deal(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, d)
}

func (s *Server) patchDeal(w http.ResponseWriter, r *http.Request) error {
	var in crm.DealInput
	if err := DecodeJSON(w, r, &in); err != nil {
		return err
	}
	d, err := s.cfg.CRM.UpdateDeal(r.Context(), r.PathValue("id"), in)
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, d)
}

func (s *Server) deleteDeal(w http.ResponseWriter, r *http.Request) error {
	v, err := versionParam(r)
	if err != nil {
		return err
	}
	if err := s.cfg.CRM.DeleteDeal(r.Context(), r.PathValue("id"), v); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
