package mail

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"time"

	"threadline/backend/store"
)

// Security is how a connection to a mail server is protected.
type Security string

const (
	// SecurityTLS is implicit TLS (IMAPS 993, SMTPS 465).
	SecurityTLS Security = "tls"
	// SecurityStartTLS upgrades a plain connection (IMAP 143, submission 587).
	SecurityStartTLS Security = "starttls"
	// SecurityNone sends everything, password included, in clear text. It
	// is accepted for loopback hosts, or with Account.Insecure.
	SecurityNone Security = "none"
)

// Server is one endpoint of an account.
type Server struct {
	Host     string   `json:"host"`
	Port     int      `json:"port"`
	Security Security `json:"security"`
	// Username defaults to the account's email address.
	Username string `json:"username,omitempty"`
}

func (s Server) addr() string { return net.JoinHostPort(s.Host, fmt.Sprint(s.Port)) }

// Account is one mail account. Passwords are not part of it: they live in
// the secret store (OS keychain) under the account id.
type Account struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
	// Identities are the addresses the user sends as from this account;
	// mail from them is outbound. Email is always one of them.
	Identities []string `json:"identities"`
	IMAP       Server   `json:"imap"`
	SMTP       Server   `json:"smtp"`
	// Insecure allows SecurityNone towards a host that is not loopback.
	Insecure bool `json:"insecure,omitempty"`
	// Folders are extra mailboxes the user ticked for sync, beyond Inbox,
	// Sent and Archive / All Mail.
	Folders []string `json:"folders,omitempty"`
	// SyncDays limits the first sync to mail of the last SyncDays days;
	// 0 syncs everything.
	SyncDays int       `json:"sync_days"`
	Preset   string    `json:"preset,omitempty"`
	Disabled bool      `json:"disabled,omitempty"`
	Created  time.Time `json:"created"`
	Updated  time.Time `json:"updated"`
}

// DefaultSyncDays is the first-sync window for a new account.
const DefaultSyncDays = 90

// Preset fills in the servers of a well-known provider.
type Preset struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	IMAP Server `json:"imap"`
	SMTP Server `json:"smtp"`
	// Note tells the user what the provider needs (app passwords).
	Note string `json:"note"`
}

// Presets lists the providers the account form offers.
var Presets = []Preset{
	{ID: "gmail", Name: "Gmail", IMAP: Server{Host: "imap.gmail.com", Port: 993, Security: SecurityTLS}, SMTP: Server{Host: "smtp.gmail.com", Port: 465, Security: SecurityTLS},
		Note: "Use an app password (Google Account → Security → App passwords); 2-step verification must be on."},
	{ID: "outlook", Name: "Outlook / Microsoft 365", IMAP: Server{Host: "outlook.office365.com", Port: 993, Security: SecurityTLS}, SMTP: Server{Host: "smtp.office365.com", Port: 587, Security: SecurityStartTLS},
		Note: "Basic authentication must be allowed for the mailbox; otherwise use an app password."},
	{ID: "fastmail", Name: "Fastmail", IMAP: Server{Host: "imap.fastmail.com", Port: 993, Security: SecurityTLS}, SMTP: Server{Host: "smtp.fastmail.com", Port: 465, Security: SecurityTLS},
		Note: "Create an app password under Settings → Privacy & Security."},
	{ID: "icloud", Name: "iCloud Mail", IMAP: Server{Host: "imap.mail.me.com", Port: 993, Security: SecurityTLS}, SMTP: Server{Host: "smtp.mail.me.com", Port: 587, Security: SecurityStartTLS},
		Note: "Use an app-specific password from appleid.apple.com; the username is the part before @icloud.com."},
	{ID: "yahoo", Name: "Yahoo Mail", IMAP: Server{Host: "imap.mail.yahoo.com", Port: 993, Security: SecurityTLS}, SMTP: Server{Host: "smtp.mail.yahoo.com", Port: 465, Security: SecurityTLS},
		Note: "Generate an app password under Account Security."},
}

// FieldError is a validation failure of one account field.
type FieldError struct {
	Field   string
	Message string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Message }

// ErrAccountNotFound is returned for an unknown account id.
var ErrAccountNotFound = errors.New("no such account")

func accountKey(id string) []byte { return store.Key("acct", id) }

// Normalize applies the preset and defaults, then validates.
func (a *Account) Normalize() error {
	a.Email = strings.ToLower(strings.TrimSpace(a.Email))
	if a.Preset != "" {
		i := slices.IndexFunc(Presets, func(p Preset) bool { return p.ID == a.Preset })
		if i < 0 {
			return &FieldError{"preset", fmt.Sprintf("unknown preset %q", a.Preset)}
		}
		p := Presets[i]
		if a.IMAP.Host == "" {
			a.IMAP = Server{Host: p.IMAP.Host, Port: p.IMAP.Port, Security: p.IMAP.Security, Username: a.IMAP.Username}
		}
		if a.SMTP.Host == "" {
			a.SMTP = Server{Host: p.SMTP.Host, Port: p.SMTP.Port, Security: p.SMTP.Security, Username: a.SMTP.Username}
		}
	}
	if a.Email == "" || !strings.Contains(a.Email, "@") {
		return &FieldError{"email", "an email address like name@example.com is required"}
	}
	if a.Name == "" {
		a.Name = a.Email
	}
	if err := a.IMAP.validate("imap", a.Insecure, 993, 143); err != nil {
		return err
	}
	if a.SMTP.Host != "" || a.SMTP.Port != 0 {
		if err := a.SMTP.validate("smtp", a.Insecure, 465, 587); err != nil {
			return err
		}
	}
	ids := []string{a.Email}
	for i, id := range a.Identities {
		id = strings.ToLower(strings.TrimSpace(id))
		if id == "" {
			continue
		}
		if !strings.Contains(id, "@") {
			return &FieldError{fmt.Sprintf("identities[%d]", i), fmt.Sprintf("%q is not an email address", id)}
		}
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	a.Identities = ids
	if a.SyncDays < 0 {
		return &FieldError{"sync_days", "must be 0 (everything) or a number of days"}
	}
	return nil
}

func (s *Server) validate(field string, insecure bool, tlsPort, startTLSPort int) error {
	s.Host = strings.TrimSpace(s.Host)
	if s.Host == "" {
		return &FieldError{field + ".host", "the server host name is required"}
	}
	if strings.ContainsAny(s.Host, " /:") && net.ParseIP(s.Host) == nil {
		return &FieldError{field + ".host", fmt.Sprintf("%q is not a host name", s.Host)}
	}
	switch s.Security {
	case "":
		s.Security = SecurityTLS
	case SecurityTLS, SecurityStartTLS, SecurityNone:
	default:
		return &FieldError{field + ".security", fmt.Sprintf("must be tls, starttls or none, not %q", s.Security)}
	}
	if s.Security == SecurityNone && !insecure && !isLoopback(s.Host) {
		return &FieldError{field + ".security", "an unencrypted connection would send the password in clear text; it is allowed only to a loopback host or with the insecure switch"}
	}
	if s.Port == 0 {
		s.Port = tlsPort
		if s.Security != SecurityTLS {
			s.Port = startTLSPort
		}
	}
	if s.Port < 1 || s.Port > 65535 {
		return &FieldError{field + ".port", fmt.Sprintf("%d is not a TCP port", s.Port)}
	}
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (a *Account) imapUsername() string {
	if a.IMAP.Username != "" {
		return a.IMAP.Username
	}
	return a.Email
}

// isIdentity reports whether addr is one of the user's own addresses.
func (a *Account) isIdentity(addr string) bool {
	return slices.Contains(a.Identities, strings.ToLower(addr))
}

// ListAccounts returns every account, oldest first.
func ListAccounts(st *store.Store) ([]*Account, error) {
	var out []*Account
	err := st.View(func(txn *store.Txn) error {
		return txn.Scan(store.Key("acct", ""), store.ScanOptions{}, func(_, v []byte) error {
			var a Account
			if err := json.Unmarshal(v, &a); err != nil {
				return err
			}
			out = append(out, &a)
			return nil
		})
	})
	return out, err
}

// GetAccount loads one account.
func GetAccount(st *store.Store, id string) (*Account, error) {
	var a Account
	err := st.View(func(txn *store.Txn) error { return txn.GetJSON(accountKey(id), &a) })
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrAccountNotFound
	}
	return &a, err
}

func putAccount(st *store.Store, a *Account) error {
	return st.Update(func(txn *store.Txn) error { return txn.SetJSON(accountKey(a.ID), a) })
}
