// Command gentrain writes the template-generated part of the lead-capture
// training set (trainingdata/train). Every message is composed from
// hand-written sentence pools per category, with names, companies, offers,
// header shapes and MIME structure varied by a seeded generator, so the
// output is the same on every run. The held-out set is not produced here.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"
)

const ownerAddr = "sam@brightpath.io"
const ownerName = "Sam Rivera"

var r = rand.New(rand.NewPCG(2026, 11))

func pick[T any](xs []T) T  { return xs[r.IntN(len(xs))] }
func chance(p float64) bool { return r.Float64() < p }

var firstNames = []string{"Olivia", "Marcus", "Priya", "Tomasz", "Hannah", "Diego", "Aisha", "Kenji", "Laura",
	"Samuel", "Fatima", "Jonas", "Chloe", "Ravi", "Ingrid", "Mateo", "Grace", "Yusuf", "Elena", "Noah",
	"Sofia", "Liam", "Mei", "Oscar", "Nadia", "Ethan", "Zara", "Lucas", "Amara", "Felix", "Bianca", "Hugo",
	"Leah", "Arjun", "Clara", "Jamal", "Isla", "Viktor", "Rosa", "Daniel"}
var lastNames = []string{"Bennett", "Okafor", "Shah", "Nowak", "Schmidt", "Alvarez", "Khan", "Tanaka", "Moreau",
	"Fischer", "Haddad", "Lindqvist", "Dubois", "Iyer", "Larsen", "Romero", "Walsh", "Demir", "Petrova", "Clarke",
	"Rossi", "Murphy", "Chen", "Silva", "Farah", "Brooks", "Malik", "Costa", "Mensah", "Weber", "Greco", "Laurent",
	"Cohen", "Patel", "Novak", "Reid", "Campbell", "Ivanova", "Santos", "Young"}
var companies = []string{"Northwind Logistics", "Harbor Dental Group", "Cobalt Analytics", "Greenleaf Farms",
	"Atlas Facility Services", "Pinecrest Property Management", "Meridian Health Partners", "Bluebird Events",
	"Summit Engineering", "Oakridge Law", "Vantage Retail", "Lumen Architecture", "Crescent Hotels",
	"Redwood Manufacturing", "Silverline Insurance", "Tidewater Marine", "Kestrel Aviation", "Juniper Schools",
	"Foxglove Studios", "Granite Construction Co", "Evergreen Clinics", "Brightwater Utilities", "Maple & Co Bakery",
	"Helix Biotech", "Ironclad Security", "Orchid Travel", "Polar Cold Storage", "Quarry Outdoor Gear",
	"Riverbend Credit Union", "Sterling Accounting", "Terra Landscaping", "Union Street Dental", "Velo Couriers",
	"Willow Care Homes", "Zenith Fitness", "Anchor Freight", "Beacon Nonprofit Alliance", "Cedar Valley Winery"}
var offers = []string{"scheduling platform", "field service software", "CRM", "analytics dashboard", "booking system",
	"inventory software", "time tracking tool", "customer portal", "fleet tracking", "training courses",
	"consulting services", "web design services", "catering service", "photography packages", "office furniture",
	"cleaning services", "translation services", "custom software development", "security audits",
	"payroll service", "cloud backup", "IT support plans", "printing services", "conference venue",
	"packaging supplies", "industrial sensors", "coffee machines", "accounting services"}
var teamSizes = []string{"12", "25", "40", "60", "85", "120", "200", "350", "15", "8", "30", "500"}
var timeframes = []string{"next month", "this quarter", "by the end of March", "before the summer", "in the next few weeks",
	"early next year", "as soon as possible", "by September", "within 60 days", "for our Q3 rollout"}
var competitors = []string{"Jobber", "ServiceTitan", "HubSpot", "Salesforce", "spreadsheets", "an old in-house tool",
	"Zoho", "pen and paper", "our current provider", "a local agency", "Monday.com", "Excel"}

func person() (first, last, full string) {
	first, last = pick(firstNames), pick(lastNames)
	return first, last, first + " " + last
}

func slug(s string) string {
	s = strings.ToLower(s)
	var b strings.Builder
	for _, c := range s {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
			b.WriteRune(c)
		}
	}
	return b.String()
}

func companyDomain(c string) string {
	w := strings.Fields(c)
	base := slug(w[0])
	if len(w) > 1 && chance(0.5) {
		base += slug(w[1])
	}
	return base + pick([]string{".com", ".com", ".co", ".io", ".net", ".org", ".co.uk", ".de", ".ca"})
}

var freeMail = []string{"gmail.com", "outlook.com", "yahoo.com", "hotmail.com", "icloud.com", "proton.me"}

func personalAddr(first, last, domain string) string {
	switch r.IntN(4) {
	case 0:
		return strings.ToLower(first) + "@" + domain
	case 1:
		return strings.ToLower(first) + "." + strings.ToLower(last) + "@" + domain
	case 2:
		return strings.ToLower(first[:1]+last) + "@" + domain
	default:
		return strings.ToLower(first) + "_" + strings.ToLower(last) + fmt.Sprint(r.IntN(90)+10) + "@" + domain
	}
}

// fill replaces {slots} in s.
func fill(s string, v map[string]string) string {
	for k, val := range v {
		s = strings.ReplaceAll(s, "{"+k+"}", val)
	}
	return s
}

type msg struct {
	from, to, cc, replyTo, subject, body, html string
	extra                                      []string // raw header lines
	inReplyTo                                  string
	msgDomain                                  string
}

var clock = time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC)

func (m msg) render() string {
	clock = clock.Add(time.Duration(r.IntN(300)+7) * time.Minute)
	var b strings.Builder
	w := func(k, v string) {
		if v != "" {
			fmt.Fprintf(&b, "%s: %s\r\n", k, v)
		}
	}
	w("From", m.from)
	w("To", m.to)
	w("Cc", m.cc)
	w("Reply-To", m.replyTo)
	w("Subject", m.subject)
	w("Date", clock.Format(time.RFC1123Z))
	d := m.msgDomain
	if d == "" {
		d = "mail.example.net"
	}
	w("Message-ID", fmt.Sprintf("<%x.%d@%s>", r.Uint64(), r.IntN(1e6), d))
	if m.inReplyTo != "" {
		w("In-Reply-To", m.inReplyTo)
		w("References", m.inReplyTo)
	}
	for _, e := range m.extra {
		b.WriteString(e + "\r\n")
	}
	w("MIME-Version", "1.0")
	body := strings.ReplaceAll(m.body, "\n", "\r\n")
	switch {
	case m.html != "" && m.body == "":
		w("Content-Type", `text/html; charset="utf-8"`)
		b.WriteString("\r\n" + m.html + "\r\n")
	case m.html != "":
		bd := fmt.Sprintf("b1_%x", r.Uint32())
		w("Content-Type", `multipart/alternative; boundary="`+bd+`"`)
		fmt.Fprintf(&b, "\r\n--%s\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n--%s\r\nContent-Type: text/html; charset=utf-8\r\n\r\n%s\r\n--%s--\r\n", bd, body, bd, m.html, bd)
	default:
		w("Content-Type", "text/plain; charset=utf-8")
		b.WriteString("\r\n" + body + "\r\n")
	}
	return b.String()
}

func htmlOf(text string) string {
	var b strings.Builder
	b.WriteString("<html><body>")
	for _, p := range strings.Split(text, "\n\n") {
		b.WriteString("<p>" + strings.ReplaceAll(p, "\n", "<br>") + "</p>")
	}
	b.WriteString("</body></html>")
	return b.String()
}

func main() {
	out := flag.String("out", "trainingdata/train", "directory to write <category>/NNNN.eml into")
	ownerFile := flag.String("owner", "trainingdata/owner.json", "owner file to write")
	flag.Parse()
	if err := os.RemoveAll(*out); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	sets := []struct {
		cat string
		n   int
		gen func() msg
	}{
		{"hot_lead", 300, hotLead},
		{"customer", 100, customer},
		{"vendor_pitch", 300, vendorPitch},
		{"newsletter", 200, newsletter},
		{"notification", 200, notification},
		{"personal", 100, personal},
		{"other", 150, other},
		{"other", 300, discussion},
	}
	for _, s := range sets {
		dir := filepath.Join(*out, s.cat)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		existing, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
		for i := len(existing); i < len(existing)+s.n; i++ {
			m := s.gen()
			if m.to == "" {
				m.to = pick([]string{ownerName + " <" + ownerAddr + ">", ownerAddr, "Sam <" + ownerAddr + ">"})
			}
			p := filepath.Join(dir, fmt.Sprintf("%04d.eml", i+1))
			if err := os.WriteFile(p, []byte(m.render()), 0o644); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
		}
	}
	if err := writeOwner(*ownerFile); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func writeOwner(path string) error {
	var contacts []string
	for _, list := range [][]string{customerContacts, personalContacts, colleagues} {
		for _, c := range list {
			a := c[strings.LastIndex(c, "<")+1 : len(c)-1]
			contacts = append(contacts, a)
		}
	}
	contacts = append(contacts, heldOutContacts...)
	contacts = append(contacts, knownGenerated...)
	b, err := json.MarshalIndent(map[string]any{
		"addresses": []string{ownerAddr, "sam.rivera@brightpath.io"},
		"contacts":  contacts,
	}, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
