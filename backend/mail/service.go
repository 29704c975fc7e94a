package mail

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"threadline/backend/events"
	"threadline/backend/store"
)

// Options configure a Service.
type Options struct {
	Store   *store.Store
	Bus     *events.Bus
	Logger  *slog.Logger
	Secrets Secrets
	// PollInterval is how often folders without push are checked.
	PollInterval time.Duration
	// Dial replaces the TCP dialer (tests put a proxy in the way).
	Dial Dialer
}

// Service owns mail accounts and keeps their folders synced into the store.
type Service struct {
	store   *store.Store
	bus     *events.Bus
	log     *slog.Logger
	secrets Secrets
	opts    Options
	status  *statusBoard

	hooksMu    sync.RWMutex
	hooks      []func(context.Context, []StoredMessage)
	storeHooks []func(*store.Txn, []string) error

	mu      sync.Mutex
	ctx     context.Context
	workers map[string]*worker
	wg      sync.WaitGroup
}

// NewService returns a Service; Start begins background sync.
func NewService(o Options) *Service {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Bus == nil {
		o.Bus = events.NewBus()
	}
	if o.Secrets == nil {
		o.Secrets = OpenSecrets(o.Store.Dir(), o.Logger)
	}
	if o.PollInterval == 0 {
		o.PollInterval = 5 * time.Minute
	}
	return &Service{store: o.Store, bus: o.Bus, log: o.Logger, secrets: o.Secrets, opts: o,
		status: newStatusBoard(o.Bus), workers: map[string]*worker{}}
}

// Store is the store the service writes to.
func (svc *Service) Store() *store.Store { return svc.store }

// SecretBackend says where passwords are kept.
func (svc *Service) SecretBackend() SecretBackend { return svc.secrets.Backend() }

// OnNewMessages registers fn to be called with every batch of newly stored
// messages (from sync and import), after they are committed. fn runs on the
// sync goroutine: it must be quick or hand work off.
func (svc *Service) OnNewMessages(fn func(ctx context.Context, msgs []StoredMessage)) {
	svc.hooksMu.Lock()
	svc.hooks = append(svc.hooks, fn)
	svc.hooksMu.Unlock()
}

// OnStore registers fn to run inside the transaction that stores new
// messages, with their message keys, so that a consumer can record durable
// work that commits or aborts together with the mail (a crash after the
// commit cannot lose it). fn must only write to txn and must not fail for
// reasons other than the transaction itself: its error aborts the batch.
// The transaction may be retried, so fn must not have other effects.
func (svc *Service) OnStore(fn func(txn *store.Txn, msgIDs []string) error) {
	svc.hooksMu.Lock()
	svc.storeHooks = append(svc.storeHooks, fn)
	svc.hooksMu.Unlock()
}

func (svc *Service) runStoreHooks(txn *store.Txn, added []*Message) error {
	if len(added) == 0 {
		return nil
	}
	svc.hooksMu.RLock()
	hooks := svc.storeHooks
	svc.hooksMu.RUnlock()
	if len(hooks) == 0 {
		return nil
	}
	ids := make([]string, len(added))
	for i, m := range added {
		ids[i] = m.ID
	}
	for _, h := range hooks {
		if err := h(txn, ids); err != nil {
			return err
		}
	}
	return nil
}

// announce runs the hooks and publishes mail.new.
func (svc *Service) announce(ctx context.Context, added []*Message, mailbox string, initial bool) {
	if len(added) == 0 {
		return
	}
	msgs := make([]StoredMessage, len(added))
	for i, m := range added {
		msgs[i] = storedFrom(m, mailbox, initial)
	}
	svc.hooksMu.RLock()
	hooks := svc.hooks
	svc.hooksMu.RUnlock()
	for _, h := range hooks {
		h(ctx, msgs)
	}
	head := msgs
	if len(head) > 20 {
		head = head[:20]
	}
	svc.bus.Publish("mail.new", map[string]any{"count": len(msgs), "initial": initial, "messages": head})
}

// Status returns every account's sync status.
func (svc *Service) Status() []*AccountStatus {
	accts, err := ListAccounts(svc.store)
	if err != nil {
		return svc.status.snapshot()
	}
	for _, a := range accts {
		svc.status.mu.Lock()
		st := svc.status.get(a.ID)
		st.Email = a.Email
		if a.Disabled {
			st.State = StateDisabled
		}
		if len(st.Folders) == 0 {
			if states, err := ListFolderStates(svc.store, a.ID); err == nil {
				for _, fs := range states {
					f := &FolderStatus{Mailbox: fs.Mailbox, Role: fs.Role, State: StateIdle, Messages: fs.Messages}
					if !fs.LastSuccess.IsZero() {
						t := fs.LastSuccess
						f.LastSuccess = &t
					}
					st.Folders = append(st.Folders, f)
				}
			}
		}
		svc.status.mu.Unlock()
	}
	return svc.status.snapshot()
}

// open connects and signs in for acct.
func (svc *Service) open(ctx context.Context, acct *Account, handler *imapclient.UnilateralDataHandler) (*session, error) {
	pw, err := svc.secrets.Get(acct.ID, SecretIMAP)
	if err != nil {
		return nil, &SyncError{Stage: StageAuth, Err: err}
	}
	c, err := connect(ctx, acct, pw, svc.opts.Dial, handler)
	if err != nil {
		return nil, err
	}
	return &session{svc: svc, acct: acct, c: c}, nil
}

func (s *session) close() {
	// Logout politely but do not wait on a dead server.
	done := make(chan struct{})
	go func() { _ = s.c.Logout().Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
	}
	s.c.Close()
}

// syncAll syncs every chosen folder. A failure in one folder does not stop
// the others unless the connection is gone.
func (s *session) syncAll(ctx context.Context) error {
	folders, err := s.listFolders()
	if err != nil {
		return err
	}
	if err := s.forgetUnsyncedFolders(folders); err != nil {
		return err
	}
	var first error
	for _, f := range folders {
		if err := s.syncFolder(ctx, f); err != nil {
			msg := err.Error()
			var se *SyncError
			if errors.As(err, &se) {
				msg = se.Message()
			}
			s.svc.status.folder(s.acct.ID, f.Name, f.Role, func(fs *FolderStatus) { fs.State, fs.LastError = StateError, msg })
			s.svc.log.Warn("folder sync failed", "account", s.acct.ID, "mailbox", f.Name, "err", err)
			if first == nil {
				first = err
			}
			select {
			case <-s.c.Closed():
				return first
			default:
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
		}
	}
	return first
}

// forgetUnsyncedFolders removes what the store holds of folders that are no
// longer synced: deleted on the server, or unticked by the user.
func (s *session) forgetUnsyncedFolders(folders []folderInfo) error {
	states, err := ListFolderStates(s.svc.store, s.acct.ID)
	if err != nil {
		return &SyncError{Stage: StageStore, Err: err}
	}
	for _, fs := range states {
		if slices.ContainsFunc(folders, func(f folderInfo) bool { return f.Name == fs.Mailbox }) {
			continue
		}
		s.svc.log.Info("folder no longer synced; removing its messages from the store", "account", s.acct.ID, "mailbox", fs.Mailbox)
		// UIDVALIDITY 0 is never valid, so every epoch is stale.
		if err := s.svc.dropStaleEpochs(s.acct.ID, fs.Mailbox, 0); err != nil {
			return err
		}
		if err := s.svc.store.Update(func(txn *store.Txn) error { return txn.Delete(folderKey(s.acct.ID, fs.Mailbox)) }); err != nil {
			return &SyncError{Stage: StageStore, Err: err}
		}
		s.svc.status.mu.Lock()
		a := s.svc.status.get(s.acct.ID)
		a.Folders = slices.DeleteFunc(a.Folders, func(f *FolderStatus) bool { return f.Mailbox == fs.Mailbox })
		s.svc.status.mu.Unlock()
	}
	return nil
}

// SyncAccount runs one complete sync of an account and returns when it is
// done: what `threadline sync` and "sync now" without a worker do.
func (svc *Service) SyncAccount(ctx context.Context, id string) error {
	acct, err := GetAccount(svc.store, id)
	if err != nil {
		return err
	}
	svc.status.account(acct.ID, func(a *AccountStatus) { a.Email, a.State = acct.Email, StateConnecting })
	s, err := svc.open(ctx, acct, nil)
	if err != nil {
		svc.accountFailed(acct, err, time.Time{})
		return err
	}
	defer s.close()
	svc.status.account(acct.ID, func(a *AccountStatus) { a.State = StateSyncing })
	if err := s.syncAll(ctx); err != nil {
		svc.accountFailed(acct, err, time.Time{})
		return err
	}
	svc.accountSucceeded(acct, StateIdle)
	return nil
}

func (svc *Service) accountFailed(acct *Account, err error, retry time.Time) {
	msg := err.Error()
	var se *SyncError
	if errors.As(err, &se) {
		msg = se.Message()
	}
	svc.status.account(acct.ID, func(a *AccountStatus) {
		a.State, a.LastError = StateError, msg
		a.NextRetry = nil
		if !retry.IsZero() {
			a.NextRetry = &retry
		}
	})
}

func (svc *Service) accountSucceeded(acct *Account, state string) {
	now := time.Now().UTC()
	svc.status.account(acct.ID, func(a *AccountStatus) {
		a.State, a.LastError, a.LastSuccess, a.NextRetry = state, "", &now, nil
	})
}

// worker keeps one account synced in the background.
type worker struct {
	id      string
	trigger chan struct{}
	cancel  context.CancelFunc
	done    chan struct{}
}

// Start begins background sync of every enabled account. It returns at
// once; Stop ends it.
func (svc *Service) Start(ctx context.Context) error {
	svc.mu.Lock()
	svc.ctx = ctx
	svc.mu.Unlock()
	accts, err := ListAccounts(svc.store)
	if err != nil {
		return err
	}
	for _, a := range accts {
		svc.restartWorker(a.ID)
	}
	return nil
}

// Stop ends background sync and waits for it.
func (svc *Service) Stop() {
	svc.mu.Lock()
	for id, w := range svc.workers {
		w.cancel()
		delete(svc.workers, id)
	}
	svc.ctx = nil
	svc.mu.Unlock()
	svc.wg.Wait()
}

// restartWorker (re)starts the worker of an account after it changed, or
// stops it when the account is gone or disabled.
func (svc *Service) restartWorker(id string) {
	svc.mu.Lock()
	defer svc.mu.Unlock()
	if old, ok := svc.workers[id]; ok {
		old.cancel()
		delete(svc.workers, id)
		<-old.done
	}
	if svc.ctx == nil {
		return
	}
	acct, err := GetAccount(svc.store, id)
	if err != nil || acct.Disabled {
		return
	}
	ctx, cancel := context.WithCancel(svc.ctx)
	w := &worker{id: id, trigger: make(chan struct{}, 1), cancel: cancel, done: make(chan struct{})}
	svc.workers[id] = w
	svc.wg.Add(1)
	go func() {
		defer svc.wg.Done()
		defer close(w.done)
		svc.runWorker(ctx, w)
	}()
}

// SyncNow asks the background worker of one account ("" for all) to sync
// every folder at once. It reports false when no worker runs.
func (svc *Service) SyncNow(id string) bool {
	svc.mu.Lock()
	defer svc.mu.Unlock()
	found := false
	for wid, w := range svc.workers {
		if id == "" || wid == id {
			found = true
			select {
			case w.trigger <- struct{}{}:
			default:
			}
		}
	}
	return found
}

const (
	minBackoff = time.Second
	maxBackoff = 5 * time.Minute
)

func (svc *Service) runWorker(ctx context.Context, w *worker) {
	backoff := minBackoff
	wait := func(d time.Duration) bool {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return false
		case <-t.C:
		case <-w.trigger:
		}
		return true
	}
	for ctx.Err() == nil {
		acct, err := GetAccount(svc.store, w.id)
		if err != nil {
			return
		}
		err = svc.runSession(ctx, acct, w, &backoff)
		if ctx.Err() != nil {
			return
		}
		var se *SyncError
		if errors.As(err, &se) && !se.Temporary() {
			// Wrong password or certificate: retrying cannot help until
			// the user acts (edits the account or presses sync now).
			svc.accountFailed(acct, err, time.Time{})
			if !wait(24 * time.Hour) {
				return
			}
			continue
		}
		retry := time.Now().Add(backoff).UTC()
		svc.accountFailed(acct, err, retry)
		svc.log.Warn("mail sync failed; retrying", "account", acct.ID, "in", backoff, "err", err)
		if !wait(backoff) {
			return
		}
		backoff = min(backoff*2, maxBackoff)
	}
}

// runSession connects, syncs everything, then waits for news: IDLE pushes
// for the inbox, a timer for the other folders, and sync-now requests.
// It returns on any error so the worker reconnects.
func (svc *Service) runSession(ctx context.Context, acct *Account, w *worker, backoff *time.Duration) error {
	svc.status.account(acct.ID, func(a *AccountStatus) { a.Email, a.State = acct.Email, StateConnecting })
	s, err := svc.open(ctx, acct, nil)
	if err != nil {
		return err
	}
	defer s.close()
	svc.status.account(acct.ID, func(a *AccountStatus) { a.State = StateSyncing })
	if err := s.syncAll(ctx); err != nil {
		return err
	}
	*backoff = minBackoff
	svc.accountSucceeded(acct, StateWaiting)

	folders, err := s.listFolders()
	if err != nil {
		return err
	}
	inbox := folderInfo{Name: "INBOX", Role: RoleInbox}
	for _, f := range folders {
		if f.Role == RoleInbox {
			inbox = f
		}
	}
	news := make(chan struct{}, 1)
	idleCtx, stopIdle := context.WithCancel(ctx)
	defer stopIdle()
	push := s.c.Caps().Has(imap.CapIdle) || s.c.Caps().Has(imap.CapIMAP4rev2)
	if push {
		go svc.idleLoop(idleCtx, acct, inbox.Name, news)
	}
	svc.status.account(acct.ID, func(a *AccountStatus) { a.Push = push })
	poll := time.NewTicker(svc.opts.PollInterval)
	defer poll.Stop()
	for {
		var err error
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-s.c.Closed():
			return &SyncError{Stage: StageSync, Err: errors.New("the server closed the connection")}
		case <-news:
			svc.status.account(acct.ID, func(a *AccountStatus) { a.State = StateSyncing })
			err = s.syncFolder(ctx, inbox)
		case <-w.trigger:
			svc.status.account(acct.ID, func(a *AccountStatus) { a.State = StateSyncing })
			err = s.syncAll(ctx)
		case <-poll.C:
			svc.status.account(acct.ID, func(a *AccountStatus) { a.State = StateSyncing })
			err = s.syncAll(ctx)
		}
		if err != nil {
			return err
		}
		svc.accountSucceeded(acct, StateWaiting)
	}
}

// idleLoop keeps a second connection in IDLE on the inbox and signals news
// whenever the server reports new, expunged or changed messages. It
// reconnects with backoff until ctx ends.
func (svc *Service) idleLoop(ctx context.Context, acct *Account, inbox string, news chan<- struct{}) {
	notify := func() {
		select {
		case news <- struct{}{}:
		default:
		}
	}
	handler := &imapclient.UnilateralDataHandler{
		Mailbox: func(d *imapclient.UnilateralDataMailbox) {
			if d.NumMessages != nil {
				notify()
			}
		},
		Expunge: func(uint32) { notify() },
		Fetch: func(m *imapclient.FetchMessageData) {
			// Drain the items, or the decoder would wait on them.
			for m.Next() != nil {
			}
			notify()
		},
	}
	backoff := minBackoff
	for ctx.Err() == nil {
		err := svc.idleOnce(ctx, acct, inbox, handler, notify)
		if ctx.Err() != nil {
			return
		}
		svc.log.Warn("IDLE connection lost; reconnecting", "account", acct.ID, "in", backoff, "err", err)
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		backoff = min(backoff*2, maxBackoff)
	}
}

func (svc *Service) idleOnce(ctx context.Context, acct *Account, inbox string, handler *imapclient.UnilateralDataHandler, notify func()) error {
	s, err := svc.open(ctx, acct, handler)
	if err != nil {
		return err
	}
	defer s.c.Close()
	if _, err := s.c.Select(inbox, &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		return err
	}
	// Anything that arrived between the sync and this SELECT.
	notify()
	idle, err := s.c.Idle()
	if err != nil {
		return err
	}
	select {
	case <-ctx.Done():
		_ = idle.Close()
		return ctx.Err()
	case <-s.c.Closed():
		return fmt.Errorf("the server closed the IDLE connection")
	}
}

// AccountInput is what the API accepts to create or change an account.
// Passwords are write-only: stored in the secret store, never returned.
type AccountInput struct {
	Account
	// SyncDays overrides Account.SyncDays when present; absent means the
	// default for a new account and "unchanged" for an edit.
	SyncDays     *int    `json:"sync_days,omitempty"`
	Password     *string `json:"password,omitempty"`
	SMTPPassword *string `json:"smtp_password,omitempty"`
}

// CreateAccount validates and stores a new account and starts syncing it.
func (svc *Service) CreateAccount(in AccountInput) (*Account, error) {
	a := in.Account
	a.ID = store.NewID()
	a.SyncDays = DefaultSyncDays
	if in.SyncDays != nil {
		a.SyncDays = *in.SyncDays
	}
	if err := a.Normalize(); err != nil {
		return nil, err
	}
	if in.Password == nil || *in.Password == "" {
		return nil, &FieldError{"password", "the IMAP password is required"}
	}
	now := time.Now().UTC()
	a.Created, a.Updated = now, now
	if err := svc.setSecrets(a.ID, in); err != nil {
		return nil, err
	}
	if err := putAccount(svc.store, &a); err != nil {
		_ = svc.secrets.Delete(a.ID)
		return nil, err
	}
	svc.restartWorker(a.ID)
	return &a, nil
}

func (svc *Service) setSecrets(id string, in AccountInput) error {
	if in.Password != nil && *in.Password != "" {
		if err := svc.secrets.Set(id, SecretIMAP, *in.Password); err != nil {
			return err
		}
	}
	if in.SMTPPassword != nil && *in.SMTPPassword != "" {
		if err := svc.secrets.Set(id, SecretSMTP, *in.SMTPPassword); err != nil {
			return err
		}
	}
	return nil
}

// UpdateAccount replaces an account's settings (and passwords, when given).
func (svc *Service) UpdateAccount(id string, in AccountInput) (*Account, error) {
	old, err := GetAccount(svc.store, id)
	if err != nil {
		return nil, err
	}
	a := in.Account
	a.ID, a.Created, a.Updated = id, old.Created, time.Now().UTC()
	a.SyncDays = old.SyncDays
	if in.SyncDays != nil {
		a.SyncDays = *in.SyncDays
	}
	if err := a.Normalize(); err != nil {
		return nil, err
	}
	if err := svc.setSecrets(id, in); err != nil {
		return nil, err
	}
	if err := putAccount(svc.store, &a); err != nil {
		return nil, err
	}
	svc.restartWorker(id)
	return &a, nil
}

// DeleteAccount removes an account, its secrets, its folder states and the
// mail that no other account or import holds.
func (svc *Service) DeleteAccount(id string) error {
	if _, err := GetAccount(svc.store, id); err != nil {
		return err
	}
	if err := svc.store.Update(func(txn *store.Txn) error { return txn.Delete(accountKey(id)) }); err != nil {
		return err
	}
	svc.restartWorker(id)
	svc.status.remove(id)
	if err := svc.secrets.Delete(id); err != nil {
		svc.log.Warn("could not remove the account's password from the secret store", "account", id, "err", err)
	}
	for {
		var locs []Location
		var folders [][]byte
		err := svc.store.View(func(txn *store.Txn) error {
			if err := txn.Scan(store.Key("mloc", id, ""), store.ScanOptions{KeysOnly: true}, func(k, _ []byte) error {
				if l, ok := parseLocKey(k); ok {
					locs = append(locs, l)
				}
				if len(locs) == 500 {
					return store.ErrStopScan
				}
				return nil
			}); err != nil {
				return err
			}
			return txn.Scan(store.Key("mfolder", id, ""), store.ScanOptions{KeysOnly: true}, func(k, _ []byte) error {
				folders = append(folders, append([]byte(nil), k...))
				return nil
			})
		})
		if err != nil {
			return err
		}
		if len(locs) == 0 {
			return svc.store.Update(func(txn *store.Txn) error {
				for _, k := range folders {
					if err := txn.Delete(k); err != nil {
						return err
					}
				}
				return nil
			})
		}
		if err := svc.store.Update(func(txn *store.Txn) error {
			th := newThreader(txn)
			for _, l := range locs {
				if err := removeLocation(txn, th, l); err != nil {
					return err
				}
			}
			return th.finish()
		}); err != nil {
			return err
		}
	}
}

// normalizeMailbox maps the inbox to its canonical name.
func normalizeMailbox(name string) string {
	if strings.EqualFold(name, "INBOX") {
		return "INBOX"
	}
	return name
}

// Bus is the event bus the service publishes on.
func (svc *Service) Bus() *events.Bus { return svc.bus }

// FetchOlder widens the sync window of every folder of an account by days
// (0: everything) and syncs, so mail before the first-sync window arrives.
func (svc *Service) FetchOlder(ctx context.Context, id string, days int) error {
	acct, err := GetAccount(svc.store, id)
	if err != nil {
		return err
	}
	if days < 0 {
		return &FieldError{"days", "must be 0 (everything) or a number of days"}
	}
	err = svc.store.Update(func(txn *store.Txn) error {
		var states []*FolderState
		if err := txn.Scan(store.Key("mfolder", acct.ID, ""), store.ScanOptions{}, func(_, v []byte) error {
			var fs FolderState
			if err := json.Unmarshal(v, &fs); err != nil {
				return err
			}
			states = append(states, &fs)
			return nil
		}); err != nil {
			return err
		}
		for _, fs := range states {
			if fs.Since.IsZero() {
				continue
			}
			if days == 0 {
				fs.Since = time.Time{}
			} else {
				fs.Since = fs.Since.AddDate(0, 0, -days)
			}
			fs.Rescan = true
			if err := txn.SetJSON(folderKey(fs.Account, fs.Mailbox), fs); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if svc.SyncNow(id) {
		return nil
	}
	return svc.SyncAccount(ctx, id)
}
