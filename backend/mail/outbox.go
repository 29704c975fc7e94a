package mail

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"threadline/backend/outbox"
	"threadline/backend/store"
	"threadline/backend/suggest"
)

// This file is what sending needs from the mail store: the servers and
// passwords of an account (outbox.SMTPAccounts, outbox.IMAPAccounts), its
// addresses and stored originals (outbox.Mailboxes), and a place in the
// thread for what was sent (outbox.ThreadRecorder).

// SMTPSettings implements outbox.SMTPAccounts. The SMTP password is the
// account's own when one is stored, else the IMAP password, which most
// providers share between the two.
func (svc *Service) SMTPSettings(ctx context.Context, id string) (outbox.SMTPSettings, error) {
	acct, err := GetAccount(svc.store, id)
	if errors.Is(err, ErrAccountNotFound) {
		return outbox.SMTPSettings{}, outbox.Permanent(fmt.Errorf("account %s no longer exists", id))
	}
	if err != nil {
		return outbox.SMTPSettings{}, err
	}
	if acct.SMTP.Host == "" {
		return outbox.SMTPSettings{}, outbox.Permanent(fmt.Errorf("account %s has no SMTP server set up; add one in the account settings", acct.Email))
	}
	pw, err := svc.secrets.Get(id, SecretSMTP)
	if errors.Is(err, ErrNoSecret) || (err == nil && pw == "") {
		pw, err = svc.secrets.Get(id, SecretIMAP)
	}
	if err != nil {
		return outbox.SMTPSettings{}, fmt.Errorf("read the password of account %s: %w", acct.Email, err)
	}
	user := acct.SMTP.Username
	if user == "" {
		user = acct.Email
	}
	cfg := outbox.SMTPSettings{Host: acct.SMTP.Host, Port: acct.SMTP.Port, Security: outbox.Security(acct.SMTP.Security),
		Username: user, Password: pw}
	if pw != "" {
		cfg.Auth = outbox.AuthPlain
	}
	return cfg, nil
}

// IMAPSettings implements outbox.IMAPAccounts.
func (svc *Service) IMAPSettings(ctx context.Context, id string) (outbox.IMAPSettings, error) {
	acct, err := GetAccount(svc.store, id)
	if err != nil {
		return outbox.IMAPSettings{}, err
	}
	pw, err := svc.secrets.Get(id, SecretIMAP)
	if err != nil {
		return outbox.IMAPSettings{}, fmt.Errorf("read the password of account %s: %w", acct.Email, err)
	}
	return outbox.IMAPSettings{Host: acct.IMAP.Host, Port: acct.IMAP.Port, Security: outbox.Security(acct.IMAP.Security),
		Username: acct.imapUsername(), Password: pw, ServerFilesSent: acct.ServerFilesSent()}, nil
}

// selfFilingHosts are IMAP servers whose providers put every message
// submitted over SMTP into Sent themselves: appending would make a second
// copy.
var selfFilingHosts = []string{"imap.gmail.com", "imap.googlemail.com", "outlook.office365.com", "imap-mail.outlook.com"}

// ServerFilesSent reports whether the provider files sent mail in Sent by
// itself (Gmail, Outlook.com), so that no APPEND is needed.
func (a *Account) ServerFilesSent() bool {
	if a.Preset == "gmail" || a.Preset == "outlook" {
		return true
	}
	host := strings.ToLower(a.IMAP.Host)
	for _, h := range selfFilingHosts {
		if host == h {
			return true
		}
	}
	return false
}

// Identities implements outbox.Mailboxes: the account's addresses, its
// main address first.
func (svc *Service) Identities(ctx context.Context, id string) ([]outbox.Identity, error) {
	acct, err := GetAccount(svc.store, id)
	if errors.Is(err, ErrAccountNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	name := acct.Name
	if strings.Contains(name, "@") {
		// The account name defaults to the address: not a display name.
		name = ""
	}
	out := make([]outbox.Identity, 0, len(acct.Identities))
	for _, addr := range acct.Identities {
		out = append(out, outbox.Identity{Name: name, Address: addr})
	}
	return out, nil
}

// RawMessage implements outbox.Mailboxes: a stored message's bytes and the
// thread it belongs to now (after any merge).
func (svc *Service) RawMessage(ctx context.Context, id string) ([]byte, string, error) {
	var raw []byte
	var tid string
	err := svc.store.View(func(txn *store.Txn) error {
		m, err := GetMessage(txn, id)
		if err != nil {
			return err
		}
		if raw, err = RawMessage(txn, id); err != nil {
			return err
		}
		tid = m.ThreadID
		if t, err := GetThread(txn, tid); err == nil {
			tid = t.ID
		}
		return nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, "", outbox.ErrNoOriginal
	}
	return raw, tid, err
}

// RecordSent implements outbox.ThreadRecorder: the message the server just
// accepted is stored and threaded at once, as read, so the thread view
// shows it without waiting for the Sent folder to sync. It is keyed by its
// Message-ID like every message, so recording it again does nothing, and
// when the sync later fetches the copy in Sent it adds that location to
// this record instead of storing a second message. It stays (like
// imported mail) even if no server folder ever holds it: it is the record
// of what was sent.
func (svc *Service) RecordSent(ctx context.Context, it outbox.Item, raw []byte) error {
	acct, err := GetAccount(svc.store, it.AccountID)
	if errors.Is(err, ErrAccountNotFound) {
		acct = nil // still record it; every account's identities decide the direction
	} else if err != nil {
		return err
	}
	date := it.SentAt
	if date.IsZero() {
		date = time.Now()
	}
	items := []*fetched{{raw: outbox.WithBcc(raw, it.Bcc), flags: []string{`\Seen`}, internal: date, sentHere: true}}
	parseAll(items)
	added, err := svc.storeFetched(acct, items, nil)
	if err != nil {
		return err
	}
	svc.announce(ctx, added, "", false)
	return nil
}

// ThreadOfMessageID returns the thread that holds the message with this
// Message-ID (without angle brackets), or store.ErrNotFound.
func (svc *Service) ThreadOfMessageID(messageID string) (string, error) {
	var tid string
	err := svc.store.View(func(txn *store.Txn) error {
		m, err := GetMessage(txn, MessageKey(messageID, nil))
		if err != nil {
			return err
		}
		tid = m.ThreadID
		if t, err := GetThread(txn, tid); err == nil {
			tid = t.ID
		}
		return nil
	})
	return tid, err
}

// SuggestInput turns a thread into the input of a suggested reply: its
// messages oldest first with their plain text, and the direction of each.
func (svc *Service) SuggestInput(ctx context.Context, threadID string) (suggest.Input, error) {
	var in suggest.Input
	err := svc.store.View(func(txn *store.Txn) error {
		t, err := GetThread(txn, threadID)
		if err != nil {
			return err
		}
		msgs, err := ThreadMessages(txn, t.ID)
		if err != nil {
			return err
		}
		in.Subject = t.Subject
		for _, m := range msgs {
			text, err := MessageText(txn, m.ID)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
			from := ""
			if len(m.From) > 0 {
				from = m.From[0].Address
				if m.From[0].Name != "" {
					from = m.From[0].Name + " <" + m.From[0].Address + ">"
				}
			}
			dir := suggest.Inbound
			if m.Direction == Outbound {
				dir = suggest.Outbound
			}
			in.Messages = append(in.Messages, suggest.Message{From: from, Date: m.sortDate(), Text: text, Direction: dir})
		}
		return nil
	})
	return in, err
}
