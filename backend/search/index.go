package search

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/index/scorch/mergeplan"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/dgraph-io/badger/v4/pb"

	"threadline/backend/events"
	"threadline/backend/store"
)

// Bleve internal keys.
var (
	internalMapping  = []byte("threadline.mapping")
	internalComplete = []byte("threadline.complete")
)

// DefaultBatchSize is how many changes the indexer applies in one Bleve
// batch. Bleve's per-batch cost (a segment, a persist, a merge) dominates
// below about a thousand documents.
const DefaultBatchSize = 2000

// Options tune an Index. The zero value is what the app uses.
type Options struct {
	Bus    *events.Bus // receives search.reindex progress; may be nil
	Logger *slog.Logger
	// BatchSize overrides DefaultBatchSize.
	BatchSize int
	// Location is where dates in queries are read; nil means time.Local.
	Location *time.Location
	// PollInterval is how often the indexer looks at the change log when
	// no commit has woken it; zero means 5 s. Commits wake it at once.
	PollInterval time.Duration
	// ApplyInterval is the least time between two passes over the log
	// while commits keep waking the indexer (a sync or import writing
	// batch after batch); zero means DefaultApplyInterval, negative none.
	// A change after a quiet spell is applied at once.
	ApplyInterval time.Duration
}

// DefaultApplyInterval spaces out log passes during bursts of commits. A
// sync commits a few hundred messages at a time; applying each commit on
// its own costs Bleve a segment, a persist and merges per commit, and the
// indexer then competes with the sync for the CPU. Gathering a second's
// worth of commits into one batch costs a fraction of that.
const DefaultApplyInterval = time.Second

// bleveConfig is Bleve's configuration, which only tests change.
var bleveConfig map[string]any

// Index is the search index of one data directory.
type Index struct {
	dir       string
	st        *store.Store
	bus       *events.Bus
	log       *slog.Logger
	im        *mapping.IndexMappingImpl
	loc       *time.Location
	batchSize int
	poll      time.Duration
	interval  time.Duration

	mu   sync.RWMutex // guards bidx, which a rebuild replaces
	bidx bleve.Index
	// orders holds each segment's newest-first order.
	orders dateOrders
	// bleveOnly answers every query with Bleve's searchers, for tests
	// that hold the postings evaluator to them.
	bleveOnly bool

	loaders map[Kind]Loader

	// work serialises rebuilds and log application: a rebuild loads from
	// an older snapshot than a concurrent log pass might, and must not
	// overwrite what that pass wrote.
	work        sync.Mutex
	needRebuild bool
	rebuildReq  chan struct{}
	wake        chan struct{}
	cancel      context.CancelFunc
	done        chan struct{}
	started     bool

	stMu   sync.Mutex
	status Status

	// sinceCompact counts documents written since the last compaction
	// (guarded by work).
	sinceCompact int
}

// compactAfter is how many documents written since the last compaction
// make the indexer compact the index when it next goes idle: a rebuild or
// a first sync leaves many segments behind, and every query pays per
// segment.
const compactAfter = 10000

// Status is what the indexer is doing.
type Status struct {
	Rebuilding bool   `json:"rebuilding"`
	Done       int    `json:"done"`
	Total      int    `json:"total"`
	Pending    int    `json:"pending"`
	Docs       int64  `json:"docs"`
	Segments   int    `json:"segments"`
	LastError  string `json:"last_error,omitempty"`
}

// Open opens the index in dir (normally <datadir>/search), creating it if
// missing. An index that cannot be opened, or was built by a different
// mapping, or whose last rebuild did not finish, is replaced by an empty
// one that Start then fills from the loaders.
func Open(dir string, st *store.Store, opts Options) (*Index, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	im, err := newMapping()
	if err != nil {
		return nil, fmt.Errorf("search: build mapping: %w", err)
	}
	x := &Index{
		dir: dir, st: st, bus: opts.Bus, log: log, im: im,
		loc: opts.Location, batchSize: opts.BatchSize, poll: opts.PollInterval, interval: opts.ApplyInterval,
		loaders:    map[Kind]Loader{},
		rebuildReq: make(chan struct{}, 1),
		wake:       make(chan struct{}, 1),
	}
	if x.loc == nil {
		x.loc = time.Local
	}
	if x.batchSize <= 0 {
		x.batchSize = DefaultBatchSize
	}
	if x.poll <= 0 {
		x.poll = 5 * time.Second
	}
	if x.interval == 0 {
		x.interval = DefaultApplyInterval
	}
	if err := x.open(); err != nil {
		return nil, err
	}
	return x, nil
}

func (x *Index) open() error {
	if _, err := os.Stat(x.dir); errors.Is(err, os.ErrNotExist) {
		x.needRebuild = true
		return x.create()
	}
	b, err := bleve.OpenUsing(x.dir, bleveConfig)
	if err != nil {
		x.log.Warn("search index cannot be opened; rebuilding it", "dir", x.dir, "err", err)
		x.needRebuild = true
		return x.recreate()
	}
	ver, _ := b.GetInternal(internalMapping)
	complete, _ := b.GetInternal(internalComplete)
	switch {
	case string(ver) != mappingVersion:
		x.log.Info("search index was built by another version; rebuilding it", "have", string(ver), "want", mappingVersion)
	case string(complete) != "1":
		x.log.Info("search index rebuild did not finish; rebuilding it")
	default:
		x.bidx = b
		return nil
	}
	b.Close()
	x.needRebuild = true
	return x.recreate()
}

// create makes an empty index in x.dir, which must not exist.
func (x *Index) create() error {
	if err := os.MkdirAll(filepath.Dir(x.dir), 0o700); err != nil {
		return fmt.Errorf("search: create %s: %w", filepath.Dir(x.dir), err)
	}
	b, err := bleve.NewUsing(x.dir, x.im, bleve.Config.DefaultIndexType, bleve.Config.DefaultKVStore, bleveConfig)
	if err != nil {
		return fmt.Errorf("search: create index in %s: %w", x.dir, err)
	}
	if err := b.SetInternal(internalMapping, []byte(mappingVersion)); err != nil {
		b.Close()
		return fmt.Errorf("search: write index metadata: %w", err)
	}
	x.bidx = b
	return nil
}

func (x *Index) recreate() error {
	if err := os.RemoveAll(x.dir); err != nil {
		return fmt.Errorf("search: remove the old index in %s: %w", x.dir, err)
	}
	return x.create()
}

// Register sets the loader for one kind of record. Call it before Start.
func (x *Index) Register(k Kind, l Loader) { x.loaders[k] = l }

// Start runs the indexer in the background: a rebuild first if Open found
// the index missing or unusable, then the change log as commits arrive.
func (x *Index) Start() {
	if x.started {
		return
	}
	x.started = true
	ctx, cancel := context.WithCancel(context.Background())
	x.cancel = cancel
	x.done = make(chan struct{})
	go func() {
		// Badger calls back on every commit that writes a log key; the
		// callback only nudges the indexer.
		err := x.st.DB().Subscribe(ctx, func(*pb.KVList) error {
			x.Kick()
			return nil
		}, []pb.Match{{Prefix: logPrefix}})
		if err != nil && ctx.Err() == nil {
			x.log.Warn("search: commit notifications stopped; falling back to polling", "err", err)
		}
	}()
	go x.run(ctx)
}

// Kick wakes the indexer to look at the change log now.
func (x *Index) Kick() {
	select {
	case x.wake <- struct{}{}:
	default:
	}
}

// RequestRebuild asks the running indexer to rebuild the index from the
// loaders.
func (x *Index) RequestRebuild() {
	select {
	case x.rebuildReq <- struct{}{}:
	default:
	}
}

func (x *Index) run(ctx context.Context) {
	defer close(x.done)
	backoff := time.Duration(0)
	timer := time.NewTimer(0)
	defer timer.Stop()
	var lastPass time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-x.rebuildReq:
			if err := x.Rebuild(ctx); err != nil && ctx.Err() == nil {
				x.log.Error("search index rebuild failed", "err", err)
			}
		case <-x.wake:
			if wait := x.interval - time.Since(lastPass); wait > 0 {
				select {
				case <-ctx.Done():
					return
				case <-time.After(wait):
				}
			}
		case <-timer.C:
		}
		err := x.Sync(ctx)
		lastPass = time.Now()
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			backoff = min(max(2*backoff, time.Second), time.Minute)
			x.setError(err)
			x.log.Warn("search indexer failed; retrying", "in", backoff, "err", err)
		} else {
			backoff = 0
			x.setError(nil)
			x.maybeCompact(ctx)
			x.warmOrders()
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		timer.Reset(max(backoff, x.poll))
	}
}

func (x *Index) setError(err error) {
	x.stMu.Lock()
	defer x.stMu.Unlock()
	if err == nil {
		x.status.LastError = ""
	} else {
		x.status.LastError = err.Error()
	}
}

// Sync brings the index up to date now: it first rebuilds it if Open found
// it missing or unusable, then applies every pending change, and returns
// when the log is empty (apart from kinds with no loader) or an error
// stopped it.
func (x *Index) Sync(ctx context.Context) error {
	x.work.Lock()
	defer x.work.Unlock()
	if x.needRebuild {
		if err := x.rebuild(ctx, nil); err != nil {
			return err
		}
		x.needRebuild = false
	}
	for ctx.Err() == nil {
		n, err := x.applyLog()
		if err != nil {
			return err
		}
		if n < x.batchSize {
			return nil
		}
	}
	return ctx.Err()
}

// applyLog applies up to batchSize log entries and returns how many.
func (x *Index) applyLog() (int, error) {
	var entries []logEntry
	var docs []Doc
	byKind := map[Kind][]string{}
	err := x.st.View(func(txn *store.Txn) error {
		err := txn.Scan(logPrefix, store.ScanOptions{KeysOnly: true}, func(key, _ []byte) error {
			e, ok := parseLogKey(key)
			if !ok || x.loaders[e.kind] == nil {
				// Left for a build that knows the kind.
				return nil
			}
			entries = append(entries, e)
			byKind[e.kind] = append(byKind[e.kind], e.id)
			if len(entries) >= x.batchSize {
				return store.ErrStopScan
			}
			return nil
		})
		if err != nil {
			return err
		}
		// Load in the same snapshot as the scan: every change that
		// committed after it has its own, later log entry.
		for k, ids := range byKind {
			ds, err := x.loaders[k].Load(txn, dedupe(ids))
			if err != nil {
				return fmt.Errorf("load %s documents: %w", k, err)
			}
			docs = append(docs, ds...)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("search: read change log: %w", err)
	}
	if len(entries) == 0 {
		return 0, nil
	}
	x.mu.RLock()
	b := x.bidx.NewBatch()
	present := map[string]bool{}
	for _, d := range docs {
		id := bleveID(d.DocKind(), d.DocID())
		present[id] = true
		if err := b.Index(id, fields(d)); err != nil {
			x.mu.RUnlock()
			return 0, fmt.Errorf("search: index %s: %w", id, err)
		}
	}
	for k, ids := range byKind {
		for _, id := range ids {
			if bid := bleveID(k, id); !present[bid] {
				present[bid] = true
				b.Delete(bid)
			}
		}
	}
	// Batch returns once Bleve has persisted the batch, so deleting the log
	// entries afterwards cannot lose a change.
	err = x.bidx.Batch(b)
	x.mu.RUnlock()
	if err != nil {
		return 0, fmt.Errorf("search: write index batch: %w", err)
	}
	x.sinceCompact += len(entries)
	err = x.st.Update(func(txn *store.Txn) error {
		for _, e := range entries {
			if err := txn.Delete(e.key); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("search: trim change log: %w", err)
	}
	return len(entries), nil
}

func dedupe(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	out := ids[:0:0]
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// ReindexEvent is the data of "search.reindex" events.
type ReindexEvent struct {
	Done     int  `json:"done"`
	Total    int  `json:"total"`
	Finished bool `json:"finished"`
}

// Rebuild replaces the index with one built from the loaders, publishing
// "search.reindex" progress. Searches keep working on the partial index
// meanwhile. Changes that commit during the rebuild stay in the change log
// and are applied after it.
func (x *Index) Rebuild(ctx context.Context) error {
	return x.RebuildProgress(ctx, nil)
}

// RebuildProgress is Rebuild that also calls progress after each batch.
func (x *Index) RebuildProgress(ctx context.Context, progress func(done, total int)) error {
	x.work.Lock()
	defer x.work.Unlock()
	if err := x.rebuild(ctx, progress); err != nil {
		return err
	}
	x.needRebuild = false
	return nil
}

func (x *Index) rebuild(ctx context.Context, progress func(done, total int)) error {
	x.mu.Lock()
	if x.bidx != nil {
		x.bidx.Close()
	}
	err := x.recreate()
	x.mu.Unlock()
	if err != nil {
		return err
	}
	start := time.Now()
	report := func(done, total int, finished bool) {
		x.stMu.Lock()
		x.status.Rebuilding, x.status.Done, x.status.Total = !finished, done, total
		x.stMu.Unlock()
		if x.bus != nil {
			x.bus.Publish("search.reindex", ReindexEvent{Done: done, Total: total, Finished: finished})
		}
		if progress != nil {
			progress(done, total)
		}
	}
	total := 0
	err = x.st.View(func(txn *store.Txn) error {
		for _, k := range []Kind{KindMail, KindLead} {
			if l := x.loaders[k]; l != nil {
				if err := l.IDs(txn, func(string) error { total++; return nil }); err != nil {
					return fmt.Errorf("list %s ids: %w", k, err)
				}
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("search: rebuild: %w", err)
	}
	report(0, total, false)
	done := 0
	// Log entries visible in the snapshot the rebuild loads from describe
	// changes the rebuild already contains; once it is complete they are
	// trimmed rather than applied a second time.
	var covered [][]byte
	err = x.st.View(func(txn *store.Txn) error {
		err := txn.Scan(logPrefix, store.ScanOptions{KeysOnly: true}, func(key, _ []byte) error {
			if e, ok := parseLogKey(key); ok && x.loaders[e.kind] != nil {
				covered = append(covered, e.key)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range []Kind{KindMail, KindLead} {
			l := x.loaders[k]
			if l == nil {
				continue
			}
			ids := make([]string, 0, x.batchSize)
			flush := func() error {
				if len(ids) == 0 {
					return nil
				}
				docs, err := l.Load(txn, ids)
				if err != nil {
					return fmt.Errorf("load %s documents: %w", k, err)
				}
				if err := x.indexDocs(docs); err != nil {
					return err
				}
				done += len(ids)
				x.sinceCompact += len(ids)
				ids = ids[:0]
				report(done, max(total, done), false)
				return ctx.Err()
			}
			err := l.IDs(txn, func(id string) error {
				ids = append(ids, id)
				if len(ids) >= x.batchSize {
					return flush()
				}
				return nil
			})
			if err == nil {
				err = flush()
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("search: rebuild: %w", err)
	}
	x.mu.RLock()
	err = x.bidx.SetInternal(internalComplete, []byte("1"))
	x.mu.RUnlock()
	if err != nil {
		return fmt.Errorf("search: rebuild: mark complete: %w", err)
	}
	if err := x.trimLog(covered); err != nil {
		return fmt.Errorf("search: rebuild: %w", err)
	}
	report(done, max(total, done), true)
	x.log.Info("search index rebuilt", "docs", done, "took", time.Since(start).Round(time.Millisecond))
	return nil
}

func (x *Index) maybeCompact(ctx context.Context) {
	x.work.Lock()
	n := x.sinceCompact
	x.work.Unlock()
	if n < compactAfter {
		return
	}
	start := time.Now()
	if err := x.Compact(ctx); err != nil {
		if ctx.Err() == nil {
			x.log.Warn("search index compaction failed; queries stay slower until the next one", "err", err)
		}
		return
	}
	x.log.Info("search index compacted", "docs_since_last", n, "took", time.Since(start).Round(time.Millisecond))
}

// Compact merges the index's segments into one. Scorch merges in tiers as
// it goes, which leaves tens of segments after a bulk load; a query
// visits each, so one segment answers several times faster. Searches and
// writes continue meanwhile.
func (x *Index) Compact(ctx context.Context) error {
	x.work.Lock()
	x.sinceCompact = 0
	x.work.Unlock()
	x.mu.RLock()
	defer x.mu.RUnlock()
	if x.bidx == nil {
		return errors.New("search: the index is closed")
	}
	adv, err := x.bidx.Advanced()
	if err != nil {
		return err
	}
	s, ok := adv.(*scorch.Scorch)
	if !ok {
		return nil
	}
	opts := mergeplan.SingleSegmentMergePlanOptions
	return s.ForceMerge(ctx, &opts)
}

// Settled reports whether Bleve has finished merging and persisting in
// the background.
func (x *Index) Settled() bool {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if x.bidx == nil {
		return true
	}
	m, _ := x.bidx.StatsMap()["index"].(map[string]interface{})
	active, ok := m["index_bgthreads_active"].(bool)
	return !ok || !active
}

// Segments is the number of segments in the index, for diagnostics.
func (x *Index) Segments() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if x.bidx == nil {
		return 0
	}
	m, _ := x.bidx.StatsMap()["index"].(map[string]interface{})
	n := 0
	for _, k := range []string{"num_root_memorysegments", "num_root_filesegments"} {
		if v, ok := m[k].(uint64); ok {
			n += int(v)
		}
	}
	return n
}

// trimLog deletes change-log keys, in transactions small enough for Badger.
func (x *Index) trimLog(keys [][]byte) error {
	for len(keys) > 0 {
		n := min(len(keys), 10000)
		err := x.st.Update(func(txn *store.Txn) error {
			for _, k := range keys[:n] {
				if err := txn.Delete(k); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("trim change log: %w", err)
		}
		keys = keys[n:]
	}
	return nil
}

// indexDocs writes docs to the index in one batch.
func (x *Index) indexDocs(docs []Doc) error {
	x.mu.RLock()
	defer x.mu.RUnlock()
	b := x.bidx.NewBatch()
	for _, d := range docs {
		id := bleveID(d.DocKind(), d.DocID())
		if err := b.Index(id, fields(d)); err != nil {
			return fmt.Errorf("search: index %s: %w", id, err)
		}
	}
	err := x.bidx.Batch(b)
	if err != nil {
		return fmt.Errorf("search: write index batch: %w", err)
	}
	return nil
}

// Status reports the indexer's progress and the index's size.
func (x *Index) Status() Status {
	x.stMu.Lock()
	s := x.status
	x.stMu.Unlock()
	s.Pending, _ = x.Pending()
	s.Segments = x.Segments()
	x.mu.RLock()
	if x.bidx != nil {
		n, _ := x.bidx.DocCount()
		s.Docs = int64(n)
	}
	x.mu.RUnlock()
	return s
}

// Close stops the indexer and closes the index. Pending changes stay in the
// log for the next start.
func (x *Index) Close() error {
	if x.cancel != nil {
		x.cancel()
		<-x.done
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.bidx == nil {
		return nil
	}
	err := x.bidx.Close()
	x.bidx = nil
	return err
}
