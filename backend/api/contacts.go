package api

import (
	"net/http"

	"threadline/backend/crm"
)

func (s *Server) routesContacts() {
	s.handle("GET /api/contacts", s.listContacts)
	s.handle("POST /api/contacts", s.createContact)
	s.handle("GET /api/contacts/{id}", s.getContact)
	s.handle("PATCH /api/contacts/{id}", s.patchContact)
	s.handle("DELETE /api/contacts/{id}", s.deleteContact)
}

func (s *Server) listContacts(w http.ResponseWriter, r *http.Request) error {
	cs, err := s.cfg.CRM.Contacts(r.Context())
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, items(cs))
}

func (s *Server) createContact(w http.ResponseWriter, r *http.Request) error {
	var in crm.ContactInput
	if err := DecodeJSON(w, r, &in); err != nil {
		return err
	}
	d, err := s.cfg.CRM.CreateContact(r.Context(), in)
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusCreated, d)
}

func (s *Server) getContact(w http.ResponseWriter, r *http.Request) error {
	d, err := s.cfg.CRM.Contact(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, d)
}

func (s *Server) patchContact(w http.ResponseWriter, r *http.Request) error {
	var in crm.ContactInput
	if err := DecodeJSON(w, r, &in); err != nil {
		return err
	}
	d, err := s.cfg.CRM.UpdateContact(r.Context(), r.PathValue("id"), in)
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, d)
}

func (s *Server) deleteContact(w http.ResponseWriter, r *http.Request) error {
	v, err := versionParam(r)
	if err != nil {
		return err
	}
	if err := s.cfg.CRM.DeleteContact(r.Context(), r.PathValue("id"), v); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
