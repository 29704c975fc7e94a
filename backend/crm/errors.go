package crm

import (
	"errors"
	"fmt"
)

// ErrNotFound is matched (with errors.Is) by every error about a record that
// does not exist. Retrying does not help.
var ErrNotFound = errors.New("not found")

// ErrFinal is matched by the error returned when a lead in a won or lost
// stage, or an archived one, is asked to change stage. Reopen it first.
var ErrFinal = errors.New("the lead is closed (won, lost or archived); reopen it first")

// NotFoundError names the record that does not exist.
type NotFoundError struct {
	What string // "lead", "pipeline", ...
	ID   string
}

func (e *NotFoundError) Error() string { return fmt.Sprintf("%s %q does not exist", e.What, e.ID) }

// Is makes errors.Is(err, ErrNotFound) true.
func (e *NotFoundError) Is(target error) bool { return target == ErrNotFound }

func notFound(what, id string) error { return &NotFoundError{What: what, ID: id} }

// FieldError is malformed input: a missing, mistyped or out-of-range field.
// The API answers it with 400 and the field's name.
type FieldError struct {
	Field string
	Msg   string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

func fieldErr(field, format string, args ...any) error {
	return &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// RuleError is well-formed input that breaks a rule of the model (a custom
// field value outside its options, a move of a closed lead, deleting a
// stage that still holds leads without saying where they go). The API
// answers it with 422.
type RuleError struct {
	Field string
	Msg   string
	Err   error // a sentinel such as ErrFinal, or nil
}

func (e *RuleError) Error() string {
	if e.Field == "" {
		return e.Msg
	}
	return e.Field + ": " + e.Msg
}

func (e *RuleError) Unwrap() error { return e.Err }

func ruleErr(field, format string, args ...any) error {
	return &RuleError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// VersionConflict is a write based on a stale copy of a record: someone (or
// something: mail sync, a rule) changed it since it was read. Reload the
// record and apply the change again.
type VersionConflict struct {
	What    string
	ID      string
	Sent    int
	Current int
}

func (e *VersionConflict) Error() string {
	return fmt.Sprintf("%s %q changed since it was read (you sent version %d, it is now at %d); reload it and try again",
		e.What, e.ID, e.Sent, e.Current)
}

// DuplicateError is a create or rename that would break a uniqueness rule
// (a lead's e-mail within a pipeline, a tag name, a custom field key).
type DuplicateError struct {
	Field      string
	Msg        string
	ExistingID string
}

func (e *DuplicateError) Error() string { return e.Field + ": " + e.Msg }

// checkVersion enforces optimistic concurrency: a nil version means the
// caller does not care (scripts, internal callers).
func checkVersion(what, id string, sent *int, current int) error {
	if sent != nil && *sent != current {
		return &VersionConflict{What: what, ID: id, Sent: *sent, Current: current}
	}
	return nil
}
