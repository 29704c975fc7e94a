package api

import (
	"net/http"

	"threadline/backend/crm"
)

func (s *Server) routesTimeline() {
	s.handle("GET /api/leads/{id}/timeline", s.timeline)
}

// timeline: GET /api/leads/{id}/timeline?type=a,b (or type=a&type=b)
// &q=&limit=&cursor=,
// newest first.
func (s *Server) timeline(w http.ResponseWriter, r *http.Request) error {
	limit, err := intParam(r, "limit", 50)
	if err != nil {
		return err
	}
	var types []string
	for _, t := range r.URL.Query()["type"] {
		types = append(types, splitList(t)...)
	}
	q := crm.TimelineQuery{Types: types, Q: r.URL.Query().Get("q"),
		Limit: limit, Cursor: r.URL.Query().Get("cursor")}
	page, err := s.cfg.CRM.Timeline(r.Context(), r.PathValue("id"), q)
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, page)
}
