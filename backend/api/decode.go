package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
)

// MaxBodyBytes bounds a JSON request body; bigger uploads (mail import,
// attachments) use their own endpoints with their own limits.
const MaxBodyBytes = 1 << 20

// DecodeJSON reads the request body into v. It rejects a body that is not
// JSON, is larger than MaxBodyBytes, has fields v does not know, has a
// value of the wrong type, or has trailing data, each with a 400 that names
// the field.
func DecodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	return DecodeJSONLimit(w, r, v, MaxBodyBytes)
}

// DecodeJSONLimit is DecodeJSON with its own size limit, for the few
// endpoints that take larger bodies (a message with attachments).
func DecodeJSONLimit(w http.ResponseWriter, r *http.Request, v any, limit int64) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, _ := mime.ParseMediaType(ct); mt != "application/json" {
			return &Error{Status: http.StatusUnsupportedMediaType, Code: "unsupported_media_type",
				Message: "the request body must be application/json, not " + mt}
		}
	}
	body := http.MaxBytesReader(w, r.Body, limit)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err, limit)
	}
	if dec.More() {
		return BadRequest("", "the request body holds more than one JSON value")
	}
	if _, err := dec.Token(); err != io.EOF {
		return BadRequest("", "the request body has data after the JSON value")
	}
	return nil
}

func decodeError(err error, limit int64) error {
	var syntaxErr *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	var maxErr *http.MaxBytesError
	switch {
	case errors.Is(err, io.EOF):
		return BadRequest("", "the request body is empty; send a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return BadRequest("", "the request body is cut off: it is not complete JSON")
	case errors.As(err, &syntaxErr):
		return BadRequest("", "the request body is not valid JSON (at byte %d): %s", syntaxErr.Offset, syntaxErr.Error())
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			return BadRequest("", "the request body must be a JSON %s", goTypeToJSON(typeErr.Type.Kind().String()))
		}
		return BadRequest(field, "%s must be %s, not %s", field, goTypeToJSON(typeErr.Type.Kind().String()), typeErr.Value)
	case errors.As(err, &maxErr):
		return &Error{Status: http.StatusRequestEntityTooLarge, Code: "too_large",
			Message: fmt.Sprintf("the request body is larger than the limit of %d MiB", limit>>20)}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return BadRequest(field, "unknown field %q", field)
	}
	var fieldErr interface{ Field() string }
	if errors.As(err, &fieldErr) {
		return BadRequest(fieldErr.Field(), "%s", err.Error())
	}
	return BadRequest("", "the request body could not be read: %s", err.Error())
}

func goTypeToJSON(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "slice", "array":
		return "an array"
	case "map", "struct", "ptr":
		return "an object"
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
		return "a whole number"
	case "float32", "float64":
		return "a number"
	}
	return "a " + kind
}
