package mail

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"syscall"
	"testing"
	"time"

	"threadline/backend/internal/corpus"
	"threadline/backend/internal/dovecottest"
)

var idInHeader = regexp.MustCompile(`(?im)^(message-id|references|in-reply-to):.*(?:\n[ \t].*)*`)
var angleID = regexp.MustCompile(`<([^<>\s]+)>`)

// scaledCorpus returns the corpus n times; copy k > 0 has every Message-ID
// (and reference to one) rewritten, so each copy is distinct mail with the
// same thread shapes.
func scaledCorpus(t testing.TB, n int) [][]byte {
	msgs := corpus.Load(t)
	out := make([][]byte, 0, len(msgs)*n)
	for k := 0; k < n; k++ {
		for _, m := range msgs {
			if k == 0 {
				out = append(out, m.Raw)
				continue
			}
			prefix := []byte("c" + strconv.Itoa(k) + ".")
			raw := idInHeader.ReplaceAllFunc(m.Raw, func(h []byte) []byte {
				return angleID.ReplaceAll(h, append(append([]byte("<"), prefix...), []byte("$1>")...))
			})
			raw = append([]byte(fmt.Sprintf("X-Bench-Copy: %d\n", k)), raw...)
			out = append(out, raw)
		}
	}
	return out
}

// BenchmarkFirstSync measures an end-to-end first sync of the corpus ×5
// (THREADLINE_BENCH_SCALE overrides) from a loopback Dovecot into the
// store, and, in the same run and over the same Maildir, `mu index` and
// `notmuch new`. Run it with -benchtime=1x: one iteration is minutes of
// work on a small machine.
func BenchmarkFirstSync(b *testing.B) {
	scale := 5
	if s, err := strconv.Atoi(os.Getenv("THREADLINE_BENCH_SCALE")); err == nil && s > 0 {
		scale = s
	}
	raws := scaledCorpus(b, scale)
	for b.Loop() {
		srv := dovecottest.Start(b)
		if err := srv.WriteMaildir("test@example.com", "INBOX", raws, nil, nil); err != nil {
			b.Fatal(err)
		}
		// Let Dovecot build its index first: that is the server's work,
		// not the client's.
		c := imapClient(b, srv, "test@example.com", "test")
		if _, err := c.Select("INBOX", nil).Wait(); err != nil {
			b.Fatal(err)
		}
		c.Close()

		dir := b.TempDir()
		e := openTestEnv(b, dir, srv)
		e.addAccount("test@example.com", "test", 0)
		start := time.Now()
		if err := e.svc.SyncAccount(context.Background(), e.acct.ID); err != nil {
			b.Fatal(err)
		}
		ours := time.Since(start)
		n := countRecords(b, e.st, "mloc")
		if n != len(raws) {
			b.Fatalf("synced %d of %d messages", n, len(raws))
		}
		rate := float64(n) / ours.Seconds()
		b.ReportMetric(rate, "threadline_msgs/s")
		b.Logf("threadline first sync: %d messages in %v = %.0f messages/s (store %s)", n, ours, rate, dirSize(filepath.Join(dir, "db")))

		if os.Getenv("THREADLINE_BENCH_ONLY") == "threadline" {
			continue
		}
		// mu and notmuch over a hard-linked copy of the same Maildir, so
		// their databases do not land inside Dovecot's.
		maildir := filepath.Join(b.TempDir(), "Maildir")
		if out, err := exec.Command("cp", "-al", srv.Maildir("test@example.com", "INBOX"), maildir).CombinedOutput(); err != nil {
			b.Fatalf("cp: %v %s", err, out)
		}
		if rate, err := timeMu(b, maildir, len(raws)); err != nil {
			b.Logf("mu: %v", err)
		} else {
			b.ReportMetric(rate, "mu_msgs/s")
			b.ReportMetric(float64(n)/ours.Seconds()/rate, "x_mu")
		}
		if rate, err := timeNotmuch(b, maildir, len(raws)); err != nil {
			b.Logf("notmuch: %v", err)
		} else {
			b.ReportMetric(rate, "notmuch_msgs/s")
		}
	}
}

func timeMu(b *testing.B, maildir string, n int) (float64, error) {
	if _, err := exec.LookPath("mu"); err != nil {
		return 0, err
	}
	home := filepath.Join(b.TempDir(), "mu")
	if out, err := exec.Command("mu", "init", "--muhome="+home, "--maildir="+maildir).CombinedOutput(); err != nil {
		return 0, fmt.Errorf("mu init: %v %s", err, out)
	}
	start := time.Now()
	if out, err := exec.Command("mu", "index", "--quiet", "--muhome="+home).CombinedOutput(); err != nil {
		return 0, fmt.Errorf("mu index: %v %s", err, out)
	}
	d := time.Since(start)
	b.Logf("mu index: %d messages in %v = %.0f messages/s", n, d, float64(n)/d.Seconds())
	return float64(n) / d.Seconds(), nil
}

func timeNotmuch(b *testing.B, maildir string, n int) (float64, error) {
	if _, err := exec.LookPath("notmuch"); err != nil {
		return 0, err
	}
	cfg := filepath.Join(b.TempDir(), "notmuch-config")
	conf := fmt.Sprintf("[database]\npath=%s\n[new]\ntags=\nignore=dovecot-uidlist;dovecot-uidvalidity;dovecot.index;dovecot.index.log;dovecot.index.cache;dovecot-keywords;subscriptions\n[user]\nprimary_email=test@example.com\n[maildir]\nsynchronize_flags=false\n", maildir)
	if err := os.WriteFile(cfg, []byte(conf), 0o644); err != nil {
		return 0, err
	}
	cmd := exec.Command("notmuch", "new", "--quiet")
	cmd.Env = append(os.Environ(), "NOTMUCH_CONFIG="+cfg)
	start := time.Now()
	if out, err := cmd.CombinedOutput(); err != nil && !bytes.Contains(out, []byte("Ignoring")) {
		return 0, fmt.Errorf("notmuch new: %v %s", err, out)
	}
	d := time.Since(start)
	b.Logf("notmuch new: %d messages in %v = %.0f messages/s", n, d, float64(n)/d.Seconds())
	return float64(n) / d.Seconds(), nil
}

func dirSize(dir string) string {
	var total int64
	_ = filepath.Walk(dir, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			// Allocated blocks, not the apparent size: Badger's value log
			// is a sparse preallocated file.
			if st, ok := fi.Sys().(*syscall.Stat_t); ok {
				total += st.Blocks * 512
			} else {
				total += fi.Size()
			}
		}
		return nil
	})
	return fmt.Sprintf("%.0f MiB", float64(total)/(1<<20))
}
