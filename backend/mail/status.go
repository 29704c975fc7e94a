package mail

import (
	"slices"
	"sync"
	"time"

	"threadline/backend/events"
)

// Sync states shown to the user.
const (
	StateIdle       = "idle"
	StateConnecting = "connecting"
	StateSyncing    = "syncing"
	StateWaiting    = "waiting" // connected, waiting for news (IDLE or next poll)
	StateError      = "error"
	StateDisabled   = "disabled"
)

// AccountStatus is the live sync status of one account.
type AccountStatus struct {
	Account     string          `json:"account"`
	Email       string          `json:"email"`
	State       string          `json:"state"`
	Push        bool            `json:"push"`
	LastSuccess *time.Time      `json:"last_success,omitempty"`
	LastError   string          `json:"last_error,omitempty"`
	NextRetry   *time.Time      `json:"next_retry,omitempty"`
	Folders     []*FolderStatus `json:"folders"`
}

// FolderStatus is the live sync status of one folder.
type FolderStatus struct {
	Mailbox     string     `json:"mailbox"`
	Role        string     `json:"role,omitempty"`
	State       string     `json:"state"`
	Done        int        `json:"done"`
	Total       int        `json:"total"`
	Messages    int        `json:"messages"`
	LastSuccess *time.Time `json:"last_success,omitempty"`
	LastError   string     `json:"last_error,omitempty"`
}

// statusBoard holds every account's status and publishes each change as a
// sync.progress event.
type statusBoard struct {
	mu       sync.Mutex
	bus      *events.Bus
	accounts map[string]*AccountStatus
	lastPub  map[string]time.Time
}

func newStatusBoard(bus *events.Bus) *statusBoard {
	return &statusBoard{bus: bus, accounts: map[string]*AccountStatus{}, lastPub: map[string]time.Time{}}
}

func (b *statusBoard) get(acct string) *AccountStatus {
	a, ok := b.accounts[acct]
	if !ok {
		a = &AccountStatus{Account: acct, State: StateIdle, Folders: []*FolderStatus{}}
		b.accounts[acct] = a
	}
	return a
}

func (b *statusBoard) account(acct string, fn func(*AccountStatus)) {
	b.mu.Lock()
	a := b.get(acct)
	fn(a)
	snap := copyStatus(a)
	b.mu.Unlock()
	b.publish(snap, true)
}

func (b *statusBoard) folder(acct, mailbox, role string, fn func(*FolderStatus)) {
	b.mu.Lock()
	a := b.get(acct)
	i := slices.IndexFunc(a.Folders, func(f *FolderStatus) bool { return f.Mailbox == mailbox })
	if i < 0 {
		a.Folders = append(a.Folders, &FolderStatus{Mailbox: mailbox, Role: role, State: StateIdle})
		i = len(a.Folders) - 1
	}
	f := a.Folders[i]
	prevState := f.State
	fn(f)
	if f.State == StateError && f.LastError != "" {
		a.LastError = f.Mailbox + ": " + f.LastError
	}
	snap := copyStatus(a)
	b.mu.Unlock()
	b.publish(snap, prevState != f.State || f.Done == f.Total)
}

func (b *statusBoard) remove(acct string) {
	b.mu.Lock()
	delete(b.accounts, acct)
	b.mu.Unlock()
	b.bus.Publish("sync.progress", &AccountStatus{Account: acct, State: StateDisabled, Folders: []*FolderStatus{}})
}

// publish sends a snapshot; progress-only updates are throttled so a fast
// sync does not flood the UI.
func (b *statusBoard) publish(a *AccountStatus, force bool) {
	if b.bus == nil {
		return
	}
	b.mu.Lock()
	last := b.lastPub[a.Account]
	now := time.Now()
	if !force && now.Sub(last) < 200*time.Millisecond {
		b.mu.Unlock()
		return
	}
	b.lastPub[a.Account] = now
	b.mu.Unlock()
	b.bus.Publish("sync.progress", a)
}

func (b *statusBoard) snapshot() []*AccountStatus {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]*AccountStatus, 0, len(b.accounts))
	for _, a := range b.accounts {
		out = append(out, copyStatus(a))
	}
	slices.SortFunc(out, func(x, y *AccountStatus) int {
		if x.Account < y.Account {
			return -1
		}
		if x.Account > y.Account {
			return 1
		}
		return 0
	})
	return out
}

func copyStatus(a *AccountStatus) *AccountStatus {
	c := *a
	c.Folders = make([]*FolderStatus, len(a.Folders))
	for i, f := range a.Folders {
		fc := *f
		c.Folders[i] = &fc
	}
	return &c
}
