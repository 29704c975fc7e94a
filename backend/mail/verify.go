package mail

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/emersion/go-imap/v2"

	"threadline/backend/store"
)

// VerifyItem is one message found on only one side.
type VerifyItem struct {
	UID       uint32 `json:"uid"`
	MessageID string `json:"message_id,omitempty"`
	Reason    string `json:"reason,omitempty"`
}

// VerifyReport compares one folder on the server with the store.
type VerifyReport struct {
	Account     string       `json:"account"`
	Mailbox     string       `json:"mailbox"`
	Since       time.Time    `json:"since,omitzero"`
	UIDValidity uint32       `json:"uidvalidity"`
	Server      int          `json:"server"`
	Stored      int          `json:"stored"`
	Missing     []VerifyItem `json:"missing"`
	Extra       []VerifyItem `json:"extra"`
}

// Verify compares, folder by folder, the messages the server holds within
// the synced window (with their Message-IDs) against the store. It changes
// nothing. Missing and Extra are empty when the store is complete.
func (svc *Service) Verify(ctx context.Context, id string) ([]*VerifyReport, error) {
	acct, err := GetAccount(svc.store, id)
	if err != nil {
		return nil, err
	}
	s, err := svc.open(ctx, acct, nil)
	if err != nil {
		return nil, err
	}
	defer s.close()
	folders, err := s.listFolders()
	if err != nil {
		return nil, err
	}
	var out []*VerifyReport
	for _, f := range folders {
		r, err := s.verifyFolder(f)
		if err != nil {
			return out, err
		}
		out = append(out, r)
	}
	return out, nil
}

func (s *session) verifyFolder(f folderInfo) (*VerifyReport, error) {
	sel, err := s.c.Select(f.Name, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		return nil, fmt.Errorf("examine %s: %w", f.Name, err)
	}
	var state *FolderState
	if err := s.svc.store.View(func(txn *store.Txn) error {
		var err error
		state, err = GetFolderState(txn, s.acct.ID, f.Name)
		return err
	}); err != nil {
		return nil, err
	}
	r := &VerifyReport{Account: s.acct.ID, Mailbox: f.Name, Since: state.Since, UIDValidity: sel.UIDValidity, Missing: []VerifyItem{}, Extra: []VerifyItem{}}
	local, err := s.localUIDs(f.Name, sel.UIDValidity)
	if err != nil {
		return nil, err
	}
	r.Stored = len(local)

	var all []imap.UID
	if sel.NumMessages > 0 {
		data, err := s.c.UIDSearch(&imap.SearchCriteria{}, nil).Wait()
		if err != nil {
			return nil, err
		}
		all = data.AllUIDs()
	}
	inWindow := map[imap.UID]bool{}
	if !state.Since.IsZero() && len(all) > 0 {
		data, err := s.c.UIDSearch(&imap.SearchCriteria{Since: state.Since}, nil).Wait()
		if err != nil {
			return nil, err
		}
		for _, u := range data.AllUIDs() {
			inWindow[u] = true
		}
	}
	// The synced window: what sync fetches, plus whatever the store holds
	// that the server still has.
	var want []imap.UID
	for _, u := range all {
		_, stored := local[uint32(u)]
		if state.Since.IsZero() || inWindow[u] || stored || (state.UIDNext > 0 && uint32(u) >= state.UIDNext) {
			want = append(want, u)
		}
	}
	r.Server = len(want)
	serverIDs := map[uint32]string{}
	for start := 0; start < len(want); start += 1000 {
		set := imap.UIDSetNum(want[start:min(start+1000, len(want))]...)
		msgs, err := s.c.Fetch(set, &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{messageIDSection}}).Collect()
		if err != nil {
			return nil, err
		}
		for _, m := range msgs {
			serverIDs[uint32(m.UID)] = HeaderMessageID(m.FindBodySection(messageIDSection))
		}
	}
	storedIDs := map[uint32]string{}
	if err := s.svc.store.View(func(txn *store.Txn) error {
		for uid, lv := range local {
			m, err := GetMessage(txn, lv.Msg)
			if err != nil {
				storedIDs[uid] = "\x00missing record"
				continue
			}
			storedIDs[uid] = m.MessageID
		}
		return nil
	}); err != nil {
		return nil, err
	}
	for _, uid := range sortedUIDs(serverIDs) {
		id := serverIDs[uid]
		got, ok := storedIDs[uid]
		switch {
		case !ok:
			r.Missing = append(r.Missing, VerifyItem{UID: uid, MessageID: id, Reason: "not in the store"})
		case got != id:
			r.Missing = append(r.Missing, VerifyItem{UID: uid, MessageID: id, Reason: fmt.Sprintf("the store has a different message (%q) at this UID", got)})
		}
	}
	for _, uid := range sortedUIDs(storedIDs) {
		if _, ok := serverIDs[uid]; !ok {
			r.Extra = append(r.Extra, VerifyItem{UID: uid, MessageID: storedIDs[uid], Reason: "no longer on the server"})
		}
	}
	return r, nil
}

func sortedUIDs(m map[uint32]string) []uint32 {
	out := make([]uint32, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// ServerFolder is a mailbox on the server, for the "folders to sync" list.
type ServerFolder struct {
	Name       string   `json:"name"`
	Attributes []string `json:"attributes,omitempty"`
	Role       string   `json:"role,omitempty"`
	Synced     bool     `json:"synced"`
}

// ServerFolders lists the account's mailboxes and says which are synced:
// Inbox, Sent and Archive / All Mail always, others when ticked (Folders).
func (svc *Service) ServerFolders(ctx context.Context, id string) ([]ServerFolder, error) {
	acct, err := GetAccount(svc.store, id)
	if err != nil {
		return nil, err
	}
	s, err := svc.open(ctx, acct, nil)
	if err != nil {
		return nil, err
	}
	defer s.close()
	opts := &imap.ListOptions{}
	if s.c.Caps().Has(imap.CapSpecialUse) {
		opts.ReturnSpecialUse = true
	}
	list, err := s.c.List("", "*", opts).Collect()
	if err != nil {
		return nil, &SyncError{Stage: StageSync, Err: err}
	}
	chosen := map[string]string{}
	for _, f := range chooseFolders(list, acct) {
		chosen[f.Name] = f.Role
	}
	out := make([]ServerFolder, 0, len(list))
	for _, l := range list {
		sf := ServerFolder{Name: l.Mailbox}
		for _, a := range l.Attrs {
			sf.Attributes = append(sf.Attributes, string(a))
		}
		sf.Role, sf.Synced = chosen[l.Mailbox]
		out = append(out, sf)
	}
	return out, nil
}
