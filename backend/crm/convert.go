package crm

import (
	"context"
	"errors"

	"threadline/backend/store"
)

// ConvertInput turns a lead into a contact and optionally a deal.
type ConvertInput struct {
	Version *int `json:"version"`
	// CreateContact defaults to true; an existing contact with the lead's
	// e-mail is linked instead of duplicated.
	CreateContact *bool `json:"create_contact"`
	CreateDeal    bool  `json:"create_deal"`
	// Deal overrides the defaults (name: company or name, amount: the
	// lead's value).
	Deal  *DealInput `json:"deal"`
	Actor string     `json:"-"`
}

// ConvertLead records the lead's conversion. A lead converts once.
func (s *Service) ConvertLead(ctx context.Context, id string, in ConvertInput) (*Lead, error) {
	actor := actorOr(in.Actor)
	if !in.CreateDeal && in.Deal != nil {
		return nil, fieldErr("deal", "deal is only used with create_deal")
	}
	wantContact := in.CreateContact == nil || *in.CreateContact
	if !wantContact && !in.CreateDeal {
		return nil, fieldErr("create_contact", "convert into a contact, a deal or both")
	}
	return s.modifyLead(ctx, id, in.Version, func(t *tx, old, l *Lead, p *Pipeline) (bool, error) {
		if l.Conversion != nil {
			return false, ruleErr("", "the lead was already converted")
		}
		conv := &Conversion{At: t.now}
		if wantContact {
			if l.Email != "" {
				raw, err := t.Get(store.Key("crmidx", "contactemail", l.Email))
				if err == nil {
					conv.ContactID = string(raw)
				} else if !errors.Is(err, store.ErrNotFound) {
					return false, err
				}
			}
			if conv.ContactID == "" {
				c := &Contact{ID: store.NewID(), Name: l.Name, Email: l.Email, Company: l.Company, Title: l.Title, Phone: l.Phone, LeadID: l.ID}
				if c.Name == "" && c.Email == "" {
					c.Name = l.Phone
				}
				if err := t.putContact(nil, c); err != nil {
					return false, err
				}
				conv.ContactID = c.ID
				t.publish("contact.created", map[string]string{"contact_id": c.ID})
			}
		}
		if in.CreateDeal {
			name := l.Company
			if name == "" {
				name = l.Name
			}
			if name == "" {
				name = l.Email
			}
			amount, currency, contact, lead := l.Value, l.Currency, conv.ContactID, l.ID
			din := DealInput{Name: &name, Amount: &amount, Currency: &currency, ContactID: &contact, LeadID: &lead}
			if in.Deal != nil {
				o := *in.Deal
				if o.Name != nil {
					din.Name = o.Name
				}
				if o.Amount != nil {
					din.Amount = o.Amount
				}
				if o.Currency != nil {
					din.Currency = o.Currency
				}
				din.ExpectedClose, din.Stage, din.Probability, din.Status = o.ExpectedClose, o.Stage, o.Probability, o.Status
			}
			d := &Deal{ID: store.NewID(), LeadID: l.ID}
			if err := t.applyDeal(d, din); err != nil {
				if fe, ok := err.(*FieldError); ok {
					fe.Field = "deal." + fe.Field
				}
				return false, err
			}
			if err := t.putDeal(nil, d); err != nil {
				return false, err
			}
			conv.DealID = d.ID
			t.publish("deal.created", map[string]string{"deal_id": d.ID, "lead_id": l.ID})
		}
		l.Conversion = conv
		t.publish("lead.converted", LeadEvent{LeadID: l.ID, PipelineID: l.PipelineID, Actor: actor, ContactID: conv.ContactID, DealID: conv.DealID})
		return true, t.activity(l.ID, Activity{Type: ActConverted, Actor: actor, ContactID: conv.ContactID, DealID: conv.DealID})
	})
}
