package search

import (
	"fmt"
	"strings"

	"threadline/backend/store"
)

// Loader turns record ids of one kind into documents. The mail and crm
// packages each provide one and register it with Index.Register.
type Loader interface {
	// Load returns the documents for ids as the records stand in txn, in
	// any order. An id whose record no longer exists is left out, and the
	// index drops it. An error leaves the change log untouched, and the
	// indexer retries later.
	Load(txn *store.Txn, ids []string) ([]Doc, error)
	// IDs calls fn for every record of the kind; a rebuild uses it. It
	// stops at the first error fn returns and returns that error.
	IDs(txn *store.Txn, fn func(id string) error) error
}

// A TextLoader is a Loader that can also read just the text a snippet is
// cut from. A page of mail results shows twenty snippets, and reading the
// start of a message's text costs a fraction of loading its document (one
// store read instead of two, no JSON to decode, and no copy of a long
// body); snippets use it when the loader has it.
type TextLoader interface {
	Loader
	// Text returns the first max bytes (or fewer) of the text of the
	// record id, as Load would put it in its document's Body: "" if the
	// record has none or no longer exists. The cut may split a character.
	Text(txn *store.Txn, id string, max int) (string, error)
}

var logPrefix = store.Key("search", "log", "")

// RecordChange notes in txn that the record kind/id was created, changed
// or deleted, so that the index catches up with it. Call it in the same
// transaction as the write: then the note exists exactly when the write
// does. Calling it more than once for one record is harmless.
func RecordChange(txn *store.Txn, kind Kind, id string) error {
	if !kind.valid() {
		return fmt.Errorf("search: RecordChange with unknown kind %q", kind)
	}
	if id == "" || strings.ContainsRune(id, 0) {
		return fmt.Errorf("search: RecordChange with invalid id %q", id)
	}
	return txn.Set(store.Key("search", "log", store.NewID(), string(kind), id), nil)
}

// logEntry is one parsed change-log key.
type logEntry struct {
	key  []byte
	kind Kind
	id   string
}

func parseLogKey(key []byte) (logEntry, bool) {
	parts := store.SplitKey(key)
	if len(parts) != 5 {
		return logEntry{}, false
	}
	return logEntry{key: append([]byte(nil), key...), kind: Kind(parts[3]), id: parts[4]}, true
}

// Pending returns how many changes the index has not applied yet.
func (x *Index) Pending() (int, error) {
	n := 0
	err := x.st.View(func(txn *store.Txn) error {
		return txn.Scan(logPrefix, store.ScanOptions{KeysOnly: true}, func(_, _ []byte) error {
			n++
			return nil
		})
	})
	return n, err
}
