package crm

import (
	"context"
	"time"

	"threadline/backend/store"
)

// Deal statuses.
const (
	DealOpen = "open"
	DealWon  = "won"
	DealLost = "lost"
)

// Deal is an opportunity with an amount and an expected close date.
type Deal struct {
	ID            string     `json:"id"`
	Version       int        `json:"version"`
	Name          string     `json:"name"`
	Amount        float64    `json:"amount"`
	Currency      string     `json:"currency"`
	ExpectedClose string     `json:"expected_close"` // YYYY-MM-DD or ""
	Stage         string     `json:"stage"`
	Probability   *float64   `json:"probability"` // overrides the stage's when set
	Status        string     `json:"status"`
	LeadID        string     `json:"lead_id"`
	ContactID     string     `json:"contact_id"`
	ClosedAt      *time.Time `json:"closed_at"`
	CreatedAt     time.Time  `json:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
}

// DealInput creates a deal or patches one (nil fields stay).
type DealInput struct {
	Version       *int     `json:"version"`
	Name          *string  `json:"name"`
	Amount        *float64 `json:"amount"`
	Currency      *string  `json:"currency"`
	ExpectedClose *string  `json:"expected_close"`
	Stage         *string  `json:"stage"`
	Probability   *float64 `json:"probability"`
	// ClearProbability removes the override.
	ClearProbability bool    `json:"clear_probability"`
	Status           *string `json:"status"`
	LeadID           *string `json:"lead_id"`
	ContactID        *string `json:"contact_id"`
}

func dealIndexKeys(d *Deal) [][]byte {
	if d.LeadID == "" {
		return nil
	}
	return [][]byte{store.Key("crmidx", "leaddeal", d.LeadID, d.ID)}
}

func (t *tx) putDeal(old, d *Deal) error {
	if old == nil {
		d.Version, d.CreatedAt = 1, t.now
	} else {
		d.Version = old.Version + 1
		for _, k := range dealIndexKeys(old) {
			if err := t.Delete(k); err != nil {
				return err
			}
		}
	}
	d.UpdatedAt = t.now
	for _, k := range dealIndexKeys(d) {
		if err := t.Set(k, nil); err != nil {
			return err
		}
	}
	return t.SetJSON(store.Key("deal", d.ID), d)
}

func (t *tx) applyDeal(d *Deal, in DealInput) error {
	var err error
	if in.Name != nil {
		if d.Name, err = checkText("name", *in.Name, 200); err != nil {
			return err
		}
	}
	if d.Name == "" {
		return fieldErr("name", "a deal needs a name")
	}
	if in.Amount != nil {
		if err := checkValue(*in.Amount); err != nil {
			return fieldErr("amount", "amount must be a number between 0 and 10^15")
		}
		d.Amount = *in.Amount
	}
	if in.Currency != nil {
		if d.Currency, err = checkCurrency(*in.Currency); err != nil {
			return err
		}
	}
	if d.Currency == "" {
		d.Currency = "EUR"
	}
	if in.ExpectedClose != nil {
		if *in.ExpectedClose != "" {
			if _, err := time.Parse(time.DateOnly, *in.ExpectedClose); err != nil {
				return fieldErr("expected_close", "expected_close must be a date like 2026-06-30")
			}
		}
		d.ExpectedClose = *in.ExpectedClose
	}
	if in.Stage != nil {
		if d.Stage, err = checkText("stage", *in.Stage, 100); err != nil {
			return err
		}
	}
	if in.Probability != nil {
		if *in.Probability < 0 || *in.Probability > 1 {
			return fieldErr("probability", "probability must be between 0 and 1")
		}
		p := *in.Probability
		d.Probability = &p
	}
	if in.ClearProbability {
		d.Probability = nil
	}
	if in.Status != nil && *in.Status != d.Status {
		switch *in.Status {
		case DealOpen:
			d.ClosedAt = nil
		case DealWon, DealLost:
			d.ClosedAt = &t.now
		default:
			return fieldErr("status", "status must be open, won or lost, not %q", *in.Status)
		}
		d.Status = *in.Status
	}
	if d.Status == "" {
		d.Status = DealOpen
	}
	if in.LeadID != nil && *in.LeadID != d.LeadID {
		if *in.LeadID != "" {
			if ok, err := t.Has(store.Key("lead", *in.LeadID)); err != nil || !ok {
				if err == nil {
					err = fieldErr("lead_id", "no lead %q", *in.LeadID)
				}
				return err
			}
		}
		d.LeadID = *in.LeadID
	}
	if in.ContactID != nil && *in.ContactID != d.ContactID {
		if *in.ContactID != "" {
			if ok, err := t.Has(store.Key("contact", *in.ContactID)); err != nil || !ok {
				if err == nil {
					err = fieldErr("contact_id", "no contact %q", *in.ContactID)
				}
				return err
			}
		}
		d.ContactID = *in.ContactID
	}
	return nil
}

// DealQuery filters deals.
type DealQuery struct {
	LeadID    string
	ContactID string
	Status    string
}

// Deals lists deals, oldest first.
func (s *Service) Deals(ctx context.Context, q DealQuery) ([]*Deal, error) {
	out := []*Deal{}
	err := s.view(func(txn *store.Txn) error {
		return scanJSON(txn, store.Key("deal", ""), func(d *Deal) error {
			if (q.LeadID == "" || d.LeadID == q.LeadID) && (q.ContactID == "" || d.ContactID == q.ContactID) && (q.Status == "" || d.Status == q.Status) {
				out = append(out, d)
			}
			return nil
		})
	})
	return out, err
}

// Deal returns one deal.
func (s *Service) Deal(ctx context.Context, id string) (*Deal, error) {
	d := new(Deal)
	err := s.view(func(txn *store.Txn) error { return getJSON(txn, "deal", id, d) })
	return d, err
}

// CreateDeal adds a deal.
func (s *Service) CreateDeal(ctx context.Context, in DealInput) (*Deal, error) {
	d := &Deal{ID: store.NewID()}
	err := s.update(func(t *tx) error {
		*d = Deal{ID: d.ID}
		if err := t.applyDeal(d, in); err != nil {
			return err
		}
		t.publish("deal.created", map[string]string{"deal_id": d.ID, "lead_id": d.LeadID})
		return t.putDeal(nil, d)
	})
	return d, err
}

// UpdateDeal patches a deal.
func (s *Service) UpdateDeal(ctx context.Context, id string, in DealInput) (*Deal, error) {
	var out *Deal
	err := s.update(func(t *tx) error {
		old := new(Deal)
		if err := getJSON(t.Txn, "deal", id, old); err != nil {
			return err
		}
		if err := checkVersion("deal", id, in.Version, old.Version); err != nil {
			return err
		}
		d := *old
		if err := t.applyDeal(&d, in); err != nil {
			return err
		}
		out = &d
		t.publish("deal.updated", map[string]string{"deal_id": d.ID, "lead_id": d.LeadID})
		return t.putDeal(old, &d)
	})
	return out, err
}

// DeleteDeal removes a deal.
func (s *Service) DeleteDeal(ctx context.Context, id string, version *int) error {
	return s.update(func(t *tx) error {
		d := new(Deal)
		if err := getJSON(t.Txn, "deal", id, d); err != nil {
			return err
		}
		if err := checkVersion("deal", id, version, d.Version); err != nil {
			return err
		}
		for _, k := range dealIndexKeys(d) {
			if err := t.Delete(k); err != nil {
				return err
			}
		}
		t.publish("deal.deleted", map[string]string{"deal_id": id})
		return t.Delete(store.Key("deal", id))
	})
}
