// Package dovecottest starts a private Dovecot for tests: IMAP and LMTP on
// loopback ports, users test@example.com/test and alice/alice, Maildir
// storage in a temporary directory. It needs the Debian packages
// dovecot-imapd and dovecot-lmtpd; start.sh and stop.sh do the same from a
// shell.
package dovecottest

import (
	"bufio"
	_ "embed"
	"fmt"
	"net"
	"net/textproto"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"

	"syscall"
	"testing"
	"time"
)

//go:embed dovecot.conf.tmpl
var confTemplate string

const binary = "/usr/sbin/dovecot"

// Server is a running Dovecot.
type Server struct {
	Dir      string
	IMAPAddr string
	LMTPAddr string
	// SubmissionAddr is the SMTP submission service (RFC 6409), set by
	// StartSubmission only.
	SubmissionAddr string
	pid            int
	uid, gid       int
}

// Require skips the test when Dovecot is not installed, except in CI
// (CI=true), where a missing Dovecot is a failure.
func Require(t testing.TB) {
	t.Helper()
	if _, err := os.Stat(binary); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("dovecot is required in CI: %v", err)
		}
		t.Skipf("dovecot is not installed (%v); install dovecot-imapd dovecot-lmtpd", err)
	}
}

// Start runs a Dovecot that is stopped when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	Require(t)
	s, err := StartIn(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s
}

// StartSubmission is Start with Dovecot's submission service enabled
// (package dovecot-submissiond): it authenticates the test users and
// relays every accepted message to 127.0.0.1:relayPort over plain SMTP.
func StartSubmission(t testing.TB, relayPort int) *Server {
	t.Helper()
	Require(t)
	const submission = "/usr/lib/dovecot/submission"
	if _, err := os.Stat(submission); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("dovecot-submissiond is required in CI: %v", err)
		}
		t.Skipf("dovecot-submissiond is not installed (%v)", err)
	}
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	conf := fmt.Sprintf(`protocols = $protocols submission
hostname = localhost
submission_relay_host = 127.0.0.1
submission_relay_port = %d
submission_relay_trusted = yes
submission_relay_ssl = no
service submission-login {
  chroot =
  inet_listener submission {
    address = 127.0.0.1
    port = %d
  }
}
`, relayPort, port)
	if err := os.WriteFile(filepath.Join(dir, "submission.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := StartIn(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	s.SubmissionAddr = fmt.Sprintf("127.0.0.1:%d", port)
	deadline := time.Now().Add(10 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", s.SubmissionAddr, time.Second)
		if err == nil {
			conn.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("dovecot submission did not come up: %v\n%s", err, s.Log())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return s
}

// Log returns Dovecot's log so far, for failure messages.
func (s *Server) Log() string {
	b, _ := os.ReadFile(filepath.Join(s.Dir, "log", "dovecot.log"))
	return string(b)
}

// StartIn runs a Dovecot in dir (which must be empty or a previous run's).
func StartIn(dir string) (*Server, error) {
	for _, sub := range []string{"run", "state", "log", "mail"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return nil, err
		}
	}
	s := &Server{Dir: dir}
	login, internal, internalGroup := "", "", ""
	if os.Geteuid() == 0 {
		// Dovecot refuses root for login and mail processes; mail runs as
		// nobody, which must be able to walk down to dir.
		nobody, err := user.Lookup("nobody")
		if err != nil {
			return nil, err
		}
		s.uid, _ = strconv.Atoi(nobody.Uid)
		s.gid, _ = strconv.Atoi(nobody.Gid)
		login, internal, internalGroup = "dovenull", "dovecot", "dovecot"
		for d := dir; d != "/" && d != "."; d = filepath.Dir(d) {
			if fi, err := os.Stat(d); err == nil && fi.Mode().Perm()&0o005 != 0o005 {
				_ = os.Chmod(d, fi.Mode().Perm()|0o755)
			}
		}
		if err := os.Chown(filepath.Join(dir, "mail"), s.uid, s.gid); err != nil {
			return nil, err
		}
	} else {
		u, err := user.Current()
		if err != nil {
			return nil, err
		}
		g, err := user.LookupGroupId(u.Gid)
		if err != nil {
			return nil, err
		}
		s.uid, _ = strconv.Atoi(u.Uid)
		s.gid, _ = strconv.Atoi(u.Gid)
		login, internal, internalGroup = u.Username, u.Username, g.Name
	}
	imapPort, lmtpPort, err := freePorts()
	if err != nil {
		return nil, err
	}
	conf := strings.NewReplacer(
		"@DIR@", dir, "@PORT@", strconv.Itoa(imapPort), "@LMTP_PORT@", strconv.Itoa(lmtpPort),
		"@LOGIN_USER@", login, "@INTERNAL_USER@", internal, "@INTERNAL_GROUP@", internalGroup,
		"@UID@", strconv.Itoa(s.uid), "@GID@", strconv.Itoa(s.gid),
	).Replace(confTemplate)
	confPath := filepath.Join(dir, "dovecot.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		return nil, err
	}
	users := "test@example.com:{PLAIN}test::::::\nalice:{PLAIN}alice::::::\n"
	if err := os.WriteFile(filepath.Join(dir, "users"), []byte(users), 0o644); err != nil {
		return nil, err
	}
	// The daemonized master inherits stdout and stderr: give it a file, not
	// a pipe that would never reach EOF.
	startLog, err := os.Create(filepath.Join(dir, "log", "start.log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(binary, "-c", confPath)
	cmd.Stdout, cmd.Stderr = startLog, startLog
	err = cmd.Run()
	startLog.Close()
	if err != nil {
		out, _ := os.ReadFile(startLog.Name())
		return nil, fmt.Errorf("start dovecot: %v: %s", err, out)
	}
	s.IMAPAddr = fmt.Sprintf("127.0.0.1:%d", imapPort)
	s.LMTPAddr = fmt.Sprintf("127.0.0.1:%d", lmtpPort)
	deadline := time.Now().Add(10 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", s.IMAPAddr, time.Second)
		if err == nil {
			_ = conn.SetDeadline(time.Now().Add(2 * time.Second))
			line, _ := bufio.NewReader(conn).ReadString('\n')
			conn.Close()
			if strings.HasPrefix(line, "* OK") {
				break
			}
		}
		if time.Now().After(deadline) {
			logb, _ := os.ReadFile(filepath.Join(dir, "log", "dovecot.log"))
			return nil, fmt.Errorf("dovecot did not come up: %s", logb)
		}
		time.Sleep(20 * time.Millisecond)
	}
	pidb, err := os.ReadFile(filepath.Join(dir, "run", "master.pid"))
	if err != nil {
		return nil, err
	}
	s.pid, _ = strconv.Atoi(strings.TrimSpace(string(pidb)))
	return s, nil
}

func freePorts() (int, int, error) {
	var ports []int
	for len(ports) < 2 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, 0, err
		}
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
		defer ln.Close()
	}
	return ports[0], ports[1], nil
}

// Stop terminates this Dovecot (only the master whose pid it started).
func (s *Server) Stop() {
	if s.pid == 0 {
		return
	}
	_ = syscall.Kill(s.pid, syscall.SIGTERM)
	for i := 0; i < 200; i++ {
		if !alive(s.pid) {
			break
		}
		time.Sleep(25 * time.Millisecond)
	}
	s.pid = 0
}

func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	fields := strings.Fields(string(b))
	return len(fields) > 2 && fields[2] != "Z"
}

// Maildir is the on-disk Maildir of a user ("test@example.com" → mail/test)
// and mailbox ("INBOX" or a folder name).
func (s *Server) Maildir(userName, mailbox string) string {
	local, _, _ := strings.Cut(userName, "@")
	root := filepath.Join(s.Dir, "mail", local, "Maildir")
	if strings.EqualFold(mailbox, "INBOX") {
		return root
	}
	return filepath.Join(root, "."+strings.ReplaceAll(mailbox, "/", "."))
}

// WriteMaildir drops messages straight into a mailbox's Maildir (much
// faster than APPEND for thousands). mtime becomes the internal date; nil
// flags mean unread. Dovecot assigns UIDs on the next SELECT.
func (s *Server) WriteMaildir(userName, mailbox string, msgs [][]byte, dates []time.Time, flags []string) error {
	dir := s.Maildir(userName, mailbox)
	for _, sub := range []string{"cur", "new", "tmp"} {
		if err := s.mkdirOwned(filepath.Join(dir, sub)); err != nil {
			return err
		}
	}
	host, _ := os.Hostname()
	now := time.Now().UnixNano()
	for i, m := range msgs {
		fl := ""
		if flags != nil {
			fl = flags[i]
		}
		name := fmt.Sprintf("%d.M%dP%d_%d.%s,S=%d:2,%s", now/1e9, now%1e9, os.Getpid(), i, host, len(m), fl)
		p := filepath.Join(dir, "cur", name)
		if err := os.WriteFile(p, m, 0o644); err != nil {
			return err
		}
		if err := os.Chown(p, s.uid, s.gid); err != nil {
			return err
		}
		if dates != nil && !dates[i].IsZero() {
			_ = os.Chtimes(p, dates[i], dates[i])
		}
	}
	return nil
}

func (s *Server) mkdirOwned(dir string) error {
	var missing []string
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(d); err == nil {
			break
		}
		missing = append(missing, d)
	}
	for i := len(missing) - 1; i >= 0; i-- {
		if err := os.Mkdir(missing[i], 0o755); err != nil && !os.IsExist(err) {
			return err
		}
		if err := os.Chown(missing[i], s.uid, s.gid); err != nil {
			return err
		}
	}
	return nil
}

// Deliver hands a message to Dovecot over LMTP, as a mail server would.
func (s *Server) Deliver(from, to string, msg []byte) error {
	conn, err := net.DialTimeout("tcp", s.LMTPAddr, 5*time.Second)
	if err != nil {
		return err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	tc := textproto.NewConn(conn)
	if _, _, err := tc.ReadResponse(220); err != nil {
		return fmt.Errorf("lmtp greeting: %w", err)
	}
	steps := []struct {
		cmd  string
		code int
	}{{"LHLO localhost", 250}, {"MAIL FROM:<" + from + ">", 250}, {"RCPT TO:<" + to + ">", 250}, {"DATA", 354}}
	for _, st := range steps {
		id, err := tc.Cmd("%s", st.cmd)
		if err != nil {
			return err
		}
		tc.StartResponse(id)
		_, _, err = tc.ReadResponse(st.code)
		tc.EndResponse(id)
		if err != nil {
			return fmt.Errorf("lmtp %s: %w", st.cmd, err)
		}
	}
	w := tc.DotWriter()
	if _, err := w.Write(msg); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	if _, _, err := tc.ReadResponse(250); err != nil {
		return fmt.Errorf("lmtp delivery: %w", err)
	}
	_, _ = tc.Cmd("QUIT")
	return nil
}

// Doveadm runs doveadm against this instance.
func (s *Server) Doveadm(args ...string) ([]byte, error) {
	full := append([]string{"-c", filepath.Join(s.Dir, "dovecot.conf")}, args...)
	return exec.Command("/usr/bin/doveadm", full...).CombinedOutput()
}
