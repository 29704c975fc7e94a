package outbox

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// selfSigned returns a server certificate for 127.0.0.1 and a pool that
// trusts it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "mail.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:    x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool
}

// startTLSSMTP starts a recording go-smtp server with TLS: implicit when
// implicit is true, else offering STARTTLS.
func startTLSSMTP(t *testing.T, implicit bool, cert tls.Certificate) *testSMTP {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ts := &testSMTP{ln: ln, Addr: ln.Addr().String(), Port: ln.Addr().(*net.TCPAddr).Port,
		user: "test@example.com", password: "secret"}
	ts.srv = smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &xoauthSession{testSession{ts: ts}}, nil
	}))
	ts.srv.Domain = "localhost"
	ts.srv.ErrorLog = discardLogger{}
	ts.srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	if implicit {
		ln = tls.NewListener(ln, ts.srv.TLSConfig)
	}
	go ts.srv.Serve(ln)
	t.Cleanup(func() { ts.srv.Close() })
	return ts
}

// xoauthSession also accepts XOAUTH2 with the token "good-token".
type xoauthSession struct{ testSession }

func (s *xoauthSession) AuthMechanisms() []string { return []string{sasl.Plain, "XOAUTH2"} }

func (s *xoauthSession) Auth(mech string) (sasl.Server, error) {
	if mech != "XOAUTH2" {
		return s.testSession.Auth(mech)
	}
	return &xoauth2Server{s: &s.testSession}, nil
}

// xoauth2Server is the server side of XOAUTH2: on a bad token it sends a
// JSON challenge and fails after the client's empty answer, as Gmail does.
type xoauth2Server struct {
	s      *testSession
	failed bool
}

func (x *xoauth2Server) Next(resp []byte) ([]byte, bool, error) {
	if x.failed {
		return nil, true, &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "Username and Password not accepted"}
	}
	parts := strings.Split(string(resp), "\x01")
	if len(parts) == 4 && parts[0] == "user=test@example.com" && parts[1] == "auth=Bearer good-token" {
		x.s.user = "test@example.com"
		return nil, true, nil
	}
	x.failed = true
	return []byte(`{"status":"401","schemes":"bearer"}`), false, nil
}

func sendOne(t *testing.T, cfg SMTPSettings) error {
	t.Helper()
	c, err := Compose(testDraft())
	if err != nil {
		t.Fatal(err)
	}
	return SendSMTP(context.Background(), cfg, c.Envelope, c.Raw, func() error { return nil })
}

func TestImplicitTLSAndStartTLS(t *testing.T) {
	cert, pool := selfSigned(t)
	for _, implicit := range []bool{true, false} {
		srv := startTLSSMTP(t, implicit, cert)
		sec := SecurityStartTLS
		if implicit {
			sec = SecurityTLS
		}
		cfg := SMTPSettings{Host: "127.0.0.1", Port: srv.Port, Security: sec, Auth: AuthPlain,
			Username: "test@example.com", Password: "secret", TLSConfig: &tls.Config{RootCAs: pool}}
		if err := sendOne(t, cfg); err != nil {
			t.Fatalf("%s: %v", sec, err)
		}
		if m := srv.messages(); len(m) != 1 || m[0].Auth != "test@example.com" {
			t.Fatalf("%s: received %+v", sec, m)
		}
		// The system roots do not trust the test certificate: permanent.
		cfg.TLSConfig = &tls.Config{ServerName: "127.0.0.1"}
		err := sendOne(t, cfg)
		if err == nil || !IsPermanent(err) {
			t.Fatalf("%s with an untrusted certificate: %v (permanent %v)", sec, err, IsPermanent(err))
		}
	}
}

func TestXOAuth2(t *testing.T) {
	cert, pool := selfSigned(t)
	srv := startTLSSMTP(t, true, cert)
	token := "good-token"
	cfg := SMTPSettings{Host: "127.0.0.1", Port: srv.Port, Security: SecurityTLS, Auth: AuthXOAuth2,
		Username: "test@example.com", TLSConfig: &tls.Config{RootCAs: pool},
		Token: func(context.Context) (string, error) { return token, nil }}
	if err := sendOne(t, cfg); err != nil {
		t.Fatal(err)
	}
	token = "expired"
	err := sendOne(t, cfg)
	var se *smtp.SMTPError
	if !errors.As(err, &se) || se.Code != 535 || !IsPermanent(err) {
		t.Fatalf("bad token: %v", err)
	}
	if !strings.Contains(Explain(err), "rejected the user name or password") {
		t.Fatalf("explanation %q", Explain(err))
	}
	if len(srv.messages()) != 1 {
		t.Fatalf("%d messages", len(srv.messages()))
	}
}

func TestPlaintextOnlyToLoopback(t *testing.T) {
	err := sendOne(t, SMTPSettings{Host: "mail.example.com", Port: 25, Security: SecurityNone})
	if err == nil || !IsPermanent(err) || !strings.Contains(err.Error(), "without TLS") {
		t.Fatalf("plaintext to a remote host: %v", err)
	}
}

func TestWrongPasswordIsPermanent(t *testing.T) {
	srv := startSMTP(t, "")
	cfg := loopbackSettings(srv.Port)
	cfg.Password = "wrong"
	err := sendOne(t, cfg)
	if !IsPermanent(err) || !strings.Contains(Explain(err), "user name or password") {
		t.Fatalf("wrong password: %v", err)
	}
}

func TestTooLargeForServerIsPermanent(t *testing.T) {
	srv := startSMTPWith(t, "", func(s *smtp.Server) { s.MaxMessageBytes = 100 })
	err := sendOne(t, loopbackSettings(srv.Port))
	if !IsPermanent(err) || !strings.Contains(err.Error(), "accepts at most") {
		t.Fatalf("too large: %v", err)
	}
	if len(srv.messages()) != 0 {
		t.Fatal("an oversized message was sent")
	}
}
