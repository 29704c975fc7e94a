// Package search keeps one Bleve index of mail and leads beside the store
// and answers queries in a mail-client query language.
//
// The store is the source of truth. The index holds only what querying,
// sorting, facets and result titles need; a hit is an id, a score and a
// snippet, and callers load the record itself from the store.
//
// # Feeding the index
//
// A package that owns searchable records (mail, crm) does two things:
//
//  1. In the same store transaction that writes, changes or deletes a
//     record, it calls RecordChange(txn, kind, id). That appends one key to
//     the change log. Because the log entry commits or aborts together with
//     the record, the log can never miss a committed change.
//  2. It registers a Loader with Index.Register, which turns ids into
//     documents as they are now (leaving out ids whose record is gone) and
//     lists every id for a full rebuild.
//
// A background indexer wakes on each commit that touches the log, reads up
// to BatchSize entries, loads their documents in the same snapshot, applies
// them to Bleve in one batch (waiting until Bleve has persisted it) and
// only then deletes those log entries. Whatever is still in the log is the
// tail the index has not seen: after a crash the indexer re-applies exactly
// that tail, and re-applying an entry is harmless because it loads the
// record's current state. The log keys are time-ordered ids rather than a
// counter read inside the writer's transaction, so writers never conflict
// with each other over a sequence key, and the indexer needs no ordering
// guarantee beyond "every committed entry is eventually seen".
//
// A missing, unreadable or outdated index (mapping version changed, or a
// rebuild that did not finish) is rebuilt from the loaders in the
// background, with "search.reindex" progress events on the bus. When it
// completes, the log entries visible in the snapshot it loaded from are
// deleted: the rebuilt index already holds what they describe.
//
// # Key layout (first key part "search")
//
//	search␀log␀<logid>␀<kind>␀<id>   empty value: a change to record kind/id
//	                                  that the index has not applied yet
//
// <logid> is a store.NewID, so the log reads oldest first and a record
// changed twice has two entries. The Bleve index itself lives in
// <datadir>/search/ and records, as Bleve internal values, its mapping
// version and whether its last rebuild completed.
package search

import (
	"fmt"
	"time"
)

// Kind names a type of searchable record.
type Kind string

// The kinds of searchable records.
const (
	KindMail Kind = "mail"
	KindLead Kind = "lead"
)

func (k Kind) valid() bool { return k == KindMail || k == KindLead }

// Doc is a searchable document: a *MessageDoc or a *LeadDoc.
type Doc interface {
	// DocKind and DocID identify the record the document was made from.
	DocKind() Kind
	DocID() string
}

// Address is one mailbox of a From, To or Cc header.
type Address struct {
	Name string `json:"name,omitempty"`
	Addr string `json:"addr"`
}

// MessageDoc is what the index needs of one message.
type MessageDoc struct {
	ID       string
	ThreadID string
	Account  string
	// Folder is where the message is shown and counted in facets; Folders
	// are every other name in: should match (other folders holding the
	// same message, folder roles such as "sent").
	Folder  string
	Folders []string
	Subject string
	// Body is the message text: the text/plain part, or the text of the
	// text/html part when there is no plain one.
	Body            string
	From, To, Cc    []Address
	Date            time.Time
	AttachmentNames []string
	Unread          bool
	HasAttachment   bool
}

// DocKind implements Doc.
func (*MessageDoc) DocKind() Kind { return KindMail }

// DocID implements Doc.
func (m *MessageDoc) DocID() string { return m.ID }

// LeadDoc is what the index needs of one lead.
type LeadDoc struct {
	ID      string
	Name    string
	Email   string
	Company string
	Notes   []string
	Tags    []string
	// Stage and Pipeline are ids; StageName and PipelineName what the user
	// sees. stage: and pipeline: match either.
	Stage, StageName       string
	Pipeline, PipelineName string
	// CustomText holds the values of the lead's free-text custom fields.
	CustomText []string
	UpdatedAt  time.Time
}

// DocKind implements Doc.
func (*LeadDoc) DocKind() Kind { return KindLead }

// DocID implements Doc.
func (l *LeadDoc) DocID() string { return l.ID }

// bleveID is the document id inside Bleve: ids of different kinds may
// collide, so the kind is part of it.
func bleveID(k Kind, id string) string { return string(k) + ":" + id }

func splitBleveID(s string) (Kind, string, error) {
	for i := 0; i < len(s); i++ {
		if s[i] == ':' {
			k := Kind(s[:i])
			if !k.valid() {
				break
			}
			return k, s[i+1:], nil
		}
	}
	return "", "", fmt.Errorf("search: index holds a document with a malformed id %q; run `threadline reindex`", s)
}
