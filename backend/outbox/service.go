package outbox

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
)

// Identity is an address the user sends from.
type Identity struct {
	Name    string `json:"name"`
	Address string `json:"address"`
}

// Mailboxes is what composing needs from the mail store. The mail package
// implements it.
type Mailboxes interface {
	// Identities lists the addresses of an account, the default first.
	// Every identity of every account counts as "the user" in reply-all.
	Identities(ctx context.Context, accountID string) ([]Identity, error)
	// RawMessage returns a stored message by its store id, with the
	// thread it belongs to. ErrNoOriginal when there is none.
	RawMessage(ctx context.Context, id string) (raw []byte, threadID string, err error)
}

// Request is one compose, reply or forward from the UI.
type Request struct {
	AccountID   string
	From        string // an identity address of the account; the default when empty
	To, Cc, Bcc []string
	Subject     string
	Text, HTML  string
	Attachments []Attachment
	// ReplyTo is the store id of the message answered. With empty To and
	// Cc, the recipients are computed (ReplyAll adds the other ones).
	ReplyTo  string
	ReplyAll bool
	NoQuote  bool
	// ForwardOf is the store id of the message forwarded;
	// ForwardAsAttachment attaches it as message/rfc822.
	ForwardOf           string
	ForwardAsAttachment bool
	ThreadID            string
	LeadID              string
	// DraftID is the client's id for this draft; submitting the same
	// DraftID again returns the first item (see Meta.DraftID).
	DraftID string
}

// ErrNoMailStore is returned for a reply or forward while no mail store is
// connected to look up the original.
var ErrNoMailStore = errors.New("replying and forwarding need the mail store, which is not connected")

// Service composes requests and queues them.
type Service struct {
	Outbox *Outbox
	Mail   Mailboxes // nil until mail is wired: then only new messages work
}

// Submit composes req and puts it in the outbox; created is false when
// req.DraftID was already queued and that item is returned. Errors in the
// request are *ComposeError naming the request field.
func (s *Service) Submit(ctx context.Context, req Request) (*Item, bool, error) {
	if len(req.DraftID) > 128 || strings.ContainsAny(req.DraftID, "\x00\r\n") {
		return nil, false, composeErr("draft_id", "the draft id must be at most 128 characters without control characters")
	}
	if strings.TrimSpace(req.AccountID) == "" {
		return nil, false, composeErr("account_id", "choose the account to send from")
	}
	if req.ReplyTo != "" && req.ForwardOf != "" {
		return nil, false, composeErr("forward_of", "a message is either a reply or a forward, not both")
	}
	var d Draft
	var err error
	if d.To, err = parseAddrs("to", req.To); err != nil {
		return nil, false, err
	}
	if d.Cc, err = parseAddrs("cc", req.Cc); err != nil {
		return nil, false, err
	}
	if d.Bcc, err = parseAddrs("bcc", req.Bcc); err != nil {
		return nil, false, err
	}
	d.Subject, d.Text, d.HTML, d.Attachments = req.Subject, req.Text, req.HTML, req.Attachments

	var idents []Identity
	if s.Mail != nil {
		idents, err = s.Mail.Identities(ctx, req.AccountID)
		if err != nil {
			return nil, false, err
		}
		if len(idents) == 0 {
			return nil, false, composeErr("account_id", "account %s has no sending address", req.AccountID)
		}
	}
	from, err := pickIdentity(idents, req.From)
	if err != nil {
		return nil, false, err
	}
	d.From = Address{Name: from.Name, Address: from.Address}

	threadID := req.ThreadID
	if req.ReplyTo != "" || req.ForwardOf != "" {
		if s.Mail == nil {
			return nil, false, ErrNoMailStore
		}
		id, field := req.ReplyTo, "reply_to_message_id"
		if id == "" {
			id, field = req.ForwardOf, "forward_of"
		}
		raw, tid, err := s.Mail.RawMessage(ctx, id)
		if errors.Is(err, ErrNoOriginal) {
			return nil, false, composeErr(field, "message %s was not found", id)
		}
		if err != nil {
			return nil, false, err
		}
		orig, err := ParseOriginal(raw)
		if err != nil {
			return nil, false, composeErr(field, "message %s cannot be read: %v", id, err)
		}
		if req.ReplyTo != "" {
			d.ReplyTo, d.Quote = orig, !req.NoQuote
			if d.Subject == "" {
				d.Subject = ReplySubject(orig.Subject)
			}
			if len(d.To) == 0 && len(d.Cc) == 0 {
				d.To, d.Cc = ReplyRecipients(orig, identAddrs(idents), req.ReplyAll)
			}
			if threadID == "" {
				threadID = tid
			}
		} else {
			d.Forward, d.ForwardAsAttachment = orig, req.ForwardAsAttachment
			if d.Subject == "" {
				d.Subject = ForwardSubject(orig.Subject)
			}
		}
	}
	c, err := Compose(d)
	if err != nil {
		return nil, false, err
	}
	return s.Outbox.EnqueueDraft(c, Meta{AccountID: req.AccountID, ThreadID: threadID, LeadID: req.LeadID,
		ReplyToID: req.ReplyTo, ForwardOf: req.ForwardOf, DraftID: req.DraftID})
}

func identAddrs(idents []Identity) []Address {
	out := make([]Address, len(idents))
	for i, id := range idents {
		out[i] = Address{Name: id.Name, Address: id.Address}
	}
	return out
}

func pickIdentity(idents []Identity, from string) (Identity, error) {
	if from != "" {
		a, err := mail.ParseAddress(from)
		if err != nil {
			return Identity{}, composeErr("from", "%q is not an e-mail address", from)
		}
		if idents == nil {
			return Identity{Name: a.Name, Address: a.Address}, nil
		}
		for _, id := range idents {
			if strings.EqualFold(id.Address, a.Address) {
				if a.Name != "" {
					id.Name = a.Name
				}
				return id, nil
			}
		}
		return Identity{}, composeErr("from", "%s is not an address of this account", a.Address)
	}
	if len(idents) == 0 {
		return Identity{}, composeErr("from", "a sender address is needed")
	}
	return idents[0], nil
}

func parseAddrs(field string, list []string) ([]Address, error) {
	var out []Address
	for i, s := range list {
		s = strings.TrimSpace(s)
		a, err := mail.ParseAddress(s)
		if err != nil {
			return nil, composeErr(fmt.Sprintf("%s[%d]", field, i), "%q is not an e-mail address", s)
		}
		out = append(out, *a)
	}
	return out, nil
}
