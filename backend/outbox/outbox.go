// Package outbox sends mail: it composes RFC 5322 messages (new, reply,
// reply-all, forward), keeps them in a durable queue, and hands them to the
// user's SMTP server exactly once, offline or not.
//
// # Exactly once
//
// A message is queued with a Message-ID that is unique in the store, so the
// same draft cannot be queued twice. Sending one item goes through these
// steps, each a committed (fsynced) store transaction:
//
//  1. claim: state queued → sending, phase "connecting", a fresh attempt
//     token, attempts+1.
//  2. SMTP: connect, authenticate, MAIL FROM, RCPT TO, DATA, the whole
//     message except the terminating "<CRLF>.<CRLF>".
//  3. point of no return: phase "committing" is committed BEFORE the final
//     dot is written. An SMTP server accepts a message only after it has
//     read that dot (RFC 5321 section 4.1.1.4), so while the phase is still
//     "connecting" the server has certainly not taken the message.
//  4. the final dot; the server answers 250 (or an error).
//  5. bookkeeping: state sent (or queued/failed), only if the item still
//     holds the attempt token of step 1.
//
// A process that dies (kill -9, power loss) leaves the item in state
// sending. The Sender settles such items at the start of every pass (the
// first right after it starts), before sending anything:
//
//   - phase "connecting": the server never saw the end of the data, so the
//     item goes back to queued and is sent again. No duplicate is possible.
//   - phase "committing": the server may or may not have accepted it. The
//     SentChecker (an IMAP SEARCH for the Message-ID in the Sent folder, for
//     servers that file sent mail themselves) decides: found → sent; not
//     found on a self-filing server → queued again. Without a conclusive
//     check the item becomes failed with the reason "unconfirmed": Threadline
//     never resends on a guess, because a duplicate sent to a customer
//     cannot be taken back while a missing message can be retried by the
//     user in one click after looking at the Sent folder.
//
// After a message is sent the OnSent hook runs (APPEND to Sent, add to its
// thread, create the follow-up). It runs at least once: the item records
// when it has completed, and the Sender reruns it for sent items that lack
// that mark, so hooks must be idempotent (the IMAP Appender searches for the
// Message-ID before appending).
//
// # Key layout
//
//	outbox␀item␀<id>           Item (JSON)
//	outbox␀raw␀<id>            the message as sent (CRLF bytes)
//	outbox␀msgid␀<message-id>  id: one item per Message-ID
//	outbox␀state␀<state>␀<id>  empty: items by state
//	outbox␀hook␀<id>           empty: sent, OnSent not yet completed
//	outbox␀draft␀<draft id>    item id: the client's draft id, against double submits
package outbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"threadline/backend/events"
	"threadline/backend/store"
)

// State is where an item is in its life.
type State string

const (
	StateQueued  State = "queued"  // waiting for its next attempt
	StateSending State = "sending" // an attempt is under way (or was cut off)
	StateSent    State = "sent"    // the server accepted it
	StateFailed  State = "failed"  // will not be retried unless the user asks
)

// Valid reports whether s is one of the four states.
func (s State) Valid() bool {
	switch s {
	case StateQueued, StateSending, StateSent, StateFailed:
		return true
	}
	return false
}

// Attempt phases, recorded while an item is sending; see the package doc.
const (
	phaseConnecting = "connecting"
	phaseCommitting = "committing"
)

// Item is one queued message.
type Item struct {
	ID        string   `json:"id"`
	AccountID string   `json:"account_id"`
	MessageID string   `json:"message_id"` // without angle brackets
	Envelope  Envelope `json:"envelope"`
	Bcc       []string `json:"bcc,omitempty"`
	Subject   string   `json:"subject"`
	Size      int      `json:"size"`
	// Context the caller attached when queueing, for the OnSent hook and the
	// UI: the thread and lead the message belongs to, the stored message it
	// answers or forwards.
	ThreadID  string `json:"thread_id,omitempty"`
	LeadID    string `json:"lead_id,omitempty"`
	ReplyToID string `json:"reply_to_id,omitempty"`
	ForwardOf string `json:"forward_of,omitempty"`
	DraftID   string `json:"draft_id,omitempty"`

	State       State     `json:"state"`
	Phase       string    `json:"phase,omitempty"`
	Token       string    `json:"-"`
	Attempts    int       `json:"attempts"`
	NextAttempt time.Time `json:"next_attempt,omitzero"`
	LastError   string    `json:"last_error,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
	SentAt      time.Time `json:"sent_at,omitzero"`
	// PostSentDone is set once the OnSent hook has completed.
	PostSentDone bool `json:"post_sent_done"`
}

// itemRecord is Item as stored: the attempt token is persisted but never
// shown to API clients.
type itemRecord struct {
	Item
	StoredToken string `json:"token,omitempty"`
}

// ErrNotFound is returned for an unknown item id.
var ErrNotFound = errors.New("no such outbox item")

// StateError is returned when an operation does not fit the item's state,
// e.g. deleting a message that has been sent.
type StateError struct {
	ID    string
	State State
	Op    string
}

func (e *StateError) Error() string {
	return fmt.Sprintf("cannot %s outbox item %s: it is %s", e.Op, e.ID, e.State)
}

// DuplicateError is returned when a message with the same Message-ID is
// already queued.
type DuplicateError struct{ ID, MessageID string }

func (e *DuplicateError) Error() string {
	return fmt.Sprintf("message <%s> is already in the outbox as %s", e.MessageID, e.ID)
}

// Update is the data of an "outbox.updated" event.
type Update struct {
	ID        string `json:"id"`
	State     State  `json:"state"`
	Attempts  int    `json:"attempts"`
	LastError string `json:"last_error,omitempty"`
	MessageID string `json:"message_id"`
	ThreadID  string `json:"thread_id,omitempty"`
}

// EventUpdated is published on every state change of an item.
const EventUpdated = "outbox.updated"

// Outbox is the durable queue.
type Outbox struct {
	st  *store.Store
	bus *events.Bus
	now func() time.Time

	kickMu sync.Mutex
	kick   func() // wakes the running Sender
}

// New returns the outbox stored in st; bus may be nil.
func New(st *store.Store, bus *events.Bus) *Outbox {
	return &Outbox{st: st, bus: bus, now: time.Now}
}

func itemKey(id string) []byte           { return store.Key("outbox", "item", id) }
func rawKey(id string) []byte            { return store.Key("outbox", "raw", id) }
func msgIDKey(mid string) []byte         { return store.Key("outbox", "msgid", strings.ToLower(mid)) }
func stateKey(s State, id string) []byte { return store.Key("outbox", "state", string(s), id) }
func statePrefix(s State) []byte         { return store.Key("outbox", "state", string(s), "") }
func draftKey(id string) []byte          { return store.Key("outbox", "draft", id) }
func hookKey(id string) []byte           { return store.Key("outbox", "hook", id) }

func (o *Outbox) setKick(f func()) {
	o.kickMu.Lock()
	o.kick = f
	o.kickMu.Unlock()
}

func (o *Outbox) wake() {
	o.kickMu.Lock()
	f := o.kick
	o.kickMu.Unlock()
	if f != nil {
		f()
	}
}

func (o *Outbox) publish(it *Item) {
	if o.bus == nil {
		return
	}
	o.bus.Publish(EventUpdated, Update{ID: it.ID, State: it.State, Attempts: it.Attempts,
		LastError: it.LastError, MessageID: it.MessageID, ThreadID: it.ThreadID})
}

// Meta is what the caller knows about a message beyond its bytes.
type Meta struct {
	AccountID string
	ThreadID  string
	LeadID    string
	ReplyToID string
	ForwardOf string
	// DraftID, when set, is the client's id for the draft: a second
	// Enqueue with the same DraftID (a double click, a retried request)
	// returns the first item instead of queueing the message again.
	DraftID string
}

// Enqueue stores a composed message as queued, due at once. With a DraftID
// already queued it returns that item and created false.
func (o *Outbox) Enqueue(c *Composed, meta Meta) (*Item, error) {
	it, _, err := o.EnqueueDraft(c, meta)
	return it, err
}

// EnqueueDraft is Enqueue that also reports whether a new item was created.
func (o *Outbox) EnqueueDraft(c *Composed, meta Meta) (item *Item, created bool, err error) {
	if meta.AccountID == "" {
		return nil, false, errors.New("outbox: an account is needed to send")
	}
	now := o.now().UTC()
	it := &Item{
		ID: store.NewID(), AccountID: meta.AccountID, MessageID: c.MessageID,
		Envelope: c.Envelope, Subject: c.Subject, Size: len(c.Raw),
		ThreadID: meta.ThreadID, LeadID: meta.LeadID, ReplyToID: meta.ReplyToID, ForwardOf: meta.ForwardOf,
		DraftID: meta.DraftID,
		State:   StateQueued, NextAttempt: now, CreatedAt: now, UpdatedAt: now,
	}
	for _, a := range c.Bcc {
		it.Bcc = append(it.Bcc, a.Address)
	}
	var existingItem *Item
	err = o.st.Update(func(txn *store.Txn) error {
		existingItem = nil
		if meta.DraftID != "" {
			id, err := txn.Get(draftKey(meta.DraftID))
			if err == nil {
				existingItem, _, err = getItem(txn, string(id))
				return err
			}
			if !errors.Is(err, store.ErrNotFound) {
				return err
			}
			if err := txn.Set(draftKey(meta.DraftID), []byte(it.ID)); err != nil {
				return err
			}
		}
		if existing, err := txn.Get(msgIDKey(c.MessageID)); err == nil {
			return &DuplicateError{ID: string(existing), MessageID: c.MessageID}
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if err := txn.Set(rawKey(it.ID), c.Raw); err != nil {
			return err
		}
		if err := txn.Set(msgIDKey(c.MessageID), []byte(it.ID)); err != nil {
			return err
		}
		return putItem(txn, it, "", "")
	})
	if err != nil {
		return nil, false, err
	}
	if existingItem != nil {
		return existingItem, false, nil
	}
	o.publish(it)
	o.wake()
	return it, true, nil
}

// putItem writes it and moves its state index entry from oldState.
func putItem(txn *store.Txn, it *Item, oldState State, token string) error {
	if oldState != "" && oldState != it.State {
		if err := txn.Delete(stateKey(oldState, it.ID)); err != nil {
			return err
		}
	}
	if err := txn.Set(stateKey(it.State, it.ID), nil); err != nil {
		return err
	}
	var err error
	if it.State == StateSent && !it.PostSentDone {
		err = txn.Set(hookKey(it.ID), nil)
	} else {
		err = txn.Delete(hookKey(it.ID))
	}
	if err != nil {
		return err
	}
	return txn.SetJSON(itemKey(it.ID), itemRecord{Item: *it, StoredToken: token})
}

func getItem(txn *store.Txn, id string) (*Item, string, error) {
	var rec itemRecord
	if err := txn.GetJSON(itemKey(id), &rec); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, "", fmt.Errorf("%w: %s", ErrNotFound, id)
		}
		return nil, "", err
	}
	it := rec.Item
	it.Token = rec.StoredToken
	return &it, rec.StoredToken, nil
}

// Get returns one item.
func (o *Outbox) Get(id string) (*Item, error) {
	var it *Item
	err := o.st.View(func(txn *store.Txn) error {
		var err error
		it, _, err = getItem(txn, id)
		return err
	})
	return it, err
}

// Raw returns the message bytes of an item.
func (o *Outbox) Raw(id string) ([]byte, error) {
	var raw []byte
	err := o.st.View(func(txn *store.Txn) error {
		var err error
		raw, err = txn.Get(rawKey(id))
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("%w: %s", ErrNotFound, id)
		}
		return err
	})
	return raw, err
}

// ByMessageID returns the item holding a Message-ID.
func (o *Outbox) ByMessageID(messageID string) (*Item, error) {
	var it *Item
	err := o.st.View(func(txn *store.Txn) error {
		id, err := txn.Get(msgIDKey(messageID))
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("%w: <%s>", ErrNotFound, messageID)
		}
		if err != nil {
			return err
		}
		it, _, err = getItem(txn, string(id))
		return err
	})
	return it, err
}

// List returns the items in state (all items when state is empty), oldest
// first.
func (o *Outbox) List(state State) ([]Item, error) {
	var out []Item
	err := o.st.View(func(txn *store.Txn) error {
		if state == "" {
			return txn.Scan(store.Key("outbox", "item", ""), store.ScanOptions{}, func(_, v []byte) error {
				var rec itemRecord
				if err := json.Unmarshal(v, &rec); err != nil {
					return err
				}
				out = append(out, rec.Item)
				return nil
			})
		}
		return txn.Scan(statePrefix(state), store.ScanOptions{KeysOnly: true}, func(k, _ []byte) error {
			parts := store.SplitKey(k)
			it, _, err := getItem(txn, parts[len(parts)-1])
			if err != nil {
				return err
			}
			out = append(out, *it)
			return nil
		})
	})
	return out, err
}

// Retry makes a failed or queued item due now. It does not reset the
// attempt count, so backoff stays honest if the server is still down.
func (o *Outbox) Retry(id string) (*Item, error) {
	var it *Item
	err := o.st.Update(func(txn *store.Txn) error {
		var err error
		var tok string
		it, tok, err = getItem(txn, id)
		if err != nil {
			return err
		}
		if it.State != StateFailed && it.State != StateQueued {
			return &StateError{ID: id, State: it.State, Op: "retry"}
		}
		old := it.State
		it.State, it.Phase = StateQueued, ""
		it.NextAttempt = o.now().UTC()
		it.UpdatedAt = it.NextAttempt
		return putItem(txn, it, old, tok)
	})
	if err != nil {
		return nil, err
	}
	o.publish(it)
	o.wake()
	return it, nil
}

// Delete removes an item that has not been sent and is not being sent.
func (o *Outbox) Delete(id string) error {
	var it *Item
	err := o.st.Update(func(txn *store.Txn) error {
		var err error
		it, _, err = getItem(txn, id)
		if err != nil {
			return err
		}
		if it.State != StateQueued && it.State != StateFailed {
			return &StateError{ID: id, State: it.State, Op: "delete"}
		}
		return deleteItem(txn, it)
	})
	if err != nil {
		return err
	}
	if o.bus != nil {
		o.bus.Publish(EventUpdated, map[string]any{"id": id, "deleted": true})
	}
	return nil
}

// transition applies fn to the item in one transaction if the item still
// holds token (an empty token skips the check), and publishes the result.
func (o *Outbox) transition(id, token string, fn func(it *Item) (newToken string, err error)) (*Item, error) {
	var it *Item
	err := o.st.Update(func(txn *store.Txn) error {
		var err error
		var tok string
		it, tok, err = getItem(txn, id)
		if err != nil {
			return err
		}
		if token != "" && tok != token {
			return errStaleAttempt
		}
		old := it.State
		nt, err := fn(it)
		if err != nil {
			return err
		}
		it.UpdatedAt = o.now().UTC()
		it.Token = nt
		return putItem(txn, it, old, nt)
	})
	if err != nil {
		return nil, err
	}
	o.publish(it)
	return it, nil
}

var errStaleAttempt = errors.New("outbox: the item changed under a send attempt")

// hookPending lists sent items whose OnSent hook has not completed.
func (o *Outbox) hookPending() ([]Item, error) {
	var out []Item
	err := o.st.View(func(txn *store.Txn) error {
		return txn.Scan(store.Key("outbox", "hook", ""), store.ScanOptions{KeysOnly: true}, func(k, _ []byte) error {
			parts := store.SplitKey(k)
			it, _, err := getItem(txn, parts[len(parts)-1])
			if err != nil {
				return err
			}
			out = append(out, *it)
			return nil
		})
	})
	return out, err
}

// deleteItem deletes every key of an item: the record, its raw message,
// its Message-ID and state index entries, its after-send hook and the
// draft it came from.
func deleteItem(txn *store.Txn, it *Item) error {
	keys := [][]byte{itemKey(it.ID), rawKey(it.ID), msgIDKey(it.MessageID), stateKey(it.State, it.ID), hookKey(it.ID)}
	if it.DraftID != "" {
		keys = append(keys, draftKey(it.DraftID))
	}
	for _, k := range keys {
		if err := txn.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// KeepSent is how long sent items stay in the outbox. The mail store keeps
// the message itself (in Sent and in its thread); the outbox copy only
// serves the "sent" list and the after-send hook.
const KeepSent = 30 * 24 * time.Hour

// PruneSent deletes sent items whose after-send hook has completed and
// that were sent before cutoff. It returns how many it deleted.
func (o *Outbox) PruneSent(cutoff time.Time) (int, error) {
	sent, err := o.List(StateSent)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, it := range sent {
		if !it.PostSentDone || !it.SentAt.Before(cutoff) {
			continue
		}
		err := o.st.Update(func(txn *store.Txn) error { return deleteItem(txn, &it) })
		if err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}
