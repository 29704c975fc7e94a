package api

import (
	"net/http"
	"strings"

	"threadline/backend/crm"
)

func (s *Server) routesLeads() {
	s.handle("GET /api/leads", s.listLeads)
	s.handle("POST /api/leads", s.createLead)
	s.handle("PUT /api/leads/upsert", s.upsertLead)
	s.handle("POST /api/leads/upsert", s.upsertLead)
	s.handle("POST /api/leads/bulk-move", s.bulkMove)
	s.handle("GET /api/leads/{id}", s.getLead)
	s.handle("PATCH /api/leads/{id}", s.patchLead)
	s.handle("DELETE /api/leads/{id}", s.deleteLead)
	s.handle("POST /api/leads/{id}/move", s.moveLead)
	s.handle("POST /api/leads/{id}/qualify", s.qualifyLead(true))
	s.handle("POST /api/leads/{id}/disqualify", s.qualifyLead(false))
	s.handle("POST /api/leads/{id}/convert", s.convertLead)
	s.handle("POST /api/leads/{id}/reopen", s.reopenLead)
	s.handle("POST /api/leads/{id}/score", s.scoreLead)
	s.handle("POST /api/leads/{id}/threads", s.linkThread)
}

// listLeads: GET /api/leads?pipeline=&stage=&status=&qualification=
// &priority=&source=&tag=&owner=&created_from=&created_to=&updated_from=
// &updated_to=&q=&include_archived=&sort=&dir=asc|desc&limit=&cursor=
func (s *Server) listLeads(w http.ResponseWriter, r *http.Request) error {
	qv := r.URL.Query()
	q := crm.ListQuery{
		PipelineID: qv.Get("pipeline"), StageID: qv.Get("stage"), Status: qv.Get("status"),
		Qualification: qv.Get("qualification"), Priority: qv.Get("priority"), Source: qv.Get("source"),
		Tag: qv.Get("tag"), Mailbox: qv.Get("owner"), Q: qv.Get("q"), Sort: qv.Get("sort"), Cursor: qv.Get("cursor"),
	}
	if q.PipelineID == "" {
		q.PipelineID = qv.Get("pipeline_id")
	}
	if q.Mailbox == "" {
		q.Mailbox = qv.Get("mailbox")
	}
	var err error
	if q.IncludeArchived, err = boolParam(r, "include_archived"); err != nil {
		return err
	}
	if q.Limit, err = intParam(r, "limit", 50); err != nil {
		return err
	}
	if q.Limit < 1 || q.Limit > 500 {
		return BadRequest("limit", "limit must be between 1 and 500")
	}
	if q.CreatedFrom, err = timeParam(r, "created_from", false); err != nil {
		return err
	}
	if q.CreatedTo, err = timeParam(r, "created_to", true); err != nil {
		return err
	}
	if q.UpdatedFrom, err = timeParam(r, "updated_from", false); err != nil {
		return err
	}
	if q.UpdatedTo, err = timeParam(r, "updated_to", true); err != nil {
		return err
	}
	switch dir := strings.ToLower(qv.Get("dir")); dir {
	case "", "asc":
		if dir == "" && q.Sort == "" {
			q.Desc = true
		}
	case "desc":
		q.Desc = true
	default:
		return BadRequest("dir", "dir must be asc or desc")
	}
	if q.Sort == "" {
		q.Sort = "updated_at"
	}
	switch q.Status {
	case "", crm.EngagementNew, crm.EngagementContacted, crm.EngagementReplied, crm.EngagementStale:
	default:
		return BadRequest("status", "status must be new, contacted, replied or stale")
	}
	switch q.Priority {
	case "", crm.PriorityLow, crm.PriorityMedium, crm.PriorityHigh:
	default:
		return BadRequest("priority", "priority must be low, medium or high")
	}
	switch q.Qualification {
	case "", crm.Unqualified, crm.Qualified, crm.Disqualified:
	default:
		return BadRequest("qualification", "qualification must be unqualified, qualified or disqualified")
	}
	page, err := s.cfg.CRM.ListLeads(r.Context(), q)
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, page)
}

func (s *Server) createLead(w http.ResponseWriter, r *http.Request) error {
	var in crm.LeadInput
	if err := DecodeJSON(w, r, &in); err != nil {
		return err
	}
	l, err := s.cfg.CRM.CreateLead(r.Context(), in)
	if err != nil {
		return err
	}
	s.threadsBecameLeads(r.Context(), l.ThreadIDs...)
	return WriteJSON(w, http.StatusCreated, l)
}

// upsertLead answers 201 when it created the lead, 200 otherwise:
// {"lead": {...}, "created": bool}.
func (s *Server) upsertLead(w http.ResponseWriter, r *http.Request) error {
	var in crm.UpsertInput
	if err := DecodeJSON(w, r, &in); err != nil {
		return err
	}
	l, created, err := s.cfg.CRM.UpsertLead(r.Context(), in)
	if err != nil {
		return err
	}
	s.threadsBecameLeads(r.Context(), in.ThreadID)
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return WriteJSON(w, status, map[string]any{"lead": l, "created": created})
}

func (s *Server) getLead(w http.ResponseWriter, r *http.Request) error {
	l, err := s.cfg.CRM.Lead(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, l)
}

func (s *Server) patchLead(w http.ResponseWriter, r *http.Request) error {
	var in crm.LeadPatch
	if err := DecodeJSON(w, r, &in); err != nil {
		return err
	}
	l, err := s.cfg.CRM.UpdateLead(r.Context(), r.PathValue("id"), in)
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, l)
}

// deleteLead archives (200 with the lead); ?purge=1 deletes for good (204).
func (s *Server) deleteLead(w http.ResponseWriter, r *http.Request) error {
	v, err := versionParam(r)
	if err != nil {
		return err
	}
	purge, err := boolParam(r, "purge")
	if err != nil {
		return err
	}
	if purge {
		if err := s.cfg.CRM.PurgeLead(r.Context(), r.PathValue("id"), v); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	l, err := s.cfg.CRM.ArchiveLead(r.Context(), r.PathValue("id"), v, crm.ActorYou)
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, l)
}

func (s *Server) moveLead(w http.ResponseWriter, r *http.Request) error {
	var in crm.MoveInput
	if err := DecodeJSON(w, r, &in); err != nil {
		return err
	}
	l, err := s.cfg.CRM.MoveLead(r.Context(), r.PathValue("id"), in)
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, l)
}

func (s *Server) bulkMove(w http.ResponseWriter, r *http.Request) error {
	var in crm.BulkMoveInput
	if err := DecodeJSON(w, r, &in); err != nil {
		return err
	}
	n, err := s.cfg.CRM.BulkMove(r.Context(), in)
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, map[string]int{"moved": n})
}

func (s *Server) qualifyLead(qualified bool) HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		var in crm.QualifyInput
		if err := decodeOptional(w, r, &in); err != nil {
			return err
		}
		l, err := s.cfg.CRM.Qualify(r.Context(), r.PathValue("id"), qualified, in)
		if err != nil {
			return err
		}
		return WriteJSON(w, http.StatusOK, l)
	}
}

func (s *Server) convertLead(w http.ResponseWriter, r *http.Request) error {
	var in crm.ConvertInput
	if err := decodeOptional(w, r, &in); err != nil {
		return err
	}
	l, err := s.cfg.CRM.ConvertLead(r.Context(), r.PathValue("id"), in)
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, l)
}

func (s *Server) reopenLead(w http.ResponseWriter, r *http.Request) error {
	var in crm.ReopenInput
	if err := decodeOptional(w, r, &in); err != nil {
		return err
	}
	l, err := s.cfg.CRM.ReopenLead(r.Context(), r.PathValue("id"), in)
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, l)
}

// scoreLead: {"breakdown": [{"rule": "...", "points": 10}], "actor": "rule:x"}.
func (s *Server) scoreLead(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Breakdown []crm.ScoreItem `json:"breakdown"`
		Actor     string          `json:"actor"`
	}
	if err := DecodeJSON(w, r, &in); err != nil {
		return err
	}
	if in.Breakdown == nil {
		return BadRequest("breakdown", "send the score breakdown")
	}
	l, err := s.cfg.CRM.SetScore(r.Context(), r.PathValue("id"), in.Breakdown, in.Actor)
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, l)
}

// linkThread: {"thread_id": "...", "mailbox": "me@example.com"}.
func (s *Server) linkThread(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		ThreadID string `json:"thread_id"`
		Mailbox  string `json:"mailbox"`
	}
	if err := DecodeJSON(w, r, &in); err != nil {
		return err
	}
	l, err := s.cfg.CRM.LinkThread(r.Context(), r.PathValue("id"), in.ThreadID, in.Mailbox)
	if err != nil {
		return err
	}
	s.threadsBecameLeads(r.Context(), in.ThreadID)
	return WriteJSON(w, http.StatusOK, l)
}
