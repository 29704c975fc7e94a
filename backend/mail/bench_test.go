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
	"threadline/backend/search"
	"threadline/backend/store"
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
func BenchmarkFirstSync(b *testing.B) { benchFirstSync(b, false) }

// BenchmarkFirstSyncIndexed is BenchmarkFirstSync with the search indexer
// running beside the sync, as in the app: threadline_msgs/s is the sync
// alone, searchable_msgs/s counts until the index has caught up too.
func BenchmarkFirstSyncIndexed(b *testing.B) { benchFirstSync(b, true) }

func benchFirstSync(b *testing.B, indexed bool) {
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
		var idx *search.Index
		if indexed {
			var err error
			if idx, err = search.Open(filepath.Join(dir, "search"), e.st, search.Options{}); err != nil {
				b.Fatal(err)
			}
			idx.Register(search.KindMail, SearchLoader{})
			idx.Start()
		}
		start := time.Now()
		if err := e.svc.SyncAccount(context.Background(), e.acct.ID); err != nil {
			b.Fatal(err)
		}
		ours := time.Since(start)
		if idx != nil {
			// Fewer records than files: the corpus repeats some Message-IDs.
			records := countRecords(b, e.st, "msg")
			for deadline := time.Now().Add(10 * time.Minute); ; {
				st := idx.Status()
				if st.Pending == 0 && st.Docs == int64(records) {
					break
				}
				if time.Now().After(deadline) {
					b.Fatalf("index did not catch up: %+v, %d messages stored", st, records)
				}
				time.Sleep(10 * time.Millisecond)
			}
			all := time.Since(start)
			b.ReportMetric(float64(len(raws))/all.Seconds(), "searchable_msgs/s")
			b.Logf("searchable after %v", all)
			if err := idx.Close(); err != nil {
				b.Fatal(err)
			}
		}
		n := countRecords(b, e.st, "mloc")
		if n != len(raws) {
			b.Fatalf("synced %d of %d messages", n, len(raws))
		}
		rate := float64(n) / ours.Seconds()
		b.ReportMetric(rate, "threadline_msgs/s")
		b.Logf("threadline first sync: %d messages in %v = %.0f messages/s (store %s)", n, ours, rate, dirSize(filepath.Join(dir, "db")))

		if indexed || os.Getenv("THREADLINE_BENCH_ONLY") == "threadline" {
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

// BenchmarkImportCorpus measures storing the corpus (×THREADLINE_BENCH_SCALE,
// default 1) from a Maildir into a fresh store: parsing, threading and the
// store transactions, including the search change-log key each message
// write records, with no network in the way. It reports messages per wall
// second and per CPU second, which stays meaningful on a busy machine.
func BenchmarkImportCorpus(b *testing.B) {
	scale := 1
	if s, err := strconv.Atoi(os.Getenv("THREADLINE_BENCH_SCALE")); err == nil && s > 0 {
		scale = s
	}
	raws := scaledCorpus(b, scale)
	maildir := filepath.Join(b.TempDir(), "Maildir")
	if err := os.MkdirAll(filepath.Join(maildir, "cur"), 0o755); err != nil {
		b.Fatal(err)
	}
	for i, raw := range raws {
		if err := os.WriteFile(filepath.Join(maildir, "cur", fmt.Sprintf("%d.bench:2,S", i)), raw, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	var wall, cpu time.Duration
	n := 0
	for b.Loop() {
		b.StopTimer()
		st, err := store.Open(b.TempDir(), store.Options{})
		if err != nil {
			b.Fatal(err)
		}
		svc := NewService(Options{Store: st, Secrets: NewFileSecrets(filepath.Join(b.TempDir(), "s"))})
		b.StartTimer()
		start, cpu0 := time.Now(), cpuTime()
		p, err := svc.Import(context.Background(), maildir, nil)
		if err != nil || p.Added != len(raws) {
			b.Fatalf("import: %+v %v", p, err)
		}
		wall += time.Since(start)
		cpu += cpuTime() - cpu0
		n += len(raws)
		b.StopTimer()
		st.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(n)/wall.Seconds(), "msgs/s")
	b.ReportMetric(float64(n)/cpu.Seconds(), "msgs/cpu-s")
}

// cpuTime is the CPU time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkSearchLoader measures turning stored messages into search
// documents, the mail side of an index rebuild, apart from Bleve.
func BenchmarkSearchLoader(b *testing.B) {
	msgs := corpus.Load(b)
	mbox := filepath.Join(b.TempDir(), "corpus.mbox")
	var buf bytes.Buffer
	for _, m := range msgs {
		buf.WriteString("From bench Thu Jan  1 00:00:00 2002\n")
		buf.Write(bytes.ReplaceAll(m.Raw, []byte("\nFrom "), []byte("\n>From ")))
		buf.WriteString("\n\n")
	}
	if err := os.WriteFile(mbox, buf.Bytes(), 0o644); err != nil {
		b.Fatal(err)
	}
	st, err := store.Open(b.TempDir(), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	svc := NewService(Options{Store: st, Secrets: NewFileSecrets(filepath.Join(b.TempDir(), "s"))})
	if _, err := svc.Import(context.Background(), mbox, nil); err != nil {
		b.Fatal(err)
	}
	n := 0
	for b.Loop() {
		err := st.View(func(txn *store.Txn) error {
			var ids []string
			flush := func() error {
				docs, err := SearchLoader{}.Load(txn, ids)
				n += len(docs)
				ids = ids[:0]
				return err
			}
			if err := (SearchLoader{}).IDs(txn, func(id string) error {
				if ids = append(ids, id); len(ids) == search.DefaultBatchSize {
					return flush()
				}
				return nil
			}); err != nil {
				return err
			}
			return flush()
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "docs/s")
}
