package search

import (
	"context"
	"fmt"
	"sort"
	"sync"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search/query"
)

// Newest-first searches read only as far back as they must. Ordering every
// match by date reads a doc value per match, so a broad query over a large
// mailbox would cost time in proportion to the whole mailbox. Instead the
// query runs on a window of the newest days holding about dateWindowDocs
// documents; when the window has more matches than the page needs, the
// page is exact (every document outside the window is older), otherwise
// the window grows, sized by the match rate seen so far, until it covers
// the whole index.

// dateWindowDocs is the first window's size in documents: large enough that
// a query matching one message in a hundred fills a page of 20 at once.
const dateWindowDocs = 2000

// dayCount is how many documents one day of the day field holds.
type dayCount struct {
	day string // YYYY-MM-DD, UTC
	n   int
}

// dayCache holds the day histogram for one index generation.
type dayCache struct {
	mu    sync.Mutex
	valid bool
	gen   uint64
	days  []dayCount // newest first
}

// dayHistogram returns documents per day, newest first. It reads one
// postings count per day and is rebuilt only after the index changed.
// Callers hold x.mu for reading.
func (x *Index) dayHistogram(ctx context.Context) ([]dayCount, error) {
	gen := x.gen.Load()
	x.days.mu.Lock()
	defer x.days.mu.Unlock()
	if x.days.valid && x.days.gen == gen {
		return x.days.days, nil
	}
	ix, err := x.bidx.Advanced()
	if err != nil {
		return nil, err
	}
	r, err := ix.Reader()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	dict, err := r.FieldDict(fDay)
	if err != nil {
		return nil, err
	}
	var terms []string
	for {
		e, err := dict.Next()
		if err != nil {
			dict.Close()
			return nil, err
		}
		if e == nil {
			break
		}
		terms = append(terms, e.Term)
	}
	dict.Close()
	days := make([]dayCount, 0, len(terms))
	for _, t := range terms {
		// The dictionary's own counts are not reliable in this Bleve
		// version; a term reader's count is the postings list's.
		tr, err := r.TermFieldReader(ctx, []byte(t), fDay, false, false, false)
		if err != nil {
			return nil, err
		}
		n := tr.Count()
		tr.Close()
		if n > 0 {
			days = append(days, dayCount{t, int(n)})
		}
	}
	sort.Slice(days, func(i, j int) bool { return days[i].day > days[j].day })
	x.days.valid, x.days.gen, x.days.days = true, gen, days
	return days, nil
}

// searchNewest runs req (sorted newest first, without facets) through
// growing date windows. It returns the result and whether its Total counts
// every match (the last window covered the whole index) rather than only
// those in the window. Callers hold x.mu for reading.
func (x *Index) searchNewest(ctx context.Context, q query.Query, req *bleve.SearchRequest) (*bleve.SearchResult, bool, error) {
	days, err := x.dayHistogram(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("search: day histogram: %w", err)
	}
	first := 0
	if req.SearchAfter != nil && len(req.SearchAfter[0]) >= 10 {
		// Nothing newer than the cursor's day can be on this page.
		day := req.SearchAfter[0][:10]
		for first < len(days) && days[first].day > day {
			first++
		}
	}
	want := uint64(req.Size)
	window := dateWindowDocs
	end, docs := first, 0
	for {
		for end < len(days) && docs < window {
			docs += days[end].n
			end++
		}
		if end >= len(days) {
			break
		}
		terms := make([]query.Query, 0, end-first)
		for _, d := range days[first:end] {
			terms = append(terms, termQ(fDay, d.day))
		}
		req.Query = query.NewConjunctionQuery([]query.Query{q, query.NewDisjunctionQuery(terms)})
		sr, err := x.bidx.SearchInContext(ctx, req)
		if err != nil {
			return nil, false, err
		}
		if sr.Total >= want {
			return sr, false, nil
		}
		if sr.Total == 0 {
			// Nothing recent matches: look much further back before
			// settling for the whole index, whose date order costs a doc
			// value read for every match.
			window = docs * 16
			continue
		}
		// Aim for twice the matches the page needs at the rate seen.
		window = int(float64(docs) * 2 * float64(want) / float64(sr.Total))
	}
	req.Query = q
	sr, err := x.bidx.SearchInContext(ctx, req)
	if err != nil {
		return nil, false, err
	}
	return sr, true, nil
}
