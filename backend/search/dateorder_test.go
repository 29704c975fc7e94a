package search_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"threadline/backend/search"
	"threadline/backend/search/searchtest"
)

// Newest-first pages, for frequent, rare and absent words, across page
// boundaries and with the cursor landing mid-day and among equal dates,
// are the full date order cut into pages; totals are exact.
func TestSearchNewestFirstPages(t *testing.T) {
	e := newEnv(t, search.Options{})
	const n = 6000 // three first windows' worth
	start := day("2020-01-01")
	var docs []search.Doc
	type rec struct {
		id   string
		date time.Time
		body string
	}
	var all []rec
	for i := 0; i < n; i++ {
		body := "common"
		if i%7 == 0 {
			body += " weekly"
		}
		if i%997 == 0 {
			body += " rare"
		}
		// Twelve documents a day, two or three an hour; ids do not follow dates, so
		// the order cannot come from insertion.
		d := start.Add(time.Duration(i/12)*24*time.Hour + time.Duration(i%12)*25*time.Minute)
		if i%5 == 0 {
			// Equal dates: the order falls back to ids.
			d = start.Add(time.Duration(i/60) * 24 * time.Hour)
		}
		id := fmt.Sprintf("m%05d", (i*7919)%n)
		docs = append(docs, &search.MessageDoc{ID: id, Folder: "INBOX", Subject: "s", Body: body, Date: d})
		all = append(all, rec{id, d, body})
	}
	if err := searchtest.Put(e.st, docs...); err != nil {
		t.Fatal(err)
	}
	e.sync(t)
	slices.SortFunc(all, func(a, b rec) int {
		if c := b.date.Compare(a.date); c != 0 {
			return c
		}
		return strings.Compare(b.id, a.id)
	})
	for _, word := range []string{"common", "weekly", "rare", "absent"} {
		var want []string
		for _, r := range all {
			if slices.Contains(strings.Fields(r.body), word) {
				want = append(want, r.id)
			}
		}
		var got []string
		cur := ""
		for page := 0; page < 400; page++ {
			res := e.search(t, search.Request{Query: word, Kind: search.KindMail, Sort: "date", Limit: 50, Cursor: cur})
			if page == 0 {
				if !res.TotalExact || res.Total != len(want) {
					t.Errorf("%s: total %d (exact %v); %d match", word, res.Total, res.TotalExact, len(want))
				}
			}
			for _, h := range res.Hits {
				got = append(got, h.ID)
			}
			if res.NextCursor == "" {
				break
			}
			cur = res.NextCursor
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: %d hits newest first, want %d; first difference at %d", word, len(got), len(want), firstDiff(got, want))
		}
	}
}

// A query of filters only has nothing to rank by: asked for relevance, it
// comes newest first (and says so), starting below its before: bound.
func TestSearchFiltersOnlyNewestFirst(t *testing.T) {
	e := newEnv(t, search.Options{Location: time.UTC})
	start := day("2020-01-01")
	var docs []search.Doc
	var want []string
	bound := day("2020-09-01").Add(-10 * time.Hour) // day() is 10:00
	for i := 0; i < 5000; i++ {
		d := start.Add(time.Duration(i) * 97 * time.Minute)
		id := fmt.Sprintf("m%05d", (i*7919)%5000)
		folder := "INBOX"
		if i%3 == 0 {
			folder = "Archive"
		}
		docs = append(docs, &search.MessageDoc{ID: id, Folder: folder, Subject: "s", Body: "b", Date: d})
		if folder == "INBOX" && d.Before(bound) {
			want = append(want, id)
		}
	}
	slices.Reverse(want)
	if err := searchtest.Put(e.st, docs...); err != nil {
		t.Fatal(err)
	}
	e.sync(t)
	res := e.search(t, search.Request{Query: "in:inbox before:2020-09-01", Limit: 30})
	if res.Sort != "date" {
		t.Fatalf("sort %q; want date for a query of filters", res.Sort)
	}
	var got []string
	for _, h := range res.Hits {
		got = append(got, h.ID)
	}
	if !slices.Equal(got, want[:30]) {
		t.Errorf("first page %v\nwant %v", got, want[:30])
	}
	next := e.search(t, search.Request{Query: "in:inbox before:2020-09-01", Limit: 30, Cursor: res.NextCursor})
	if len(next.Hits) != 30 || next.Hits[0].ID != want[30] {
		t.Errorf("second page starts with %v; want %s", next.Hits[:1], want[30])
	}
	if r := e.search(t, search.Request{Query: "in:inbox b"}); r.Sort != "relevance" {
		t.Errorf("a query with words: sort %q", r.Sort)
	}
}

func firstDiff(a, b []string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}
