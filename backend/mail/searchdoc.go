package mail

import (
	"errors"
	"slices"

	"threadline/backend/search"
	"threadline/backend/store"
)

// ImportedFolder is the folder name the search index gives mail that only
// an mbox or Maildir import holds: in:imported finds it.
const ImportedFolder = "Imported"

// SentFolder is the folder name the search index gives mail this app sent
// until a server folder holds it: in:sent finds it at once, as it will the
// copy in the server's Sent folder once that syncs (where that folder is
// called Sent).
const SentFolder = "Sent"

// SearchLoader turns message records into search documents. Every write of
// a message record records a search change in its transaction (see
// putMessage and deleteMessage); the search indexer calls Load for those
// ids in the background, so sync never waits for Bleve.
type SearchLoader struct{}

var _ search.TextLoader = SearchLoader{}

// Load implements search.Loader. Deleted messages are left out.
func (SearchLoader) Load(txn *store.Txn, ids []string) ([]search.Doc, error) {
	docs := make([]search.Doc, 0, len(ids))
	for _, id := range ids {
		m, err := GetMessage(txn, id)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		text, err := MessageText(txn, id)
		if err != nil {
			return nil, err
		}
		docs = append(docs, m.searchDoc(text))
	}
	return docs, nil
}

// Text implements search.TextLoader: the start of the message's text,
// which is what Load puts in a document's body.
func (SearchLoader) Text(txn *store.Txn, id string, max int) (string, error) {
	b, err := txn.GetHead(textKey(id), max)
	if errors.Is(err, store.ErrNotFound) {
		return "", nil
	}
	return string(b), err
}

// IDs implements search.Loader: every stored message.
func (SearchLoader) IDs(txn *store.Txn, fn func(id string) error) error {
	return txn.Scan(store.Key("msg", ""), store.ScanOptions{KeysOnly: true}, func(k, _ []byte) error {
		parts := store.SplitKey(k)
		if len(parts) != 2 {
			return nil
		}
		return fn(parts[1])
	})
}

// searchDoc is what the index keeps of m. The first location's folder is
// the one results show; in: matches every folder holding the message.
func (m *Message) searchDoc(text string) *search.MessageDoc {
	d := &search.MessageDoc{
		ID:       m.ID,
		ThreadID: m.ThreadID,
		Account:  m.Account,
		Subject:  m.Subject,
		Body:     text,
		From:     searchAddrs(m.From),
		To:       searchAddrs(m.To),
		Cc:       searchAddrs(m.Cc),
		Date:     m.sortDate(),
		Unread:   !m.Seen(),
	}
	for _, l := range m.Locations {
		switch {
		case d.Folder == "":
			d.Folder = l.Mailbox
			if d.Account == "" {
				d.Account = l.Account
			}
		case l.Mailbox != d.Folder && !slices.Contains(d.Folders, l.Mailbox):
			d.Folders = append(d.Folders, l.Mailbox)
		}
	}
	if m.SentHere && d.Folder == "" {
		d.Folder = SentFolder
	}
	if m.Imported {
		if d.Folder == "" {
			d.Folder = ImportedFolder
		} else {
			d.Folders = append(d.Folders, ImportedFolder)
		}
	}
	for _, a := range m.Attachments {
		if a.Inline {
			continue
		}
		d.HasAttachment = true
		if a.Filename != "" {
			d.AttachmentNames = append(d.AttachmentNames, a.Filename)
		}
	}
	return d
}

func searchAddrs(as []Address) []search.Address {
	if len(as) == 0 {
		return nil
	}
	out := make([]search.Address, len(as))
	for i, a := range as {
		out[i] = search.Address{Name: a.Name, Addr: a.Address}
	}
	return out
}
