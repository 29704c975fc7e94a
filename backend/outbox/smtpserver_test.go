package outbox

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"strconv"
	"sync"
	"testing"

	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// received is one message a test SMTP server accepted.
type received struct {
	From  string
	Rcpts []string
	Data  []byte
	Auth  string // the user that logged in
}

// testSMTP is a real go-smtp server on loopback that records what it accepts.
type testSMTP struct {
	srv  *smtp.Server
	ln   net.Listener
	Addr string
	Port int

	mu       sync.Mutex
	msgs     []received
	rcptErr  *smtp.SMTPError // answer to RCPT, when set
	dataErr  *smtp.SMTPError // answer to the final dot, when set
	onData   func(received)  // called after a message is accepted
	user     string
	password string
}

func startSMTP(t testing.TB, addr string) *testSMTP {
	t.Helper()
	return startSMTPWith(t, addr, nil)
}

// startSMTPWith lets configure adjust the server before it starts.
func startSMTPWith(t testing.TB, addr string, configure func(*smtp.Server)) *testSMTP {
	t.Helper()
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	ts := &testSMTP{ln: ln, Addr: ln.Addr().String(), user: "test@example.com", password: "secret"}
	ts.Port = ln.Addr().(*net.TCPAddr).Port
	ts.srv = smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &testSession{ts: ts}, nil
	}))
	ts.srv.Domain = "localhost"
	ts.srv.AllowInsecureAuth = true
	ts.srv.ErrorLog = discardLogger{}
	if configure != nil {
		configure(ts.srv)
	}
	go ts.srv.Serve(ln)
	t.Cleanup(func() { ts.srv.Close() })
	return ts
}

// set changes the server's behaviour under its lock.
func (ts *testSMTP) set(f func()) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	f()
}

// stop closes the server; the port is free again for a restart.
func (ts *testSMTP) stop() { ts.srv.Close() }

type discardLogger struct{}

func (discardLogger) Printf(string, ...interface{}) {}
func (discardLogger) Println(...interface{})        {}

func (ts *testSMTP) messages() []received {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]received(nil), ts.msgs...)
}

// countByMessageID counts accepted messages per Message-ID.
func (ts *testSMTP) countByMessageID(t *testing.T) map[string]int {
	t.Helper()
	counts := map[string]int{}
	for _, m := range ts.messages() {
		counts[messageIDOf(t, m.Data)]++
	}
	return counts
}

func messageIDOf(t *testing.T, raw []byte) string {
	t.Helper()
	r, err := mail.CreateReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("received message does not parse: %v", err)
	}
	id, _ := r.Header.MessageID()
	return id
}

type testSession struct {
	ts   *testSMTP
	cur  received
	user string
}

func (s *testSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *testSession) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != s.ts.user || password != s.ts.password {
			return smtp.ErrAuthFailed
		}
		s.user = username
		return nil
	}), nil
}

func (s *testSession) Mail(from string, opts *smtp.MailOptions) error {
	s.cur = received{From: from, Auth: s.user}
	return nil
}

func (s *testSession) Rcpt(to string, opts *smtp.RcptOptions) error {
	s.ts.mu.Lock()
	defer s.ts.mu.Unlock()
	if s.ts.rcptErr != nil {
		return s.ts.rcptErr
	}
	s.cur.Rcpts = append(s.cur.Rcpts, to)
	return nil
}

func (s *testSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.ts.mu.Lock()
	if s.ts.dataErr != nil {
		err := s.ts.dataErr
		s.ts.mu.Unlock()
		return err
	}
	s.cur.Data = data
	s.ts.msgs = append(s.ts.msgs, s.cur)
	cb := s.ts.onData
	s.ts.mu.Unlock()
	if cb != nil {
		cb(s.cur)
	}
	return nil
}

func (s *testSession) Reset()        { s.cur = received{} }
func (s *testSession) Logout() error { return nil }

// staticAccounts serves fixed SMTP settings for every account.
type staticAccounts map[string]SMTPSettings

func (a staticAccounts) SMTPSettings(_ context.Context, id string) (SMTPSettings, error) {
	cfg, ok := a[id]
	if !ok {
		return SMTPSettings{}, errors.New("no account " + id)
	}
	return cfg, nil
}

func loopbackSettings(port int) SMTPSettings {
	return SMTPSettings{Host: "127.0.0.1", Port: port, Security: SecurityNone,
		Auth: AuthPlain, Username: "test@example.com", Password: "secret"}
}

func itoa(i int) string { return strconv.Itoa(i) }
