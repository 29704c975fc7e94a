package cli

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"threadline/backend/internal/dovecottest"
	"threadline/backend/mail"
	"threadline/backend/store"
)

func run(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var out bytes.Buffer
	code := Main(args, Env{Stdout: &out, Stderr: &out})
	return code, out.String()
}

func TestSyncAndVerifyCommands(t *testing.T) {
	srv := dovecottest.Start(t)
	t.Setenv(mail.EnvSecrets, "file")
	msg := "From: a@example.org\r\nTo: test@example.com\r\nSubject: hi\r\nMessage-ID: <one@example.org>\r\n\r\nhello\r\n"
	if err := srv.WriteMaildir("test@example.com", "INBOX", [][]byte{[]byte(msg)}, nil, nil); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	st, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	svc := mail.NewService(mail.Options{Store: st})
	host, portStr, _ := net.SplitHostPort(srv.IMAPAddr)
	port, _ := strconv.Atoi(portStr)
	pw, days := "test", 0
	if _, err := svc.CreateAccount(mail.AccountInput{Account: mail.Account{Email: "test@example.com", IMAP: mail.Server{Host: host, Port: port, Security: mail.SecurityNone}}, Password: &pw, SyncDays: &days}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	if fi, err := os.Stat(filepath.Join(dir, mail.InsecureSecretsFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("secrets file: %v %v", fi, err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "db", "000001.vlog")); bytes.Contains(b, []byte(`"test"`)) && bytes.Contains(b, []byte("password")) {
		t.Errorf("the password reached the store")
	}

	if code, out := run(t, "sync", "--data", dir, "--account", "test@example.com"); code != 0 {
		t.Fatalf("sync: %d %s", code, out)
	}
	code, out := run(t, "sync", "--data", dir, "--verify")
	if code != 0 || !strings.Contains(out, "missing 0, extra 0") || !strings.Contains(out, "store and server agree") {
		t.Fatalf("verify after sync: %d %s", code, out)
	}
	if err := srv.Deliver("b@example.org", "test@example.com", []byte(strings.ReplaceAll(msg, "one@", "two@"))); err != nil {
		t.Fatal(err)
	}
	code, out = run(t, "sync", "--data", dir, "--verify")
	if code != 1 || !strings.Contains(out, "missing UID 2 <two@example.org>") {
		t.Fatalf("verify with a new message on the server: %d %s", code, out)
	}
	if code, out := run(t, "sync", "--data", dir, "--account", "nobody@example.com"); code != 2 {
		t.Errorf("unknown account: %d %s", code, out)
	}

	mbox := filepath.Join(t.TempDir(), "takeout.mbox")
	content := "From 1234@xxx Mon Jan  2 10:00:00 +0000 2023\nX-Gmail-Labels: Inbox,Important\nFrom: c@example.org\nSubject: one\nMessage-ID: <m1@example.org>\n\nline\n>From the start\n\n" +
		"From 5678@xxx Mon Jan  2 11:00:00 +0000 2023\nFrom: d@example.org\nSubject: two\nMessage-ID: <m2@example.org>\n\nbody two\n"
	if err := os.WriteFile(mbox, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out = run(t, "import", "--data", dir, mbox)
	if code != 0 || !strings.Contains(out, "2 messages, 2 added") {
		t.Fatalf("import: %d %s", code, out)
	}
	code, out = run(t, "import", "--data", dir, mbox)
	if code != 0 || !strings.Contains(out, "0 added, 2 already stored") {
		t.Fatalf("second import: %d %s", code, out)
	}
	st, err = store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	err = st.View(func(txn *store.Txn) error {
		raw, err := mail.RawMessage(txn, mail.MessageKey("m1@example.org", nil))
		if err != nil {
			return err
		}
		if !bytes.Contains(raw, []byte("\nFrom the start")) || bytes.HasPrefix(raw, []byte("From ")) {
			t.Errorf("mbox quoting not undone: %q", raw)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
