package api

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"threadline/backend/search"
)

func (s *Server) routesSearch() {
	s.handle("GET /api/search", s.search)
	s.handle("GET /api/search/counts", s.searchCounts)
	s.handle("GET /api/search/status", s.searchStatus)
	s.handle("POST /api/search/reindex", s.searchReindex)
	s.mappers = append(s.mappers, searchErrors)
}

// searchErrors: a malformed query or cursor is the caller's mistake.
func searchErrors(err error) *Error {
	var qe *search.QueryError
	if errors.As(err, &qe) {
		return &Error{Status: http.StatusBadRequest, Code: "bad_query", Field: "q", Message: qe.Error()}
	}
	var ce *search.CursorError
	if errors.As(err, &ce) {
		return BadRequest("cursor", "%s; start again without a cursor", ce.Msg)
	}
	return nil
}

func (s *Server) searchIndex() (*search.Index, error) {
	if s.cfg.Search == nil {
		return nil, &Error{Status: http.StatusServiceUnavailable, Code: "unavailable", Message: "search is not available in this build"}
	}
	return s.cfg.Search, nil
}

// maxQueryLen bounds q: a query is typed by a person, and each word
// becomes a clause over several fields.
const maxQueryLen = 1000

// search serves GET /api/search?q=&kind=mail|leads|all&limit=&cursor=&sort=relevance|date&counts=false|true.
// Counts are off unless asked for: a page of hits comes back sooner
// without them, and /api/search/counts gives them on their own.
func (s *Server) search(w http.ResponseWriter, r *http.Request) error {
	idx, err := s.searchIndex()
	if err != nil {
		return err
	}
	qv := r.URL.Query()
	req := search.Request{Query: qv.Get("q"), Cursor: qv.Get("cursor")}
	if len(req.Query) > maxQueryLen {
		return BadRequest("q", "the query is %d bytes long; the limit is %d", len(req.Query), maxQueryLen)
	}
	switch qv.Get("kind") {
	case "", "all":
	case "mail":
		req.Kind = search.KindMail
	case "leads", "lead":
		req.Kind = search.KindLead
	default:
		return BadRequest("kind", "kind must be mail, leads or all, not %q", qv.Get("kind"))
	}
	if v := qv.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > search.MaxLimit {
			return BadRequest("limit", "limit must be a whole number from 1 to %d, not %q", search.MaxLimit, v)
		}
		req.Limit = n
	}
	switch v := qv.Get("counts"); v {
	case "", "false", "0":
	case "true", "1":
		req.Counts = true
	default:
		return BadRequest("counts", "counts must be true or false, not %q", v)
	}
	switch v := qv.Get("sort"); v {
	case "", "relevance", "date":
		req.Sort = v
	default:
		return BadRequest("sort", "sort must be relevance or date, not %q", v)
	}
	res, err := idx.Search(r.Context(), req)
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, res)
}

// searchCounts serves GET /api/search/counts?q=: every match of the query
// counted by kind, folder and stage.
func (s *Server) searchCounts(w http.ResponseWriter, r *http.Request) error {
	idx, err := s.searchIndex()
	if err != nil {
		return err
	}
	q := r.URL.Query().Get("q")
	if len(q) > maxQueryLen {
		return BadRequest("q", "the query is %d bytes long; the limit is %d", len(q), maxQueryLen)
	}
	c, err := idx.Count(r.Context(), q, time.Time{})
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, c)
}

// searchStatus serves GET /api/search/status: rebuild progress, pending
// changes and the number of indexed documents.
func (s *Server) searchStatus(w http.ResponseWriter, r *http.Request) error {
	idx, err := s.searchIndex()
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, idx.Status())
}

// searchReindex serves POST /api/search/reindex: the rebuild runs in the
// background and reports progress as search.reindex events.
func (s *Server) searchReindex(w http.ResponseWriter, r *http.Request) error {
	idx, err := s.searchIndex()
	if err != nil {
		return err
	}
	idx.RequestRebuild()
	return WriteJSON(w, http.StatusAccepted, map[string]string{"status": "rebuilding"})
}
