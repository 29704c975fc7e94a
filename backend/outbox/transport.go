package outbox

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Transport hands one message to a mail server.
//
// Send must call commit after the whole message has been transferred but
// before the server can accept it (for SMTP: before the terminating dot of
// DATA). If commit fails, Send must abandon the transaction so that the
// server discards the message, and return commit's error. An error from Send
// is classified with Permanent.
type Transport interface {
	Send(ctx context.Context, accountID string, env Envelope, msg []byte, commit func() error) error
}

// Security is how the SMTP connection is protected.
type Security string

const (
	SecurityTLS      Security = "tls"      // implicit TLS (port 465)
	SecurityStartTLS Security = "starttls" // STARTTLS upgrade (port 587)
	// SecurityNone is plaintext, allowed only to loopback servers (a local
	// relay or a test server): credentials never cross the network in clear.
	SecurityNone Security = "none"
)

// AuthMech names a SASL mechanism.
type AuthMech string

const (
	AuthNone    AuthMech = ""
	AuthPlain   AuthMech = "PLAIN"
	AuthLogin   AuthMech = "LOGIN"
	AuthXOAuth2 AuthMech = "XOAUTH2"
)

// SMTPSettings is how to reach one account's submission server.
type SMTPSettings struct {
	Host     string
	Port     int
	Security Security
	Auth     AuthMech
	Username string
	Password string
	// Token returns a fresh OAuth access token for AuthXOAuth2.
	Token func(ctx context.Context) (string, error)
	// TLSConfig overrides the default (system roots, ServerName = Host).
	TLSConfig *tls.Config
	// LocalName is sent in EHLO; "localhost" when empty, which reveals
	// nothing about the user's machine.
	LocalName string
	Timeout   time.Duration // per command; 1 minute when zero
}

// SMTPAccounts looks up an account's SMTP settings. The mail package's
// account store implements it.
type SMTPAccounts interface {
	SMTPSettings(ctx context.Context, accountID string) (SMTPSettings, error)
}

// SMTPTransport sends over SMTP with go-smtp.
type SMTPTransport struct {
	Accounts SMTPAccounts
}

// Send implements Transport.
func (t *SMTPTransport) Send(ctx context.Context, accountID string, env Envelope, msg []byte, commit func() error) error {
	cfg, err := t.Accounts.SMTPSettings(ctx, accountID)
	if err != nil {
		return fmt.Errorf("read SMTP settings of account %s: %w", accountID, err)
	}
	return SendSMTP(ctx, cfg, env, msg, commit)
}

// SendSMTP performs one SMTP transaction with the server in cfg.
func SendSMTP(ctx context.Context, cfg SMTPSettings, env Envelope, msg []byte, commit func() error) error {
	if cfg.Host == "" || cfg.Port <= 0 {
		return Permanent(errors.New("the account has no SMTP server configured"))
	}
	addr := net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port))
	timeout := cfg.Timeout
	if timeout == 0 {
		timeout = time.Minute
	}
	tlsCfg := &tls.Config{}
	if cfg.TLSConfig != nil {
		tlsCfg = cfg.TLSConfig.Clone()
	}
	if tlsCfg.ServerName == "" {
		tlsCfg.ServerName = cfg.Host
	}
	switch cfg.Security {
	case SecurityTLS, SecurityStartTLS:
	case SecurityNone:
		if !isLoopback(cfg.Host) {
			return Permanent(fmt.Errorf("refusing to send to %s without TLS: plaintext is allowed only to this machine", addr))
		}
	default:
		return Permanent(fmt.Errorf("unknown SMTP security %q", cfg.Security))
	}
	dialer := &net.Dialer{Timeout: timeout}
	conn, err := dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("connect to %s: %w", addr, err)
	}
	var c *smtp.Client
	switch cfg.Security {
	case SecurityTLS:
		tc := tls.Client(conn, tlsCfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return fmt.Errorf("TLS with %s: %w", addr, err)
		}
		c = smtp.NewClient(tc)
	case SecurityStartTLS:
		c, err = smtp.NewClientStartTLS(conn, tlsCfg)
		if err != nil {
			return fmt.Errorf("STARTTLS with %s: %w", addr, err)
		}
	default:
		c = smtp.NewClient(conn)
	}
	defer c.Close()
	c.CommandTimeout = timeout
	c.SubmissionTimeout = 2 * timeout
	// Cancelling ctx unblocks whatever command is waiting on the network.
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Now()) })
	defer stop()

	if cfg.LocalName != "" {
		if err := c.Hello(cfg.LocalName); err != nil {
			return fmt.Errorf("EHLO to %s: %w", addr, err)
		}
	}
	if cfg.Auth != AuthNone {
		a, err := saslClient(ctx, cfg)
		if err != nil {
			return err
		}
		if err := c.Auth(a); err != nil {
			return fmt.Errorf("log in to %s as %s: %w", addr, cfg.Username, err)
		}
	}
	if max, ok := c.MaxMessageSize(); ok && max > 0 && len(msg) > max {
		return Permanent(fmt.Errorf("the message is %.1f MB but %s accepts at most %.1f MB",
			float64(len(msg))/1e6, cfg.Host, float64(max)/1e6))
	}
	mailOpts := &smtp.MailOptions{Size: int64(len(msg))}
	if !isASCII(env.From) || !allASCII(env.Rcpts) {
		if ok, _ := c.Extension("SMTPUTF8"); !ok {
			return Permanent(fmt.Errorf("%s cannot take non-ASCII addresses (no SMTPUTF8)", cfg.Host))
		}
		mailOpts.UTF8 = true
	}
	if err := c.Mail(env.From, mailOpts); err != nil {
		return fmt.Errorf("the server refused the sender %s: %w", env.From, err)
	}
	for _, rcpt := range env.Rcpts {
		if err := c.Rcpt(rcpt, nil); err != nil {
			return fmt.Errorf("the server refused the recipient %s: %w", rcpt, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("DATA to %s: %w", addr, err)
	}
	if _, err := w.Write(msg); err != nil {
		return fmt.Errorf("transfer the message to %s: %w", addr, err)
	}
	if err := commit(); err != nil {
		// Closing the connection without the final dot makes the server
		// drop the transaction.
		conn.Close()
		return err
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("the server did not accept the message: %w", err)
	}
	// The message is accepted; a failing QUIT changes nothing, and a slow
	// one must not delay recording the send.
	conn.SetDeadline(time.Now().Add(2 * time.Second))
	_ = c.Quit()
	return nil
}

func saslClient(ctx context.Context, cfg SMTPSettings) (sasl.Client, error) {
	switch cfg.Auth {
	case AuthPlain:
		return sasl.NewPlainClient("", cfg.Username, cfg.Password), nil
	case AuthLogin:
		return sasl.NewLoginClient(cfg.Username, cfg.Password), nil
	case AuthXOAuth2:
		if cfg.Token == nil {
			return nil, Permanent(errors.New("the account uses OAuth but has no token source"))
		}
		tok, err := cfg.Token(ctx)
		if err != nil {
			return nil, fmt.Errorf("get an OAuth token: %w", err)
		}
		return NewXOAuth2Client(cfg.Username, tok), nil
	}
	return nil, Permanent(fmt.Errorf("unknown SMTP authentication %q", cfg.Auth))
}

// xoauth2Client is Google's and Microsoft's XOAUTH2 SASL mechanism, which
// go-sasl does not provide.
type xoauth2Client struct{ user, token string }

// NewXOAuth2Client returns a SASL client for XOAUTH2 with an OAuth 2.0
// access token.
func NewXOAuth2Client(username, token string) sasl.Client {
	return &xoauth2Client{username, token}
}

func (c *xoauth2Client) Start() (string, []byte, error) {
	return "XOAUTH2", []byte("user=" + c.user + "\x01auth=Bearer " + c.token + "\x01\x01"), nil
}

// Next answers the server's error challenge (a JSON status) with an empty
// response, which makes the server finish with its real error code. It must
// be a non-nil empty slice: nil would tell go-smtp the exchange is over.
func (c *xoauth2Client) Next(challenge []byte) ([]byte, error) {
	return []byte{}, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func allASCII(ss []string) bool {
	for _, s := range ss {
		if !isASCII(s) {
			return false
		}
	}
	return true
}

// permanentError marks an error that retrying cannot fix.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Permanent marks err as one that retrying will not fix.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err}
}

// IsPermanent reports whether retrying the send cannot help: the server
// answered with a 5xx code (bad recipient, rejected login, message too big),
// the server's certificate is not trusted, or the settings are unusable.
// Everything else (4xx answers, refused connections, timeouts, DNS) is
// temporary.
func IsPermanent(err error) bool {
	var pe *permanentError
	if errors.As(err, &pe) {
		return true
	}
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		return se.Code >= 500 && se.Code < 600
	}
	var unknownAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var certErr *tls.CertificateVerificationError
	return errors.As(err, &unknownAuth) || errors.As(err, &hostErr) || errors.As(err, &certErr)
}

// Explain turns a send error into a sentence for the outbox list.
func Explain(err error) string {
	var se *smtp.SMTPError
	var ne net.Error
	var oe *net.OpError
	switch {
	case errors.As(err, &se) && se.Code == 535:
		return "The server rejected the user name or password (" + err.Error() + "). Check the account settings, then retry."
	case errors.As(err, &se) && se.Code == 552:
		return "The server refused the message because it is too large (" + err.Error() + ")."
	case errors.As(err, &se) && se.Code >= 500:
		return "The server refused the message: " + err.Error() + "."
	case errors.As(err, &se):
		return "The server is temporarily unable to take the message (" + err.Error() + "); Threadline will retry."
	case errors.As(err, &ne) && ne.Timeout():
		return "The mail server did not answer in time (" + err.Error() + "); Threadline will retry."
	case errors.As(err, &oe) && oe.Op == "dial":
		return "Could not reach the mail server (" + err.Error() + "); Threadline will retry when it is reachable."
	}
	return err.Error()
}
