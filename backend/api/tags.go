package api

import (
	"net/http"

	"threadline/backend/crm"
)

func (s *Server) routesTags() {
	s.handle("GET /api/tags", s.listTags)
	s.handle("POST /api/tags", s.createTag)
	s.handle("PATCH /api/tags/{id}", s.patchTag)
	s.handle("DELETE /api/tags/{id}", s.deleteTag)
}

func (s *Server) listTags(w http.ResponseWriter, r *http.Request) error {
	ts, err := s.cfg.CRM.Tags(r.Context())
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, items(ts))
}

func (s *Server) createTag(w http.ResponseWriter, r *http.Request) error {
	var in crm.TagInput
	if err := DecodeJSON(w, r, &in); err != nil {
		return err
	}
	t, err := s.cfg.CRM.CreateTag(r.Context(), in)
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusCreated, t)
}

// patchTag renames (rewriting every lead that carries it) or recolours.
func (s *Server) patchTag(w http.ResponseWriter, r *http.Request) error {
	var in crm.TagInput
	if err := DecodeJSON(w, r, &in); err != nil {
		return err
	}
	t, err := s.cfg.CRM.UpdateTag(r.Context(), r.PathValue("id"), in)
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, t)
}

func (s *Server) deleteTag(w http.ResponseWriter, r *http.Request) error {
	v, err := versionParam(r)
	if err != nil {
		return err
	}
	if err := s.cfg.CRM.DeleteTag(r.Context(), r.PathValue("id"), v); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
