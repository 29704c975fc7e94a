package mail

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"threadline/backend/search"
	"threadline/backend/store"
)

// Message is one stored message. It is stored once however many folders
// hold it (Gmail labels, a copy in Sent and in All Mail): each folder copy
// is a Location.
type Message struct {
	ID        string     `json:"id"`
	ThreadID  string     `json:"thread_id"`
	Account   string     `json:"account,omitempty"`
	Direction string     `json:"direction"`
	Flags     []string   `json:"flags,omitempty"`
	Locations []Location `json:"locations,omitempty"`
	// Imported is set for messages that came from an mbox or Maildir
	// import; they stay when no server folder holds them.
	Imported bool `json:"imported,omitempty"`
	// SentHere is set for messages this app sent; like imported mail they
	// stay when no server folder holds them, and until the server's Sent
	// folder does, search files them under SentFolder.
	SentHere     bool      `json:"sent_here,omitempty"`
	InternalDate time.Time `json:"internal_date"`
	Size         int       `json:"size"`
	Parsed
}

// Location is where a server holds a message: the UID within one
// UIDVALIDITY epoch of one folder.
type Location struct {
	Account     string `json:"account"`
	Mailbox     string `json:"mailbox"`
	UIDValidity uint32 `json:"uidvalidity"`
	UID         uint32 `json:"uid"`
}

// Direction of a message relative to the user.
const (
	Inbound  = "inbound"
	Outbound = "outbound"
)

// locValue is what a location key holds. It is small so that the UID
// listing a sync compares with the server's stays cheap.
type locValue struct {
	Msg      string    `json:"m"`
	Flags    []string  `json:"f,omitempty"`
	ModSeq   uint64    `json:"s,omitempty"`
	Internal time.Time `json:"d"`
}

// Key layout; see the package comment.
func msgKey(id string) []byte  { return store.Key("msg", id) }
func rawKey(id string) []byte  { return store.Key("mraw", id) }
func textKey(id string) []byte { return store.Key("mtext", id) }

func locPrefix(acct, mailbox string, uidValidity uint32) []byte {
	return store.Key("mloc", acct, mailbox, fmt.Sprintf("%08x", uidValidity), "")
}

func locFolderPrefix(acct, mailbox string) []byte { return store.Key("mloc", acct, mailbox, "") }

func locKey(l Location) []byte {
	return store.Key("mloc", l.Account, l.Mailbox, fmt.Sprintf("%08x", l.UIDValidity), fmt.Sprintf("%08x", l.UID))
}

func parseLocKey(k []byte) (Location, bool) {
	parts := store.SplitKey(k)
	if len(parts) != 5 {
		return Location{}, false
	}
	var uv, uid uint32
	if _, err := fmt.Sscanf(parts[3], "%08x", &uv); err != nil {
		return Location{}, false
	}
	if _, err := fmt.Sscanf(parts[4], "%08x", &uid); err != nil {
		return Location{}, false
	}
	return Location{Account: parts[1], Mailbox: parts[2], UIDValidity: uv, UID: uid}, true
}

// MessageKey is the store id of a message: derived from its Message-ID, so
// the same message fetched from two folders, two accounts or an import is
// one record; a message without one is identified by its content.
func MessageKey(messageID string, raw []byte) string {
	if messageID != "" {
		sum := sha256.Sum256([]byte(messageID))
		return "m" + hex.EncodeToString(sum[:15])
	}
	sum := sha256.Sum256(bytes.ReplaceAll(raw, []byte("\r\n"), []byte("\n")))
	return "h" + hex.EncodeToString(sum[:15])
}

// dateKey sorts messages chronologically inside a thread.
func dateKey(t time.Time) string {
	n := t.UnixNano()
	if n < 0 {
		n = 0
	}
	return fmt.Sprintf("%016x", uint64(n))
}

func invDateKey(t time.Time) string {
	n := t.UnixNano()
	if n < 0 {
		n = 0
	}
	return fmt.Sprintf("%016x", uint64(math.MaxInt64)-uint64(n))
}

// sortDate is the date a message is filed under: its Date header, unless
// that is missing or absurd, then the server's internal date.
func (m *Message) sortDate() time.Time {
	if !m.Date.IsZero() && m.Date.Year() > 1980 && m.Date.Before(time.Now().Add(48*time.Hour)) {
		return m.Date
	}
	if !m.InternalDate.IsZero() {
		return m.InternalDate
	}
	return m.Date
}

// Seen reports whether the message has been read.
func (m *Message) Seen() bool { return slices.Contains(m.Flags, `\Seen`) }

// GetMessage loads one message record.
func GetMessage(txn *store.Txn, id string) (*Message, error) {
	var m Message
	if err := txn.GetJSON(msgKey(id), &m); err != nil {
		return nil, err
	}
	return &m, nil
}

// MessageText returns the plain text of a stored message.
func MessageText(txn *store.Txn, id string) (string, error) {
	b, err := txn.Get(textKey(id))
	if errors.Is(err, store.ErrNotFound) {
		return "", nil
	}
	return string(b), err
}

// RawMessage returns the message exactly as the server or import gave it.
func RawMessage(txn *store.Txn, id string) ([]byte, error) { return txn.Get(rawKey(id)) }

// putMessage writes a message record. Every write of one goes through here
// (new mail, flags, locations, thread moves), so this is where the search
// index learns of it, in the same transaction.
func putMessage(txn *store.Txn, m *Message) error {
	if err := txn.SetJSON(msgKey(m.ID), m); err != nil {
		return err
	}
	return search.RecordChange(txn, search.KindMail, m.ID)
}

// deleteMessage removes a message record, its raw bytes and its text, and
// tells the search index. The caller takes it out of its thread.
func deleteMessage(txn *store.Txn, id string) error {
	for _, k := range [][]byte{msgKey(id), rawKey(id), textKey(id)} {
		if err := txn.Delete(k); err != nil {
			return err
		}
	}
	return search.RecordChange(txn, search.KindMail, id)
}

// normalizeFlags sorts flags and drops \Recent, which is per session.
func normalizeFlags(flags []string) []string {
	out := make([]string, 0, len(flags))
	for _, f := range flags {
		if strings.EqualFold(f, `\Recent`) {
			continue
		}
		out = append(out, f)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// StoredMessage is what new-mail hooks and the mail.new event carry.
type StoredMessage struct {
	ID        string    `json:"id"`
	ThreadID  string    `json:"thread_id"`
	MessageID string    `json:"message_id,omitempty"`
	Account   string    `json:"account,omitempty"`
	Mailbox   string    `json:"mailbox,omitempty"`
	Direction string    `json:"direction"`
	From      []Address `json:"from,omitempty"`
	To        []Address `json:"to,omitempty"`
	Subject   string    `json:"subject"`
	Date      time.Time `json:"date"`
	Snippet   string    `json:"snippet,omitempty"`
	// Initial is true during a folder's first sync and imports, when the
	// message is old mail rather than something that just arrived.
	Initial bool `json:"initial"`
}

func storedFrom(m *Message, mailbox string, initial bool) StoredMessage {
	return StoredMessage{ID: m.ID, ThreadID: m.ThreadID, MessageID: m.MessageID, Account: m.Account, Mailbox: mailbox,
		Direction: m.Direction, From: m.From, To: m.To, Subject: m.Subject, Date: m.sortDate(), Snippet: m.Snippet, Initial: initial}
}

// MessageKeys calls fn with the key of every stored message.
func MessageKeys(txn *store.Txn, fn func(id string) error) error {
	return txn.Scan(store.Key("msg", ""), store.ScanOptions{KeysOnly: true}, func(k, _ []byte) error {
		parts := store.SplitKey(k)
		return fn(parts[len(parts)-1])
	})
}
