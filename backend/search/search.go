package search

import (
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/blevesearch/bleve/v2"
	bsearch "github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"

	"threadline/backend/store"
)

// Request is one search.
type Request struct {
	Query string
	// Kind limits hits to one kind; "" searches both.
	Kind Kind
	// Limit is the page size: 1 to MaxLimit, 0 means 20.
	Limit int
	// Cursor continues from a previous Result's NextCursor.
	Cursor string
	// Sort is "relevance" (the default) or "date" (newest first).
	Sort string
	// Now anchors relative dates (after:7d); zero means time.Now().
	Now time.Time
	// Counts asks for Counts on the first page. Counting visits every
	// match, so a page of hits comes back sooner without them; Count
	// gives them on their own.
	Counts bool
}

// MaxLimit bounds Request.Limit.
const MaxLimit = 100

// Hit is one matching record. Callers load the record by Kind and ID.
type Hit struct {
	Kind     Kind   `json:"kind"`
	ID       string `json:"id"`
	ThreadID string `json:"thread_id,omitempty"`
	// Title is the subject or the lead's name, as plain text; TitleHTML is
	// the same, HTML-escaped, with matched words in <mark>.
	Title     string `json:"title"`
	TitleHTML string `json:"title_html"`
	// Snippet is HTML: escaped text with matched words in <mark>.
	Snippet string    `json:"snippet"`
	Score   float64   `json:"score"`
	Date    time.Time `json:"date"`
	// Place is the message's folder or the lead's stage name.
	Place string `json:"place,omitempty"`
}

// Counts break down every match of the query, whatever Kind shows. A
// search has them on its first page when asked (Request.Counts); Count
// computes them alone.
type Counts struct {
	Kinds   map[Kind]int  `json:"kinds"`
	Folders []FolderCount `json:"folders"`
	Stages  []StageCount  `json:"stages"`
}

// FolderCount is how many messages in one folder match.
type FolderCount struct {
	Account string `json:"account"`
	Folder  string `json:"folder"`
	Count   int    `json:"count"`
}

// StageCount is how many leads in one stage match.
type StageCount struct {
	Stage string `json:"stage"`
	Name  string `json:"name"`
	Count int    `json:"count"`
}

// Result is one page of hits.
type Result struct {
	// Total is how many records of the requested kind match when
	// TotalExact; a newest-first page that found its hits among recent
	// documents only knows that at least Total match.
	Total      int  `json:"total"`
	TotalExact bool `json:"total_exact"`
	// Sort is the order of the hits: "relevance" or "date". A query of
	// filters only (from:, in:, before: …) has nothing to rank by and is
	// listed newest first whatever was asked.
	Sort   string  `json:"sort"`
	Hits   []Hit   `json:"hits"`
	Counts *Counts `json:"counts,omitempty"`
	// NextCursor fetches the next page; empty on the last one.
	NextCursor string `json:"next_cursor,omitempty"`
}

// CursorError is a cursor that this index did not hand out, or that
// belongs to another sort order.
type CursorError struct{ Msg string }

func (e *CursorError) Error() string { return "search: bad cursor: " + e.Msg }

// cursor continues a search: an offset for relevance order, the last sort
// key for date order (stable while new mail arrives).
type cursor struct {
	Sort   string   `json:"s"`
	Offset int      `json:"o,omitempty"`
	After  []string `json:"a,omitempty"`
}

func (c cursor) encode() string {
	raw, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(raw)
}

func decodeCursor(s, sortBy string) (cursor, error) {
	var c cursor
	if s == "" {
		return cursor{Sort: sortBy}, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(raw, &c) != nil {
		return c, &CursorError{"it is not a cursor from a search result"}
	}
	if c.Sort != sortBy {
		return c, &CursorError{fmt.Sprintf("it continues a search sorted by %s, not %s", c.Sort, sortBy)}
	}
	if c.Offset < 0 || (sortBy == "date" && len(c.After) != 2) {
		return c, &CursorError{"it is damaged"}
	}
	return c, nil
}

// Parse parses q with the index's time zone, for callers that want to
// check a query without running it.
func (x *Index) Parse(q string, now time.Time) (Expr, error) {
	return ParseQuery(q, ParseOptions{Now: now, Location: x.loc})
}

// Search runs one query. A malformed query returns a *QueryError, a bad
// cursor a *CursorError.
func (x *Index) Search(ctx context.Context, r Request) (*Result, error) {
	if r.Kind != "" && !r.Kind.valid() {
		return nil, fmt.Errorf("search: unknown kind %q", r.Kind)
	}
	if r.Limit <= 0 {
		r.Limit = 20
	}
	r.Limit = min(r.Limit, MaxLimit)
	if r.Sort == "" {
		r.Sort = "relevance"
	}
	if r.Sort != "relevance" && r.Sort != "date" {
		return nil, fmt.Errorf("search: unknown sort %q", r.Sort)
	}
	expr, err := x.Parse(r.Query, r.Now)
	if err != nil {
		return nil, err
	}
	if r.Sort == "relevance" && filtersOnly(expr) {
		r.Sort = "date"
	}
	cur, err := decodeCursor(r.Cursor, r.Sort)
	if err != nil {
		return nil, err
	}
	c := newCompiler(x.im)
	q := c.compile(expr, false)
	main := q
	if r.Kind != "" {
		kc := newCompiler(x.im)
		kc.kind = r.Kind
		main = query.NewConjunctionQuery([]query.Query{kc.compile(expr, false), termQ(fKind, string(r.Kind))})
	}

	x.mu.RLock()
	defer x.mu.RUnlock()
	if x.bidx == nil {
		return nil, fmt.Errorf("search: the index is closed")
	}

	res, err := x.searchPostings(main, r, cur)
	if errors.Is(err, errUnsupported) {
		res, err = x.searchBleve(ctx, main, r, cur)
	}
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	if r.Cursor == "" && r.Counts {
		if res.Counts, err = x.count(ctx, q); err != nil {
			return nil, err
		}
		if r.Kind == "" {
			res.Total, res.TotalExact = res.Counts.Kinds[KindMail]+res.Counts.Kinds[KindLead], true
		} else {
			res.Total, res.TotalExact = res.Counts.Kinds[r.Kind], true
		}
	}
	if err := x.snippets(res.Hits, c.marks); err != nil {
		return nil, err
	}
	return res, nil
}

// searchPostings answers r on the index's postings (see postings.go).
// Callers hold x.mu for reading.
func (x *Index) searchPostings(q query.Query, r Request, cur cursor) (*Result, error) {
	se, err := x.evalSnapshot(q)
	if err != nil {
		return nil, err
	}
	defer se.Close()
	res := &Result{Hits: []Hit{}, Sort: r.Sort}
	var hits []postingsHit
	var confirmed int
	if r.Sort == "date" {
		var after *postingsHit
		if cur.After != nil {
			after = &postingsHit{secs: keySeconds(cur.After[0]), id: cur.After[1]}
		}
		hits, confirmed, err = se.newestFirst(r.Limit+1, after)
	} else {
		hits, confirmed, err = se.bestFirst(cur.Offset + r.Limit + 1)
		hits = hits[min(len(hits), cur.Offset):]
	}
	if err != nil {
		return nil, err
	}
	n, exact := se.sureCount()
	res.Total, res.TotalExact = n, exact
	if !exact {
		// Phrase candidates are checked only as far as the page needed.
		res.Total += confirmed
	}
	more := len(hits) > r.Limit
	hits = hits[:min(len(hits), r.Limit)]
	var lastKey string
	for _, h := range hits {
		k, id, err := splitBleveID(h.id)
		if err != nil {
			return nil, err
		}
		hit := Hit{Kind: k, ID: id, Score: h.score, Title: h.title, ThreadID: h.thread, Place: h.place}
		if lastKey = h.dateKey; lastKey != "" {
			hit.Date, _ = time.Parse("2006-01-02T15:04:05Z", lastKey)
		}
		res.Hits = append(res.Hits, hit)
	}
	if more {
		next := cursor{Sort: r.Sort, Offset: cur.Offset + r.Limit}
		if r.Sort == "date" {
			next = cursor{Sort: r.Sort, After: []string{lastKey, hits[len(hits)-1].id}}
		}
		res.NextCursor = next.encode()
	}
	return res, nil
}

// searchBleve answers r with Bleve's searchers, for what the postings
// evaluator does not handle. Callers hold x.mu for reading.
func (x *Index) searchBleve(ctx context.Context, main query.Query, r Request, cur cursor) (*Result, error) {
	res := &Result{Hits: []Hit{}, Sort: r.Sort}
	req := bleve.NewSearchRequestOptions(main, r.Limit+1, cur.Offset, false)
	req.Fields = []string{fTitle, fThread, fPlace, fDateSort}
	var sr *bleve.SearchResult
	var err error
	if r.Sort == "date" {
		req.SortBy([]string{"-" + fDateSort, "-_id"})
		// Scores would be computed for every match and then ignored.
		req.Score = bleve.ScoreNone
		if cur.After != nil {
			req.SearchAfter = cur.After
			req.From = 0
		}
	}
	sr, err = x.bidx.SearchInContext(ctx, req)
	res.TotalExact = true
	if err != nil {
		return nil, err
	}
	res.Total = int(sr.Total)
	hits := sr.Hits
	if len(hits) > r.Limit {
		hits = hits[:r.Limit]
		next := cursor{Sort: r.Sort, Offset: cur.Offset + r.Limit}
		if r.Sort == "date" {
			next = cursor{Sort: r.Sort, After: hits[len(hits)-1].Sort}
		}
		res.NextCursor = next.encode()
	}
	for _, h := range hits {
		k, id, err := splitBleveID(h.ID)
		if err != nil {
			return nil, err
		}
		hit := Hit{Kind: k, ID: id, Score: h.Score}
		hit.Title, _ = h.Fields[fTitle].(string)
		hit.ThreadID, _ = h.Fields[fThread].(string)
		hit.Place, _ = h.Fields[fPlace].(string)
		if ds, _ := h.Fields[fDateSort].(string); ds != "" {
			hit.Date, _ = time.Parse("2006-01-02T15:04:05Z", ds)
		}
		res.Hits = append(res.Hits, hit)
	}
	return res, nil
}

// Count breaks down every match of query by kind, folder and stage.
func (x *Index) Count(ctx context.Context, q string, now time.Time) (*Counts, error) {
	expr, err := x.Parse(q, now)
	if err != nil {
		return nil, err
	}
	bq := newCompiler(x.im).compile(expr, false)
	x.mu.RLock()
	defer x.mu.RUnlock()
	if x.bidx == nil {
		return nil, fmt.Errorf("search: the index is closed")
	}
	return x.count(ctx, bq)
}

// count runs q for its facets alone. Callers hold x.mu for reading.
func (x *Index) count(ctx context.Context, q query.Query) (*Counts, error) {
	se, err := x.evalSnapshot(q)
	if err == nil {
		defer se.Close()
		// Counts need every phrase candidate checked; in document order
		// that is one pass over each phrase word's postings.
		if err := se.settle(math.MaxInt); err != nil {
			return nil, fmt.Errorf("search: count: %w", err)
		}
		terms, err := se.facetCounts()
		if err != nil {
			return nil, fmt.Errorf("search: count: %w", err)
		}
		return countsFromTerms(terms), nil
	} else if !errors.Is(err, errUnsupported) {
		return nil, fmt.Errorf("search: count: %w", err)
	}
	req := bleve.NewSearchRequestOptions(q, 0, 0, false)
	req.Score = bleve.ScoreNone
	req.AddFacet("f", bleve.NewFacetRequest(fFacet, maxFacetTerms))
	sr, err := x.bidx.SearchInContext(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("search: count: %w", err)
	}
	return countsFrom(sr.Facets["f"]), nil
}

// maxFacetTerms bounds the folders and stages counted; beyond it the
// per-kind counts would miss the rest, so it is far above what one person
// has.
const maxFacetTerms = 1000

func countsFrom(f *bsearch.FacetResult) *Counts {
	terms := map[string]int{}
	if f != nil && f.Terms != nil {
		for _, t := range f.Terms.Terms() {
			terms[t.Term] = t.Count
		}
	}
	return countsFromTerms(terms)
}

// countsFromTerms turns counts per facet term into Counts.
func countsFromTerms(terms map[string]int) *Counts {
	c := &Counts{Kinds: map[Kind]int{KindMail: 0, KindLead: 0}, Folders: []FolderCount{}, Stages: []StageCount{}}
	for _, term := range slices.Sorted(maps.Keys(terms)) {
		count := terms[term]
		parts := strings.SplitN(term, facetSep, 3)
		if len(parts) != 3 {
			continue
		}
		k := Kind(parts[0])
		c.Kinds[k] += count
		switch k {
		case KindMail:
			c.Folders = append(c.Folders, FolderCount{Account: parts[1], Folder: parts[2], Count: count})
		case KindLead:
			if parts[1] != "" || parts[2] != "" {
				c.Stages = append(c.Stages, StageCount{Stage: parts[1], Name: parts[2], Count: count})
			}
		}
	}
	sort.SliceStable(c.Folders, func(i, j int) bool { return c.Folders[i].Count > c.Folders[j].Count })
	sort.SliceStable(c.Stages, func(i, j int) bool { return c.Stages[i].Count > c.Stages[j].Count })
	return c
}

// snippetWidth is the snippet length in bytes of source text.
const snippetWidth = 200

// snippetLoad is how much of a long text snippets read: the part searched
// for matches and room for a snippet that starts near its end.
const snippetLoad = snippetScan + 4*snippetWidth

// snippets loads the hits' records and cuts a highlighted snippet from
// their text. A record that has gone since it was indexed keeps an empty
// snippet; the index catches up through the change log.
func (x *Index) snippets(hits []Hit, m *marks) error {
	if len(hits) < 8 {
		return x.snippetsOf(hits, m)
	}
	// Loading the records is most of a page's time, and read
	// transactions run in parallel: two halves take about half as long.
	half := len(hits) / 2
	var wg sync.WaitGroup
	var errFirst error
	wg.Add(1)
	go func() {
		defer wg.Done()
		errFirst = x.snippetsOf(hits[:half], m)
	}()
	err := x.snippetsOf(hits[half:], m)
	wg.Wait()
	return cmp.Or(errFirst, err)
}

// snippetsOf is snippets for some of a page's hits.
func (x *Index) snippetsOf(hits []Hit, m *marks) error {
	byKind := map[Kind][]string{}
	for _, h := range hits {
		byKind[h.Kind] = append(byKind[h.Kind], h.ID)
	}
	texts := map[string]string{}
	err := x.st.View(func(txn *store.Txn) error {
		for k, ids := range byKind {
			l := x.loaders[k]
			if l == nil {
				continue
			}
			if tl, ok := l.(TextLoader); ok && k == KindMail {
				for _, id := range ids {
					text, err := tl.Text(txn, id, snippetLoad)
					if err != nil {
						return fmt.Errorf("load %s text: %w", k, err)
					}
					texts[bleveID(k, id)] = text
				}
				continue
			}
			docs, err := l.Load(txn, ids)
			if err != nil {
				return fmt.Errorf("load %s documents: %w", k, err)
			}
			for _, d := range docs {
				texts[bleveID(k, d.DocID())] = snippetText(d, m)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("search: snippets: %w", err)
	}
	for i := range hits {
		h := &hits[i]
		h.TitleHTML = highlight(h.Title, m, len(h.Title))
		h.Snippet = highlight(texts[bleveID(h.Kind, h.ID)], m, snippetWidth)
	}
	return nil
}

// snippetText is the text a snippet is cut from.
func snippetText(d Doc, m *marks) string {
	switch d := d.(type) {
	case *MessageDoc:
		return d.Body
	case *LeadDoc:
		// The first part with a match, else the notes.
		parts := append(append(append([]string{}, d.Notes...), d.CustomText...), d.Company, d.Email)
		for _, p := range parts {
			if p != "" && highlight(p, m, snippetWidth) != highlight(p, nil, snippetWidth) {
				return p
			}
		}
		return strings.Join(d.Notes, " · ")
	}
	return ""
}
