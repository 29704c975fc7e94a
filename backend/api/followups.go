package api

import (
	"net/http"
	"time"

	"threadline/backend/crm"
)

func (s *Server) routesFollowUps() {
	s.handle("GET /api/followups", s.listFollowUps)
	s.handle("GET /api/leads/{id}/followups", s.leadFollowUps)
	s.handle("POST /api/leads/{id}/followups", s.createFollowUp)
	s.handle("GET /api/followups/{id}", s.getFollowUp)
	s.handle("PATCH /api/followups/{id}", s.patchFollowUp)
	s.handle("POST /api/followups/{id}/complete", s.completeFollowUp)
	s.handle("POST /api/followups/{id}/snooze", s.snoozeFollowUp)
}

// listFollowUps: GET /api/followups?due=overdue|today|upcoming&limit=&cursor=
// (no due: every open one), in due order.
func (s *Server) listFollowUps(w http.ResponseWriter, r *http.Request) error {
	limit, err := intParam(r, "limit", 100)
	if err != nil {
		return err
	}
	page, err := s.cfg.CRM.FollowUps(r.Context(), crm.FollowUpQuery{Due: r.URL.Query().Get("due"),
		LeadID: r.URL.Query().Get("lead_id"), Limit: limit, Cursor: r.URL.Query().Get("cursor")})
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, page)
}

func (s *Server) leadFollowUps(w http.ResponseWriter, r *http.Request) error {
	limit, err := intParam(r, "limit", 100)
	if err != nil {
		return err
	}
	page, err := s.cfg.CRM.FollowUps(r.Context(), crm.FollowUpQuery{LeadID: r.PathValue("id"),
		Due: r.URL.Query().Get("due"), Limit: limit, Cursor: r.URL.Query().Get("cursor")})
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, page)
}

func (s *Server) createFollowUp(w http.ResponseWriter, r *http.Request) error {
	var in crm.FollowUpInput
	if err := DecodeJSON(w, r, &in); err != nil {
		return err
	}
	in.LeadID = r.PathValue("id")
	f, err := s.cfg.CRM.CreateFollowUp(r.Context(), in)
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusCreated, f)
}

func (s *Server) getFollowUp(w http.ResponseWriter, r *http.Request) error {
	f, err := s.cfg.CRM.FollowUp(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, f)
}

func (s *Server) patchFollowUp(w http.ResponseWriter, r *http.Request) error {
	var in crm.FollowUpPatch
	if err := DecodeJSON(w, r, &in); err != nil {
		return err
	}
	f, err := s.cfg.CRM.UpdateFollowUp(r.Context(), r.PathValue("id"), in)
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, f)
}

func (s *Server) completeFollowUp(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Version *int `json:"version"`
	}
	if err := decodeOptional(w, r, &in); err != nil {
		return err
	}
	f, err := s.cfg.CRM.CompleteFollowUp(r.Context(), r.PathValue("id"), in.Version)
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, f)
}

// snoozeFollowUp: {"until": RFC 3339} or {"days": N} from now.
func (s *Server) snoozeFollowUp(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Version *int       `json:"version"`
		Until   *time.Time `json:"until"`
		Days    int        `json:"days"`
	}
	if err := DecodeJSON(w, r, &in); err != nil {
		return err
	}
	var until time.Time
	switch {
	case in.Until != nil && in.Days != 0:
		return BadRequest("days", "send until or days, not both")
	case in.Until != nil:
		until = *in.Until
	case in.Days > 0 && in.Days <= 365:
		until = s.cfg.CRM.Now().Add(time.Duration(in.Days) * 24 * time.Hour)
	case in.Days != 0:
		return BadRequest("days", "days must be between 1 and 365")
	default:
		return BadRequest("until", "say until when to snooze (until or days)")
	}
	f, err := s.cfg.CRM.SnoozeFollowUp(r.Context(), r.PathValue("id"), until, in.Version)
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, f)
}
