// Package searchtest is a stand-in for the mail and crm packages in search
// tests and benchmarks: it keeps documents as JSON in the store, records
// each write in the search change log in the same transaction, and loads
// them back for the index — exactly the contract those packages fulfil.
package searchtest

import (
	"errors"

	"threadline/backend/search"
	"threadline/backend/store"
)

// Docs is a Loader for one kind backed by store keys
// "searchtest␀<kind>␀<id>" (the document as JSON, without the message
// body) and "searchtest␀body␀<id>" (the body as it is): a mail store keeps
// bodies as plain bytes rather than as JSON strings to be unescaped.
type Docs struct{ Kind search.Kind }

var _ search.TextLoader = Docs{}

// Messages and Leads are the two loaders.
var (
	Messages = Docs{search.KindMail}
	Leads    = Docs{search.KindLead}
)

func (d Docs) key(id string) []byte { return store.Key("searchtest", string(d.Kind), id) }

func bodyKey(id string) []byte { return store.Key("searchtest", "body", id) }

// Put writes docs and their change-log entries in one transaction.
func Put(st *store.Store, docs ...search.Doc) error {
	return st.Update(func(txn *store.Txn) error { return PutTxn(txn, docs...) })
}

// PutTxn is Put inside a caller's transaction.
func PutTxn(txn *store.Txn, docs ...search.Doc) error {
	for _, doc := range docs {
		d := Docs{doc.DocKind()}
		if m, ok := doc.(*search.MessageDoc); ok {
			if err := txn.Set(bodyKey(m.ID), []byte(m.Body)); err != nil {
				return err
			}
			head := *m
			head.Body = ""
			doc = &head
		}
		if err := txn.SetJSON(d.key(doc.DocID()), doc); err != nil {
			return err
		}
		if err := search.RecordChange(txn, doc.DocKind(), doc.DocID()); err != nil {
			return err
		}
	}
	return nil
}

// Delete removes one record and records the change.
func Delete(st *store.Store, kind search.Kind, id string) error {
	return st.Update(func(txn *store.Txn) error {
		if err := txn.Delete(Docs{kind}.key(id)); err != nil {
			return err
		}
		if err := txn.Delete(bodyKey(id)); err != nil {
			return err
		}
		return search.RecordChange(txn, kind, id)
	})
}

// Load implements search.Loader.
func (d Docs) Load(txn *store.Txn, ids []string) ([]search.Doc, error) {
	out := make([]search.Doc, 0, len(ids))
	for _, id := range ids {
		var doc search.Doc
		if d.Kind == search.KindMail {
			doc = &search.MessageDoc{}
		} else {
			doc = &search.LeadDoc{}
		}
		err := txn.GetJSON(d.key(id), doc)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if m, ok := doc.(*search.MessageDoc); ok {
			body, err := txn.Get(bodyKey(id))
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return nil, err
			}
			m.Body = string(body)
		}
		out = append(out, doc)
	}
	return out, nil
}

// Text implements search.TextLoader.
func (d Docs) Text(txn *store.Txn, id string, max int) (string, error) {
	body, err := txn.GetHead(bodyKey(id), max)
	if errors.Is(err, store.ErrNotFound) {
		return "", nil
	}
	return string(body), err
}

// IDs implements search.Loader.
func (d Docs) IDs(txn *store.Txn, fn func(id string) error) error {
	prefix := store.Key("searchtest", string(d.Kind), "")
	return txn.Scan(prefix, store.ScanOptions{KeysOnly: true}, func(key, _ []byte) error {
		return fn(string(key[len(prefix):]))
	})
}
