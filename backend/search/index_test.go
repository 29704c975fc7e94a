package search_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"threadline/backend/events"
	"threadline/backend/search"
	"threadline/backend/search/searchtest"
	"threadline/backend/store"
)

var day = func(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s+"T10:00:00Z")
	if err != nil {
		panic(err)
	}
	return t
}

func fixtureDocs() []search.Doc {
	return []search.Doc{
		&search.MessageDoc{ID: "m1", ThreadID: "t1", Account: "work", Folder: "INBOX",
			Subject: "Quarterly report for Müller GmbH",
			Body:    "Hi Bob,\n\nattached is the quarterly report. Revenue is up <b>12%</b> & costs are down.\n\nAlice",
			From:    []search.Address{{Name: "Alice Smith", Addr: "alice@example.com"}},
			To:      []search.Address{{Name: "Bob", Addr: "bob@corp.test"}},
			Date:    day("2024-02-10"), AttachmentNames: []string{"Q4-report.pdf"}, HasAttachment: true, Unread: true},
		&search.MessageDoc{ID: "m2", ThreadID: "t1", Account: "work", Folder: "INBOX",
			Subject: "Re: Quarterly report for Müller GmbH",
			Body:    "Thanks Alice, the numbers look good. Let's meet on Friday. Slides: lists.sourceforge.net/deck",
			From:    []search.Address{{Name: "Bob", Addr: "bob@corp.test"}},
			To:      []search.Address{{Addr: "alice@example.com"}},
			Cc:      []search.Address{{Name: "Carol", Addr: "carol@mail.example.com"}},
			Date:    day("2024-02-12")},
		&search.MessageDoc{ID: "m3", ThreadID: "t3", Account: "work", Folder: "Archive",
			Subject: "Newsletter: café news",
			Body:    "Our café has new opening hours. Unsubscribe here.",
			From:    []search.Address{{Name: "Cafe Team", Addr: "news@cafe.example.org"}},
			To:      []search.Address{{Addr: "bob@corp.test"}},
			Date:    day("2023-12-01")},
		&search.LeadDoc{ID: "l1", Name: "Hans Müller", Email: "hans@mueller.de", Company: "Müller GmbH",
			Notes: []string{"Met at the trade fair; wants a quarterly report demo."}, Tags: []string{"VIP", "fair-2024"},
			Stage: "s2", StageName: "Proposal", Pipeline: "p1", PipelineName: "New business", UpdatedAt: day("2024-02-11")},
		&search.LeadDoc{ID: "l2", Name: "Zoë Lambert", Email: "zoe@lambert.fr", Company: "Lambert SA",
			Notes: []string{"Cold lead."}, Tags: []string{"cold"},
			Stage: "s1", StageName: "Contacted", Pipeline: "p1", PipelineName: "New business", UpdatedAt: day("2024-01-05")},
	}
}

type env struct {
	st  *store.Store
	idx *search.Index
	dir string
}

func newEnv(t *testing.T, opts search.Options) *env {
	t.Helper()
	dir := t.TempDir()
	st, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{st: st, dir: dir}
	e.open(t, opts)
	// What Start does first on a new index.
	if err := e.idx.Rebuild(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if e.idx != nil {
			e.idx.Close()
		}
		st.Close()
	})
	return e
}

func (e *env) open(t *testing.T, opts search.Options) {
	t.Helper()
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	idx, err := search.Open(filepath.Join(e.dir, "search"), e.st, opts)
	if err != nil {
		t.Fatal(err)
	}
	idx.Register(search.KindMail, searchtest.Messages)
	idx.Register(search.KindLead, searchtest.Leads)
	e.idx = idx
}

func (e *env) sync(t *testing.T) {
	t.Helper()
	if err := e.idx.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func (e *env) search(t *testing.T, r search.Request) *search.Result {
	t.Helper()
	if r.Now.IsZero() {
		r.Now = day("2024-03-01")
	}
	res, err := e.idx.Search(context.Background(), r)
	if err != nil {
		t.Fatalf("Search(%q): %v", r.Query, err)
	}
	return res
}

// pages follows r's cursors to the end: the hits' kind:id and scores, and
// the first page.
func (e *env) pages(t *testing.T, r search.Request) (ids []string, scores []float64, first *search.Result) {
	t.Helper()
	for range 1000 {
		res := e.search(t, r)
		if first == nil {
			first = res
		}
		for _, h := range res.Hits {
			ids = append(ids, string(h.Kind)+":"+h.ID)
			scores = append(scores, h.Score)
		}
		if res.NextCursor == "" {
			return ids, scores, first
		}
		r.Cursor = res.NextCursor
	}
	t.Fatalf("%q: the cursors do not end", r.Query)
	return nil, nil, nil
}

func ids(res *search.Result) []string {
	var out []string
	for _, h := range res.Hits {
		out = append(out, string(h.Kind)+":"+h.ID)
	}
	slices.Sort(out)
	return out
}

func TestSearchQueries(t *testing.T) {
	e := newEnv(t, search.Options{})
	if err := searchtest.Put(e.st, fixtureDocs()...); err != nil {
		t.Fatal(err)
	}
	e.sync(t)
	cases := []struct {
		q    string
		want []string
	}{
		{`quarterly`, []string{"lead:l1", "mail:m1", "mail:m2"}},
		{`QUARTERLY Report`, []string{"lead:l1", "mail:m1", "mail:m2"}},
		{`"quarterly report"`, []string{"lead:l1", "mail:m1", "mail:m2"}},
		{`"report quarterly"`, nil},
		{`muller`, []string{"lead:l1", "mail:m1", "mail:m2"}}, // accents folded
		{`Müller`, []string{"lead:l1", "mail:m1", "mail:m2"}},
		{`cafe`, []string{"mail:m3"}},
		{`zoe`, []string{"lead:l2"}},
		{`from:alice`, []string{"mail:m1"}},
		{`from:"alice smith"`, []string{"mail:m1"}},
		{`from:Alice@Example.com`, []string{"mail:m1"}},
		{`from:example.com`, []string{"mail:m1"}},
		{`from:@example.org`, []string{"mail:m3"}}, // subdomains match too
		{`from:cafe.example.org`, []string{"mail:m3"}},
		{`to:alice`, []string{"mail:m2"}},
		{`to:carol`, []string{"mail:m2"}},            // Cc counts as a recipient
		{`to:mail.example.com`, []string{"mail:m2"}}, // subdomain phrase
		{`subject:newsletter`, []string{"mail:m3"}},
		{`subject:"quarterly report" -subject:re`, []string{"mail:m1"}},
		{`has:attachment`, []string{"mail:m1"}},
		{`q4`, []string{"mail:m1"}}, // attachment names are text
		{`is:unread`, []string{"mail:m1"}},
		{`is:read`, []string{"mail:m2", "mail:m3"}},
		{`in:inbox`, []string{"mail:m1", "mail:m2"}},
		{`in:archive cafe`, []string{"mail:m3"}},
		{`tag:vip`, []string{"lead:l1"}},
		{`tag:fair-2024`, []string{"lead:l1"}},
		{`stage:proposal`, []string{"lead:l1"}},
		{`stage:s1`, []string{"lead:l2"}},
		{`pipeline:"new business"`, []string{"lead:l1", "lead:l2"}},
		{`after:2024-02-11`, []string{"lead:l1", "mail:m2"}},
		{`before:2024-02-11`, []string{"lead:l2", "mail:m1", "mail:m3"}},
		{`after:2024-01 before:2024-02-11`, []string{"lead:l2", "mail:m1"}},
		{`after:2024-02-11 before:2024-02-13`, []string{"lead:l1", "mail:m2"}}, // l1 is dated 02-11 00:00:00
		{`after:30d`, []string{"lead:l1", "mail:m1", "mail:m2"}},               // now is 2024-03-01
		{`alice OR zoe`, []string{"lead:l2", "mail:m1", "mail:m2"}},
		{`(alice OR zoe) -from:bob`, []string{"lead:l2", "mail:m1"}},
		{`-quarterly`, []string{"lead:l2", "mail:m3"}},
		{`quart*`, []string{"lead:l1", "mail:m1", "mail:m2"}},
		{`revenue 12`, []string{"mail:m1"}},
		{`nothinglikethis`, nil},
		{`sourceforge`, []string{"mail:m2"}},     // host names are split into words
		{`sourceforge.net`, []string{"mail:m2"}}, // and match as a phrase
		{`"lists sourceforge"`, []string{"mail:m2"}},
		{`slides`, []string{"mail:m2"}}, // "Slides:" is a word
		{`let's`, []string{"mail:m2"}},  // apostrophes stay inside words
		{`...`, []string{"lead:l1", "lead:l2", "mail:m1", "mail:m2", "mail:m3"}},
	}
	for _, c := range cases {
		res := e.search(t, search.Request{Query: c.q})
		if got := ids(res); !slices.Equal(got, c.want) {
			t.Errorf("%s: got %v; want %v", c.q, got, c.want)
		}
		if res.Total != len(c.want) {
			t.Errorf("%s: Total = %d; want %d", c.q, res.Total, len(c.want))
		}
	}
}

func TestSearchKindsCountsAndSnippets(t *testing.T) {
	e := newEnv(t, search.Options{})
	if err := searchtest.Put(e.st, fixtureDocs()...); err != nil {
		t.Fatal(err)
	}
	e.sync(t)

	res := e.search(t, search.Request{Query: "quarterly", Kind: search.KindMail, Counts: true})
	if got := ids(res); !slices.Equal(got, []string{"mail:m1", "mail:m2"}) {
		t.Fatalf("kind=mail: %v", got)
	}
	if res.Counts.Kinds[search.KindMail] != 2 || res.Counts.Kinds[search.KindLead] != 1 {
		t.Errorf("kind counts %v; want mail 2, lead 1 (counts cover all kinds)", res.Counts.Kinds)
	}
	if len(res.Counts.Folders) != 1 || res.Counts.Folders[0] != (search.FolderCount{Account: "work", Folder: "INBOX", Count: 2}) {
		t.Errorf("folder counts %+v", res.Counts.Folders)
	}
	if res.Total != 2 || !res.TotalExact {
		t.Errorf("kind=mail with counts: total %d exact %v; want 2 exact", res.Total, res.TotalExact)
	}
	if plain := e.search(t, search.Request{Query: "quarterly", Kind: search.KindMail}); plain.Counts != nil {
		t.Errorf("counts without asking: %+v", plain.Counts)
	}
	c, err := e.idx.Count(context.Background(), "quarterly", time.Time{})
	if err != nil || !reflect.DeepEqual(c, res.Counts) {
		t.Errorf("Count: %+v, %v; want the search's counts %+v", c, err, res.Counts)
	}
	res = e.search(t, search.Request{Query: "pipeline:p1", Kind: search.KindLead, Counts: true})
	if len(res.Counts.Stages) != 2 || res.Counts.Stages[0].Count != 1 || res.Counts.Stages[0].Name == "" {
		t.Errorf("stage counts %+v", res.Counts.Stages)
	}

	res = e.search(t, search.Request{Query: "revenue costs", Kind: search.KindMail})
	if len(res.Hits) != 1 {
		t.Fatalf("revenue costs: %v", ids(res))
	}
	h := res.Hits[0]
	wantSnippet := "Hi Bob, attached is the quarterly report. <mark>Revenue</mark> is up &lt;b&gt;12%&lt;/b&gt; &amp; <mark>costs</mark> are down. Alice"
	if h.Snippet != wantSnippet {
		t.Errorf("snippet\n got %q\nwant %q", h.Snippet, wantSnippet)
	}
	if h.ThreadID != "t1" || h.Title != "Quarterly report for Müller GmbH" || h.Place != "INBOX" || !h.Date.Equal(day("2024-02-10")) {
		t.Errorf("hit fields: %+v", h)
	}
	res = e.search(t, search.Request{Query: "muller", Kind: search.KindMail, Sort: "date"})
	if got := res.Hits[0].TitleHTML; got != "Re: Quarterly report for <mark>Müller</mark> GmbH" {
		t.Errorf("title_html %q", got)
	}
	res = e.search(t, search.Request{Query: "trade", Kind: search.KindLead})
	if len(res.Hits) != 1 || !strings.Contains(res.Hits[0].Snippet, "<mark>trade</mark> fair") {
		t.Errorf("lead snippet: %+v", res.Hits)
	}
}

// Snippets read only the start of a long text: a match inside that start
// is shown in context, one beyond it falls back to the text's start, and a
// cut through a multi-byte character never reaches the page.
func TestSnippetsOfLongTexts(t *testing.T) {
	e := newEnv(t, search.Options{})
	filler := strings.Repeat("filler words here ", 1500) // 27 KB
	tail := strings.Repeat("ü", 40000)                   // 2 bytes each
	docs := []search.Doc{
		&search.MessageDoc{ID: "near", Folder: "INBOX", Subject: "near", Date: day("2024-02-10"),
			Body: filler + "the invoice is attached " + tail},
		&search.MessageDoc{ID: "far", Folder: "INBOX", Subject: "far", Date: day("2024-02-09"),
			Body: filler + tail + " the invoice is attached"},
		&search.MessageDoc{ID: "cut", Folder: "INBOX", Subject: "cut invoice", Date: day("2024-02-08"),
			Body: "x" + tail},
	}
	if err := searchtest.Put(e.st, docs...); err != nil {
		t.Fatal(err)
	}
	e.sync(t)
	res := e.search(t, search.Request{Query: "invoice", Sort: "date"})
	if got := ids(res); !slices.Equal(got, []string{"mail:cut", "mail:far", "mail:near"}) {
		t.Fatalf("invoice: %v", got)
	}
	for _, h := range res.Hits {
		if !utf8.ValidString(h.Snippet) || len(h.Snippet) > 400 {
			t.Errorf("%s: snippet of %d bytes, valid UTF-8 %v", h.ID, len(h.Snippet), utf8.ValidString(h.Snippet))
		}
		switch h.ID {
		case "near":
			if !strings.Contains(h.Snippet, "the <mark>invoice</mark> is attached ü") || !strings.HasPrefix(h.Snippet, "… ") {
				t.Errorf("near: %q", h.Snippet)
			}
		case "far", "cut":
			if strings.Contains(h.Snippet, "<mark>") || strings.HasPrefix(h.Snippet, "…") || !strings.HasSuffix(h.Snippet, " …") && !strings.HasSuffix(h.Snippet, "ü") {
				t.Errorf("%s: %q; want the text's start", h.ID, h.Snippet)
			}
		}
	}
}

func TestSearchPagination(t *testing.T) {
	e := newEnv(t, search.Options{})
	var docs []search.Doc
	for i := 0; i < 25; i++ {
		docs = append(docs, &search.MessageDoc{ID: string(rune('a'+i)) + "x", Folder: "INBOX", Subject: "hello",
			Body: "same words", Date: day("2024-01-01").Add(time.Duration(i) * time.Hour)})
	}
	if err := searchtest.Put(e.st, docs...); err != nil {
		t.Fatal(err)
	}
	e.sync(t)
	for _, sortBy := range []string{"relevance", "date"} {
		var seen []string
		cur := ""
		for page := 0; ; page++ {
			res := e.search(t, search.Request{Query: "hello", Limit: 10, Cursor: cur, Sort: sortBy, Counts: true})
			if res.Total != 25 || !res.TotalExact {
				t.Fatalf("%s: Total %d exact %v", sortBy, res.Total, res.TotalExact)
			}
			if (cur == "") != (res.Counts != nil) {
				t.Fatalf("%s page %d: counts %v; want them on the first page only", sortBy, page, res.Counts)
			}
			for _, h := range res.Hits {
				seen = append(seen, h.ID)
			}
			if res.NextCursor == "" {
				break
			}
			cur = res.NextCursor
			if page > 5 {
				t.Fatalf("%s: cursor does not end", sortBy)
			}
		}
		if len(seen) != 25 {
			t.Fatalf("%s: pages returned %d hits; want 25", sortBy, len(seen))
		}
		if sortBy == "date" {
			if seen[0] != "yx" || seen[24] != "ax" {
				t.Errorf("date order: first %s last %s; want newest first", seen[0], seen[24])
			}
		}
		slices.Sort(seen)
		if len(slices.Compact(seen)) != 25 {
			t.Errorf("%s: pages repeat hits", sortBy)
		}
	}
	_, err := e.idx.Search(context.Background(), search.Request{Query: "hello", Cursor: "garbage"})
	var ce *search.CursorError
	if !errors.As(err, &ce) {
		t.Errorf("bad cursor: err = %v; want *CursorError", err)
	}
	res := e.search(t, search.Request{Query: "hello", Limit: 10})
	_, err = e.idx.Search(context.Background(), search.Request{Query: "hello", Cursor: res.NextCursor, Sort: "date"})
	if !errors.As(err, &ce) {
		t.Errorf("cursor of another sort: err = %v; want *CursorError", err)
	}
}

// waitFor polls until cond holds; the indexer runs in the background.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestIndexFollowsStore(t *testing.T) {
	e := newEnv(t, search.Options{PollInterval: time.Hour}) // commits, not polling, must wake it
	e.idx.Start()
	count := func(q string) func() bool {
		return func() bool { return e.search(t, search.Request{Query: q}).Total == 1 }
	}
	m := &search.MessageDoc{ID: "m1", Folder: "INBOX", Subject: "first draft", Date: day("2024-01-01")}
	if err := searchtest.Put(e.st, m); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "new message indexed", count("draft"))
	m.Subject = "final version"
	if err := searchtest.Put(e.st, m); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "changed message reindexed", count("final"))
	if n := e.search(t, search.Request{Query: "draft"}).Total; n != 0 {
		t.Errorf("old subject still found (%d hits)", n)
	}
	if err := searchtest.Delete(e.st, search.KindMail, "m1"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "deleted message dropped", func() bool { return e.search(t, search.Request{Query: "final"}).Total == 0 })
	waitFor(t, "log trimmed", func() bool { n, _ := e.idx.Pending(); return n == 0 })
}

func TestAbortedWriteLeavesNoChange(t *testing.T) {
	e := newEnv(t, search.Options{})
	boom := errors.New("boom")
	err := e.st.Update(func(txn *store.Txn) error {
		if err := searchtest.PutTxn(txn, &search.MessageDoc{ID: "x", Subject: "ghost"}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if n, _ := e.idx.Pending(); n != 0 {
		t.Fatalf("aborted write left %d change-log entries", n)
	}
}

// TestRestartAppliesOnlyTheTail: changes committed while the index was
// closed (or before a crash) are in the change log; the next start applies
// those and nothing else, without a rebuild.
func TestRestartAppliesOnlyTheTail(t *testing.T) {
	e := newEnv(t, search.Options{})
	docs := fixtureDocs()
	if err := searchtest.Put(e.st, docs[:3]...); err != nil {
		t.Fatal(err)
	}
	e.sync(t)
	if err := e.idx.Close(); err != nil {
		t.Fatal(err)
	}
	if err := searchtest.Put(e.st, docs[3:]...); err != nil {
		t.Fatal(err)
	}
	e.open(t, search.Options{})
	if n, _ := e.idx.Pending(); n != 2 {
		t.Fatalf("pending after restart = %d; want the 2 unapplied changes", n)
	}
	if st := e.idx.Status(); st.Docs != 3 {
		t.Fatalf("index holds %d docs after restart; want the 3 it had (no rebuild)", st.Docs)
	}
	e.sync(t)
	if st := e.idx.Status(); st.Docs != 5 || st.Pending != 0 {
		t.Fatalf("after catching up: %+v; want 5 docs, 0 pending", st)
	}
	// An entry applied to Bleve whose deletion from the log was lost (a
	// crash between the two) is simply applied again.
	if err := searchtest.Put(e.st, docs[0]); err != nil {
		t.Fatal(err)
	}
	e.sync(t)
	if st := e.idx.Status(); st.Docs != 5 {
		t.Fatalf("re-applying a change: %d docs; want 5", st.Docs)
	}
}

func TestCorruptIndexIsRebuilt(t *testing.T) {
	bus := events.NewBus()
	defer bus.Close()
	e := newEnv(t, search.Options{Bus: bus})
	if err := searchtest.Put(e.st, fixtureDocs()...); err != nil {
		t.Fatal(err)
	}
	e.sync(t)
	e.idx.Close()
	// Damage every file of the index.
	dir := filepath.Join(e.dir, "search")
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			return os.WriteFile(p, []byte("garbage"), 0o600)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	sub := bus.Subscribe(100)
	e.open(t, search.Options{Bus: bus})
	e.idx.Start()
	var last search.ReindexEvent
	timeout := time.After(10 * time.Second)
	for !last.Finished {
		select {
		case ev := <-sub.C:
			if ev.Type == "search.reindex" {
				last = ev.Data.(search.ReindexEvent)
			}
		case <-timeout:
			t.Fatal("no finished search.reindex event")
		}
	}
	if last.Done != 5 || last.Total != 5 {
		t.Errorf("final progress %+v; want 5 of 5", last)
	}
	if res := e.search(t, search.Request{Query: "quarterly"}); res.Total != 3 {
		t.Errorf("after rebuild: %d hits for quarterly; want 3", res.Total)
	}
}

func TestMissingIndexIsRebuilt(t *testing.T) {
	e := newEnv(t, search.Options{})
	if err := searchtest.Put(e.st, fixtureDocs()...); err != nil {
		t.Fatal(err)
	}
	e.sync(t)
	e.idx.Close()
	if err := os.RemoveAll(filepath.Join(e.dir, "search")); err != nil {
		t.Fatal(err)
	}
	// Clear the log, so only a rebuild can bring the documents back.
	if err := e.st.Update(func(txn *store.Txn) error {
		return txn.Scan(store.Key("search", "log", ""), store.ScanOptions{KeysOnly: true}, func(k, _ []byte) error {
			return txn.Delete(append([]byte(nil), k...))
		})
	}); err != nil {
		t.Fatal(err)
	}
	e.open(t, search.Options{})
	e.idx.Start()
	waitFor(t, "rebuild", func() bool { return e.idx.Status().Docs == 5 && !e.idx.Status().Rebuilding })
}

func TestCompactLeavesOneSegment(t *testing.T) {
	e := newEnv(t, search.Options{BatchSize: 2})
	for i, d := range fixtureDocs() {
		if err := searchtest.Put(e.st, d); err != nil {
			t.Fatal(err)
		}
		if i%2 == 0 {
			e.sync(t)
		}
	}
	e.sync(t)
	if err := e.idx.Compact(context.Background()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "background work to settle", e.idx.Settled)
	if n := e.idx.Segments(); n != 1 {
		t.Fatalf("%d segments after Compact; want 1", n)
	}
	if res := e.search(t, search.Request{Query: "quarterly"}); res.Total != 3 {
		t.Fatalf("after compaction: %d hits; want 3", res.Total)
	}
}

// countingLoader counts the ids it is asked to load.
type countingLoader struct {
	search.Loader
	loaded *int
}

func (c countingLoader) Load(txn *store.Txn, ids []string) ([]search.Doc, error) {
	*c.loaded += len(ids)
	return c.Loader.Load(txn, ids)
}

// TestRebuildTrimsTheLogItCovers: changes already in the snapshot a rebuild
// loads from are not applied again after it, while a kind without a loader
// keeps its entries.
func TestRebuildTrimsTheLogItCovers(t *testing.T) {
	e := newEnv(t, search.Options{})
	e.idx.Close()
	if err := searchtest.Put(e.st, fixtureDocs()...); err != nil {
		t.Fatal(err)
	}
	idx, err := search.Open(filepath.Join(e.dir, "search"), e.st, search.Options{Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	e.idx = idx
	loaded := 0
	idx.Register(search.KindMail, countingLoader{searchtest.Messages, &loaded})
	if err := idx.Rebuild(context.Background()); err != nil {
		t.Fatal(err)
	}
	st := idx.Status()
	mails := st.Docs
	if loaded != int(mails) || st.Pending == 0 {
		t.Fatalf("rebuild loaded %d messages, index holds %d, %d lead changes pending", loaded, mails, st.Pending)
	}
	if err := idx.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	if loaded != int(mails) {
		t.Fatalf("after the rebuild the log applied %d messages again", loaded-int(mails))
	}
	if p := idx.Status().Pending; p != st.Pending {
		t.Fatalf("lead changes pending: %d, want %d (no lead loader yet)", p, st.Pending)
	}
}
