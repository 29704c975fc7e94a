package store

import (
	"errors"
	"fmt"
	"strconv"
)

// SchemaVersion is the layout version this build writes. Open upgrades an
// older store by running each migration in order, each in its own
// transaction, so a crash between two leaves a store at a version that the
// next Open resumes from.
const SchemaVersion = 1

// migrations[i] upgrades a store from version i to i+1. Version 0 is a store
// that has never been opened.
var migrations = []func(*Txn) error{
	func(*Txn) error { return nil }, // 0 → 1: the initial layout.
}

var schemaKey = Key("meta", "schema")

// Schema returns the store's recorded schema version.
func (s *Store) Schema() (int, error) {
	var v int
	err := s.View(func(txn *Txn) error {
		var err error
		v, err = readSchema(txn)
		return err
	})
	return v, err
}

func readSchema(txn *Txn) (int, error) {
	raw, err := txn.Get(schemaKey)
	if errors.Is(err, ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	v, err := strconv.Atoi(string(raw))
	if err != nil {
		return 0, fmt.Errorf("store: schema version %q is not a number", raw)
	}
	return v, nil
}

func (s *Store) migrate() error {
	for {
		current, err := s.Schema()
		if err != nil {
			return err
		}
		if current > SchemaVersion {
			return fmt.Errorf("the data in %s was written by a newer Threadline (schema %d, this build knows %d): update Threadline", s.dir, current, SchemaVersion)
		}
		if current == SchemaVersion {
			return nil
		}
		err = s.Update(func(txn *Txn) error {
			if err := migrations[current](txn); err != nil {
				return err
			}
			return txn.Set(schemaKey, []byte(strconv.Itoa(current+1)))
		})
		if err != nil {
			return fmt.Errorf("store: migrate schema %d to %d: %w", current, current+1, err)
		}
		s.log.Info("store schema migrated", "from", current, "to", current+1)
	}
}
