package api

import (
	"errors"
	"net/http"
	"strconv"

	"threadline/backend/mail"
	"threadline/backend/store"
)

func (s *Server) routesThreads() {
	s.handle("GET /api/sync/status", s.syncStatus)
	s.handle("POST /api/sync/now", s.syncNow)
	s.handle("GET /api/threads", s.listThreads)
	s.handle("GET /api/threads/{id}", s.getThread)
	s.handle("GET /api/messages/{id}/raw", s.rawMessage)
}

func (s *Server) syncStatus(w http.ResponseWriter, r *http.Request) error {
	m, err := s.mailService()
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, map[string]any{"accounts": m.Status(), "secret_storage": m.SecretBackend()})
}

func (s *Server) syncNow(w http.ResponseWriter, r *http.Request) error {
	m, err := s.mailService()
	if err != nil {
		return err
	}
	var in struct {
		Account string `json:"account"`
	}
	if r.ContentLength > 0 {
		if err := DecodeJSON(w, r, &in); err != nil {
			return err
		}
	}
	if in.Account != "" {
		if _, err := mail.GetAccount(s.cfg.Store, in.Account); err != nil {
			if errors.Is(err, mail.ErrAccountNotFound) {
				return Invalid("account", "no account with id %q", in.Account)
			}
			return err
		}
	}
	started := m.SyncNow(in.Account)
	return WriteJSON(w, http.StatusAccepted, map[string]any{"started": started})
}

func (s *Server) listThreads(w http.ResponseWriter, r *http.Request) error {
	m, err := s.mailService()
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := mail.ThreadFilter{
		Account:     q.Get("account"),
		Folder:      q.Get("folder"),
		Direction:   q.Get("direction"),
		Participant: q.Get("participant"),
		Cursor:      q.Get("cursor"),
	}
	switch f.Direction {
	case "", mail.Inbound, mail.Outbound:
	default:
		return BadRequest("direction", "direction must be inbound or outbound, not %q", f.Direction)
	}
	if v := q.Get("unread"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return BadRequest("unread", "unread must be true or false, not %q", v)
		}
		f.Unread = &b
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			return BadRequest("limit", "limit must be a whole number from 1 to 500, not %q", v)
		}
		f.Limit = n
	}
	page, err := m.ListThreads(f)
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, page)
}

func (s *Server) getThread(w http.ResponseWriter, r *http.Request) error {
	m, err := s.mailService()
	if err != nil {
		return err
	}
	allow := false
	if v := r.URL.Query().Get("remote_content"); v != "" {
		if v != "allow" && v != "block" {
			return BadRequest("remote_content", "remote_content must be allow or block, not %q", v)
		}
		allow = v == "allow"
	}
	t, err := m.ThreadView(r.PathValue("id"), allow)
	if errors.Is(err, store.ErrNotFound) {
		return NotFound("no such thread")
	}
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, t)
}

func (s *Server) rawMessage(w http.ResponseWriter, r *http.Request) error {
	var raw []byte
	err := s.cfg.Store.View(func(txn *store.Txn) error {
		var err error
		raw, err = mail.RawMessage(txn, r.PathValue("id"))
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return NotFound("no such message")
	}
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "message/rfc822")
	w.Header().Set("Content-Disposition", `attachment; filename="`+r.PathValue("id")+`.eml"`)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, err = w.Write(raw)
	return err
}
