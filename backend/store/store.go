// Package store keeps all of Threadline's durable state in one Badger
// database inside the data directory.
//
// Every write goes through Update, which runs the caller's function in one
// Badger transaction, retries it on a transaction conflict and commits it
// with a synced write-ahead log: a commit that returned has survived a crash
// of the process. Records that need secondary indexes write them in the same
// transaction, so the two can never disagree.
package store

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/gofrs/flock"
)

// ErrAlreadyRunning is returned by Open when another process holds the data
// directory. Retrying helps only after that process has exited.
var ErrAlreadyRunning = errors.New("Threadline is already running")

// ErrNotFound is returned when a key does not exist.
var ErrNotFound = errors.New("not found")

// Options tune how the store is opened. The zero value is what the app uses.
type Options struct {
	// Logger receives Badger's warnings and errors; nil discards them.
	Logger *slog.Logger
	// InMemory keeps everything in memory and takes no lock: for tests only.
	InMemory bool
	// NoSync skips the fsync on commit. Committed writes still survive the
	// process being killed (the log sits in the page cache) but not a power
	// loss. Bulk importers and benchmarks use it.
	NoSync bool
}

// Store is an open Threadline database.
type Store struct {
	db   *badger.DB
	dir  string
	lock *flock.Flock
	log  *slog.Logger
}

// Open opens (creating if needed) the store in dir, takes the directory
// lock, and brings the schema up to date. A second process on the same dir
// gets ErrAlreadyRunning at once instead of waiting.
func Open(dir string, opts Options) (*Store, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Store{dir: dir, log: log}
	bopts := badger.DefaultOptions("").WithInMemory(true)
	if !opts.InMemory {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("create data directory: %w", err)
		}
		if err := s.acquireLock(); err != nil {
			return nil, err
		}
		bopts = badger.DefaultOptions(filepath.Join(dir, "db")).WithSyncWrites(!opts.NoSync)
	}
	// A desktop app shares the machine with a browser and a mail client:
	// keep Badger's caches and tables far below its server-sized defaults.
	bopts = bopts.
		WithLogger(badgerLogger{log}).
		WithMemTableSize(16 << 20).
		WithNumMemtables(3).
		WithBlockCacheSize(32 << 20).
		WithIndexCacheSize(16 << 20).
		WithValueLogFileSize(256 << 20).
		WithNumCompactors(2)
	db, err := badger.Open(bopts)
	if err != nil {
		s.releaseLock()
		return nil, fmt.Errorf("open store in %s: %w", dir, err)
	}
	s.db = db
	if err := s.migrate(); err != nil {
		db.Close()
		s.releaseLock()
		return nil, err
	}
	return s, nil
}

func (s *Store) acquireLock() error {
	path := filepath.Join(s.dir, "threadline.lock")
	s.lock = flock.New(path)
	ok, err := s.lock.TryLock()
	if err != nil {
		return fmt.Errorf("lock data directory %s: %w", s.dir, err)
	}
	if !ok {
		return fmt.Errorf("%w with %s", ErrAlreadyRunning, s.dir)
	}
	// The pid is for people reading the directory; the lock itself is what
	// keeps a second process out.
	_ = os.WriteFile(path, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o600)
	return nil
}

func (s *Store) releaseLock() {
	if s.lock != nil {
		_ = s.lock.Unlock()
	}
}

// Dir is the data directory the store lives in.
func (s *Store) Dir() string { return s.dir }

// Close flushes and closes the database and releases the directory lock.
func (s *Store) Close() error {
	err := s.db.Close()
	s.releaseLock()
	return err
}

// DB exposes the Badger handle for packages that need streaming or write
// batches; ordinary reads and writes go through View and Update.
func (s *Store) DB() *badger.DB { return s.db }

// maxConflictRetries bounds Update's retries; conflicts only come from
// concurrent writers in this process, so a handful always suffices.
const maxConflictRetries = 20

// Update runs fn in a read-write transaction and commits it. On a
// transaction conflict fn is run again from the start, so it must not have
// effects outside the transaction.
func (s *Store) Update(fn func(txn *Txn) error) error {
	var err error
	for attempt := 0; attempt < maxConflictRetries; attempt++ {
		err = s.db.Update(func(t *badger.Txn) error { return fn(&Txn{t}) })
		if !errors.Is(err, badger.ErrConflict) {
			return err
		}
		time.Sleep(time.Duration(attempt+1) * time.Millisecond)
	}
	return fmt.Errorf("store: write kept conflicting with other writes (retrying later may help): %w", err)
}

// View runs fn in a read-only transaction that sees one consistent snapshot.
func (s *Store) View(fn func(txn *Txn) error) error {
	return s.db.View(func(t *badger.Txn) error { return fn(&Txn{t}) })
}

type badgerLogger struct{ log *slog.Logger }

func (l badgerLogger) Errorf(f string, a ...any)   { l.log.Error("badger: " + fmt.Sprintf(f, a...)) }
func (l badgerLogger) Warningf(f string, a ...any) { l.log.Warn("badger: " + fmt.Sprintf(f, a...)) }
func (l badgerLogger) Infof(string, ...any)        {}
func (l badgerLogger) Debugf(string, ...any)       {}
