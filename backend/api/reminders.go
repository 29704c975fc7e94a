package api

import (
	"net/http"
	"time"

	"threadline/backend/reminders"
)

func (s *Server) routesReminders() {
	s.handle("GET /api/reminders", s.listReminders)
}

// remindersPage is the body of GET /api/reminders: what the in-app badge
// shows. Count is the number of open follow-ups due by now; the
// reminder.due event tells the UI when to fetch it again.
type remindersPage struct {
	Count int             `json:"count"`
	Items []reminders.Due `json:"items"`
}

func (s *Server) listReminders(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.Reminders == nil {
		return unavailable("reminders")
	}
	due, err := s.cfg.Reminders.DueFollowUps(r.Context(), time.Now())
	if err != nil {
		return err
	}
	if due == nil {
		due = []reminders.Due{}
	}
	return WriteJSON(w, http.StatusOK, remindersPage{Count: len(due), Items: due})
}
