package capture

// Person is a name and a lower-case address.
type Person struct {
	Name  string `json:"name"`
	Email string `json:"addr"`
}

// Prospect returns the person a message is from as a lead: its sender, or
// for a website contact-form notification the visitor in its Reply-To.
// form says which of the two it is.
func Prospect(raw []byte) (p Person, form bool) {
	var env envelope
	parse(raw, &env)
	if isContactForm(&env, env.text) {
		return Person{Name: env.replyTo.name, Email: env.replyTo.email}, true
	}
	return Person{Name: env.from.name, Email: env.from.email}, false
}
