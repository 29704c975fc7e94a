package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/dgraph-io/badger/v4"
)

// Txn is one Badger transaction with the few operations Threadline needs.
type Txn struct{ t *badger.Txn }

// Key joins parts with a NUL byte. NUL cannot occur in ids, e-mail addresses
// or other values used in keys, so a prefix built with a trailing empty part
// ("lead", "") matches exactly the keys below it.
func Key(parts ...string) []byte { return []byte(strings.Join(parts, "\x00")) }

// SplitKey undoes Key.
func SplitKey(key []byte) []string { return strings.Split(string(key), "\x00") }

// Get returns the value under key, or ErrNotFound.
func (t *Txn) Get(key []byte) ([]byte, error) {
	item, err := t.t.Get(key)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return item.ValueCopy(nil)
}

// GetHead returns at most the first n bytes of the value under key, or
// ErrNotFound. Reading the start of a large value copies only that much.
func (t *Txn) GetHead(key []byte, n int) ([]byte, error) {
	item, err := t.t.Get(key)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	var out []byte
	err = item.Value(func(v []byte) error {
		out = append([]byte(nil), v[:min(n, len(v))]...)
		return nil
	})
	return out, err
}

// Has reports whether key exists.
func (t *Txn) Has(key []byte) (bool, error) {
	_, err := t.t.Get(key)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return false, nil
	}
	return err == nil, err
}

// GetJSON decodes the JSON value under key into v, or returns ErrNotFound.
func (t *Txn) GetJSON(key []byte, v any) error {
	raw, err := t.Get(key)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("store: corrupt record %q: %w", key, err)
	}
	return nil
}

// Set writes value under key.
func (t *Txn) Set(key, value []byte) error { return t.t.Set(key, value) }

// SetJSON writes v encoded as JSON under key.
func (t *Txn) SetJSON(key []byte, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return t.t.Set(key, raw)
}

// Delete removes key; deleting a missing key is not an error.
func (t *Txn) Delete(key []byte) error { return t.t.Delete(key) }

// ScanOptions narrow a Scan.
type ScanOptions struct {
	// Reverse walks from the largest key down.
	Reverse bool
	// After starts strictly after this key (strictly before it when Reverse).
	After []byte
	// KeysOnly skips reading values; fn gets a nil value.
	KeysOnly bool
}

// ErrStopScan, returned by a Scan callback, ends the scan without an error.
var ErrStopScan = errors.New("stop scan")

// Scan calls fn for every key with the given prefix, in key order. The key
// and value passed to fn are valid only during the call.
func (t *Txn) Scan(prefix []byte, opts ScanOptions, fn func(key, value []byte) error) error {
	iopts := badger.DefaultIteratorOptions
	iopts.Prefix = prefix
	iopts.Reverse = opts.Reverse
	iopts.PrefetchValues = !opts.KeysOnly
	it := t.t.NewIterator(iopts)
	defer it.Close()

	start := prefix
	if opts.Reverse {
		// In reverse, Seek finds the largest key <= the target, so aim
		// just past every key with the prefix.
		start = append(bytes.Clone(prefix), 0xff, 0xff, 0xff, 0xff)
	}
	if opts.After != nil {
		start = opts.After
	}
	for it.Seek(start); it.ValidForPrefix(prefix); it.Next() {
		item := it.Item()
		key := item.Key()
		if opts.After != nil && bytes.Equal(key, opts.After) {
			continue
		}
		var value []byte
		if !opts.KeysOnly {
			v, err := item.ValueCopy(nil)
			if err != nil {
				return err
			}
			value = v
		}
		if err := fn(key, value); err != nil {
			if errors.Is(err, ErrStopScan) {
				return nil
			}
			return err
		}
	}
	return nil
}
