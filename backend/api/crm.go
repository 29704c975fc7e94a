package api

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"threadline/backend/crm"
)

// routesCRM registers the CRM resources and the mapping of crm's errors.
func (s *Server) routesCRM() {
	s.mappers = append(s.mappers, crmErrors)
	s.routesPipelines()
	s.routesBoard()
	s.routesLeads()
	s.routesNotes()
	s.routesTimeline()
	s.routesFollowUps()
	s.routesDeals()
	s.routesContacts()
	s.routesTags()
	s.routesCustomFields()
	s.routesDiscardReasons()
	s.routesSignals()
}

// crmErrors maps the crm package's error types: malformed input 400, rule
// violations 422 (closed leads: code final_state), stale versions and
// duplicates 409, missing records 404.
func crmErrors(err error) *Error {
	var fe *crm.FieldError
	var re *crm.RuleError
	var vc *crm.VersionConflict
	var de *crm.DuplicateError
	switch {
	case errors.As(err, &fe):
		return BadRequest(fe.Field, "%s", fe.Msg)
	case errors.As(err, &re):
		e := Invalid(re.Field, "%s", re.Msg)
		if errors.Is(err, crm.ErrFinal) {
			e.Code = "final_state"
		}
		return e
	case errors.As(err, &vc):
		e := Conflict("%s", vc.Error())
		e.Code = "version_conflict"
		e.Field = "version"
		return e
	case errors.As(err, &de):
		e := Conflict("%s", de.Msg)
		e.Code = "duplicate"
		e.Field = de.Field
		return e
	case errors.Is(err, crm.ErrNotFound):
		return NotFound("%s", err.Error())
	}
	return nil
}

// decodeOptional decodes a JSON body if there is one; an empty body
// leaves v as it is.
func decodeOptional(w http.ResponseWriter, r *http.Request, v any) error {
	if r.ContentLength == 0 {
		return nil
	}
	return DecodeJSON(w, r, v)
}

// versionParam reads ?version= for requests without a body (DELETE).
func versionParam(r *http.Request) (*int, error) {
	raw := r.URL.Query().Get("version")
	if raw == "" {
		return nil, nil
	}
	v, err := strconv.Atoi(raw)
	if err != nil || v < 1 {
		return nil, BadRequest("version", "version must be a positive whole number")
	}
	return &v, nil
}

func intParam(r *http.Request, name string, def int) (int, error) {
	raw := r.URL.Query().Get(name)
	if raw == "" {
		return def, nil
	}
	v, err := strconv.Atoi(raw)
	if err != nil {
		return 0, BadRequest(name, "%s must be a whole number", name)
	}
	return v, nil
}

func boolParam(r *http.Request, name string) (bool, error) {
	raw := r.URL.Query().Get(name)
	if raw == "" {
		return false, nil
	}
	v, err := strconv.ParseBool(raw)
	if err != nil {
		return false, BadRequest(name, "%s must be true or false", name)
	}
	return v, nil
}

// timeParam reads an RFC 3339 time or a date; a date as an upper bound
// means the end of that day.
func timeParam(r *http.Request, name string, upper bool) (time.Time, error) {
	raw := r.URL.Query().Get(name)
	if raw == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, raw); err == nil {
		return t, nil
	}
	t, err := time.ParseInLocation(time.DateOnly, raw, time.Local)
	if err != nil {
		return time.Time{}, BadRequest(name, "%s must be a date (2026-06-30) or an RFC 3339 time", name)
	}
	if upper {
		t = t.AddDate(0, 0, 1)
	}
	return t, nil
}

type list[T any] struct {
	Items []T `json:"items"`
}

func items[T any](v []T) list[T] {
	if v == nil {
		v = []T{}
	}
	return list[T]{Items: v}
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
