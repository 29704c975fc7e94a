package search

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search/query"
)

// Newest-first searches read only as far back as they must. Ordering
// matches by date reads a doc value per match, and those reads (a
// compressed chunk each, as matches lie scattered over the index) cost far
// more than finding the matches. So a page is found in two steps:
//
//  1. Count (no sorting, no scores: postings only) the matches among the
//     newest documents, a window of about dateWindowDocs, growing it until
//     it holds a page's worth.
//  2. From the match rate seen, pick the newest hours expected to hold
//     about twice a page, and sort only those matches. Should they be too
//     few, the counted window is sorted instead.
//
// Either way the page is exact: every document outside the window sorted
// is older than every document in it. The window is a disjunction of hour
// terms (and whole days, where a day is in it entirely).

// dateWindowDocs is the first window's size in documents.
const dateWindowDocs = 2000

// hourCount is how many documents one hour of the hour field holds.
type hourCount struct {
	hour string // YYYY-MM-DDTHH, UTC
	n    int    // -1 until counted
}

// hourCache holds the hours of one index generation, newest first. Their
// document counts are read lazily, newest first, as windows need them: a
// mailbox of many years has tens of thousands of hours, and a page rarely
// needs more than the newest few hundred.
type hourCache struct {
	mu    sync.Mutex
	valid bool
	gen   uint64
	hours []hourCount
	// dayHours is how many hours each day has in the dictionary, to tell
	// whether a window holds a day entirely.
	dayHours map[string]int
}

// hourList is the hours of the current generation with lazy counts.
type hourList struct {
	x     *Index
	ctx   context.Context
	hours []hourCount
	days  map[string]int
	err   error
}

// count returns the number of documents in hour i.
func (l *hourList) count(i int) int {
	c := &l.x.hours
	c.mu.Lock()
	defer c.mu.Unlock()
	if l.hours[i].n >= 0 || l.err != nil {
		return max(l.hours[i].n, 0)
	}
	ix, err := l.x.bidx.Advanced()
	if err != nil {
		l.err = err
		return 0
	}
	r, err := ix.Reader()
	if err != nil {
		l.err = err
		return 0
	}
	defer r.Close()
	// Count ahead: the caller walks on to the next hours.
	for j := i; j < len(l.hours) && j < i+64; j++ {
		if l.hours[j].n >= 0 {
			continue
		}
		// The dictionary's own counts are not reliable in this Bleve
		// version; a term reader's count is the postings list's.
		tr, err := r.TermFieldReader(l.ctx, []byte(l.hours[j].hour), fHour, false, false, false)
		if err != nil {
			l.err = err
			return 0
		}
		l.hours[j].n = int(tr.Count())
		tr.Close()
	}
	return l.hours[i].n
}

// hourHistogram returns the hours of the index, newest first, with lazy
// counts. The hour list is read again only after the index changed.
// Callers hold x.mu for reading.
func (x *Index) hourHistogram(ctx context.Context) (*hourList, error) {
	gen := x.gen.Load()
	x.hours.mu.Lock()
	defer x.hours.mu.Unlock()
	if !x.hours.valid || x.hours.gen != gen {
		dict, err := x.bidx.FieldDict(fHour)
		if err != nil {
			return nil, err
		}
		var hours []hourCount
		dayHours := map[string]int{}
		for {
			e, err := dict.Next()
			if err != nil {
				dict.Close()
				return nil, err
			}
			if e == nil {
				break
			}
			hours = append(hours, hourCount{e.Term, -1})
			dayHours[e.Term[:min(10, len(e.Term))]]++
		}
		dict.Close()
		slices.Reverse(hours)
		x.hours.valid, x.hours.gen, x.hours.hours, x.hours.dayHours = true, gen, hours, dayHours
	}
	return &hourList{x: x, ctx: ctx, hours: x.hours.hours, days: x.hours.dayHours}, nil
}

// windowQuery matches the documents of hours, as day terms for days the
// window holds entirely and hour terms for the rest.
func windowQuery(hours []hourCount, dayHours map[string]int) query.Query {
	perDay := map[string]int{}
	for _, h := range hours {
		perDay[h.hour[:10]]++
	}
	var terms []query.Query
	for i, h := range hours {
		day := h.hour[:10]
		switch {
		case perDay[day] < dayHours[day]:
			terms = append(terms, termQ(fHour, h.hour))
		case i == 0 || hours[i-1].hour[:10] != day:
			terms = append(terms, termQ(fDay, day))
		}
	}
	if len(terms) == 1 {
		return terms[0]
	}
	return query.NewDisjunctionQuery(terms)
}

// searchNewest runs req (sorted newest first, without facets) on the
// newest documents that hold its page. It returns the result and whether
// its Total counts every match rather than only those in the window
// sorted. Callers hold x.mu for reading.
//
// before, if not zero, is a time no match is at or after (the query's
// before:); the window starts at its hour instead of the newest.
func (x *Index) searchNewest(ctx context.Context, q query.Query, req *bleve.SearchRequest, before time.Time) (*bleve.SearchResult, bool, error) {
	l, err := x.hourHistogram(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("search: hour list: %w", err)
	}
	hours, dayHours := l.hours, l.days
	// The window starts at the newest hour that can hold a match: not
	// after the query's before: bound, nor after the cursor's hour.
	first := 0
	skipAfter := func(hour string) {
		for first < len(hours) && hours[first].hour > hour {
			first++
		}
	}
	if !before.IsZero() {
		skipAfter(hourKey(before))
	}
	if req.SearchAfter != nil && len(req.SearchAfter[0]) >= 13 {
		skipAfter(req.SearchAfter[0][:13])
	}
	want := uint64(req.Size)
	inWindow := func(end int) query.Query {
		return query.NewConjunctionQuery([]query.Query{q, windowQuery(hours[first:end], dayHours)})
	}
	sorted := func(end int) (*bleve.SearchResult, error) {
		req.Query = inWindow(end)
		return x.bidx.SearchInContext(ctx, req)
	}
	count := func(end int) (uint64, error) {
		c := bleve.NewSearchRequestOptions(inWindow(end), 0, 0, false)
		c.Score = bleve.ScoreNone
		sr, err := x.bidx.SearchInContext(ctx, c)
		if err != nil {
			return 0, err
		}
		return sr.Total, nil
	}
	// extend returns the end of the newest hours from first holding at
	// least n documents, and how many they hold.
	extend := func(n int) (int, int) {
		end, docs := first, 0
		for end < len(hours) && docs < n {
			docs += l.count(end)
			end++
		}
		return end, docs
	}

	window := dateWindowDocs
	for {
		end, docs := extend(window)
		if end >= len(hours) {
			break
		}
		if l.err != nil {
			return nil, false, fmt.Errorf("search: hour counts: %w", l.err)
		}
		matches, err := count(end)
		if err != nil {
			return nil, false, err
		}
		if matches >= want {
			// Sort only the newest hours expected to hold about twice
			// the page.
			tight, _ := extend(int(float64(docs) * 2 * float64(want) / float64(matches)))
			if tight < end {
				sr, err := sorted(tight)
				if err != nil {
					return nil, false, err
				}
				if sr.Total >= want {
					return sr, false, nil
				}
			}
			sr, err := sorted(end)
			return sr, false, err
		}
		if matches == 0 {
			// Nothing recent matches: look much further back before
			// settling for the whole index, whose date order costs a doc
			// value read for every match.
			window = docs * 16
			continue
		}
		// Aim for twice the matches the page needs at the rate seen.
		window = int(float64(docs) * 2 * float64(want) / float64(matches))
	}
	req.Query = q
	sr, err := x.bidx.SearchInContext(ctx, req)
	if err != nil {
		return nil, false, err
	}
	return sr, true, nil
}

// filtersOnly reports whether e has no words to rank by: every term is an
// operator that selects (from:, to:, in:, is:, has:, before:, after:, tag:,
// stage:, pipeline:), and excluded words do not rank either.
func filtersOnly(e Expr) bool {
	switch e := e.(type) {
	case *AndExpr:
		for _, it := range e.Items {
			if !filtersOnly(it) {
				return false
			}
		}
		return true
	case *OrExpr:
		for _, it := range e.Items {
			if !filtersOnly(it) {
				return false
			}
		}
		return true
	case *NotExpr:
		return true
	case *TermExpr:
		return e.Field != "" && e.Field != "subject"
	}
	return false
}

// newestBound is the earliest before: that every match of e must satisfy,
// or the zero time.
func newestBound(e Expr) time.Time {
	var bound time.Time
	consider := func(it Expr) {
		if t, ok := it.(*TermExpr); ok && t.Field == "before" && !t.Time.IsZero() && (bound.IsZero() || t.Time.Before(bound)) {
			bound = t.Time
		}
	}
	if a, ok := e.(*AndExpr); ok {
		for _, it := range a.Items {
			consider(it)
		}
	} else {
		consider(e)
	}
	return bound
}
