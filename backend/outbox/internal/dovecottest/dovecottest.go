// Package dovecottest runs a private Dovecot (IMAP, LMTP and optionally
// the submission service) for one test, from the scripts in testdata
// (copied from the project's shared test harness so the repository owns
// it). Users: test@example.com / test and alice / alice.
package dovecottest

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
)

// Server is a running Dovecot.
type Server struct {
	Dir            string
	IMAPPort       int
	LMTPPort       int
	SubmissionPort int // 0 unless Options.RelayPort was set
}

// Options choose the optional services.
type Options struct {
	// RelayPort, when non-zero, enables the submission service, relaying
	// every accepted message to 127.0.0.1:RelayPort over plain SMTP.
	RelayPort int
}

// Available reports whether Dovecot is installed. Tests call Skip when it
// is not, except in CI, where its absence is a failure.
func Available(t testing.TB) {
	t.Helper()
	if _, err := os.Stat("/usr/sbin/dovecot"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("dovecot is not installed (/usr/sbin/dovecot); CI must install dovecot-imapd, dovecot-lmtpd and dovecot-submissiond")
		}
		t.Skip("dovecot is not installed")
	}
}

// Start starts a Dovecot for the test and stops it when the test ends.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	Available(t)
	if opts.RelayPort != 0 {
		if _, err := os.Stat("/usr/lib/dovecot/submission"); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatal("dovecot-submissiond is not installed")
			}
			t.Skip("dovecot-submissiond is not installed")
		}
	}
	dir := t.TempDir()
	// When run as root, Dovecot's own processes run as dovecot and nobody,
	// who must be able to reach the directory: t.TempDir and its parent
	// are 0700.
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	s := &Server{Dir: dir, IMAPPort: FreePort(t), LMTPPort: FreePort(t)}
	cmd := exec.Command("sh", filepath.Join(scriptDir(), "start.sh"), dir, strconv.Itoa(s.IMAPPort), strconv.Itoa(s.LMTPPort))
	cmd.Env = os.Environ()
	if opts.RelayPort != 0 {
		s.SubmissionPort = FreePort(t)
		cmd.Env = append(cmd.Env, "SUBMISSION_PORT="+strconv.Itoa(s.SubmissionPort), "RELAY_PORT="+strconv.Itoa(opts.RelayPort))
	}
	// Dovecot daemonises and keeps the inherited stdout open: a pipe
	// would never reach EOF, so the output goes to a file.
	outPath := filepath.Join(dir, "start.out")
	outFile, err := os.Create(outPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = outFile, outFile
	err = cmd.Run()
	outFile.Close()
	if err != nil {
		out, _ := os.ReadFile(outPath)
		log, _ := os.ReadFile(filepath.Join(dir, "log", "dovecot.log"))
		t.Fatalf("start dovecot: %v\n%s\n%s", err, out, log)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("sh", filepath.Join(scriptDir(), "stop.sh"), dir).CombinedOutput(); err != nil {
			t.Logf("stop dovecot: %v\n%s", err, out)
		}
	})
	return s
}

// Log returns Dovecot's log so far, for failure messages.
func (s *Server) Log() string {
	b, _ := os.ReadFile(filepath.Join(s.Dir, "log", "dovecot.log"))
	return string(b)
}

// FreePort returns a loopback TCP port that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func scriptDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "testdata")
}
