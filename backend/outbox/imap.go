package outbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	gomail "github.com/emersion/go-message/mail"
)

// IMAPSettings is how to reach one account's IMAP server.
type IMAPSettings struct {
	Host     string
	Port     int
	Security Security // tls, starttls, or none (loopback only)
	Username string
	Password string
	// Token returns an OAuth access token; when set it is used with
	// XOAUTH2 instead of the password.
	Token   func(ctx context.Context) (string, error)
	Timeout time.Duration // for dialing; 30 s when zero
	// ServerFilesSent is true for servers that put every submitted message
	// in Sent themselves (Gmail, Outlook.com): no APPEND is needed, and a
	// Sent-folder search is conclusive.
	ServerFilesSent bool
}

// IMAPAccounts looks up an account's IMAP settings. The mail package's
// account store implements it.
type IMAPAccounts interface {
	IMAPSettings(ctx context.Context, accountID string) (IMAPSettings, error)
}

// Appender stores a copy of a sent message in the account's Sent folder.
type Appender interface {
	AppendSent(ctx context.Context, accountID string, raw []byte, date time.Time) error
}

// IMAPSent appends to and searches the \Sent special-use mailbox over IMAP.
// It implements Appender and SentChecker.
type IMAPSent struct {
	Accounts IMAPAccounts
}

// AppendSent implements Appender. It is idempotent: a message whose
// Message-ID is already in Sent is not appended again, so the after-send
// hook can be rerun safely. Servers that file sent mail themselves are
// skipped.
func (s *IMAPSent) AppendSent(ctx context.Context, accountID string, raw []byte, date time.Time) error {
	cfg, err := s.Accounts.IMAPSettings(ctx, accountID)
	if err != nil {
		return fmt.Errorf("read IMAP settings of account %s: %w", accountID, err)
	}
	if cfg.ServerFilesSent {
		return nil
	}
	msgID := rawMessageID(raw)
	c, mailbox, err := dialSent(ctx, cfg)
	if err != nil {
		return err
	}
	defer c.Close()
	defer context.AfterFunc(ctx, func() { c.Close() })()
	if msgID != "" {
		found, err := searchMessageID(c, mailbox, msgID)
		if err != nil {
			return err
		}
		if found {
			return nil
		}
	}
	cmd := c.Append(mailbox, int64(len(raw)), &imap.AppendOptions{Flags: []imap.Flag{imap.FlagSeen}, Time: date})
	if _, err := cmd.Write(raw); err != nil {
		return fmt.Errorf("APPEND to %s: %w", mailbox, err)
	}
	if err := cmd.Close(); err != nil {
		return fmt.Errorf("APPEND to %s: %w", mailbox, err)
	}
	if _, err := cmd.Wait(); err != nil {
		return fmt.Errorf("APPEND to %s: %w", mailbox, err)
	}
	_ = c.Logout().Wait()
	return nil
}

// CheckSent implements SentChecker.
func (s *IMAPSent) CheckSent(ctx context.Context, accountID, messageID string) (found, conclusive bool, err error) {
	cfg, err := s.Accounts.IMAPSettings(ctx, accountID)
	if err != nil {
		return false, false, fmt.Errorf("read IMAP settings of account %s: %w", accountID, err)
	}
	c, mailbox, err := dialSent(ctx, cfg)
	if err != nil {
		return false, false, err
	}
	defer c.Close()
	defer context.AfterFunc(ctx, func() { c.Close() })()
	found, err = searchMessageID(c, mailbox, messageID)
	if err != nil {
		return false, false, err
	}
	_ = c.Logout().Wait()
	return found, cfg.ServerFilesSent, nil
}

func searchMessageID(c *imapclient.Client, mailbox, msgID string) (bool, error) {
	if _, err := c.Select(mailbox, &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		return false, fmt.Errorf("open %s: %w", mailbox, err)
	}
	data, err := c.UIDSearch(&imap.SearchCriteria{
		Header: []imap.SearchCriteriaHeaderField{{Key: "Message-ID", Value: "<" + msgID + ">"}},
	}, nil).Wait()
	if err != nil {
		return false, fmt.Errorf("search %s for <%s>: %w", mailbox, msgID, err)
	}
	return len(data.AllUIDs()) > 0, nil
}

// dialSent connects, logs in and finds the Sent mailbox.
func dialSent(ctx context.Context, cfg IMAPSettings) (*imapclient.Client, string, error) {
	addr := net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port))
	timeout := cfg.Timeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	opts := &imapclient.Options{Dialer: &net.Dialer{Timeout: timeout}}
	var c *imapclient.Client
	var err error
	switch cfg.Security {
	case SecurityTLS:
		c, err = imapclient.DialTLS(addr, opts)
	case SecurityStartTLS:
		c, err = imapclient.DialStartTLS(addr, opts)
	case SecurityNone:
		if !isLoopback(cfg.Host) {
			return nil, "", Permanent(fmt.Errorf("refusing IMAP to %s without TLS: plaintext is allowed only to this machine", addr))
		}
		c, err = imapclient.DialInsecure(addr, opts)
	default:
		return nil, "", Permanent(fmt.Errorf("unknown IMAP security %q", cfg.Security))
	}
	if err != nil {
		return nil, "", fmt.Errorf("connect to IMAP server %s: %w", addr, err)
	}
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	if cfg.Token != nil {
		tok, err := cfg.Token(ctx)
		if err != nil {
			c.Close()
			return nil, "", fmt.Errorf("get an OAuth token: %w", err)
		}
		err = c.Authenticate(NewXOAuth2Client(cfg.Username, tok))
	} else {
		err = c.Login(cfg.Username, cfg.Password).Wait()
	}
	if err != nil {
		c.Close()
		return nil, "", fmt.Errorf("log in to IMAP server %s as %s: %w", addr, cfg.Username, err)
	}
	mailbox, err := findSent(c)
	if err != nil {
		c.Close()
		return nil, "", err
	}
	return c, mailbox, nil
}

// findSent returns the mailbox with the \Sent special use (RFC 6154), or,
// on servers without SPECIAL-USE, the first one with a usual name.
func findSent(c *imapclient.Client) (string, error) {
	var opts *imap.ListOptions
	if c.Caps().Has(imap.CapSpecialUse) {
		opts = &imap.ListOptions{ReturnSpecialUse: true}
	}
	list, err := c.List("", "*", opts).Collect()
	if err != nil {
		return "", fmt.Errorf("list mailboxes: %w", err)
	}
	for _, m := range list {
		for _, a := range m.Attrs {
			if a == imap.MailboxAttrSent {
				return m.Mailbox, nil
			}
		}
	}
	for _, name := range []string{"Sent", "Sent Items", "Sent Messages", "INBOX.Sent", "[Gmail]/Sent Mail"} {
		for _, m := range list {
			if strings.EqualFold(m.Mailbox, name) {
				return m.Mailbox, nil
			}
		}
	}
	return "", Permanent(errors.New("the account has no Sent folder"))
}

// rawMessageID reads the Message-ID of a raw message, or "".
func rawMessageID(raw []byte) string {
	r, err := gomail.CreateReader(bytes.NewReader(raw))
	if r == nil {
		_ = err
		return ""
	}
	defer r.Close()
	id, _ := r.Header.MessageID()
	return id
}

// WithBcc returns raw with a Bcc header field in front, for the copy kept in
// Sent: the recipients never see it, the user should.
func WithBcc(raw []byte, bcc []string) []byte {
	if len(bcc) == 0 {
		return raw
	}
	var h gomail.Header
	addrs := make([]*gomail.Address, len(bcc))
	for i, a := range bcc {
		addrs[i] = &gomail.Address{Address: a}
	}
	h.SetAddressList("Bcc", addrs)
	return append([]byte("Bcc: "+h.Get("Bcc")+"\r\n"), raw...)
}
