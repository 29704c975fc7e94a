package api

import (
	"net/http"

	"threadline/backend/crm"
)

func (s *Server) routesCustomFields() {
	s.handle("GET /api/custom-fields", s.listFieldDefs)
	s.handle("POST /api/custom-fields", s.createFieldDef)
	s.handle("PATCH /api/custom-fields/{id}", s.patchFieldDef)
	s.handle("DELETE /api/custom-fields/{id}", s.deleteFieldDef)
}

func (s *Server) listFieldDefs(w http.ResponseWriter, r *http.Request) error {
	ds, err := s.cfg.CRM.FieldDefs(r.Context())
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, items(ds))
}

func (s *Server) createFieldDef(w http.ResponseWriter, r *http.Request) error {
	var in crm.FieldDefInput
	if err := DecodeJSON(w, r, &in); err != nil {
		return err
	}
	d, err := s.cfg.CRM.CreateFieldDef(r.Context(), in)
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusCreated, d)
}

func (s *Server) patchFieldDef(w http.ResponseWriter, r *http.Request) error {
	var in crm.FieldDefInput
	if err := DecodeJSON(w, r, &in); err != nil {
		return err
	}
	d, err := s.cfg.CRM.UpdateFieldDef(r.Context(), r.PathValue("id"), in)
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, d)
}

// deleteFieldDef removes the definition and its values from every lead.
func (s *Server) deleteFieldDef(w http.ResponseWriter, r *http.Request) error {
	v, err := versionParam(r)
	if err != nil {
		return err
	}
	if err := s.cfg.CRM.DeleteFieldDef(r.Context(), r.PathValue("id"), v); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
