package search_test

import (
	"context"
	"fmt"
	"math/rand"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"threadline/backend/search"
	"threadline/backend/search/searchtest"
)

// The postings evaluator must match what Bleve's own searchers match, for
// every kind of query, on an index of several segments with deleted and
// replaced documents: the same documents newest first page by page, the
// same documents in relevance order (ranked its own way), the same totals
// and counts.
func TestPostingsEvaluatorMatchesBleve(t *testing.T) {
	defer search.KeepSegments()()
	e := newEnv(t, search.Options{})
	rng := rand.New(rand.NewSource(7))
	words := []string{"alpha", "beta", "gamma", "delta", "mailing", "list", "click", "here", "money", "unsubscribe", "unsure", "linux", "windows", "perl", "python"}
	sentence := func(n int) string {
		var b []string
		for range n {
			b = append(b, words[rng.Intn(len(words))])
		}
		return strings.Join(b, " ")
	}
	folders := []string{"INBOX", "Archive", "Sent"}
	start := day("2021-03-01")
	message := func(i int) *search.MessageDoc {
		d := start.Add(time.Duration(rng.Intn(400*24)) * time.Hour)
		if i%11 == 0 {
			d = start // equal dates
		}
		if i%97 == 0 {
			d = time.Time{} // no date
		}
		m := &search.MessageDoc{
			ID: fmt.Sprintf("m%04d", i), ThreadID: fmt.Sprintf("t%d", i/3), Account: "acc",
			Folder: folders[i%3], Subject: sentence(1 + rng.Intn(4)), Body: sentence(5 + rng.Intn(40)),
			From: []search.Address{{Name: "Person " + words[i%len(words)], Addr: fmt.Sprintf("p%d@%s.example.org", i%9, words[i%4])}},
			To:   []search.Address{{Addr: "me@example.com"}}, Date: d, Unread: i%4 == 0,
		}
		if i%13 == 0 {
			m.AttachmentNames = []string{"report " + words[i%len(words)] + ".pdf"}
		}
		return m
	}
	// Four batches make four segments at least; then deletions and
	// rewrites leave deleted documents in them.
	for batch := range 4 {
		var docs []search.Doc
		for i := batch * 400; i < (batch+1)*400; i++ {
			docs = append(docs, message(i))
		}
		for i := batch * 10; i < (batch+1)*10; i++ {
			docs = append(docs, &search.LeadDoc{ID: fmt.Sprintf("l%03d", i), Name: "Lead " + words[i%len(words)],
				Company: sentence(2), Notes: []string{sentence(6)}, Stage: "s" + fmt.Sprint(i%3), StageName: "Stage " + fmt.Sprint(i%3),
				UpdatedAt: start.Add(time.Duration(i) * time.Hour)})
		}
		if err := searchtest.Put(e.st, docs...); err != nil {
			t.Fatal(err)
		}
		e.sync(t)
	}
	for i := 0; i < 1600; i += 17 {
		if err := searchtest.Delete(e.st, search.KindMail, fmt.Sprintf("m%04d", i)); err != nil {
			t.Fatal(err)
		}
	}
	var rewritten []search.Doc
	for i := 5; i < 1600; i += 23 {
		rewritten = append(rewritten, message(i))
	}
	if err := searchtest.Put(e.st, rewritten...); err != nil {
		t.Fatal(err)
	}
	e.sync(t)
	if deleted, segments := search.DeletedDocs(e.idx); deleted == 0 || segments < 2 {
		t.Fatalf("%d segments, %d deleted documents in them: the test needs both", segments, deleted)
	}

	queries := []string{
		"alpha", "money", "absentword", `"mailing list"`, `"click here"`, `"list mailing"`,
		`-"mailing list"`, `alpha OR "click here"`, `"mailing list" -beta`, `subject:"alpha beta"`,
		"unsu*", "-unsu*", "alpha beta", "alpha -beta", "(perl OR python) linux", "money OR linux",
		"from:gamma.example.org", "from:p3@alpha.example.org", "from:person", "to:me@example.com",
		"in:inbox", "in:archive alpha", "is:unread", "is:read money", "has:attachment", "report",
		"after:2021-06-01 before:2021-09-01", "before:2021-04-01", "after:2022-01-01 linux",
		"stage:s1", "stage:\"stage 2\" alpha", "-in:inbox -is:unread", "lead", "alpha OR -beta",
	}
	ctx := context.Background()
	for _, q := range queries {
		for _, kind := range []search.Kind{"", search.KindMail} {
			name := fmt.Sprintf("%q kind %q", q, kind)
			search.SetBleveOnly(e.idx, true)
			wantNewest, _, wantFirst := e.pages(t, search.Request{Query: q, Kind: kind, Sort: "date", Limit: 37})
			wantBest, _, _ := e.pages(t, search.Request{Query: q, Kind: kind, Limit: 37})
			wantCounts, err := e.idx.Count(ctx, q, time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			search.SetBleveOnly(e.idx, false)

			gotNewest, _, gotFirst := e.pages(t, search.Request{Query: q, Kind: kind, Sort: "date", Limit: 37})
			if !slices.Equal(gotNewest, wantNewest) {
				t.Errorf("%s newest first: %d hits, want %d; first difference at %d", name, len(gotNewest), len(wantNewest), firstDiff(gotNewest, wantNewest))
			}
			if gotFirst.TotalExact && gotFirst.Total != len(wantNewest) || !gotFirst.TotalExact && gotFirst.Total > len(wantNewest) {
				t.Errorf("%s: total %d (exact %v), want %d", name, gotFirst.Total, gotFirst.TotalExact, wantFirst.Total)
			}
			if !strings.Contains(q, `"`) && !strings.Contains(q, "from:") && !gotFirst.TotalExact {
				t.Errorf("%s: total not exact for a query without phrases", name)
			}
			gotBest, scores, _ := e.pages(t, search.Request{Query: q, Kind: kind, Limit: 37})
			if !slices.Equal(sorted(gotBest), sorted(wantBest)) {
				t.Errorf("%s by relevance: %d hits, want %d", name, len(gotBest), len(wantBest))
			}
			if !slices.IsSortedFunc(scores, func(a, b float64) int { return -cmpFloat(a, b) }) {
				t.Errorf("%s: scores not best first: %v", name, scores)
			}
			if kind == "" {
				gotCounts, err := e.idx.Count(ctx, q, time.Time{})
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(gotCounts, wantCounts) {
					t.Errorf("%s counts %+v, want %+v", name, gotCounts, wantCounts)
				}
			}
		}
	}
}

// Phrases are checked on positions read from lists long enough to be kept
// in several chunks, visited out of document order (newest first): the
// same documents as Bleve's searchers find.
func TestPhrasesAcrossChunks(t *testing.T) {
	// No merges while pages are read: Bleve's relevance pages, which the
	// test compares with, break score ties by document number, which a
	// merge changes.
	defer search.KeepSegments()()
	e := newEnv(t, search.Options{BatchSize: 10000})
	rng := rand.New(rand.NewSource(11))
	words := []string{"alpha", "beta", "gamma", "delta"}
	var docs []search.Doc
	for i := range 5000 {
		var b []string
		for range 3 + rng.Intn(8) {
			b = append(b, words[rng.Intn(len(words))])
		}
		docs = append(docs, &search.MessageDoc{ID: fmt.Sprintf("m%04d", i), Folder: "INBOX", Subject: "s",
			Body: strings.Join(b, " "), Date: day("2021-03-01").Add(time.Duration(rng.Intn(5000)) * time.Hour)})
	}
	// One batch: one segment, whose lists of 3,000 and more documents zap
	// cuts into chunks.
	if err := searchtest.Put(e.st, docs...); err != nil {
		t.Fatal(err)
	}
	e.sync(t)
	if _, segments := search.DeletedDocs(e.idx); segments != 1 {
		t.Fatalf("%d segments; the test needs one", segments)
	}
	// The chunk size is read from zap by reflection; a zap that renamed
	// it would turn the skip off without changing a result.
	if sizes := search.BodyChunkSizes(e.idx, "alpha"); len(sizes) != 1 || sizes[0] == 0 || sizes[0] >= 5000 {
		t.Fatalf("chunk sizes of alpha's postings: %v; want one segment cut into several chunks", sizes)
	}
	ctx := context.Background()
	all := func(r search.Request) []string {
		ids, _, _ := e.pages(t, r)
		return ids
	}
	for _, q := range []string{`"alpha beta"`, `"beta alpha gamma"`, `"delta delta"`, `"alpha beta" -"gamma delta"`, `"gamma alpha" OR "delta beta"`} {
		search.SetBleveOnly(e.idx, true)
		want := all(search.Request{Query: q, Sort: "date", Limit: 200})
		search.SetBleveOnly(e.idx, false)
		if len(want) < 300 {
			t.Fatalf("%s: %d matches; the test needs many", q, len(want))
		}
		if got := all(search.Request{Query: q, Sort: "date", Limit: 200}); !slices.Equal(got, want) {
			t.Errorf("%s newest first: %d hits, want %d; first difference at %d", q, len(got), len(want), firstDiff(got, want))
		}
		if got := all(search.Request{Query: q, Limit: 200}); !slices.Equal(sorted(got), sorted(want)) {
			t.Errorf("%s by relevance: %d hits, want %d", q, len(got), len(want))
		}
		// Counts check every candidate, in two runs checked in parallel
		// when there are many.
		for _, split := range []uint64{1 << 40, 100} {
			restore := search.SplitSettleAt(split)
			c, err := e.idx.Count(ctx, q, time.Time{})
			restore()
			if err != nil {
				t.Fatal(err)
			}
			if c.Kinds[search.KindMail] != len(want) {
				t.Errorf("%s: count %d with candidates split from %d on, want %d", q, c.Kinds[search.KindMail], split, len(want))
			}
		}
	}
}

// Relevance: a word in the subject outranks the same word once in a long
// body; more of the query's words outrank fewer; equal scores go newest
// first.
func TestPostingsRelevanceOrder(t *testing.T) {
	e := newEnv(t, search.Options{})
	filler := strings.Repeat("other words here ", 30)
	docs := []search.Doc{
		&search.MessageDoc{ID: "body", Folder: "INBOX", Subject: "hello", Body: filler + "quartz " + filler, Date: day("2022-01-05")},
		&search.MessageDoc{ID: "subject", Folder: "INBOX", Subject: "quartz prices", Body: filler, Date: day("2022-01-01")},
		&search.MessageDoc{ID: "both", Folder: "INBOX", Subject: "quartz and onyx", Body: filler, Date: day("2021-01-01")},
		&search.MessageDoc{ID: "old", Folder: "INBOX", Subject: "granite", Body: "x", Date: day("2020-01-01")},
		&search.MessageDoc{ID: "new", Folder: "INBOX", Subject: "granite", Body: "x", Date: day("2020-02-01")},
	}
	for i := range 50 {
		docs = append(docs, &search.MessageDoc{ID: fmt.Sprintf("n%d", i), Folder: "INBOX", Subject: "noise", Body: filler, Date: day("2019-01-01")})
	}
	if err := searchtest.Put(e.st, docs...); err != nil {
		t.Fatal(err)
	}
	e.sync(t)
	ids := func(q string) []string {
		var out []string
		for _, h := range e.search(t, search.Request{Query: q}).Hits {
			out = append(out, h.ID)
		}
		return out
	}
	if got := ids("quartz"); len(got) != 3 || got[2] != "body" {
		t.Errorf("quartz: %v; the body match should come last", got)
	}
	if got := ids("quartz OR onyx"); len(got) != 3 || got[0] != "both" {
		t.Errorf("quartz OR onyx: %v; the message with both should lead", got)
	}
	if got := ids("granite"); !slices.Equal(got, []string{"new", "old"}) {
		t.Errorf("granite: %v; equal scores go newest first", got)
	}
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
