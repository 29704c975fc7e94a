package api

import "net/http"

func (s *Server) routesBoard() {
	s.handle("GET /api/pipelines/{id}/board", s.board)
	s.handle("GET /api/pipelines/{id}/board/columns/{stage}", s.boardColumn)
}

// board: GET /api/pipelines/{id}/board?limit=N → every column with count,
// value sums and its first N cards.
func (s *Server) board(w http.ResponseWriter, r *http.Request) error {
	limit, err := intParam(r, "limit", 25)
	if err != nil {
		return err
	}
	b, err := s.cfg.CRM.Board(r.Context(), r.PathValue("id"), limit)
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, b)
}

// boardColumn pages through one column: ?cursor= from next_cursor.
func (s *Server) boardColumn(w http.ResponseWriter, r *http.Request) error {
	limit, err := intParam(r, "limit", 25)
	if err != nil {
		return err
	}
	c, err := s.cfg.CRM.BoardColumn(r.Context(), r.PathValue("id"), r.PathValue("stage"), r.URL.Query().Get("cursor"), limit)
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, c)
}
