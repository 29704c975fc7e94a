package crm

import (
	"context"
	"time"

	"threadline/backend/store"
)

// DiscardReason is one entry of the configurable list of reasons a lead
// was lost.
type DiscardReason struct {
	ID        string    `json:"id"`
	Version   int       `json:"version"`
	Label     string    `json:"label"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// DiscardInput creates or renames a discard reason.
type DiscardInput struct {
	Version *int   `json:"version"`
	Label   string `json:"label"`
}

func (t *tx) putDiscard(old, d *DiscardReason) error {
	if old == nil {
		d.Version, d.CreatedAt = 1, t.now
	} else {
		d.Version = old.Version + 1
	}
	d.UpdatedAt = t.now
	return t.SetJSON(store.Key("discard", d.ID), d)
}

func (t *tx) checkDiscard(field, id string) error {
	ok, err := t.Has(store.Key("discard", id))
	if err != nil {
		return err
	}
	if !ok {
		return ruleErr(field, "no discard reason %q; pick one from /api/discard-reasons", id)
	}
	return nil
}

func checkLabel(l string) (string, error) {
	l, err := checkText("label", l, 100)
	if err == nil && l == "" {
		err = fieldErr("label", "a discard reason needs a label")
	}
	return l, err
}

// DiscardReasons lists the discard reasons.
func (s *Service) DiscardReasons(ctx context.Context) ([]*DiscardReason, error) {
	out := []*DiscardReason{}
	err := s.view(func(txn *store.Txn) error {
		return scanJSON(txn, store.Key("discard", ""), func(d *DiscardReason) error {
			out = append(out, d)
			return nil
		})
	})
	return out, err
}

// CreateDiscardReason adds a reason.
func (s *Service) CreateDiscardReason(ctx context.Context, in DiscardInput) (*DiscardReason, error) {
	label, err := checkLabel(in.Label)
	if err != nil {
		return nil, err
	}
	d := &DiscardReason{ID: store.NewID(), Label: label}
	err = s.update(func(t *tx) error { return t.putDiscard(nil, d) })
	return d, err
}

// UpdateDiscardReason renames a reason.
func (s *Service) UpdateDiscardReason(ctx context.Context, id string, in DiscardInput) (*DiscardReason, error) {
	label, err := checkLabel(in.Label)
	if err != nil {
		return nil, err
	}
	var out *DiscardReason
	err = s.update(func(t *tx) error {
		old := new(DiscardReason)
		if err := getJSON(t.Txn, "discard", id, old); err != nil {
			return err
		}
		if err := checkVersion("discard reason", id, in.Version, old.Version); err != nil {
			return err
		}
		d := *old
		d.Label = label
		out = &d
		return t.putDiscard(old, &d)
	})
	return out, err
}

// DeleteDiscardReason removes a reason no lead uses.
func (s *Service) DeleteDiscardReason(ctx context.Context, id string, version *int) error {
	for _, sm := range s.proj.all() {
		if sm.LostReasonID == id {
			return ruleErr("", "lead %s was lost for this reason; give it another reason first", sm.ID)
		}
	}
	return s.update(func(t *tx) error {
		old := new(DiscardReason)
		if err := getJSON(t.Txn, "discard", id, old); err != nil {
			return err
		}
		if err := checkVersion("discard reason", id, version, old.Version); err != nil {
			return err
		}
		return t.Delete(store.Key("discard", id))
	})
}
