package capture

import "fmt"

// Category is what kind of mail a message is, from the owner's side.
type Category string

// The categories the model knows. Only HotLead is a lead: a customer
// writing is already in the CRM, and a vendor pitching the owner is
// selling, not buying.
const (
	HotLead     Category = "hot_lead"
	Customer    Category = "customer"
	VendorPitch Category = "vendor_pitch"
	Newsletter  Category = "newsletter"
	Notify      Category = "notification"
	Personal    Category = "personal"
	Other       Category = "other"
)

// Categories lists every category in model order.
var Categories = []Category{HotLead, Customer, VendorPitch, Newsletter, Notify, Personal, Other}

const numClasses = 7

func categoryIndex(c Category) (int, error) {
	for i, k := range Categories {
		if k == c {
			return i, nil
		}
	}
	return 0, fmt.Errorf("unknown category %q", c)
}

// Label is the lead decision.
type Label string

const (
	Lead    Label = "lead"
	NotLead Label = "not_lead"
)
