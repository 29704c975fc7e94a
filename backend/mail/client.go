package mail

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-message/charset"
)

// dialTimeout bounds connecting and the TLS handshake; a server that takes
// longer is reported as unreachable rather than hanging the sync.
const dialTimeout = 20 * time.Second

// Dialer opens IMAP connections. Tests replace it to put a proxy in the way.
type Dialer func(ctx context.Context, network, addr string) (net.Conn, error)

// connect opens an authenticated IMAP session for acct.
func connect(ctx context.Context, acct *Account, password string, dial Dialer, handler *imapclient.UnilateralDataHandler) (*imapclient.Client, error) {
	if dial == nil {
		d := &net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}
		dial = d.DialContext
	}
	dctx, cancel := context.WithTimeout(ctx, dialTimeout)
	defer cancel()
	conn, err := dial(dctx, "tcp", acct.IMAP.addr())
	if err != nil {
		return nil, &SyncError{Stage: StageTCP, Err: err}
	}
	opts := &imapclient.Options{
		WordDecoder:           &mime.WordDecoder{CharsetReader: charset.Reader},
		UnilateralDataHandler: handler,
		TLSConfig:             &tls.Config{ServerName: acct.IMAP.Host},
	}
	var c *imapclient.Client
	switch acct.IMAP.Security {
	case SecurityTLS:
		tc := tls.Client(conn, &tls.Config{ServerName: acct.IMAP.Host})
		_ = tc.SetDeadline(time.Now().Add(dialTimeout))
		if err := tc.HandshakeContext(dctx); err != nil {
			conn.Close()
			return nil, &SyncError{Stage: StageTLS, Err: err}
		}
		_ = tc.SetDeadline(time.Time{})
		c = imapclient.New(tc, opts)
	case SecurityStartTLS:
		c, err = imapclient.NewStartTLS(conn, opts)
		if err != nil {
			conn.Close()
			return nil, &SyncError{Stage: StageTLS, Err: err}
		}
	default:
		c = imapclient.New(conn, opts)
	}
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	if err := c.WaitGreeting(); err != nil {
		c.Close()
		return nil, &SyncError{Stage: StageGreeting, Err: err}
	}
	if err := c.Login(acct.imapUsername(), password).Wait(); err != nil {
		c.Close()
		return nil, &SyncError{Stage: StageAuth, Err: err}
	}
	if !c.Caps().Has(imap.CapIMAP4rev1) && !c.Caps().Has(imap.CapIMAP4rev2) {
		c.Close()
		return nil, &SyncError{Stage: StageCapability, Err: errors.New("the server speaks neither IMAP4rev1 nor IMAP4rev2")}
	}
	return c, nil
}

// Stages a connection goes through; a SyncError names the one that failed.
const (
	StageDNS        = "dns"
	StageTCP        = "tcp"
	StageTLS        = "tls"
	StageGreeting   = "greeting"
	StageAuth       = "auth"
	StageCapability = "capability"
	StageSync       = "sync"
	StageStore      = "store"
)

// SyncError is a failure with the stage it happened in. Message says it in
// plain words for the status panel.
type SyncError struct {
	Stage string
	Err   error
}

func (e *SyncError) Error() string { return e.Message() }
func (e *SyncError) Unwrap() error { return e.Err }

// Temporary reports whether retrying later can help without the user
// changing anything.
func (e *SyncError) Temporary() bool {
	switch e.Stage {
	case StageAuth, StageCapability:
		return false
	case StageTLS:
		return !isCertError(e.Err)
	}
	return true
}

// Message explains the failure to a person.
func (e *SyncError) Message() string {
	err := e.Err
	var dnsErr *net.DNSError
	var imapErr *imap.Error
	switch {
	case errors.As(err, &dnsErr):
		if dnsErr.IsNotFound {
			return fmt.Sprintf("the server name %s does not exist (DNS lookup failed)", dnsErr.Name)
		}
		return fmt.Sprintf("the server name %s could not be looked up: %v", dnsErr.Name, dnsErr.Err)
	case e.Stage == StageTLS && isCertError(err):
		return "the server's TLS certificate is not trusted: " + err.Error()
	case e.Stage == StageTLS:
		return "the secure (TLS) connection could not be set up: " + err.Error()
	case e.Stage == StageAuth && errors.As(err, &imapErr):
		return "the server rejected the username or password: " + imapErr.Text
	case e.Stage == StageAuth:
		return "signing in failed: " + err.Error()
	case errors.Is(err, syscall.ECONNREFUSED):
		return "the server refused the connection (nothing listens on that port)"
	case errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, context.DeadlineExceeded):
		return "the server did not answer in time"
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) || errors.Is(err, syscall.ECONNRESET):
		return "the connection to the server was cut; it will be retried"
	case errors.As(err, &imapErr):
		return "the server refused a command: " + imapErr.Text
	case e.Stage == StageTCP:
		return "the server could not be reached: " + err.Error()
	case e.Stage == StageStore:
		return "saving mail on this computer failed: " + err.Error()
	}
	return err.Error()
}

func isCertError(err error) bool {
	var unknown x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalid x509.CertificateInvalidError
	var verify *tls.CertificateVerificationError
	return errors.As(err, &unknown) || errors.As(err, &hostErr) || errors.As(err, &invalid) || errors.As(err, &verify) ||
		strings.Contains(err.Error(), "x509:")
}
