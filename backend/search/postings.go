package search

import (
	"errors"
	"math"
	"reflect"
	"slices"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/blevesearch/bleve/v2/search/query"
	segment "github.com/blevesearch/scorch_segment_api/v2"
	zap "github.com/blevesearch/zapx/v16"
)

// Queries are answered on the segments' postings as bitmaps rather than
// by Bleve's searchers: those score and collect every match one by one,
// which at a few hundred thousand messages costs tens of milliseconds for
// a common word, while the same answer as bitmap operations takes a
// fraction of one. Only phrases need more than bitmaps (word positions);
// their documents are candidates until checked, and only as many are
// checked as a page needs.

// errUnsupported marks a query this evaluator does not handle; the search
// then runs on Bleve's searchers.
var errUnsupported = errors.New("query not supported by the postings evaluator")

// matchSet is what a query matches in one segment: documents that surely
// match, and candidates that match only if their phrases check out.
type matchSet struct {
	sure, maybe *roaring.Bitmap
}

func (m matchSet) any() *roaring.Bitmap { return roaring.Or(m.sure, m.maybe) }

// node is a query evaluated on one segment, kept as a tree so that a
// candidate can be decided document by document.
type node struct {
	op       nodeOp
	set      matchSet
	children []*node
	phrase   *phraseCheck
}

type nodeOp int

const (
	opLeaf nodeOp = iota
	opAnd
	opOr
	opAndNot // the first child's documents without the second's
	opPhrase
)

// segmentEval evaluates queries on one segment of a snapshot.
type segmentEval struct {
	seg     segment.Segment
	deleted *roaring.Bitmap
	live    *roaring.Bitmap
	order   *dateOrder
	dicts   map[string]segment.TermDictionary
	// terms collects the positive terms, which rank matches.
	terms []*scoredTerm
}

// scoredTerm is one ranking term of a query in one segment.
type scoredTerm struct {
	field, term string
	docs        *roaring.Bitmap // live documents holding it
	// weight is set once every segment has been seen.
	weight float32
}

func newSegmentEval(seg segment.Segment, deleted *roaring.Bitmap, order *dateOrder) *segmentEval {
	live := roaring.New()
	live.AddRange(0, seg.Count())
	if deleted != nil {
		live.AndNot(deleted)
	}
	return &segmentEval{seg: seg, deleted: deleted, live: live, order: order, dicts: map[string]segment.TermDictionary{}}
}

func (s *segmentEval) dict(field string) (segment.TermDictionary, error) {
	if d, ok := s.dicts[field]; ok {
		return d, nil
	}
	d, err := s.seg.Dictionary(field)
	if err != nil {
		return nil, err
	}
	s.dicts[field] = d
	return d, nil
}

type orIntoer interface{ OrInto(*roaring.Bitmap) }

// orInto adds pl's documents to bm.
func orInto(bm *roaring.Bitmap, pl segment.PostingsList) error {
	if o, ok := pl.(orIntoer); ok {
		o.OrInto(bm)
		return nil
	}
	it := pl.Iterator(false, false, false, nil)
	for {
		p, err := it.Next()
		if err != nil || p == nil {
			return err
		}
		bm.Add(uint32(p.Number()))
	}
}

// postings returns the live documents holding term in field, and the
// postings list itself.
func (s *segmentEval) postings(field, term string) (*roaring.Bitmap, segment.PostingsList, error) {
	d, err := s.dict(field)
	if err != nil {
		return nil, nil, err
	}
	pl, err := d.PostingsList([]byte(term), nil, nil)
	if err != nil {
		return nil, nil, err
	}
	bm := roaring.New()
	if err := orInto(bm, pl); err != nil {
		return nil, nil, err
	}
	if s.deleted != nil {
		bm.AndNot(s.deleted)
	}
	return bm, pl, nil
}

func sureSet(bm *roaring.Bitmap) matchSet { return matchSet{sure: bm, maybe: roaring.New()} }

// eval evaluates q. negated says whether q sits under an odd number of
// NOTs: its terms then do not rank.
func (s *segmentEval) eval(q query.Query, negated bool) (*node, error) {
	switch q := q.(type) {
	case *query.TermQuery:
		bm, _, err := s.postings(q.FieldVal, q.Term)
		if err != nil {
			return nil, err
		}
		if !negated {
			s.terms = append(s.terms, &scoredTerm{field: q.FieldVal, term: q.Term, docs: bm})
		}
		return &node{op: opLeaf, set: sureSet(bm)}, nil
	case *query.PhraseQuery:
		return s.phrase(q, negated)
	case *query.PrefixQuery:
		d, err := s.dict(q.FieldVal)
		if err != nil {
			return nil, err
		}
		bm := roaring.New()
		err = eachTerm(d, []byte(q.Prefix), prefixEnd([]byte(q.Prefix)), func(_ []byte, pl segment.PostingsList) error {
			return orInto(bm, pl)
		})
		if err != nil {
			return nil, err
		}
		if s.deleted != nil {
			bm.AndNot(s.deleted)
		}
		return &node{op: opLeaf, set: sureSet(bm)}, nil
	case *query.DateRangeQuery:
		from, to := secondsRange(q)
		return s.dated(from, to), nil
	case *query.MatchAllQuery:
		return &node{op: opLeaf, set: sureSet(s.live.Clone())}, nil
	case *query.MatchNoneQuery:
		return &node{op: opLeaf, set: sureSet(roaring.New())}, nil
	case *query.ConjunctionQuery:
		return s.and(q.Conjuncts, negated)
	case *query.DisjunctionQuery:
		if q.Min > 1 {
			return nil, errUnsupported
		}
		return s.or(q.Disjuncts, negated)
	case *query.BooleanQuery:
		if q.Should != nil || q.Filter != nil {
			return nil, errUnsupported
		}
		if q.MustNot == nil {
			if q.Must == nil {
				return &node{op: opLeaf, set: sureSet(s.live.Clone())}, nil
			}
			return s.eval(q.Must, negated)
		}
		// andNot copies m's sets, so the live documents need no copy.
		m := &node{op: opLeaf, set: sureSet(s.live)}
		if q.Must != nil {
			var err error
			if m, err = s.eval(q.Must, negated); err != nil {
				return nil, err
			}
		}
		x, err := s.eval(q.MustNot, !negated)
		if err != nil {
			return nil, err
		}
		return s.andNot(m, x), nil
	}
	return nil, errUnsupported
}

// dated is the leaf of the live documents dated in [from, to].
func (s *segmentEval) dated(from, to int64) *node {
	bm := s.order.between(from, to)
	if s.deleted != nil {
		bm.AndNot(s.deleted)
	}
	return &node{op: opLeaf, set: sureSet(bm)}
}

func (s *segmentEval) and(qs []query.Query, negated bool) (*node, error) {
	parts := make([]*node, 0, len(qs))
	// after: and before: together are one range: one run of the date
	// order instead of two, and no intersection.
	from, to, ranges := minRangeSecs, maxRangeSecs, 0
	for _, q := range qs {
		if r, ok := q.(*query.DateRangeQuery); ok && r.FieldVal == fDate {
			f, t := secondsRange(r)
			from, to, ranges = max(from, f), min(to, t), ranges+1
		}
	}
	if ranges > 1 {
		parts = append(parts, s.dated(from, to))
	}
	for _, q := range qs {
		if r, ok := q.(*query.DateRangeQuery); ok && r.FieldVal == fDate && ranges > 1 {
			continue
		}
		n, err := s.eval(q, negated)
		if err != nil {
			return nil, err
		}
		parts = append(parts, n)
	}
	return s.combineAnd(parts), nil
}

func (s *segmentEval) combineAnd(parts []*node) *node {
	if len(parts) == 1 {
		return parts[0]
	}
	sure := parts[0].set.sure.Clone()
	anyOf := parts[0].set.any()
	for _, p := range parts[1:] {
		sure.And(p.set.sure)
		anyOf.And(p.set.any())
	}
	anyOf.AndNot(sure)
	return &node{op: opAnd, set: matchSet{sure: sure, maybe: anyOf}, children: parts}
}

func (s *segmentEval) or(qs []query.Query, negated bool) (*node, error) {
	n := &node{op: opOr}
	sures := make([]*roaring.Bitmap, 0, len(qs))
	maybes := make([]*roaring.Bitmap, 0, len(qs))
	for _, q := range qs {
		c, err := s.eval(q, negated)
		if err != nil {
			return nil, err
		}
		n.children = append(n.children, c)
		sures = append(sures, c.set.sure)
		maybes = append(maybes, c.set.maybe)
	}
	if len(n.children) == 1 {
		return n.children[0], nil
	}
	// A word is looked up in a dozen fields: one union of all their
	// postings costs less than a dozen unions of two.
	n.set = matchSet{sure: roaring.FastOr(sures...), maybe: roaring.FastOr(maybes...)}
	n.set.maybe.AndNot(n.set.sure)
	return n, nil
}

// andNot is the documents of m without those of x. Subtracting x costs a
// fraction of intersecting m with x's complement, which is most of the
// segment.
func (s *segmentEval) andNot(m, x *node) *node {
	sure := m.set.sure.Clone()
	sure.AndNot(x.set.sure)
	sure.AndNot(x.set.maybe)
	maybe := m.set.any()
	maybe.AndNot(x.set.sure)
	maybe.AndNot(sure)
	return &node{op: opAndNot, set: matchSet{sure: sure, maybe: maybe}, children: []*node{m, x}}
}

// prefixEnd is the first key after every key starting with p (nil when
// there is none).
func prefixEnd(p []byte) []byte {
	end := append([]byte(nil), p...)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}

// secondsRange is a date range query's bounds as inclusive seconds,
// clamped to the dates the date field holds.
func secondsRange(q *query.DateRangeQuery) (int64, int64) {
	from, to := minRangeSecs, maxRangeSecs
	if !q.Start.IsZero() {
		incl := q.InclusiveStart == nil || *q.InclusiveStart
		from = max(from, ceilSeconds(q.Start.Time, incl))
	}
	if !q.End.IsZero() {
		incl := q.InclusiveEnd != nil && *q.InclusiveEnd
		to = min(to, floorSeconds(q.End.Time, incl))
	}
	return from, to
}

// ceilSeconds is the first whole second at (incl) or after t; documents
// carry whole seconds.
func ceilSeconds(t time.Time, incl bool) int64 {
	s := t.Unix()
	if t.Nanosecond() > 0 || !incl {
		s++
	}
	return s
}

// floorSeconds is the last whole second at (incl) or before t.
func floorSeconds(t time.Time, incl bool) int64 {
	s := t.Unix()
	if t.Nanosecond() == 0 && !incl {
		s--
	}
	return s
}

// phraseCheck decides whether a document holds a phrase: its words at
// consecutive positions of one field value. Postings can only be read
// forwards (reaching a document reads the postings before it in its
// chunk, see skipToChunk), so documents are best checked in ascending
// order; a smaller one than the last starts the reading over.
type phraseCheck struct {
	field string
	lists []segment.PostingsList
	// chunks is each list's chunk size (see skipToChunk), 0 if unknown.
	chunks []uint64
	iters  []segment.PostingsIterator
	// cur is each iterator's current posting (nil before the first).
	cur  []segment.Posting
	last int64
	// ends and next are holds' buffers, kept between documents.
	ends, next []phrasePlace
}

// phrasePlace is where the phrase read so far ends in a document: a
// position within one value of the field (ArrayPositions tell values
// apart).
type phrasePlace struct {
	arr []uint64
	pos uint64
}

func (s *segmentEval) phrase(q *query.PhraseQuery, negated bool) (*node, error) {
	var words []string
	for _, t := range q.Terms {
		if t == "" {
			// Bleve's gap marker; our analyzers drop nothing, so a
			// phrase never has one.
			return nil, errUnsupported
		}
		words = append(words, t)
	}
	if len(words) == 0 {
		return &node{op: opLeaf, set: sureSet(roaring.New())}, nil
	}
	pc := &phraseCheck{field: q.FieldVal, last: -1}
	var cand *roaring.Bitmap
	for _, w := range words {
		bm, pl, err := s.postings(q.FieldVal, w)
		if err != nil {
			return nil, err
		}
		if cand == nil {
			cand = bm
		} else {
			cand.And(bm)
		}
		pc.lists = append(pc.lists, pl)
		pc.chunks = append(pc.chunks, zapChunkSize(pl))
		if !negated {
			s.terms = append(s.terms, &scoredTerm{field: q.FieldVal, term: w, docs: bm})
		}
	}
	if len(words) == 1 {
		return &node{op: opLeaf, set: sureSet(cand)}, nil
	}
	pc.iters = make([]segment.PostingsIterator, len(words))
	pc.cur = make([]segment.Posting, len(words))
	return &node{op: opPhrase, set: matchSet{sure: roaring.New(), maybe: cand}, phrase: pc}, nil
}

// holds reports whether doc has the phrase.
func (pc *phraseCheck) holds(doc uint32) (bool, error) {
	if int64(doc) < pc.last {
		for i, pl := range pc.lists {
			pc.iters[i], pc.cur[i] = pl.Iterator(true, false, true, pc.iters[i]), nil
		}
	}
	pc.last = int64(doc)
	ends, next := pc.ends[:0], pc.next[:0]
	defer func() { pc.ends, pc.next = ends, next }()
	for i, pl := range pc.lists {
		if pc.iters[i] == nil {
			pc.iters[i] = pl.Iterator(true, false, true, nil)
		}
		// Advance consumes the posting it returns: keep one past doc
		// for the documents between.
		p := pc.cur[i]
		if p == nil || p.Number() < uint64(doc) {
			pc.skipToChunk(i, doc)
			var err error
			if p, err = pc.iters[i].Advance(uint64(doc)); err != nil {
				return false, err
			}
			if p == nil {
				// Exhausted: no later document has the word either.
				pc.cur[i] = exhausted{}
				return false, nil
			}
			pc.cur[i] = p
		}
		if p.Number() != uint64(doc) {
			return false, nil
		}
		next = next[:0]
		for _, l := range p.Locations() {
			if l.Field() != "" && l.Field() != pc.field {
				continue
			}
			at := phrasePlace{l.ArrayPositions(), l.Pos()}
			if i == 0 || slices.ContainsFunc(ends, func(e phrasePlace) bool {
				return e.pos+1 == at.pos && slices.Equal(e.arr, at.arr)
			}) {
				next = append(next, at)
			}
		}
		if len(next) == 0 {
			return false, nil
		}
		ends, next = next, ends
	}
	return true, nil
}

// skipToChunk moves iterator i to the start of doc's chunk when it has not
// reached that chunk. A zap list keeps frequencies and positions in chunks
// of documents; to read doc's, Advance steps through the list's documents
// one by one from where it stands, which over a long list costs far more
// than the check itself, though only the documents in doc's own chunk
// need counting. Skipping to the chunk's start leaves exactly those.
func (pc *phraseCheck) skipToChunk(i int, doc uint32) {
	size := pc.chunks[i]
	it, ok := pc.iters[i].(*zap.PostingsIterator)
	if size == 0 || !ok || it.Actual == nil {
		return
	}
	// Within the chunk of its last posting this is a no-op: it only
	// moves forward.
	it.Actual.AdvanceIfNeeded(uint32(uint64(doc) / size * size))
}

// zapChunkSize is the chunk size zap chose for pl, 0 when pl is not a zap
// list read with one. zap keeps it unexported; reading it by reflection
// ties us to its field name, and a renamed field only turns the skip off.
func zapChunkSize(pl segment.PostingsList) uint64 {
	zp, ok := pl.(*zap.PostingsList)
	if !ok || zp == nil {
		return 0
	}
	f := reflect.ValueOf(zp).Elem().FieldByName("chunkSize")
	if !f.IsValid() || f.Kind() != reflect.Uint64 {
		return 0
	}
	return f.Uint()
}

// exhausted stands for the end of a postings list.
type exhausted struct{ segment.Posting }

func (exhausted) Number() uint64 { return math.MaxUint64 }

// holds decides whether doc matches n.
func (n *node) holds(doc uint32) (bool, error) {
	if n.set.sure.Contains(doc) {
		return true, nil
	}
	if !n.set.maybe.Contains(doc) {
		return false, nil
	}
	switch n.op {
	case opPhrase:
		return n.phrase.holds(doc)
	case opAnd:
		for _, c := range n.children {
			if ok, err := c.holds(doc); !ok || err != nil {
				return false, err
			}
		}
		return true, nil
	case opOr:
		for _, c := range n.children {
			if ok, err := c.holds(doc); ok || err != nil {
				return ok, err
			}
		}
		return false, nil
	case opAndNot:
		if ok, err := n.children[0].holds(doc); !ok || err != nil {
			return false, err
		}
		ok, err := n.children[1].holds(doc)
		return !ok, err
	}
	return false, nil
}
