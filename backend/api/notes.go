package api

import (
	"net/http"

	"threadline/backend/crm"
)

func (s *Server) routesNotes() {
	s.handle("GET /api/leads/{id}/notes", s.listNotes)
	s.handle("POST /api/leads/{id}/notes", s.addNote)
	s.handle("PATCH /api/notes/{id}", s.patchNote)
	s.handle("DELETE /api/notes/{id}", s.deleteNote)
}

func (s *Server) listNotes(w http.ResponseWriter, r *http.Request) error {
	ns, err := s.cfg.CRM.Notes(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, items(ns))
}

func (s *Server) addNote(w http.ResponseWriter, r *http.Request) error {
	var in crm.NoteInput
	if err := DecodeJSON(w, r, &in); err != nil {
		return err
	}
	n, err := s.cfg.CRM.AddNote(r.Context(), r.PathValue("id"), in)
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusCreated, n)
}

func (s *Server) patchNote(w http.ResponseWriter, r *http.Request) error {
	var in crm.NoteInput
	if err := DecodeJSON(w, r, &in); err != nil {
		return err
	}
	n, err := s.cfg.CRM.UpdateNote(r.Context(), r.PathValue("id"), in)
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, n)
}

func (s *Server) deleteNote(w http.ResponseWriter, r *http.Request) error {
	v, err := versionParam(r)
	if err != nil {
		return err
	}
	if err := s.cfg.CRM.DeleteNote(r.Context(), r.PathValue("id"), v); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
