package api

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"

	"threadline/backend/outbox"
)

// MaxAttachmentBytes bounds the decoded attachments of one message: most
// providers refuse messages above 25 MB, and base64 adds a third on the wire.
const MaxAttachmentBytes = 25 << 20

// maxComposeBody is the JSON body limit for POST /api/outbox: the
// attachments in base64 plus room for the text.
const maxComposeBody = MaxAttachmentBytes*4/3 + 2<<20

func (s *Server) routesOutbox() {
	s.handle("POST /api/outbox", s.submitOutbox)
	s.handle("GET /api/outbox", s.listOutbox)
	s.handle("GET /api/outbox/{id}", s.getOutbox)
	s.handle("POST /api/outbox/{id}/retry", s.retryOutbox)
	s.handle("DELETE /api/outbox/{id}", s.deleteOutbox)
	s.mappers = append(s.mappers, mapOutboxError)
}

// composeRequest is the body of POST /api/outbox.
type composeRequest struct {
	AccountID   string              `json:"account_id"`
	From        string              `json:"from"`
	To          []string            `json:"to"`
	Cc          []string            `json:"cc"`
	Bcc         []string            `json:"bcc"`
	Subject     string              `json:"subject"`
	Text        string              `json:"text"`
	HTML        string              `json:"html"`
	Attachments []attachmentRequest `json:"attachments"`
	ReplyTo     string              `json:"reply_to_message_id"`
	ReplyAll    bool                `json:"reply_all"`
	Quote       *bool               `json:"quote"`
	ForwardOf   string              `json:"forward_of"`
	ForwardAs   string              `json:"forward_as"` // "inline" (default) or "attachment"
	ThreadID    string              `json:"thread_id"`
	LeadID      string              `json:"lead_id"`
	// DraftID makes the request idempotent: the same draft_id again returns
	// the item already queued (200) instead of sending twice.
	DraftID string `json:"draft_id"`
}

type attachmentRequest struct {
	Filename    string `json:"filename"`
	ContentType string `json:"content_type"`
	Data        string `json:"data"` // standard base64
}

func (s *Server) outbox() (*outbox.Service, error) {
	if s.cfg.Outbox == nil {
		return nil, &Error{Status: http.StatusServiceUnavailable, Code: "unavailable", Message: "sending is not set up in this build"}
	}
	return s.cfg.Outbox, nil
}

func (s *Server) submitOutbox(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.outbox()
	if err != nil {
		return err
	}
	var in composeRequest
	if err := DecodeJSONLimit(w, r, &in, maxComposeBody); err != nil {
		return err
	}
	req := outbox.Request{
		AccountID: in.AccountID, From: in.From, To: in.To, Cc: in.Cc, Bcc: in.Bcc,
		Subject: in.Subject, Text: in.Text, HTML: in.HTML,
		ReplyTo: in.ReplyTo, ReplyAll: in.ReplyAll, NoQuote: in.Quote != nil && !*in.Quote,
		ForwardOf: in.ForwardOf, ThreadID: in.ThreadID, LeadID: in.LeadID, DraftID: in.DraftID,
	}
	switch in.ForwardAs {
	case "", "inline":
	case "attachment":
		req.ForwardAsAttachment = true
	default:
		return BadRequest("forward_as", `forward_as must be "inline" or "attachment"`)
	}
	if in.ForwardAs != "" && in.ForwardOf == "" {
		return BadRequest("forward_as", "forward_as needs forward_of")
	}
	total := 0
	for i, a := range in.Attachments {
		data, err := base64.StdEncoding.DecodeString(a.Data)
		if err != nil {
			return BadRequest(fmt.Sprintf("attachments[%d].data", i), "the attachment data is not valid base64")
		}
		total += len(data)
		if total > MaxAttachmentBytes {
			return &Error{Status: http.StatusRequestEntityTooLarge, Code: "too_large", Field: fmt.Sprintf("attachments[%d]", i),
				Message: fmt.Sprintf("the attachments are larger than the limit of %d MiB", MaxAttachmentBytes>>20)}
		}
		req.Attachments = append(req.Attachments, outbox.Attachment{Filename: a.Filename, ContentType: a.ContentType, Data: data})
	}
	it, created, err := svc.Submit(r.Context(), req)
	if err != nil {
		return err
	}
	if !created {
		return WriteJSON(w, http.StatusOK, it)
	}
	return WriteJSON(w, http.StatusAccepted, it)
}

func (s *Server) listOutbox(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.outbox()
	if err != nil {
		return err
	}
	state := outbox.State(r.URL.Query().Get("state"))
	if state != "" && !state.Valid() {
		return BadRequest("state", "state must be queued, sending, sent or failed")
	}
	items, err := svc.Outbox.List(state)
	if err != nil {
		return err
	}
	if items == nil {
		items = []outbox.Item{}
	}
	return WriteJSON(w, http.StatusOK, map[string]any{"items": items})
}

func (s *Server) getOutbox(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.outbox()
	if err != nil {
		return err
	}
	it, err := svc.Outbox.Get(r.PathValue("id"))
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, it)
}

func (s *Server) retryOutbox(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.outbox()
	if err != nil {
		return err
	}
	it, err := svc.Outbox.Retry(r.PathValue("id"))
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, it)
}

func (s *Server) deleteOutbox(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.outbox()
	if err != nil {
		return err
	}
	if err := svc.Outbox.Delete(r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func mapOutboxError(err error) *Error {
	var ce *outbox.ComposeError
	var se *outbox.StateError
	var de *outbox.DuplicateError
	switch {
	case errors.As(err, &ce):
		return Invalid(ce.Field, "%s", ce.Message)
	case errors.As(err, &se):
		return Conflict("%s", se.Error())
	case errors.As(err, &de):
		return Conflict("%s", de.Error())
	case errors.Is(err, outbox.ErrNotFound):
		return NotFound("%s", err.Error())
	case errors.Is(err, outbox.ErrNoMailStore):
		return &Error{Status: http.StatusServiceUnavailable, Code: "unavailable", Message: err.Error()}
	}
	return nil
}
