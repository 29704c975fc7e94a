package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
)

// Error is the one error shape every handler returns:
//
//	{"error": {"code": "invalid_field", "message": "...", "field": "email"}}
//
// Field names the request field at fault, in the JSON path form the client
// sent ("stages[2].name"), when there is one.
type Error struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s", e.Field, e.Message)
	}
	return e.Message
}

// BadRequest is a 400 about one field.
func BadRequest(field, format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "bad_request", Field: field, Message: fmt.Sprintf(format, args...)}
}

// Invalid is a 422: well-formed input that breaks a rule of the model.
func Invalid(field, format string, args ...any) *Error {
	return &Error{Status: http.StatusUnprocessableEntity, Code: "invalid", Field: field, Message: fmt.Sprintf(format, args...)}
}

// NotFound is a 404 for a named thing.
func NotFound(format string, args ...any) *Error {
	return &Error{Status: http.StatusNotFound, Code: "not_found", Message: fmt.Sprintf(format, args...)}
}

// Conflict is a 409: the write lost to another one; reload and retry.
func Conflict(format string, args ...any) *Error {
	return &Error{Status: http.StatusConflict, Code: "conflict", Message: fmt.Sprintf(format, args...)}
}

// HandlerFunc is an http.HandlerFunc that returns its error instead of
// writing it, so every handler fails in the same shape.
type HandlerFunc func(w http.ResponseWriter, r *http.Request) error

// ErrorMapper turns errors from a domain package into API errors; packages
// register theirs with Server.MapErrors so handlers can return domain
// errors unchanged.
type ErrorMapper func(error) *Error

func (s *Server) wrap(h HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	}
}

func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var apiErr *Error
	if !errors.As(err, &apiErr) {
		for _, m := range s.mappers {
			if apiErr = m(err); apiErr != nil {
				break
			}
		}
	}
	if apiErr == nil {
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		apiErr = &Error{Status: http.StatusInternalServerError, Code: "internal",
			Message: "Threadline could not complete the request: " + err.Error()}
	}
	WriteJSON(w, apiErr.Status, map[string]*Error{"error": apiErr})
}

// WriteJSON writes v as a JSON response with the given status.
func WriteJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
