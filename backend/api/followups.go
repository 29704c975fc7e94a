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

// createFollowUp: {"due_at": RFC 3339, "kind": "manual"|"no_reply",
// "note", "thread_id", "mailbox"}.
func (s *Server) createFollowUp(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		ThreadID string `json:"thread_id"`
		Mailbox  string `json:"mailbox"`
		DueAt    string `json:"due_at"`
		Kind     string `json:"kind"`
		Note     string `json:"note"`
	}
	if err := DecodeJSON(w, r, &in); err != nil {
		return err
	}
	due, err := timeField("due_at", in.DueAt)
	if err != nil {
		return err
	}
	f, err := s.cfg.CRM.CreateFollowUp(r.Context(), crm.FollowUpInput{LeadID: r.PathValue("id"), ThreadID: in.ThreadID,
		Mailbox: in.Mailbox, DueAt: due, Kind: in.Kind, Note: in.Note})
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusCreated, f)
}

// timeField parses an RFC 3339 time from a body field; JSON decoding of
// time.Time would not say which field was wrong. Empty is the zero time.
func timeField(field, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, BadRequest(field, "%s must be an RFC 3339 time such as 2026-06-30T09:00:00Z", field)
	}
	return t, nil
}

func (s *Server) getFollowUp(w http.ResponseWriter, r *http.Request) error {
	f, err := s.cfg.CRM.FollowUp(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, f)
}

func (s *Server) patchFollowUp(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Version *int    `json:"version"`
		DueAt   *string `json:"due_at"`
		Note    *string `json:"note"`
		State   *string `json:"state"`
	}
	if err := DecodeJSON(w, r, &in); err != nil {
		return err
	}
	patch := crm.FollowUpPatch{Version: in.Version, Note: in.Note, State: in.State}
	if in.DueAt != nil {
		due, err := timeField("due_at", *in.DueAt)
		if err != nil {
			return err
		}
		patch.DueAt = &due
	}
	f, err := s.cfg.CRM.UpdateFollowUp(r.Context(), r.PathValue("id"), patch)
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
		Version *int    `json:"version"`
		Until   *string `json:"until"`
		Days    int     `json:"days"`
	}
	if err := DecodeJSON(w, r, &in); err != nil {
		return err
	}
	var until time.Time
	switch {
	case in.Until != nil && in.Days != 0:
		return BadRequest("days", "send until or days, not both")
	case in.Until != nil:
		t, err := timeField("until", *in.Until)
		if err != nil {
			return err
		}
		until = t
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
