package api

import (
	"context"
	"errors"
	"net/http"
	"time"

	"threadline/backend/mail"
)

func (s *Server) routesAccounts() {
	s.handle("GET /api/accounts", s.listAccounts)
	s.handle("GET /api/accounts/presets", s.accountPresets)
	s.handle("POST /api/accounts", s.createAccount)
	s.handle("POST /api/accounts/test", s.testDraftAccount)
	s.handle("GET /api/accounts/{id}", s.getAccount)
	s.handle("PUT /api/accounts/{id}", s.updateAccount)
	s.handle("DELETE /api/accounts/{id}", s.deleteAccount)
	s.handle("POST /api/accounts/{id}/test", s.testAccount)
	s.handle("POST /api/accounts/{id}/fetch-older", s.fetchOlder)
	s.handle("GET /api/accounts/{id}/folders", s.accountFolders)
	s.mappers = append(s.mappers, mailErrors)
}

// mailErrors maps the mail package's errors to API errors.
func mailErrors(err error) *Error {
	var fe *mail.FieldError
	switch {
	case errors.As(err, &fe):
		return Invalid(fe.Field, "%s", fe.Message)
	case errors.Is(err, mail.ErrAccountNotFound):
		return NotFound("no such account")
	case errors.Is(err, mail.ErrBadCursor):
		return BadRequest("cursor", "%s", err.Error())
	}
	return nil
}

// accountJSON is an account as the API shows it: never with a password.
type accountJSON struct {
	*mail.Account
	Status *mail.AccountStatus `json:"status,omitempty"`
}

func (s *Server) mailService() (*mail.Service, error) {
	if s.cfg.Mail == nil {
		return nil, &Error{Status: http.StatusServiceUnavailable, Code: "unavailable", Message: "mail is not available in this build"}
	}
	return s.cfg.Mail, nil
}

func (s *Server) listAccounts(w http.ResponseWriter, r *http.Request) error {
	m, err := s.mailService()
	if err != nil {
		return err
	}
	accts, err := mail.ListAccounts(s.cfg.Store)
	if err != nil {
		return err
	}
	status := map[string]*mail.AccountStatus{}
	for _, st := range m.Status() {
		status[st.Account] = st
	}
	out := make([]accountJSON, 0, len(accts))
	for _, a := range accts {
		out = append(out, accountJSON{Account: a, Status: status[a.ID]})
	}
	return WriteJSON(w, http.StatusOK, map[string]any{
		"accounts":       out,
		"secret_storage": m.SecretBackend(),
	})
}

func (s *Server) accountPresets(w http.ResponseWriter, r *http.Request) error {
	return WriteJSON(w, http.StatusOK, map[string]any{"presets": mail.Presets})
}

func (s *Server) getAccount(w http.ResponseWriter, r *http.Request) error {
	m, err := s.mailService()
	if err != nil {
		return err
	}
	a, err := mail.GetAccount(s.cfg.Store, r.PathValue("id"))
	if err != nil {
		return err
	}
	out := accountJSON{Account: a}
	for _, st := range m.Status() {
		if st.Account == a.ID {
			out.Status = st
		}
	}
	return WriteJSON(w, http.StatusOK, out)
}

func (s *Server) createAccount(w http.ResponseWriter, r *http.Request) error {
	m, err := s.mailService()
	if err != nil {
		return err
	}
	var in mail.AccountInput
	if err := DecodeJSON(w, r, &in); err != nil {
		return err
	}
	a, err := m.CreateAccount(in)
	if err != nil {
		return err
	}
	s.cfg.Bus.Publish("account.created", map[string]string{"id": a.ID})
	return WriteJSON(w, http.StatusCreated, accountJSON{Account: a})
}

func (s *Server) updateAccount(w http.ResponseWriter, r *http.Request) error {
	m, err := s.mailService()
	if err != nil {
		return err
	}
	var in mail.AccountInput
	if err := DecodeJSON(w, r, &in); err != nil {
		return err
	}
	a, err := m.UpdateAccount(r.PathValue("id"), in)
	if err != nil {
		return err
	}
	s.cfg.Bus.Publish("account.updated", map[string]string{"id": a.ID})
	return WriteJSON(w, http.StatusOK, accountJSON{Account: a})
}

func (s *Server) deleteAccount(w http.ResponseWriter, r *http.Request) error {
	m, err := s.mailService()
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	if err := m.DeleteAccount(id); err != nil {
		return err
	}
	s.cfg.Bus.Publish("account.deleted", map[string]string{"id": id})
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// connectionTestTimeout bounds a connection test so the form never hangs.
const connectionTestTimeout = 45 * time.Second

func (s *Server) testDraftAccount(w http.ResponseWriter, r *http.Request) error {
	m, err := s.mailService()
	if err != nil {
		return err
	}
	var in mail.AccountInput
	if err := DecodeJSON(w, r, &in); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(r.Context(), connectionTestTimeout)
	defer cancel()
	res, err := m.TestAccount(ctx, "", &in)
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, res)
}

func (s *Server) testAccount(w http.ResponseWriter, r *http.Request) error {
	m, err := s.mailService()
	if err != nil {
		return err
	}
	var in *mail.AccountInput
	if r.ContentLength > 0 {
		in = &mail.AccountInput{}
		if err := DecodeJSON(w, r, in); err != nil {
			return err
		}
	}
	ctx, cancel := context.WithTimeout(r.Context(), connectionTestTimeout)
	defer cancel()
	res, err := m.TestAccount(ctx, r.PathValue("id"), in)
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, res)
}

func (s *Server) fetchOlder(w http.ResponseWriter, r *http.Request) error {
	m, err := s.mailService()
	if err != nil {
		return err
	}
	var in struct {
		Days *int `json:"days"`
	}
	if err := DecodeJSON(w, r, &in); err != nil {
		return err
	}
	if in.Days == nil {
		return BadRequest("days", "days is required: how many more days to fetch, or 0 for everything")
	}
	if *in.Days < 0 {
		return Invalid("days", "days must be 0 (everything) or a positive number of days")
	}
	id := r.PathValue("id")
	if _, err := mail.GetAccount(s.cfg.Store, id); err != nil {
		return err
	}
	// The sync runs in the background; progress arrives as sync.progress.
	go func() {
		if err := m.FetchOlder(context.Background(), id, *in.Days); err != nil {
			s.log.Warn("fetching older mail failed", "account", id, "err", err)
		}
	}()
	return WriteJSON(w, http.StatusAccepted, map[string]any{"started": true})
}

func (s *Server) accountFolders(w http.ResponseWriter, r *http.Request) error {
	m, err := s.mailService()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(r.Context(), connectionTestTimeout)
	defer cancel()
	folders, err := m.ServerFolders(ctx, r.PathValue("id"))
	if err != nil {
		var se *mail.SyncError
		if errors.As(err, &se) {
			return &Error{Status: http.StatusBadGateway, Code: "mail_server", Message: se.Message()}
		}
		return err
	}
	return WriteJSON(w, http.StatusOK, map[string]any{"folders": folders})
}
