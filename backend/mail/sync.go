package mail

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"threadline/backend/store"
)

// FolderState is what the store remembers of one server folder between
// syncs. It is written only after everything it claims is stored, so a
// crash at any point makes the next sync look again, never skip.
type FolderState struct {
	Account       string `json:"account"`
	Mailbox       string `json:"mailbox"`
	Role          string `json:"role,omitempty"`
	UIDValidity   uint32 `json:"uidvalidity"`
	UIDNext       uint32 `json:"uidnext"`
	HighestModSeq uint64 `json:"highestmodseq,omitempty"`
	// Exists is the server's message count at the end of the last sync.
	Exists uint32 `json:"exists"`
	// Rescan forces a full pass (the window was widened).
	Rescan        bool      `json:"rescan,omitempty"`
	FirstSyncDone bool      `json:"first_sync_done"`
	Since         time.Time `json:"since,omitzero"`
	Messages      int       `json:"messages"`
	LastSuccess   time.Time `json:"last_success,omitzero"`
}

func folderKey(acct, mailbox string) []byte { return store.Key("mfolder", acct, mailbox) }

// Folder roles from SPECIAL-USE.
const (
	RoleInbox   = "inbox"
	RoleSent    = "sent"
	RoleArchive = "archive"
	RoleAll     = "all"
	RoleOther   = "other"
)

// GetFolderState returns the stored state, or a zero state.
func GetFolderState(txn *store.Txn, acct, mailbox string) (*FolderState, error) {
	fs := &FolderState{Account: acct, Mailbox: mailbox}
	err := txn.GetJSON(folderKey(acct, mailbox), fs)
	if errors.Is(err, store.ErrNotFound) {
		err = nil
	}
	return fs, err
}

// ListFolderStates returns the folders of an account ("" for all).
func ListFolderStates(st *store.Store, acct string) ([]*FolderState, error) {
	var out []*FolderState
	prefix := store.Key("mfolder", "")
	if acct != "" {
		prefix = store.Key("mfolder", acct, "")
	}
	err := st.View(func(txn *store.Txn) error {
		return txn.Scan(prefix, store.ScanOptions{}, func(_, v []byte) error {
			var fs FolderState
			if err := json.Unmarshal(v, &fs); err != nil {
				return err
			}
			out = append(out, &fs)
			return nil
		})
	})
	return out, err
}

// batchSize is how many messages one FETCH asks for and one transaction
// stores: big enough to amortize round trips and commits, small enough
// for Badger's transaction limit and for progress to move visibly.
const batchSize = 100

// batchBytes bounds the message bytes one batch downloads (a variable so
// tests can make it small).
var batchBytes int64 = 24 << 20

// folderInfo is a mailbox chosen for sync.
type folderInfo struct {
	Name string
	Role string
}

// chooseFolders picks Inbox, Sent, Archive / All Mail by SPECIAL-USE, plus
// what the user ticked.
func chooseFolders(list []*imap.ListData, acct *Account) []folderInfo {
	var out []folderInfo
	for _, l := range list {
		if slices.Contains(l.Attrs, imap.MailboxAttrNoSelect) || slices.Contains(l.Attrs, imap.MailboxAttrNonExistent) {
			continue
		}
		role := ""
		switch {
		case strings.EqualFold(l.Mailbox, "INBOX"):
			role = RoleInbox
		case slices.Contains(l.Attrs, imap.MailboxAttrSent):
			role = RoleSent
		case slices.Contains(l.Attrs, imap.MailboxAttrAll):
			role = RoleAll
		case slices.Contains(l.Attrs, imap.MailboxAttrArchive):
			role = RoleArchive
		case slices.Contains(acct.Folders, l.Mailbox):
			role = RoleOther
		}
		if role != "" {
			out = append(out, folderInfo{Name: l.Mailbox, Role: role})
		}
	}
	// Inbox first: it is what the user looks at.
	slices.SortStableFunc(out, func(a, b folderInfo) int {
		if a.Role == RoleInbox {
			return -1
		}
		if b.Role == RoleInbox {
			return 1
		}
		return 0
	})
	return out
}

// session is one authenticated connection used for syncing one account.
type session struct {
	svc  *Service
	acct *Account
	c    *imapclient.Client
}

func (s *session) condstore() bool { return s.c.Caps().Has(imap.CapCondStore) }

func (s *session) listFolders() ([]folderInfo, error) {
	opts := &imap.ListOptions{}
	if s.c.Caps().Has(imap.CapSpecialUse) {
		opts.ReturnSpecialUse = true
	}
	list, err := s.c.List("", "*", opts).Collect()
	if err != nil {
		return nil, &SyncError{Stage: StageSync, Err: fmt.Errorf("list folders: %w", err)}
	}
	return chooseFolders(list, s.acct), nil
}

// fetched is one message on its way from the server into the store.
type fetched struct {
	uid      uint32
	flags    []string
	modseq   uint64
	internal time.Time
	size     int64
	key      string
	raw      []byte
	parsed   *Parsed
	sentHere bool // sent by this app (RecordSent), not fetched or imported
}

// syncFolder brings one folder up to date. See docs/architecture.md for
// the state machine.
func (s *session) syncFolder(ctx context.Context, f folderInfo) error {
	svc, acct := s.svc, s.acct
	st := svc.store
	svc.status.folder(acct.ID, f.Name, f.Role, func(fs *FolderStatus) { fs.State = StateSyncing; fs.Done, fs.Total = 0, 0 })

	sel, err := s.c.Select(f.Name, &imap.SelectOptions{CondStore: s.condstore()}).Wait()
	if err != nil {
		return &SyncError{Stage: StageSync, Err: fmt.Errorf("select %s: %w", f.Name, err)}
	}
	var state *FolderState
	if err := st.View(func(txn *store.Txn) error {
		var err error
		state, err = GetFolderState(txn, acct.ID, f.Name)
		return err
	}); err != nil {
		return &SyncError{Stage: StageStore, Err: err}
	}
	state.Role = f.Role
	if state.UIDValidity != sel.UIDValidity {
		if state.UIDValidity != 0 {
			svc.log.Warn("folder UIDVALIDITY changed; re-mapping by Message-ID", "account", acct.ID, "mailbox", f.Name, "old", state.UIDValidity, "new", sel.UIDValidity)
		}
		since := state.Since
		*state = FolderState{Account: acct.ID, Mailbox: f.Name, Role: f.Role, UIDValidity: sel.UIDValidity, Since: since}
	}
	if !state.FirstSyncDone && state.Since.IsZero() && acct.SyncDays > 0 {
		state.Since = time.Now().AddDate(0, 0, -acct.SyncDays)
	}

	local, err := s.localUIDs(f.Name, sel.UIDValidity)
	if err != nil {
		return err
	}
	condstore := s.condstore() && sel.HighestModSeq > 0
	// Nothing new (UIDNEXT), nothing expunged (EXISTS) and no flag changed
	// (HIGHESTMODSEQ): the folder is as the last sync left it.
	if state.FirstSyncDone && !state.Rescan && state.UIDNext == uint32(sel.UIDNext) && state.Exists == sel.NumMessages &&
		condstore && state.HighestModSeq == sel.HighestModSeq {
		return s.finishFolder(state, len(local), sel)
	}

	var all []imap.UID
	if sel.NumMessages > 0 {
		data, err := s.c.UIDSearch(&imap.SearchCriteria{}, nil).Wait()
		if err != nil {
			return &SyncError{Stage: StageSync, Err: fmt.Errorf("list messages in %s: %w", f.Name, err)}
		}
		all = data.AllUIDs()
	}
	onServer := make(map[uint32]bool, len(all))
	for _, u := range all {
		onServer[uint32(u)] = true
	}

	// Expunged on the server: gone from the UID list.
	var gone []uint32
	for uid := range local {
		if !onServer[uid] {
			gone = append(gone, uid)
		}
	}
	if len(gone) > 0 {
		if err := svc.removeLocations(acct.ID, f.Name, sel.UIDValidity, gone); err != nil {
			return &SyncError{Stage: StageStore, Err: err}
		}
		for _, uid := range gone {
			delete(local, uid)
		}
	}

	want := all
	if !state.Since.IsZero() && len(all) > 0 {
		data, err := s.c.UIDSearch(&imap.SearchCriteria{Since: state.Since}, nil).Wait()
		if err != nil {
			return &SyncError{Stage: StageSync, Err: fmt.Errorf("search %s: %w", f.Name, err)}
		}
		in := map[uint32]bool{}
		for _, u := range data.AllUIDs() {
			in[uint32(u)] = true
		}
		want = want[:0:0]
		for _, u := range all {
			if in[uint32(u)] || (state.UIDNext > 0 && uint32(u) >= state.UIDNext) {
				want = append(want, u)
			}
		}
	}
	var missing []uint32
	for _, u := range want {
		if _, ok := local[uint32(u)]; !ok {
			missing = append(missing, uint32(u))
		}
	}
	// Newest first, so a large mailbox is useful before it is complete.
	slices.Sort(missing)
	slices.Reverse(missing)

	initial := !state.FirstSyncDone
	total := len(missing)
	svc.status.folder(acct.ID, f.Name, f.Role, func(fs *FolderStatus) { fs.Total = total })
	if err := s.fetchMissing(ctx, f, sel.UIDValidity, missing, initial); err != nil {
		return err
	}

	if err := s.syncFlags(state, sel, local); err != nil {
		return err
	}
	if err := s.finishFolder(state, len(local)+total, sel); err != nil {
		return err
	}
	return svc.dropStaleEpochs(acct.ID, f.Name, sel.UIDValidity)
}

func (s *session) finishFolder(state *FolderState, count int, sel *imap.SelectData) error {
	state.UIDNext = uint32(sel.UIDNext)
	state.Exists = sel.NumMessages
	state.Rescan = false
	state.HighestModSeq = sel.HighestModSeq
	state.FirstSyncDone = true
	state.Messages = count
	state.LastSuccess = time.Now().UTC()
	if err := s.svc.store.Update(func(txn *store.Txn) error {
		return txn.SetJSON(folderKey(state.Account, state.Mailbox), state)
	}); err != nil {
		return &SyncError{Stage: StageStore, Err: err}
	}
	last := state.LastSuccess
	s.svc.status.folder(state.Account, state.Mailbox, state.Role, func(fs *FolderStatus) {
		fs.State, fs.LastSuccess, fs.LastError, fs.Messages = StateIdle, &last, "", count
		fs.Done = fs.Total
	})
	return nil
}

// localUIDs lists the stored locations of a folder epoch.
func (s *session) localUIDs(mailbox string, uidValidity uint32) (map[uint32]locValue, error) {
	out := map[uint32]locValue{}
	err := s.svc.store.View(func(txn *store.Txn) error {
		return scanLocations(txn, s.acct.ID, mailbox, uidValidity, func(l Location, v locValue) error {
			out[l.UID] = v
			return nil
		})
	})
	if err != nil {
		return nil, &SyncError{Stage: StageStore, Err: err}
	}
	return out, nil
}

func scanLocations(txn *store.Txn, acct, mailbox string, uidValidity uint32, fn func(Location, locValue) error) error {
	return txn.Scan(locPrefix(acct, mailbox, uidValidity), store.ScanOptions{}, func(k, v []byte) error {
		l, ok := parseLocKey(k)
		if !ok {
			return nil
		}
		var lv locValue
		if err := json.Unmarshal(v, &lv); err != nil {
			return fmt.Errorf("store: corrupt location %q: %w", k, err)
		}
		return fn(l, lv)
	})
}

var messageIDSection = &imap.FetchItemBodySection{Specifier: imap.PartSpecifierHeader, HeaderFields: []string{"Message-ID"}, Peek: true}
var fullSection = &imap.FetchItemBodySection{Peek: true}

// fetchMissing downloads and stores messages batch by batch. Downloading
// the next batch overlaps with parsing and committing the previous one, so
// neither the network round trips nor the store's fsync leave the other
// idle.
func (s *session) fetchMissing(ctx context.Context, f folderInfo, uidValidity uint32, missing []uint32, initial bool) error {
	type download struct {
		items []*fetched
		end   int
		err   error
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ch := make(chan download, 2)
	go func() {
		defer close(ch)
		for start := 0; start < len(missing); {
			if ctx.Err() != nil {
				return
			}
			end := min(start+batchSize, len(missing))
			items, took, err := s.downloadBatch(f, missing[start:end])
			start += took
			select {
			case ch <- download{items, start, err}:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	// The connection is reused after this returns: wait for the
	// downloader before leaving, whatever happens.
	fail := func(err error) error {
		cancel()
		for range ch {
		}
		return err
	}
	for d := range ch {
		if d.err != nil {
			return fail(d.err)
		}
		if err := ctx.Err(); err != nil {
			return fail(err)
		}
		loc := func(uid uint32) Location {
			return Location{Account: s.acct.ID, Mailbox: f.Name, UIDValidity: uidValidity, UID: uid}
		}
		added, err := s.svc.storeFetched(s.acct, d.items, loc)
		if err != nil {
			return fail(&SyncError{Stage: StageStore, Err: err})
		}
		s.svc.announce(ctx, added, f.Name, initial)
		done := d.end
		s.svc.status.folder(s.acct.ID, f.Name, f.Role, func(fs *FolderStatus) { fs.Done = done })
	}
	return ctx.Err()
}

// downloadBatch fetches one batch of UIDs and parses the bodies. It first
// asks only for each message's Message-ID: a message already stored from
// another folder (Gmail labels) or from before a UIDVALIDITY change gets a
// new location without downloading its body again.
//
// Bodies are fetched up to batchBytes per batch: a batch stops early at a
// large message (the rest goes to the next batch), so mail with big
// attachments never piles up in memory. took is how many of uids were
// handled.
func (s *session) downloadBatch(f folderInfo, uids []uint32) (ready []*fetched, took int, err error) {
	set := imap.UIDSet{}
	for _, u := range uids {
		set.AddNum(imap.UID(u))
	}
	msgs, err := s.c.Fetch(set, &imap.FetchOptions{
		UID: true, Flags: true, InternalDate: true, RFC822Size: true, ModSeq: s.condstore(),
		BodySection: []*imap.FetchItemBodySection{messageIDSection},
	}).Collect()
	if err != nil {
		return nil, 0, &SyncError{Stage: StageSync, Err: fmt.Errorf("fetch headers in %s: %w", f.Name, err)}
	}
	items := make([]*fetched, 0, len(msgs))
	byUID := map[uint32]*fetched{}
	var keys []string
	for _, m := range msgs {
		if m.UID == 0 {
			continue
		}
		it := &fetched{uid: uint32(m.UID), flags: flagStrings(m.Flags), modseq: m.ModSeq, internal: m.InternalDate, size: m.RFC822Size}
		if mid := HeaderMessageID(m.FindBodySection(messageIDSection)); mid != "" {
			it.key = MessageKey(mid, nil)
			keys = append(keys, it.key)
		}
		items = append(items, it)
		byUID[it.uid] = it
	}
	known := map[string]bool{}
	if err := s.svc.store.View(func(txn *store.Txn) error {
		for _, k := range keys {
			ok, err := txn.Has(msgKey(k))
			if err != nil {
				return err
			}
			known[k] = ok
		}
		return nil
	}); err != nil {
		return nil, 0, &SyncError{Stage: StageStore, Err: err}
	}
	need := imap.UIDSet{}
	needN := 0
	inBatch := map[string]bool{}
	var bytes int64
	took = len(uids)
	for i, uid := range uids {
		it := byUID[uid]
		if it == nil || it.key != "" && (known[it.key] || inBatch[it.key]) {
			continue
		}
		if needN > 0 && bytes+it.size > batchBytes {
			took = i
			break
		}
		if it.key != "" {
			inBatch[it.key] = true
		}
		bytes += it.size
		need.AddNum(imap.UID(it.uid))
		needN++
	}
	if took < len(uids) {
		rest := map[uint32]bool{}
		for _, u := range uids[took:] {
			rest[u] = true
		}
		items = slices.DeleteFunc(items, func(it *fetched) bool { return rest[it.uid] })
	}
	if needN > 0 {
		cmd := s.c.Fetch(need, &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{fullSection}})
		for {
			msg := cmd.Next()
			if msg == nil {
				break
			}
			buf, err := msg.Collect()
			if err != nil {
				cmd.Close()
				return nil, 0, &SyncError{Stage: StageSync, Err: fmt.Errorf("fetch messages in %s: %w", f.Name, err)}
			}
			if it := byUID[uint32(buf.UID)]; it != nil {
				it.raw = buf.FindBodySection(fullSection)
			}
		}
		if err := cmd.Close(); err != nil {
			return nil, 0, &SyncError{Stage: StageSync, Err: fmt.Errorf("fetch messages in %s: %w", f.Name, err)}
		}
	}
	parseAll(items)
	// A message whose body did not arrive (expunged meanwhile) is left for
	// the next sync rather than stored half.
	ready = items[:0]
	for _, it := range items {
		if it.key == "" && it.raw == nil {
			continue
		}
		ready = append(ready, it)
	}
	return ready, took, nil
}

func flagStrings(flags []imap.Flag) []string {
	out := make([]string, len(flags))
	for i, f := range flags {
		out[i] = string(f)
	}
	return normalizeFlags(out)
}

// parseAll parses fetched bodies on every core.
func parseAll(items []*fetched) {
	work := make(chan *fetched)
	var wg sync.WaitGroup
	for range max(1, runtime.GOMAXPROCS(0)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for it := range work {
				it.parsed = Parse(it.raw)
				if it.key == "" || it.parsed.MessageID != "" {
					it.key = MessageKey(it.parsed.MessageID, it.raw)
				}
			}
		}()
	}
	for _, it := range items {
		if it.raw != nil {
			work <- it
		}
	}
	close(work)
	wg.Wait()
}

// storeFetched writes a batch in one transaction: new messages with their
// raw bytes, text and thread links, every location, and the thread
// summaries. If the batch is too big for one Badger transaction it is
// split; each part is complete on its own.
//
// With loc nil the items come from an import: they get no location, and a
// message that is already stored is left as it is.
func (svc *Service) storeFetched(acct *Account, items []*fetched, loc func(uint32) Location) ([]*Message, error) {
	if len(items) == 0 {
		return nil, nil
	}
	isMine := svc.identities(acct)
	var added []*Message
	err := svc.store.Update(func(txn *store.Txn) error {
		added = added[:0]
		th := newThreader(txn)
		for _, it := range items {
			m, err := GetMessage(txn, it.key)
			if loc == nil && err == nil {
				continue
			}
			isNew := false
			switch {
			case errors.Is(err, store.ErrNotFound):
				if it.raw == nil {
					// Known at header time, deleted since: next sync.
					continue
				}
				m = newMessage(it, acct, isMine)
				m.Imported = loc == nil && !it.sentHere
				m.SentHere = it.sentHere
				if err := th.add(m); err != nil {
					return err
				}
				if err := txn.Set(rawKey(m.ID), it.raw); err != nil {
					return err
				}
				if it.parsed.Text != "" {
					if err := txn.Set(textKey(m.ID), []byte(it.parsed.Text)); err != nil {
						return err
					}
				}
				isNew = true
			case err != nil:
				return err
			}
			if loc != nil {
				l := loc(it.uid)
				if err := txn.SetJSON(locKey(l), &locValue{Msg: m.ID, Flags: it.flags, ModSeq: it.modseq, Internal: it.internal}); err != nil {
					return err
				}
				if !slices.Contains(m.Locations, l) {
					m.Locations = append(m.Locations, l)
				}
				if err := refreshFlags(txn, m); err != nil {
					return err
				}
			} else {
				m.Flags = it.flags
			}
			if !isNew {
				th.touched[m.ThreadID] = true
			}
			if err := putMessage(txn, m); err != nil {
				return err
			}
			if isNew {
				added = append(added, m)
			}
		}
		if err := svc.runStoreHooks(txn, added); err != nil {
			return err
		}
		return th.finish()
	})
	if errors.Is(err, badger.ErrTxnTooBig) && len(items) > 1 {
		half := len(items) / 2
		a, err := svc.storeFetched(acct, items[:half], loc)
		if err != nil {
			return nil, err
		}
		b, err := svc.storeFetched(acct, items[half:], loc)
		return append(a, b...), err
	}
	return added, err
}

func newMessage(it *fetched, acct *Account, isMine func(string) bool) *Message {
	m := &Message{ID: it.key, InternalDate: it.internal.UTC(), Size: len(it.raw), Parsed: *it.parsed, Direction: Inbound}
	if acct != nil {
		m.Account = acct.ID
	}
	if slices.ContainsFunc(m.From, func(a Address) bool { return isMine(a.Address) }) {
		m.Direction = Outbound
	}
	if m.InternalDate.IsZero() {
		m.InternalDate = m.Date
	}
	return m
}

// identities returns the test for the user's own addresses: the account's,
// or every account's for imports.
func (svc *Service) identities(acct *Account) func(string) bool {
	if acct != nil {
		return acct.isIdentity
	}
	mine := map[string]bool{}
	if accts, err := ListAccounts(svc.store); err == nil {
		for _, a := range accts {
			for _, id := range a.Identities {
				mine[id] = true
			}
		}
	}
	return func(addr string) bool { return mine[strings.ToLower(addr)] }
}

// refreshFlags sets a message's flags to the union over its locations:
// read in one folder means read.
func refreshFlags(txn *store.Txn, m *Message) error {
	var flags []string
	for _, l := range m.Locations {
		var lv locValue
		err := txn.GetJSON(locKey(l), &lv)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		flags = append(flags, lv.Flags...)
	}
	if len(m.Locations) == 0 {
		flags = m.Flags
	}
	m.Flags = normalizeFlags(flags)
	return nil
}

// removeLocations forgets expunged UIDs; a message left in no folder (and
// not imported) is deleted with its thread link.
func (svc *Service) removeLocations(acct, mailbox string, uidValidity uint32, uids []uint32) error {
	for start := 0; start < len(uids); start += 500 {
		part := uids[start:min(start+500, len(uids))]
		err := svc.store.Update(func(txn *store.Txn) error {
			th := newThreader(txn)
			for _, uid := range part {
				if err := removeLocation(txn, th, Location{Account: acct, Mailbox: mailbox, UIDValidity: uidValidity, UID: uid}); err != nil {
					return err
				}
			}
			return th.finish()
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func removeLocation(txn *store.Txn, th *threader, l Location) error {
	var lv locValue
	err := txn.GetJSON(locKey(l), &lv)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := txn.Delete(locKey(l)); err != nil {
		return err
	}
	m, err := GetMessage(txn, lv.Msg)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	m.Locations = slices.DeleteFunc(m.Locations, func(x Location) bool { return x == l })
	if len(m.Locations) == 0 && !m.Imported && !m.SentHere {
		if err := th.remove(m); err != nil {
			return err
		}
		return deleteMessage(txn, m.ID)
	}
	if err := refreshFlags(txn, m); err != nil {
		return err
	}
	th.touched[m.ThreadID] = true
	return putMessage(txn, m)
}

// dropStaleEpochs removes locations from an older UIDVALIDITY of a folder,
// once the current epoch is fully synced: messages still on the server
// already have their new location, so only mail that is really gone goes.
func (svc *Service) dropStaleEpochs(acct, mailbox string, current uint32) error {
	var stale []Location
	err := svc.store.View(func(txn *store.Txn) error {
		return txn.Scan(locFolderPrefix(acct, mailbox), store.ScanOptions{KeysOnly: true}, func(k, _ []byte) error {
			if l, ok := parseLocKey(k); ok && l.UIDValidity != current {
				stale = append(stale, l)
			}
			return nil
		})
	})
	if err != nil {
		return &SyncError{Stage: StageStore, Err: err}
	}
	for start := 0; start < len(stale); start += 500 {
		part := stale[start:min(start+500, len(stale))]
		err := svc.store.Update(func(txn *store.Txn) error {
			th := newThreader(txn)
			for _, l := range part {
				if err := removeLocation(txn, th, l); err != nil {
					return err
				}
			}
			return th.finish()
		})
		if err != nil {
			return &SyncError{Stage: StageStore, Err: err}
		}
	}
	return nil
}

// syncFlags brings flags of already stored messages up to date: with
// CONDSTORE only what changed since the last HIGHESTMODSEQ, otherwise all.
func (s *session) syncFlags(state *FolderState, sel *imap.SelectData, local map[uint32]locValue) error {
	if len(local) == 0 {
		return nil
	}
	opts := &imap.FetchOptions{UID: true, Flags: true}
	// A HIGHESTMODSEQ that went down means the server lost its history
	// (restored from backup): only a full comparison is safe then.
	if s.condstore() && state.HighestModSeq > 0 && sel.HighestModSeq >= state.HighestModSeq {
		if state.HighestModSeq == sel.HighestModSeq {
			return nil
		}
		opts.ChangedSince = state.HighestModSeq
		opts.ModSeq = true
	}
	all := imap.UIDSet{}
	all.AddRange(1, 0)
	msgs, err := s.c.Fetch(all, opts).Collect()
	if err != nil {
		return &SyncError{Stage: StageSync, Err: fmt.Errorf("fetch flags in %s: %w", state.Mailbox, err)}
	}
	type change struct {
		uid   uint32
		flags []string
		ms    uint64
	}
	var changes []change
	for _, m := range msgs {
		uid := uint32(m.UID)
		old, ok := local[uid]
		if !ok {
			continue
		}
		flags := flagStrings(m.Flags)
		if !slices.Equal(flags, old.Flags) {
			changes = append(changes, change{uid, flags, m.ModSeq})
		}
	}
	for start := 0; start < len(changes); start += 500 {
		part := changes[start:min(start+500, len(changes))]
		err := s.svc.store.Update(func(txn *store.Txn) error {
			th := newThreader(txn)
			for _, c := range part {
				l := Location{Account: s.acct.ID, Mailbox: state.Mailbox, UIDValidity: sel.UIDValidity, UID: c.uid}
				var lv locValue
				if err := txn.GetJSON(locKey(l), &lv); err != nil {
					if errors.Is(err, store.ErrNotFound) {
						continue
					}
					return err
				}
				lv.Flags = c.flags
				if c.ms > 0 {
					lv.ModSeq = c.ms
				}
				if err := txn.SetJSON(locKey(l), &lv); err != nil {
					return err
				}
				m, err := GetMessage(txn, lv.Msg)
				if errors.Is(err, store.ErrNotFound) {
					continue
				}
				if err != nil {
					return err
				}
				if err := refreshFlags(txn, m); err != nil {
					return err
				}
				th.touched[m.ThreadID] = true
				if err := putMessage(txn, m); err != nil {
					return err
				}
			}
			return th.finish()
		})
		if err != nil {
			return &SyncError{Stage: StageStore, Err: err}
		}
	}
	if len(changes) > 0 {
		s.svc.bus.Publish("mail.flags", map[string]any{"account": s.acct.ID, "mailbox": state.Mailbox, "changed": len(changes)})
	}
	return nil
}
