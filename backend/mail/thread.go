package mail

import (
	"errors"
	"regexp"
	"slices"
	"strings"
	"time"

	"threadline/backend/store"
)

// Thread is a conversation: messages linked by Message-ID, In-Reply-To and
// References (the id table of JWZ threading), or, for replies that carry
// no references at all, by their base subject.
type Thread struct {
	ID            string    `json:"id"`
	Subject       string    `json:"subject"`
	Participants  []Address `json:"participants"`
	MessageCount  int       `json:"message_count"`
	Unread        int       `json:"unread"`
	LastMessage   string    `json:"last_message"`
	LastDate      time.Time `json:"last_date"`
	LastDirection string    `json:"last_direction"`
	LastFrom      *Address  `json:"last_from,omitempty"`
	Snippet       string    `json:"snippet,omitempty"`
	Accounts      []string  `json:"accounts,omitempty"`
	Mailboxes     []string  `json:"mailboxes,omitempty"`
	HasAttachment bool      `json:"has_attachment,omitempty"`
	MergedInto    string    `json:"merged_into,omitempty"`
	ListKey       string    `json:"list_key,omitempty"`
}

// threadRecord is a thread as stored: the summary plus its members, each
// "datekey:messagekey", kept sorted so they read oldest first. Keeping
// the members in the record (rather than as index keys) lets a batch
// recompute many threads without opening iterators inside its write
// transaction, which Badger makes expensive.
type threadRecord struct {
	Thread
	Members []string `json:"members,omitempty"`
	// ListKey is the thread's current tlist key.
	ListKey string `json:"list_key,omitempty"`
	// MergedInto is set when the thread was merged into another.
	MergedInto string `json:"merged_into,omitempty"`
}

func memberEntry(m *Message) string { return dateKey(m.sortDate()) + ":" + m.ID }

func memberID(entry string) string {
	_, id, _ := strings.Cut(entry, ":")
	return id
}

func getThreadRecord(txn *store.Txn, tid string) (*threadRecord, error) {
	var r threadRecord
	if err := txn.GetJSON(threadKey(tid), &r); err != nil {
		return nil, err
	}
	return &r, nil
}

func putThreadRecord(txn *store.Txn, r *threadRecord) error { return txn.SetJSON(threadKey(r.ID), r) }

func (r *threadRecord) addMember(m *Message) {
	e := memberEntry(m)
	i, found := slices.BinarySearch(r.Members, e)
	if !found {
		r.Members = slices.Insert(r.Members, i, e)
	}
}

func (r *threadRecord) removeMember(m *Message) {
	r.Members = slices.DeleteFunc(r.Members, func(e string) bool { return memberID(e) == m.ID })
}

func threadKey(id string) []byte { return store.Key("thread", id) }
func threadMsgKey(tid string, m *Message) []byte {
	return store.Key("tmsg", tid, dateKey(m.sortDate()), m.ID)
}
func threadRefKey(messageID string) []byte         { return store.Key("tref", messageID) }
func threadSubjectKey(base string) []byte          { return store.Key("tsubj", base) }
func threadListKey(t time.Time, tid string) []byte { return store.Key("tlist", invDateKey(t), tid) }

var replyPrefix = regexp.MustCompile(`(?i)^\s*((re|fwd?|aw|sv|vs|wg|antw|odp|tr|rif|ref|res|r)\s*(\[\d+\]|\(\d+\))?\s*[:：]\s*|\[[^\]]{1,40}\]\s*)+`)

// BaseSubject strips reply and forward prefixes (Re:, Fwd:, AW:, SV:, …) and
// list tags, and folds case and spaces, as JWZ's subject grouping does.
func BaseSubject(s string) (base string, isReply bool) {
	loc := replyPrefix.FindStringIndex(s)
	if loc != nil {
		prefix := s[:loc[1]]
		isReply = strings.Contains(prefix, ":") || strings.Contains(prefix, "：")
		s = s[loc[1]:]
	}
	s = strings.ToLower(strings.Join(strings.Fields(s), " "))
	if len(s) > 200 {
		s = truncateUTF8(s, 200)
	}
	return s, isReply
}

// threader assigns messages to threads inside one store transaction and
// remembers which threads need their summary recomputed before commit.
type threader struct {
	txn     *store.Txn
	touched map[string]bool
}

func newThreader(txn *store.Txn) *threader { return &threader{txn: txn, touched: map[string]bool{}} }

// resolve follows merge pointers to the live thread, or "" when gone.
func (th *threader) resolve(tid string) (string, error) {
	for i := 0; i < 64 && tid != ""; i++ {
		t, err := getThreadRecord(th.txn, tid)
		if errors.Is(err, store.ErrNotFound) {
			return "", nil
		}
		if err != nil {
			return "", err
		}
		if t.MergedInto == "" {
			return tid, nil
		}
		tid = t.MergedInto
	}
	return "", nil
}

func (th *threader) lookupRef(id string) (string, error) {
	b, err := th.txn.Get(threadRefKey(id))
	if errors.Is(err, store.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return th.resolve(string(b))
}

// add files a new message (m.ThreadID empty) into a thread, merging threads
// that the message shows to be one conversation.
func (th *threader) add(m *Message) error {
	var ids []string
	if m.MessageID != "" {
		ids = append(ids, m.MessageID)
	}
	ids = append(ids, m.References...)
	ids = append(ids, m.InReplyTo...)

	var found []string
	for _, id := range ids {
		tid, err := th.lookupRef(id)
		if err != nil {
			return err
		}
		if tid != "" && !slices.Contains(found, tid) {
			found = append(found, tid)
		}
	}
	base, isReply := BaseSubject(m.Subject)
	if len(found) == 0 && isReply && len(m.References) == 0 && len(m.InReplyTo) == 0 && len(base) >= 3 {
		b, err := th.txn.Get(threadSubjectKey(base))
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if err == nil {
			tid, err := th.resolve(string(b))
			if err != nil {
				return err
			}
			ok, err := th.subjectMatch(tid, m)
			if err != nil {
				return err
			}
			if ok {
				found = append(found, tid)
			}
		}
	}
	var tid string
	if len(found) == 0 {
		tid = store.NewID()
		if err := putThreadRecord(th.txn, &threadRecord{Thread: Thread{ID: tid}}); err != nil {
			return err
		}
	} else {
		// The oldest thread absorbs the others, so ids users saw stay
		// valid as long as possible (merged ids still resolve).
		slices.Sort(found)
		tid = found[0]
		for _, other := range found[1:] {
			if err := th.merge(other, tid); err != nil {
				return err
			}
		}
	}
	for _, id := range ids {
		if err := th.txn.Set(threadRefKey(id), []byte(tid)); err != nil {
			return err
		}
	}
	if len(base) >= 3 {
		if err := th.txn.Set(threadSubjectKey(base), []byte(tid)); err != nil {
			return err
		}
	}
	m.ThreadID = tid
	th.touched[tid] = true
	r, err := getThreadRecord(th.txn, tid)
	if err != nil {
		return err
	}
	r.addMember(m)
	return putThreadRecord(th.txn, r)
}

// subjectWindow bounds how far apart in time a reference-less reply and
// the thread it joins by subject may be.
const subjectWindow = 30 * 24 * time.Hour

// subjectMatch decides whether a reply without references belongs to the
// thread that last used its base subject: only when that thread is recent
// and shares a participant, so "Re: hello" from a stranger a year later
// stays apart.
func (th *threader) subjectMatch(tid string, m *Message) (bool, error) {
	if tid == "" {
		return false, nil
	}
	if th.touched[tid] {
		if err := recomputeThread(th.txn, tid); err != nil {
			return false, err
		}
	}
	t, err := GetThread(th.txn, tid)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	d := m.sortDate().Sub(t.LastDate)
	if d < -subjectWindow || d > subjectWindow {
		return false, nil
	}
	for _, group := range [][]Address{m.From, m.To, m.Cc} {
		for _, a := range group {
			if slices.ContainsFunc(t.Participants, func(p Address) bool { return p.Address == a.Address }) {
				return true, nil
			}
		}
	}
	return false, nil
}

// merge moves every message of thread from into thread into.
func (th *threader) merge(from, into string) error {
	src, err := getThreadRecord(th.txn, from)
	if err != nil {
		return err
	}
	dst, err := getThreadRecord(th.txn, into)
	if err != nil {
		return err
	}
	for _, e := range src.Members {
		m, err := GetMessage(th.txn, memberID(e))
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		m.ThreadID = into
		if err := putMessage(th.txn, m); err != nil {
			return err
		}
		dst.addMember(m)
	}
	if err := putThreadRecord(th.txn, dst); err != nil {
		return err
	}
	if src.ListKey != "" {
		if err := th.txn.Delete([]byte(src.ListKey)); err != nil {
			return err
		}
	}
	delete(th.touched, from)
	th.touched[into] = true
	return putThreadRecord(th.txn, &threadRecord{Thread: Thread{ID: from}, MergedInto: into})
}

// remove takes a deleted message out of its thread.
func (th *threader) remove(m *Message) error {
	if m.ThreadID == "" {
		return nil
	}
	th.touched[m.ThreadID] = true
	r, err := getThreadRecord(th.txn, m.ThreadID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	r.removeMember(m)
	return putThreadRecord(th.txn, r)
}

// finish recomputes the summary of every touched thread.
func (th *threader) finish() error {
	for tid := range th.touched {
		if err := recomputeThread(th.txn, tid); err != nil {
			return err
		}
	}
	th.touched = map[string]bool{}
	return nil
}

func recomputeThread(txn *store.Txn, tid string) error {
	old, err := getThreadRecord(txn, tid)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		return err
	}
	if old.MergedInto != "" {
		return nil
	}
	t := Thread{ID: tid}
	seenAddr := map[string]bool{}
	for _, e := range old.Members {
		m, err := GetMessage(txn, memberID(e))
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		t.MessageCount++
		if t.Subject == "" && m.Subject != "" {
			t.Subject = m.Subject
		}
		if !m.Seen() && !slices.Contains(m.Flags, `\Draft`) {
			t.Unread++
		}
		if len(m.Attachments) > 0 {
			t.HasAttachment = true
		}
		for _, group := range [][]Address{m.From, m.To, m.Cc} {
			for _, a := range group {
				if a.Address != "" && !seenAddr[a.Address] {
					seenAddr[a.Address] = true
					t.Participants = append(t.Participants, a)
				}
			}
		}
		if m.Account != "" && !slices.Contains(t.Accounts, m.Account) {
			t.Accounts = append(t.Accounts, m.Account)
		}
		for _, l := range m.Locations {
			if !slices.Contains(t.Accounts, l.Account) {
				t.Accounts = append(t.Accounts, l.Account)
			}
			if !slices.Contains(t.Mailboxes, l.Mailbox) {
				t.Mailboxes = append(t.Mailboxes, l.Mailbox)
			}
		}
		// ids are in date order: the last one wins.
		t.LastMessage = m.ID
		t.LastDate = m.sortDate()
		t.LastDirection = m.Direction
		t.Snippet = m.Snippet
		if len(m.From) > 0 {
			f := m.From[0]
			t.LastFrom = &f
		}
	}
	if old.ListKey != "" {
		if err := txn.Delete([]byte(old.ListKey)); err != nil {
			return err
		}
	}
	if t.MessageCount == 0 {
		return txn.Delete(threadKey(tid))
	}
	listKey := string(threadListKey(t.LastDate, tid))
	if err := txn.Set([]byte(listKey), nil); err != nil {
		return err
	}
	return putThreadRecord(txn, &threadRecord{Thread: t, Members: old.Members, ListKey: listKey})
}

// GetThread loads a live thread, following merges.
func GetThread(txn *store.Txn, id string) (*Thread, error) {
	for i := 0; i < 64; i++ {
		r, err := getThreadRecord(txn, id)
		if err != nil {
			return nil, err
		}
		if r.MergedInto == "" {
			return &r.Thread, nil
		}
		id = r.MergedInto
	}
	return nil, store.ErrNotFound
}

// ThreadMessages returns a thread's messages oldest first.
func ThreadMessages(txn *store.Txn, tid string) ([]*Message, error) {
	r, err := getThreadRecord(txn, tid)
	if err != nil {
		return nil, err
	}
	var out []*Message
	for _, e := range r.Members {
		m, err := GetMessage(txn, memberID(e))
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// ErrBadCursor is returned for a cursor that ListThreads did not issue.
var ErrBadCursor = errors.New("the cursor is not one this list returned")

// ThreadFilter narrows ListThreads. Empty fields match everything.
type ThreadFilter struct {
	Account     string
	Folder      string // mailbox name, or a role: inbox, sent, archive
	Direction   string
	Unread      *bool
	Participant string
	Cursor      string
	Limit       int
}

// ThreadPage is one page of threads, newest first.
type ThreadPage struct {
	Threads    []*Thread `json:"threads"`
	NextCursor string    `json:"next_cursor,omitempty"`
}

// ListThreads walks the newest-first thread index, applying f.
func ListThreads(txn *store.Txn, f ThreadFilter, folderMatch func(t *Thread, folder string) bool) (*ThreadPage, error) {
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 50
	}
	page := &ThreadPage{Threads: []*Thread{}}
	opts := store.ScanOptions{KeysOnly: true}
	if f.Cursor != "" {
		a, b, ok := strings.Cut(f.Cursor, "_")
		if !ok {
			return nil, ErrBadCursor
		}
		opts.After = store.Key("tlist", a, b)
	}
	participant := strings.ToLower(f.Participant)
	var lastParts []string
	err := txn.Scan(store.Key("tlist", ""), opts, func(k, _ []byte) error {
		if len(page.Threads) == f.Limit {
			page.NextCursor = lastParts[1] + "_" + lastParts[2]
			return store.ErrStopScan
		}
		parts := store.SplitKey(k)
		var t Thread
		if err := txn.GetJSON(threadKey(parts[len(parts)-1]), &t); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return nil
			}
			return err
		}
		if f.Account != "" && !slices.Contains(t.Accounts, f.Account) {
			return nil
		}
		if f.Direction != "" && t.LastDirection != f.Direction {
			return nil
		}
		if f.Unread != nil && (*f.Unread != (t.Unread > 0)) {
			return nil
		}
		if f.Folder != "" && !folderMatch(&t, f.Folder) {
			return nil
		}
		if participant != "" && !slices.ContainsFunc(t.Participants, func(a Address) bool {
			return strings.Contains(a.Address, participant) || strings.Contains(strings.ToLower(a.Name), participant)
		}) {
			return nil
		}
		page.Threads = append(page.Threads, &t)
		lastParts = parts
		return nil
	})
	return page, err
}
