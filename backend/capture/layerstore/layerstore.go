// Package layerstore keeps the owner's learned lead-capture layer in the
// Threadline store.
//
// Key layout (first key part "capture", owned by lead capture):
//
//	capture \0 w \0 <feature index, 8 hex digits>  → float32, little endian: one layer weight
//	capture \0 corr \0 <message key>               → JSON {"lead":bool,"at":RFC 3339}: the last correction of a message
//
// A correction and the weights it changed are written in one transaction.
package layerstore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"threadline/backend/capture"
	"threadline/backend/store"
)

// Store implements capture.LayerStore on a Threadline store.
type Store struct{ st *store.Store }

var _ capture.LayerStore = (*Store)(nil)

// New returns the layer store kept in st.
func New(st *store.Store) *Store { return &Store{st: st} }

func weightKey(i uint32) []byte { return store.Key("capture", "w", fmt.Sprintf("%08x", i)) }

func correctionKey(k string) []byte { return store.Key("capture", "corr", k) }

type correction struct {
	Lead bool      `json:"lead"`
	At   time.Time `json:"at"`
}

// LoadLayer returns every stored weight.
func (s *Store) LoadLayer() (map[uint32]float32, error) {
	w := map[uint32]float32{}
	prefix := store.Key("capture", "w", "")
	err := s.st.View(func(txn *store.Txn) error {
		return txn.Scan(prefix, store.ScanOptions{}, func(key, value []byte) error {
			i, err := strconv.ParseUint(string(key[len(prefix):]), 16, 32)
			if err != nil || len(value) != 4 {
				return fmt.Errorf("layerstore: corrupt weight record %q", key)
			}
			w[uint32(i)] = math.Float32frombits(binary.LittleEndian.Uint32(value))
			return nil
		})
	})
	return w, err
}

// Correction returns the label last recorded for a message key.
func (s *Store) Correction(key string) (lead, ok bool, err error) {
	err = s.st.View(func(txn *store.Txn) error {
		var c correction
		switch err := txn.GetJSON(correctionKey(key), &c); {
		case errors.Is(err, store.ErrNotFound):
			return nil
		case err != nil:
			return err
		}
		lead, ok = c.Lead, true
		return nil
	})
	return lead, ok, err
}

// SaveCorrection records the correction and the changed weights atomically.
func (s *Store) SaveCorrection(key string, lead bool, changed map[uint32]float32) error {
	now := time.Now().UTC()
	return s.st.Update(func(txn *store.Txn) error {
		if err := txn.SetJSON(correctionKey(key), correction{Lead: lead, At: now}); err != nil {
			return err
		}
		for i, v := range changed {
			if err := txn.Set(weightKey(i), binary.LittleEndian.AppendUint32(nil, math.Float32bits(v))); err != nil {
				return err
			}
		}
		return nil
	})
}
