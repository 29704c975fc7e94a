package api

import (
	"net/http"

	"threadline/backend/crm"
)

func (s *Server) routesPipelines() {
	s.handle("GET /api/pipelines", s.listPipelines)
	s.handle("POST /api/pipelines", s.createPipeline)
	s.handle("GET /api/pipelines/{id}", s.getPipeline)
	s.handle("PATCH /api/pipelines/{id}", s.patchPipeline)
	s.handle("DELETE /api/pipelines/{id}", s.deletePipeline)
	s.handle("POST /api/pipelines/{id}/stages", s.addStage)
	s.handle("PATCH /api/pipelines/{id}/stages/{stage}", s.patchStage)
	s.handle("DELETE /api/pipelines/{id}/stages/{stage}", s.deleteStage)
	s.handle("PUT /api/pipelines/{id}/stages/order", s.orderStages)
}

func (s *Server) listPipelines(w http.ResponseWriter, r *http.Request) error {
	ps, err := s.cfg.CRM.Pipelines(r.Context())
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, items(ps))
}

func (s *Server) createPipeline(w http.ResponseWriter, r *http.Request) error {
	var in crm.PipelineInput
	if err := DecodeJSON(w, r, &in); err != nil {
		return err
	}
	p, err := s.cfg.CRM.CreatePipeline(r.Context(), in)
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusCreated, p)
}

func (s *Server) getPipeline(w http.ResponseWriter, r *http.Request) error {
	p, err := s.cfg.CRM.Pipeline(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, p)
}

func (s *Server) patchPipeline(w http.ResponseWriter, r *http.Request) error {
	var in crm.PipelinePatch
	if err := DecodeJSON(w, r, &in); err != nil {
		return err
	}
	p, err := s.cfg.CRM.UpdatePipeline(r.Context(), r.PathValue("id"), in)
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, p)
}

func (s *Server) deletePipeline(w http.ResponseWriter, r *http.Request) error {
	v, err := versionParam(r)
	if err != nil {
		return err
	}
	if err := s.cfg.CRM.DeletePipeline(r.Context(), r.PathValue("id"), v); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// stageBody is a stage change plus the pipeline version it is based on.
type stageBody struct {
	Version *int `json:"version"`
	crm.StageInput
}

func (s *Server) addStage(w http.ResponseWriter, r *http.Request) error {
	var in stageBody
	if err := DecodeJSON(w, r, &in); err != nil {
		return err
	}
	p, st, err := s.cfg.CRM.AddStage(r.Context(), r.PathValue("id"), in.Version, in.StageInput)
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusCreated, map[string]any{"pipeline": p, "stage": st})
}

func (s *Server) patchStage(w http.ResponseWriter, r *http.Request) error {
	var in stageBody
	if err := DecodeJSON(w, r, &in); err != nil {
		return err
	}
	p, err := s.cfg.CRM.UpdateStage(r.Context(), r.PathValue("id"), r.PathValue("stage"), in.Version, in.StageInput)
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, p)
}

func (s *Server) deleteStage(w http.ResponseWriter, r *http.Request) error {
	v, err := versionParam(r)
	if err != nil {
		return err
	}
	p, err := s.cfg.CRM.DeleteStage(r.Context(), r.PathValue("id"), r.PathValue("stage"), r.URL.Query().Get("move_to"), v)
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, p)
}

func (s *Server) orderStages(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Version *int     `json:"version"`
		Order   []string `json:"order"`
	}
	if err := DecodeJSON(w, r, &in); err != nil {
		return err
	}
	p, err := s.cfg.CRM.ReorderStages(r.Context(), r.PathValue("id"), in.Version, in.Order)
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, p)
}
