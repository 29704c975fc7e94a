package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"threadline/backend/suggest"
	"threadline/backend/templates"
)

func (s *Server) routesTemplates() {
	s.handle("GET /api/templates", s.listTemplates)
	s.handle("POST /api/templates", s.createTemplate)
	s.handle("GET /api/templates/{id}", s.getTemplate)
	s.handle("PUT /api/templates/{id}", s.updateTemplate)
	s.handle("DELETE /api/templates/{id}", s.deleteTemplate)
	s.handle("POST /api/templates/{id}/render", s.renderTemplate)
	s.handle("POST /api/suggest-reply", s.suggestReply)
	s.handle("GET /api/settings/llm", s.getLLMSettings)
	s.handle("PUT /api/settings/llm", s.putLLMSettings)
	s.mappers = append(s.mappers, mapTemplateError)
}

// ThreadSuggestInput turns a thread id into the input of a suggestion;
// the mail package provides it.
type ThreadSuggestInput func(ctx context.Context, threadID string) (suggest.Input, error)

func unavailable(what string) *Error {
	return &Error{Status: http.StatusServiceUnavailable, Code: "unavailable", Message: what + " is not set up in this build"}
}

// templateRequest is the body of POST and PUT /api/templates.
type templateRequest struct {
	Kind    templates.Kind `json:"kind"`
	Name    string         `json:"name"`
	Subject string         `json:"subject"`
	Body    string         `json:"body"`
	Intent  string         `json:"intent"`
}

func (t templateRequest) template() templates.Template {
	return templates.Template{Kind: t.Kind, Name: t.Name, Subject: t.Subject, Body: t.Body, Intent: t.Intent}
}

func (s *Server) listTemplates(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.Templates == nil {
		return unavailable("templates")
	}
	kind := templates.Kind(r.URL.Query().Get("kind"))
	if kind != "" && kind != templates.KindTemplate && kind != templates.KindSnippet {
		return BadRequest("kind", "kind must be template or snippet")
	}
	list, err := s.cfg.Templates.List(kind)
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, map[string]any{"templates": list})
}

func (s *Server) createTemplate(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.Templates == nil {
		return unavailable("templates")
	}
	var in templateRequest
	if err := DecodeJSON(w, r, &in); err != nil {
		return err
	}
	t, err := s.cfg.Templates.Create(in.template())
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusCreated, t)
}

func (s *Server) getTemplate(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.Templates == nil {
		return unavailable("templates")
	}
	t, err := s.cfg.Templates.Get(r.PathValue("id"))
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, t)
}

func (s *Server) updateTemplate(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.Templates == nil {
		return unavailable("templates")
	}
	var in templateRequest
	if err := DecodeJSON(w, r, &in); err != nil {
		return err
	}
	t, err := s.cfg.Templates.Update(r.PathValue("id"), in.template())
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, t)
}

func (s *Server) deleteTemplate(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.Templates == nil {
		return unavailable("templates")
	}
	if err := s.cfg.Templates.Delete(r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) renderTemplate(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.Templates == nil {
		return unavailable("templates")
	}
	var in struct {
		Vars map[string]string `json:"vars"`
	}
	if err := DecodeJSON(w, r, &in); err != nil {
		return err
	}
	t, err := s.cfg.Templates.Get(r.PathValue("id"))
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, templates.Render(t, in.Vars))
}

// suggestRequest is the body of POST /api/suggest-reply: either a thread
// id (resolved by the mail store) or the messages themselves.
type suggestRequest struct {
	ThreadID string            `json:"thread_id"`
	Subject  string            `json:"subject"`
	Messages []suggest.Message `json:"messages"`
	Vars     map[string]string `json:"vars"`
}

func (s *Server) suggestReply(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.Suggest == nil {
		return unavailable("reply suggestions")
	}
	var in suggestRequest
	if err := DecodeJSON(w, r, &in); err != nil {
		return err
	}
	input := suggest.Input{Subject: in.Subject, Messages: in.Messages, Vars: in.Vars}
	if in.ThreadID != "" {
		if s.cfg.ThreadSuggestInput == nil {
			return BadRequest("thread_id", "threads cannot be looked up in this build; send the messages instead")
		}
		var err error
		if input, err = s.cfg.ThreadSuggestInput(r.Context(), in.ThreadID); err != nil {
			return err
		}
		for k, v := range in.Vars {
			if input.Vars == nil {
				input.Vars = map[string]string{}
			}
			input.Vars[k] = v
		}
	}
	for i, m := range input.Messages {
		if m.Direction != suggest.Inbound && m.Direction != suggest.Outbound {
			return BadRequest("messages["+strconv.Itoa(i)+"].direction", `direction must be "inbound" or "outbound"`)
		}
	}
	if len(input.Messages) == 0 {
		return BadRequest("messages", "send the thread's messages (or a thread_id)")
	}
	sg, err := s.cfg.Suggest.Suggest(r.Context(), input)
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, sg)
}

// llmSettingsResponse adds whether thread text stays on this machine.
type llmSettingsResponse struct {
	suggest.Settings
	Enabled bool `json:"enabled"`
	Local   bool `json:"local"`
}

func (s *Server) getLLMSettings(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.Suggest == nil {
		return unavailable("reply suggestions")
	}
	set, err := s.cfg.Suggest.Settings()
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, llmSettingsResponse{set, set.Enabled(), set.Local()})
}

func (s *Server) putLLMSettings(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.Suggest == nil {
		return unavailable("reply suggestions")
	}
	var in suggest.SettingsUpdate
	if err := DecodeJSON(w, r, &in); err != nil {
		return err
	}
	set, err := s.cfg.Suggest.SetSettings(in)
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, llmSettingsResponse{set, set.Enabled(), set.Local()})
}

func mapTemplateError(err error) *Error {
	var fe *templates.FieldError
	var se *suggest.SettingsError
	switch {
	case errors.As(err, &fe):
		return Invalid(fe.Field, "%s", fe.Message)
	case errors.As(err, &se):
		return Invalid(se.Field, "%s", se.Message)
	case errors.Is(err, templates.ErrNotFound):
		return NotFound("%s", err.Error())
	case errors.Is(err, suggest.ErrNoInbound):
		return Invalid("messages", "%s", err.Error())
	}
	return nil
}
