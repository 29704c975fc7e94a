package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// TestStep is one stage of a connection test.
type TestStep struct {
	Server string `json:"server"` // imap or smtp
	Stage  string `json:"stage"`  // dns, tcp, tls, greeting, auth, capability
	OK     bool   `json:"ok"`
	Detail string `json:"detail,omitempty"`
	Millis int64  `json:"ms"`
}

// TestResult is the outcome of a connection test. When OK is false,
// Failure names the first stage that failed in plain words.
type TestResult struct {
	OK           bool       `json:"ok"`
	Steps        []TestStep `json:"steps"`
	Failure      *TestStep  `json:"failure,omitempty"`
	Capabilities []string   `json:"capabilities,omitempty"`
	Warnings     []string   `json:"warnings,omitempty"`
}

type tester struct {
	res    *TestResult
	server string
}

func (t *tester) step(stage string, fn func() (string, error)) bool {
	start := time.Now()
	detail, err := fn()
	s := TestStep{Server: t.server, Stage: stage, OK: err == nil, Detail: detail, Millis: time.Since(start).Milliseconds()}
	if err != nil {
		se := &SyncError{Stage: stage, Err: err}
		s.Detail = se.Message()
		t.res.Failure = &s
		t.res.OK = false
	}
	t.res.Steps = append(t.res.Steps, s)
	return err == nil
}

// TestConnection checks an account's servers stage by stage: DNS, TCP,
// TLS certificate, greeting, authentication, capabilities. It stops at the
// first failure. The SMTP server is checked when the account has one.
func TestConnection(ctx context.Context, a *Account, imapPassword, smtpPassword string, dial Dialer) *TestResult {
	res := &TestResult{OK: true, Steps: []TestStep{}}
	if dial == nil {
		d := &net.Dialer{Timeout: dialTimeout}
		dial = d.DialContext
	}
	t := &tester{res: res, server: "imap"}
	testIMAP(ctx, t, a, imapPassword, dial)
	if res.OK && a.SMTP.Host != "" {
		if smtpPassword == "" {
			smtpPassword = imapPassword
		}
		t.server = "smtp"
		testSMTP(ctx, t, a, smtpPassword, dial)
	}
	return res
}

func resolve(ctx context.Context, t *tester, host string) bool {
	return t.step(StageDNS, func() (string, error) {
		if net.ParseIP(host) != nil {
			return "an IP address needs no lookup", nil
		}
		addrs, err := net.DefaultResolver.LookupHost(ctx, host)
		if err != nil {
			return "", err
		}
		return strings.Join(addrs, ", "), nil
	})
}

// connectStep runs the DNS and TCP steps for srv and returns the connection
// when both pass.
func connectStep(ctx context.Context, t *tester, srv Server, dial Dialer) (net.Conn, bool) {
	if !resolve(ctx, t, srv.Host) {
		return nil, false
	}
	var conn net.Conn
	ok := t.step(StageTCP, func() (string, error) {
		var err error
		dctx, cancel := context.WithTimeout(ctx, dialTimeout)
		defer cancel()
		conn, err = dial(dctx, "tcp", srv.addr())
		if err != nil {
			return "", err
		}
		return "connected to " + conn.RemoteAddr().String(), nil
	})
	return conn, ok
}

func testIMAP(ctx context.Context, t *tester, a *Account, password string, dial Dialer) {
	srv := a.IMAP
	conn, ok := connectStep(ctx, t, srv, dial)
	if !ok {
		return
	}
	opts := &imapclient.Options{TLSConfig: &tls.Config{ServerName: srv.Host}}
	var c *imapclient.Client
	switch srv.Security {
	case SecurityTLS:
		if !t.step(StageTLS, func() (string, error) {
			tc := tls.Client(conn, &tls.Config{ServerName: srv.Host})
			_ = tc.SetDeadline(time.Now().Add(dialTimeout))
			if err := tc.HandshakeContext(ctx); err != nil {
				return "", err
			}
			_ = tc.SetDeadline(time.Time{})
			conn = tc
			return tlsDetail(tc.ConnectionState()), nil
		}) {
			conn.Close()
			return
		}
		c = imapclient.New(conn, opts)
	case SecurityStartTLS:
		if !t.step(StageTLS, func() (string, error) {
			var err error
			c, err = imapclient.NewStartTLS(conn, opts)
			if err != nil {
				if strings.Contains(err.Error(), "STARTTLS") && !isCertError(err) {
					return "", fmt.Errorf("the server does not offer STARTTLS: %w", err)
				}
				return "", err
			}
			return "STARTTLS upgraded the connection", nil
		}) {
			conn.Close()
			return
		}
	default:
		c = imapclient.New(conn, opts)
		t.res.Warnings = append(t.res.Warnings, "the connection is not encrypted: the password travels in clear text")
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	if !t.step(StageGreeting, func() (string, error) { return "", c.WaitGreeting() }) {
		return
	}
	if !t.step(StageAuth, func() (string, error) {
		if err := c.Login(a.imapUsername(), password).Wait(); err != nil {
			return "", err
		}
		return "signed in as " + a.imapUsername(), nil
	}) {
		return
	}
	t.step(StageCapability, func() (string, error) {
		caps := c.Caps()
		for cp := range caps {
			t.res.Capabilities = append(t.res.Capabilities, string(cp))
		}
		if !caps.Has(imap.CapIMAP4rev1) && !caps.Has(imap.CapIMAP4rev2) {
			return "", errors.New("the server speaks neither IMAP4rev1 nor IMAP4rev2, which Threadline needs")
		}
		if !caps.Has(imap.CapIdle) && !caps.Has(imap.CapIMAP4rev2) {
			t.res.Warnings = append(t.res.Warnings, "no IDLE: new mail is found by polling, not pushed")
		}
		if !caps.Has(imap.CapCondStore) {
			t.res.Warnings = append(t.res.Warnings, "no CONDSTORE: flag changes need a full scan on each sync")
		}
		if !caps.Has(imap.CapSpecialUse) {
			t.res.Warnings = append(t.res.Warnings, "no SPECIAL-USE: Sent and Archive folders cannot be recognized automatically")
		}
		return fmt.Sprintf("%d capabilities", len(caps)), nil
	})
	_ = c.Logout().Wait()
}

func tlsDetail(cs tls.ConnectionState) string {
	d := tls.VersionName(cs.Version)
	if len(cs.PeerCertificates) > 0 {
		d += ", certificate for " + cs.PeerCertificates[0].Subject.CommonName + " valid until " + cs.PeerCertificates[0].NotAfter.Format("2006-01-02")
	}
	return d
}

func testSMTP(ctx context.Context, t *tester, a *Account, password string, dial Dialer) {
	srv := a.SMTP
	conn, ok := connectStep(ctx, t, srv, dial)
	if !ok {
		return
	}
	_ = conn.SetDeadline(time.Now().Add(time.Minute))
	var c *smtp.Client
	switch srv.Security {
	case SecurityTLS:
		if !t.step(StageTLS, func() (string, error) {
			tc := tls.Client(conn, &tls.Config{ServerName: srv.Host})
			if err := tc.HandshakeContext(ctx); err != nil {
				return "", err
			}
			conn = tc
			return tlsDetail(tc.ConnectionState()), nil
		}) {
			conn.Close()
			return
		}
		c = smtp.NewClient(conn)
	case SecurityStartTLS:
		if !t.step(StageTLS, func() (string, error) {
			var err error
			c, err = smtp.NewClientStartTLS(conn, &tls.Config{ServerName: srv.Host})
			if err != nil {
				return "", err
			}
			return "STARTTLS upgraded the connection", nil
		}) {
			conn.Close()
			return
		}
	default:
		c = smtp.NewClient(conn)
	}
	defer c.Close()
	if !t.step(StageGreeting, func() (string, error) { return "", c.Hello("localhost") }) {
		return
	}
	user := srv.Username
	if user == "" {
		user = a.Email
	}
	if !t.step(StageAuth, func() (string, error) {
		if ok, _ := c.Extension("AUTH"); !ok {
			return "", errors.New("the server offers no authentication (AUTH)")
		}
		if err := c.Auth(sasl.NewPlainClient("", user, password)); err != nil {
			return "", err
		}
		return "signed in as " + user, nil
	}) {
		return
	}
	_ = c.Quit()
}

// TestAccount runs TestConnection for a stored account (id set) or for a
// draft from the account form. Passwords in in replace stored ones for the
// test only.
func (svc *Service) TestAccount(ctx context.Context, id string, in *AccountInput) (*TestResult, error) {
	var a Account
	imapPW, smtpPW := "", ""
	if id != "" {
		stored, err := GetAccount(svc.store, id)
		if err != nil {
			return nil, err
		}
		a = *stored
		if in != nil && in.IMAP.Host != "" {
			a = in.Account
			a.ID = id
		}
		imapPW, _ = svc.secrets.Get(id, SecretIMAP)
		smtpPW, _ = svc.secrets.Get(id, SecretSMTP)
	} else if in != nil {
		a = in.Account
	}
	if in != nil {
		if in.Password != nil {
			imapPW = *in.Password
		}
		if in.SMTPPassword != nil {
			smtpPW = *in.SMTPPassword
		}
	}
	if err := a.Normalize(); err != nil {
		return nil, err
	}
	if imapPW == "" {
		return nil, &FieldError{"password", "the IMAP password is required for the test"}
	}
	return TestConnection(ctx, &a, imapPW, smtpPW, svc.opts.Dial), nil
}
