package crm

import (
	"context"
	"time"

	"threadline/backend/store"
)

// Contact is a person the user does business with, typically a converted
// lead. E-mail addresses are unique among contacts.
type Contact struct {
	ID        string    `json:"id"`
	Version   int       `json:"version"`
	Name      string    `json:"name"`
	Email     string    `json:"email"`
	Company   string    `json:"company"`
	Title     string    `json:"title"`
	Phone     string    `json:"phone"`
	LeadID    string    `json:"lead_id"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// ContactInput creates a contact or patches one (nil fields stay).
type ContactInput struct {
	Version *int    `json:"version"`
	Name    *string `json:"name"`
	Email   *string `json:"email"`
	Company *string `json:"company"`
	Title   *string `json:"title"`
	Phone   *string `json:"phone"`
	LeadID  *string `json:"lead_id"`
}

func contactIndexKeys(c *Contact) [][]byte {
	if c.Email == "" {
		return nil
	}
	return [][]byte{store.Key("crmidx", "contactemail", c.Email)}
}

func (t *tx) putContact(old, c *Contact) error {
	if c.Email != "" && (old == nil || old.Email != c.Email) {
		raw, err := t.Get(store.Key("crmidx", "contactemail", c.Email))
		if err == nil && string(raw) != c.ID {
			return &DuplicateError{Field: "email", Msg: "another contact already has the address " + c.Email, ExistingID: string(raw)}
		}
		if err != nil && err != store.ErrNotFound {
			return err
		}
	}
	if old == nil {
		c.Version, c.CreatedAt = 1, t.now
	} else {
		c.Version = old.Version + 1
		for _, k := range contactIndexKeys(old) {
			if err := t.Delete(k); err != nil {
				return err
			}
		}
	}
	c.UpdatedAt = t.now
	for _, k := range contactIndexKeys(c) {
		if err := t.Set(k, []byte(c.ID)); err != nil {
			return err
		}
	}
	return t.SetJSON(store.Key("contact", c.ID), c)
}

func (t *tx) applyContact(c *Contact, in ContactInput) error {
	var err error
	set := func(field string, dst *string, v *string, max int) {
		if err == nil && v != nil {
			*dst, err = checkText(field, *v, max)
		}
	}
	set("name", &c.Name, in.Name, 200)
	set("company", &c.Company, in.Company, 200)
	set("title", &c.Title, in.Title, 200)
	set("phone", &c.Phone, in.Phone, 50)
	if err != nil {
		return err
	}
	if in.Email != nil {
		if c.Email, err = NormalizeEmail(*in.Email); err != nil {
			return fieldErr("email", "%v", err)
		}
	}
	if in.LeadID != nil && *in.LeadID != c.LeadID {
		if *in.LeadID != "" {
			if ok, err := t.Has(store.Key("lead", *in.LeadID)); err != nil || !ok {
				if err == nil {
					err = fieldErr("lead_id", "no lead %q", *in.LeadID)
				}
				return err
			}
		}
		c.LeadID = *in.LeadID
	}
	if c.Name == "" && c.Email == "" {
		return fieldErr("name", "a contact needs a name or an e-mail address")
	}
	return nil
}

// Contacts lists every contact, oldest first.
func (s *Service) Contacts(ctx context.Context) ([]*Contact, error) {
	out := []*Contact{}
	err := s.view(func(txn *store.Txn) error {
		return scanJSON(txn, store.Key("contact", ""), func(c *Contact) error {
			out = append(out, c)
			return nil
		})
	})
	return out, err
}

// Contact returns one contact.
func (s *Service) Contact(ctx context.Context, id string) (*Contact, error) {
	c := new(Contact)
	err := s.view(func(txn *store.Txn) error { return getJSON(txn, "contact", id, c) })
	return c, err
}

// CreateContact adds a contact.
func (s *Service) CreateContact(ctx context.Context, in ContactInput) (*Contact, error) {
	c := &Contact{ID: store.NewID()}
	err := s.update(func(t *tx) error {
		*c = Contact{ID: c.ID}
		if err := t.applyContact(c, in); err != nil {
			return err
		}
		t.publish("contact.created", map[string]string{"contact_id": c.ID})
		return t.putContact(nil, c)
	})
	return c, err
}

// UpdateContact patches a contact.
func (s *Service) UpdateContact(ctx context.Context, id string, in ContactInput) (*Contact, error) {
	var out *Contact
	err := s.update(func(t *tx) error {
		old := new(Contact)
		if err := getJSON(t.Txn, "contact", id, old); err != nil {
			return err
		}
		if err := checkVersion("contact", id, in.Version, old.Version); err != nil {
			return err
		}
		c := *old
		if err := t.applyContact(&c, in); err != nil {
			return err
		}
		out = &c
		t.publish("contact.updated", map[string]string{"contact_id": c.ID})
		return t.putContact(old, &c)
	})
	return out, err
}

// DeleteContact removes a contact; its deals stay, without the link.
func (s *Service) DeleteContact(ctx context.Context, id string, version *int) error {
	return s.update(func(t *tx) error {
		c := new(Contact)
		if err := getJSON(t.Txn, "contact", id, c); err != nil {
			return err
		}
		if err := checkVersion("contact", id, version, c.Version); err != nil {
			return err
		}
		err := scanJSON(t.Txn, store.Key("deal", ""), func(d *Deal) error {
			if d.ContactID != id {
				return nil
			}
			nd := *d
			nd.ContactID = ""
			return t.putDeal(d, &nd)
		})
		if err != nil {
			return err
		}
		for _, k := range contactIndexKeys(c) {
			if err := t.Delete(k); err != nil {
				return err
			}
		}
		t.publish("contact.deleted", map[string]string{"contact_id": id})
		return t.Delete(store.Key("contact", id))
	})
}

// KnownEmail reports whether email (lower case) belongs to a lead of any
// pipeline or to a contact, as txn sees the store. Lead capture asks it for
// every inbound message, so it reads only index keys.
func KnownEmail(txn *store.Txn, email string) (bool, error) {
	if email == "" {
		return false, nil
	}
	if ok, err := txn.Has(store.Key("crmidx", "contactemail", email)); err != nil || ok {
		return ok, err
	}
	var pipelines []string
	err := txn.Scan(store.Key("pipeline", ""), store.ScanOptions{KeysOnly: true}, func(k, _ []byte) error {
		parts := store.SplitKey(k)
		pipelines = append(pipelines, parts[len(parts)-1])
		return nil
	})
	if err != nil {
		return false, err
	}
	for _, p := range pipelines {
		if ok, err := txn.Has(store.Key("crmidx", "email", p, email)); err != nil || ok {
			return ok, err
		}
	}
	return false, nil
}
