package search_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"threadline/backend/search"
	"threadline/backend/search/internal/corpus"
	"threadline/backend/search/searchtest"
	"threadline/backend/store"
)

// The notmuch comparison: the same real messages indexed by us and by
// notmuch, the same questions asked of both. Every count is pinned in
// testdata/notmuch_compare.json; where the two disagree the fixture says
// why. The test fails when a count drifts from the fixture or when a
// difference has no explanation. THREADLINE_UPDATE_NOTMUCH=1 rewrites the
// counts (keeping the explanations) after a deliberate change.

const compareFixture = "testdata/notmuch_compare.json"

type compareFile struct {
	Corpus   string         `json:"corpus"`
	Messages int            `json:"messages"`
	Note     string         `json:"note"`
	Queries  []compareQuery `json:"queries"`
}

type compareQuery struct {
	Kind         string `json:"kind"`
	Query        string `json:"query"`
	NotmuchQuery string `json:"notmuch_query"`
	Ours         int    `json:"ours"`
	Notmuch      int    `json:"notmuch"`
	Explanation  string `json:"explanation,omitempty"`
}

// needTool skips when a peer tool is missing on a developer machine; in
// CI (CI=true) the tools are installed and a missing one is a failure.
func needTool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not installed (make test-deps installs it)", name)
		}
		t.Skipf("%s is not installed", name)
	}
	return p
}

func loadCorpus(t testing.TB) []corpus.Message {
	t.Helper()
	dir, err := corpus.Dir()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	msgs, err := corpus.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return msgs
}

// memTempDir is a temporary directory in memory (/dev/shm) when the
// machine has one: the comparison is about counts, and Xapian's and
// Bleve's fsyncs would only slow it down.
func memTempDir(t testing.TB) string {
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		if dir, err := os.MkdirTemp("/dev/shm", "threadline-search-"); err == nil {
			t.Cleanup(func() { os.RemoveAll(dir) })
			return dir
		}
	}
	return t.TempDir()
}

// uniqueID is the Message-ID a corpus message gets in the peers' copies:
// the corpus holds a few files with the same Message-ID, which notmuch and
// mu would merge into one message while we index every file.
func uniqueID(copyN int, m corpus.Message) string {
	return fmt.Sprintf("c%d.%s@corpus.test", copyN, m.Doc.ID)
}

// writeMaildir writes copies of the corpus as one Maildir folder per
// SpamAssassin group and returns the root and the bytes written.
func writeMaildir(t testing.TB, root string, msgs []corpus.Message, copies int) int64 {
	t.Helper()
	var total int64
	for c := 0; c < copies; c++ {
		for _, m := range msgs {
			dir := filepath.Join(root, m.Doc.Folder)
			if c == 0 {
				for _, sub := range []string{"cur", "new", "tmp"} {
					if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
						t.Fatal(err)
					}
				}
			}
			raw := corpus.WithMessageID(m.Raw, uniqueID(c, m))
			name := filepath.Join(dir, "cur", fmt.Sprintf("c%d.%s:2,S", c, m.Doc.ID))
			if err := os.WriteFile(name, raw, 0o644); err != nil {
				t.Fatal(err)
			}
			total += int64(len(raw))
		}
	}
	return total
}

type notmuch struct {
	bin string
	env []string
}

func newNotmuch(t testing.TB, mailRoot string) *notmuch {
	t.Helper()
	bin := needTool(t, "notmuch")
	cfg := filepath.Join(t.TempDir(), "notmuch-config")
	err := os.WriteFile(cfg, []byte("[database]\npath="+mailRoot+"\n[new]\ntags=\n[search]\nexclude_tags=\n[maildir]\nsynchronize_flags=false\n"), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	nm := &notmuch{bin: bin, env: append(os.Environ(), "NOTMUCH_CONFIG="+cfg, "TZ=UTC")}
	if out, err := nm.cmd("new", "--quiet").CombinedOutput(); err != nil {
		t.Fatalf("notmuch new: %v\n%s", err, out)
	}
	return nm
}

func (nm *notmuch) cmd(args ...string) *exec.Cmd {
	c := exec.Command(nm.bin, args...)
	c.Env = nm.env
	return c
}

func (nm *notmuch) count(t testing.TB, q string) int {
	t.Helper()
	out, err := nm.cmd("count", "--", q).Output()
	if err != nil {
		t.Fatalf("notmuch count %q: %v", q, err)
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil {
		t.Fatalf("notmuch count %q: %q", q, out)
	}
	return n
}

// indexCorpus indexes docs the way the app does: writes with change-log
// entries, then the indexer.
func indexCorpus(t testing.TB, dir string, docs []*search.MessageDoc) (*store.Store, *search.Index) {
	t.Helper()
	st, err := store.Open(dir, store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	idx, err := search.Open(filepath.Join(dir, "search"), st, search.Options{Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	idx.Register(search.KindMail, searchtest.Messages)
	if err := idx.Rebuild(context.Background()); err != nil {
		t.Fatal(err)
	}
	all := make([]search.Doc, len(docs))
	for i, d := range docs {
		all[i] = d
	}
	putDocs(t, st, all)
	if err := idx.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	return st, idx
}

func TestCountsAgainstNotmuch(t *testing.T) {
	needTool(t, "notmuch")
	start := time.Now()
	msgs := loadCorpus(t)
	t.Logf("corpus parsed in %v", time.Since(start))
	root := memTempDir(t)
	mailRoot := filepath.Join(root, "mail")
	writeMaildir(t, mailRoot, msgs, 1)
	start = time.Now()
	nm := newNotmuch(t, mailRoot)
	t.Logf("notmuch new in %v", time.Since(start))

	docs := make([]*search.MessageDoc, len(msgs))
	for i, m := range msgs {
		docs[i] = m.Doc
	}
	start = time.Now()
	st, idx := indexCorpus(t, filepath.Join(root, "data"), docs)
	t.Logf("indexed in %v", time.Since(start))
	defer st.Close()
	defer idx.Close()

	raw, err := os.ReadFile(compareFixture)
	if err != nil {
		t.Fatal(err)
	}
	var fx compareFile
	if err := json.Unmarshal(raw, &fx); err != nil {
		t.Fatalf("%s: %v", compareFixture, err)
	}
	if all := nm.count(t, "*"); all != len(msgs) || fx.Messages != len(msgs) {
		t.Fatalf("corpus: %d files, notmuch holds %d messages, fixture says %d", len(msgs), all, fx.Messages)
	}
	update := os.Getenv("THREADLINE_UPDATE_NOTMUCH") == "1"
	for i := range fx.Queries {
		q := &fx.Queries[i]
		res, err := idx.Search(context.Background(), search.Request{Query: q.Query, Limit: 1, Counts: true})
		if err != nil {
			t.Errorf("%s: %v", q.Query, err)
			continue
		}
		ours, theirs := res.Total, nm.count(t, q.NotmuchQuery)
		if update {
			if os.Getenv("THREADLINE_NOTMUCH_DIFF") == "1" && ours != theirs {
				printDiff(t, idx, nm, q)
			}
			q.Ours, q.Notmuch = ours, theirs
			t.Logf("%-45s ours %5d  notmuch %5d", q.Query, ours, theirs)
			continue
		}
		if os.Getenv("THREADLINE_NOTMUCH_DIFF") == "1" && ours != theirs {
			printDiff(t, idx, nm, q)
		}
		if ours != q.Ours || theirs != q.Notmuch {
			t.Errorf("%s: ours %d, notmuch %d; the fixture has %d and %d", q.Query, ours, theirs, q.Ours, q.Notmuch)
		}
		if ours != theirs && strings.TrimSpace(q.Explanation) == "" {
			t.Errorf("%s: ours %d, notmuch %d, and the fixture does not explain the difference", q.Query, ours, theirs)
		}
	}
	if update {
		out, _ := json.MarshalIndent(fx, "", "  ")
		if err := os.WriteFile(compareFixture, append(out, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// printDiff logs which messages only one side finds, for writing the
// fixture's explanations.
func printDiff(t *testing.T, idx *search.Index, nm *notmuch, q *compareQuery) {
	out, err := nm.cmd("search", "--output=files", "--", q.NotmuchQuery).Output()
	if err != nil {
		t.Fatal(err)
	}
	theirs := map[string]bool{}
	for _, f := range strings.Fields(string(out)) {
		b := filepath.Base(f)
		b = strings.TrimSuffix(b[strings.IndexByte(b, '.')+1:], ":2,S")
		theirs[filepath.Base(filepath.Dir(filepath.Dir(f)))+"/"+b] = true
	}
	ours := map[string]bool{}
	cur := ""
	for {
		res, err := idx.Search(context.Background(), search.Request{Query: q.Query, Limit: search.MaxLimit, Cursor: cur})
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range res.Hits {
			ours[h.Place+"/"+h.ID] = true
		}
		if cur = res.NextCursor; cur == "" {
			break
		}
	}
	var onlyOurs, onlyTheirs []string
	for k := range ours {
		if !theirs[k] {
			onlyOurs = append(onlyOurs, k)
		}
	}
	for k := range theirs {
		if !ours[k] {
			onlyTheirs = append(onlyTheirs, k)
		}
	}
	t.Logf("%s: only ours %v\n  only notmuch %v", q.Query, onlyOurs, onlyTheirs)
}

// putDocs stores docs in transactions of a few megabytes: Badger bounds
// the size of one transaction.
func putDocs(t testing.TB, st *store.Store, docs []search.Doc) {
	t.Helper()
	var batch []search.Doc
	size := 0
	flush := func() {
		if err := searchtest.Put(st, batch...); err != nil {
			t.Fatal(err)
		}
		batch, size = batch[:0], 0
	}
	for _, d := range docs {
		batch = append(batch, d)
		if m, ok := d.(*search.MessageDoc); ok {
			size += len(m.Body) + len(m.Subject) + 200
		}
		if size > 1<<20 || len(batch) >= 500 {
			flush()
		}
	}
	if len(batch) > 0 {
		flush()
	}
}
