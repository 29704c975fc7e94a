package cli_test

import (
	"bufio"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// These tests drive the built binary, as a user or a script would.

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

func threadlineBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "threadline-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "threadline")
		out, err := exec.Command("go", "build", "-o", binPath, "../..").CombinedOutput()
		if err != nil {
			buildErr = &buildFailure{string(out)}
		}
	})
	if buildErr != nil {
		t.Fatalf("build threadline: %v", buildErr)
	}
	return binPath
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

type buildFailure struct{ out string }

func (b *buildFailure) Error() string { return b.out }

// served is a running `threadline serve`.
type served struct {
	cmd    *exec.Cmd
	base   string
	open   string
	token  string
	stderr *strings.Builder
	mu     *sync.Mutex
}

func startServe(t *testing.T, dataDir string) *served {
	t.Helper()
	cmd := exec.Command(threadlineBinary(t), "serve", "--addr", "127.0.0.1:0", "--data", dataDir)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	s := &served{cmd: cmd, stderr: &strings.Builder{}, mu: &sync.Mutex{}}
	// A Writer rather than StderrPipe: Wait then returns only after all of
	// stderr has been copied, so the last log lines are never missed.
	cmd.Stderr = lockedWriter{s.mu, s.stderr}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	sc := bufio.NewScanner(stdout)
	deadline := time.AfterFunc(20*time.Second, func() { cmd.Process.Kill() })
	defer deadline.Stop()
	for sc.Scan() {
		line := sc.Text()
		if v, ok := strings.CutPrefix(line, "Open: "); ok {
			s.open = v
		}
		if v, ok := strings.CutPrefix(line, "API token: "); ok {
			s.token = v
			break
		}
	}
	if s.open == "" || s.token == "" {
		t.Fatalf("serve did not print its URL and token")
	}
	s.base = s.open[:strings.Index(s.open, "/login")]
	go io.Copy(io.Discard, stdout)
	return s
}

func (s *served) get(t *testing.T, path string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", s.base+path, nil)
	req.Header.Set("Authorization", "Bearer "+s.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestServeAnswersAndShutsDownCleanly(t *testing.T) {
	s := startServe(t, t.TempDir())
	if code, body := s.get(t, "/api/health"); code != 200 || !strings.Contains(body, `"ok"`) {
		t.Fatalf("health: %d %s", code, body)
	}
	if code, body := s.get(t, "/api/version"); code != 200 || !strings.Contains(body, `"schema":1`) {
		t.Fatalf("version: %d %s", code, body)
	}
	if !strings.HasPrefix(s.base, "http://127.0.0.1:") {
		t.Fatalf("serve listens on %s; want loopback", s.base)
	}
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not exit within 10 s of SIGTERM")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !strings.Contains(s.stderr.String(), "store closed cleanly") {
		t.Fatalf("no clean store close in the log:\n%s", s.stderr)
	}
}

func TestSecondInstanceFailsFast(t *testing.T) {
	dir := t.TempDir()
	startServe(t, dir)
	start := time.Now()
	out, err := exec.Command(threadlineBinary(t), "serve", "--data", dir).CombinedOutput()
	if err == nil {
		t.Fatal("second instance started")
	}
	want := "Threadline is already running with " + dir
	if !strings.Contains(string(out), want) {
		t.Fatalf("second instance said %q; want %q", out, want)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatalf("second instance took %v to fail", time.Since(start))
	}
}

func TestDataDirFromEnvironment(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(threadlineBinary(t), "serve")
	cmd.Env = append(os.Environ(), "THREADLINE_DATA="+dir)
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	line, _ := bufio.NewReader(stdout).ReadString('\n')
	if !strings.Contains(line, "(data: "+dir+")") {
		t.Fatalf("serve said %q; want data dir %s", line, dir)
	}
	if _, err := os.Stat(filepath.Join(dir, "threadline.lock")); err != nil {
		t.Fatalf("no store in %s: %v", dir, err)
	}
}

func TestVersionAndUsage(t *testing.T) {
	out, err := exec.Command(threadlineBinary(t), "version").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "threadline ") {
		t.Fatalf("version: %q %v", out, err)
	}
	cmd := exec.Command(threadlineBinary(t), "frobnicate")
	out, _ = cmd.CombinedOutput()
	if cmd.ProcessState.ExitCode() != 2 || !strings.Contains(string(out), `unknown command "frobnicate"`) {
		t.Fatalf("unknown command: exit %d %q", cmd.ProcessState.ExitCode(), out)
	}
	cmd = exec.Command(threadlineBinary(t), "serve", "--addr", "0.0.0.0:0", "--data", t.TempDir())
	out, _ = cmd.CombinedOutput()
	if cmd.ProcessState.ExitCode() != 2 || !strings.Contains(string(out), "loopback only") {
		t.Fatalf("non-loopback addr: exit %d %q", cmd.ProcessState.ExitCode(), out)
	}
}

func TestDesktopWithoutDisplaySaysSo(t *testing.T) {
	cmd := exec.Command(threadlineBinary(t), "--data", t.TempDir())
	cmd.Env = append(os.Environ(), "DISPLAY=", "WAYLAND_DISPLAY=")
	out, _ := cmd.CombinedOutput()
	if cmd.ProcessState.ExitCode() == 0 || !strings.Contains(string(out), "threadline serve") {
		t.Fatalf("desktop start in a test build: exit %d %q; want an error pointing to serve", cmd.ProcessState.ExitCode(), out)
	}
}
