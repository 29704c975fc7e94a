package search

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/search/query"
	segment "github.com/blevesearch/scorch_segment_api/v2"
)

// snapshotEval is one query evaluated on every segment of one snapshot of
// the index.
type snapshotEval struct {
	query query.Query
	snap  *scorch.IndexSnapshot
	segs  []*segmentEval
	roots []*node
}

// evalSnapshot opens a snapshot of the index and evaluates q on it;
// callers close the result. It returns errUnsupported for an index or a
// query the postings evaluator does not handle, and when a test has set
// bleveOnly. Callers hold x.mu.
func (x *Index) evalSnapshot(q query.Query) (*snapshotEval, error) {
	if x.bleveOnly {
		return nil, errUnsupported
	}
	snap, orders, err := x.snapshot()
	if err != nil {
		return nil, err
	}
	se := &snapshotEval{snap: snap, query: q}
	for i, ss := range snap.Segments() {
		ev := newSegmentEval(ss.Segment(), ss.Deleted(), orders[i])
		root, err := ev.eval(q, false)
		if err != nil {
			snap.Close()
			return nil, err
		}
		se.segs = append(se.segs, ev)
		se.roots = append(se.roots, root)
	}
	if err := se.settle(settleCandidates); err != nil {
		snap.Close()
		return nil, err
	}
	return se, nil
}

// settleCandidates is how many phrase candidates are checked up front so
// that totals and counts are exact; beyond it, only as many are checked as
// a page needs.
const settleCandidates = 1024

// settle checks every phrase candidate if there are at most limit.
func (se *snapshotEval) settle(limit int) error {
	n := 0
	for _, r := range se.roots {
		n += int(r.set.maybe.GetCardinality())
	}
	if n == 0 || n > limit {
		return nil
	}
	for i, r := range se.roots {
		if err := se.settleSegment(i, r); err != nil {
			return err
		}
	}
	return nil
}

// settleSplit is how many candidates a segment needs before settle checks
// them on two goroutines. Tests lower it.
var settleSplit uint64 = 8192

// settleSegment checks segment i's phrase candidates and moves those that
// match to the sure set. Many candidates are split in two runs by document
// number, checked in parallel, the upper run on a second evaluation of the
// query: phrase checks keep iterators, which cannot be shared, and they
// reach the upper run's first document at the cost of one chunk.
func (se *snapshotEval) settleSegment(i int, r *node) error {
	n := r.set.maybe.GetCardinality()
	if n == 0 {
		return nil
	}
	if n < settleSplit {
		confirmed, err := confirm(r, r.set.maybe, 0, math.MaxUint32)
		if err != nil {
			return err
		}
		r.set.sure.Or(confirmed)
		r.set.maybe.Clear()
		return nil
	}
	ev := se.segs[i]
	twin, err := newSegmentEval(ev.seg, ev.deleted, ev.order).eval(se.query, false)
	if err != nil {
		return err
	}
	mid, err := r.set.maybe.Select(uint32(n / 2))
	if err != nil {
		return err
	}
	var upper *roaring.Bitmap
	var upperErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		upper, upperErr = confirm(twin, r.set.maybe, mid, math.MaxUint32)
	}()
	lower, err := confirm(r, r.set.maybe, 0, mid)
	<-done
	if err = cmp.Or(err, upperErr); err != nil {
		return err
	}
	r.set.sure.Or(lower)
	r.set.sure.Or(upper)
	r.set.maybe.Clear()
	return nil
}

// confirm returns the documents of cand in [from, to) that root holds,
// checked in ascending order. It only reads cand.
func confirm(root *node, cand *roaring.Bitmap, from, to uint32) (*roaring.Bitmap, error) {
	out := roaring.New()
	it := cand.Iterator()
	it.AdvanceIfNeeded(from)
	for it.HasNext() {
		doc := it.Next()
		if doc >= to {
			break
		}
		ok, err := root.holds(doc)
		if err != nil {
			return nil, err
		}
		if ok {
			out.Add(doc)
		}
	}
	return out, nil
}

// snapshot opens a snapshot of the index (callers close it) with the date
// orders of its segments. It returns errUnsupported for an index that is
// not scorch. Callers hold x.mu.
func (x *Index) snapshot() (*scorch.IndexSnapshot, []*dateOrder, error) {
	adv, err := x.bidx.Advanced()
	if err != nil {
		return nil, nil, err
	}
	r, err := adv.Reader()
	if err != nil {
		return nil, nil, err
	}
	snap, ok := r.(*scorch.IndexSnapshot)
	if !ok {
		r.Close()
		return nil, nil, errUnsupported
	}
	segs := make([]segment.Segment, len(snap.Segments()))
	for i, ss := range snap.Segments() {
		segs[i] = ss.Segment()
	}
	orders, err := x.orders.get(segs)
	if err != nil {
		snap.Close()
		return nil, nil, err
	}
	return snap, orders, nil
}

func (se *snapshotEval) Close() error { return se.snap.Close() }

// warmOrders builds the date orders of segments that new writes or
// Bleve's merges have made, so that the first search after them does not
// wait for it (most of a second for a segment of 300,000 messages).
func (x *Index) warmOrders() {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if x.bidx == nil {
		return
	}
	snap, _, err := x.snapshot()
	if err != nil {
		if !errors.Is(err, errUnsupported) {
			x.log.Warn("search: date orders not built ahead", "err", err)
		}
		return
	}
	snap.Close()
}

// sureCount is how many documents surely match; exact tells whether that
// is all of them (no phrase candidates left to check).
func (se *snapshotEval) sureCount() (n int, exact bool) {
	exact = true
	for _, r := range se.roots {
		n += int(r.set.sure.GetCardinality())
		if !r.set.maybe.IsEmpty() {
			exact = false
		}
	}
	return n, exact
}

// postingsHit is one match found on a segment.
type postingsHit struct {
	seg   int
	doc   uint32
	secs  int64
	score float64
	// What a page shows, read from the stored fields for the hits each
	// segment offers (id is the Bleve document id).
	id, title, thread, place, dateKey string
}

// newestFirst returns up to need matches newest first, starting after the
// (secs, id) of a cursor when after is set. It also returns how many
// phrase candidates were confirmed on the way.
func (se *snapshotEval) newestFirst(need int, after *postingsHit) ([]postingsHit, int, error) {
	var all []postingsHit
	confirmed := 0
	bound, bounded := newestDate(se.query)
	for i, ev := range se.segs {
		start := 0
		if after != nil {
			var err error
			if start, err = ev.positionAfter(after); err != nil {
				return nil, 0, err
			}
		}
		if bounded {
			// Nothing newer than the query's before: can match.
			start = max(start, ev.order.firstAtOrBefore(bound))
		}
		docs, c, err := ev.newest(se.roots[i], need, start)
		if err != nil {
			return nil, 0, err
		}
		confirmed += c
		for _, d := range docs {
			h := postingsHit{seg: i, doc: d, secs: ev.order.secs[d]}
			all = append(all, h)
		}
	}
	if err := se.readStored(all); err != nil {
		return nil, 0, err
	}
	slices.SortFunc(all, compareNewest)
	return all[:min(len(all), need)], confirmed, nil
}

func compareNewest(a, b postingsHit) int {
	if c := cmp.Compare(b.secs, a.secs); c != 0 {
		return c
	}
	return cmp.Compare(b.id, a.id)
}

// readStored reads the hits' stored fields: the id orders equal dates
// across segments, the rest is what a page shows.
func (se *snapshotEval) readStored(hits []postingsHit) error {
	for i := range hits {
		h := &hits[i]
		err := se.segs[h.seg].seg.VisitStoredFields(uint64(h.doc), func(field string, _ byte, value []byte, _ []uint64) bool {
			switch field {
			case "_id":
				h.id = string(value)
			case fTitle:
				h.title = string(value)
			case fThread:
				h.thread = string(value)
			case fPlace:
				h.place = string(value)
			case fDateSort:
				h.dateKey = string(value)
			}
			return true
		})
		if err != nil {
			return fmt.Errorf("stored fields: %w", err)
		}
	}
	return nil
}

// positionAfter is the first position of the segment's date order that
// comes after the cursor hit c.
func (ev *segmentEval) positionAfter(c *postingsHit) (int, error) {
	var failed error
	pos, _ := slices.BinarySearchFunc(ev.order.byDate, c, func(doc uint32, c *postingsHit) int {
		if s := ev.order.secs[doc]; s != c.secs {
			return cmp.Compare(c.secs, s)
		}
		id, err := ev.seg.DocID(uint64(doc))
		if err != nil {
			failed = err
			return 0
		}
		// Ids at or above the cursor's come first; the search lands on
		// the first one below.
		if string(id) >= c.id {
			return -1
		}
		return 1
	})
	return pos, failed
}

// newestDate is the newest date (seconds) a match of q can have, if q
// bounds it: a before: that every match must meet.
func newestDate(q query.Query) (int64, bool) {
	switch q := q.(type) {
	case *query.DateRangeQuery:
		if q.FieldVal == fDate {
			_, to := secondsRange(q)
			return to, true
		}
	case *query.BooleanQuery:
		if q.Must != nil {
			return newestDate(q.Must)
		}
	case *query.ConjunctionQuery:
		bound, bounded := int64(0), false
		for _, c := range q.Conjuncts {
			if b, ok := newestDate(c); ok && (!bounded || b < bound) {
				bound, bounded = b, true
			}
		}
		return bound, bounded
	}
	return 0, false
}

// newest returns up to need documents matching root newest first, from
// position start of the date order on, and how many phrase candidates it
// confirmed.
func (ev *segmentEval) newest(root *node, need, start int) ([]uint32, int, error) {
	cand := root.set.any()
	if cand.IsEmpty() || start >= len(ev.order.byDate) {
		return nil, 0, nil
	}
	verdicts := map[uint32]bool{}
	for k := need; ; k *= 4 {
		list := ev.firstByDate(cand, start, k)
		out, err := ev.accept(root, list, need, verdicts)
		if err != nil || len(out) == need || len(list) < k {
			return out, trues(verdicts), err
		}
	}
}

// firstByDate returns the first k documents of cand in date order from
// position start on.
func (ev *segmentEval) firstByDate(cand *roaring.Bitmap, start, k int) []uint32 {
	nc := int(cand.GetCardinality())
	byDate := ev.order.byDate
	// Walking the date order finds k candidates after about
	// remaining/nc*k steps if they are spread evenly, a membership test
	// each; ranking every candidate costs nc steps that are about a
	// tenth as dear. Walk when that is far cheaper, and rank when the walk
	// turns out longer (matches bunched in the past).
	expected := float64(len(byDate)-start) / float64(nc) * float64(k)
	if budget := nc / 8; expected*4 < float64(budget) {
		out := make([]uint32, 0, k)
		end := min(len(byDate), start+budget)
		for _, doc := range byDate[start:end] {
			if cand.Contains(doc) {
				if out = append(out, doc); len(out) == k {
					return out
				}
			}
		}
		if end == len(byDate) {
			return out
		}
	}
	return ev.topByRank(cand, k, start)
}

// accept returns the documents of list, in its order, that match root, up
// to need. Phrase candidates are checked in document order (the order
// postings are read in), each once: verdicts keeps what was decided.
func (ev *segmentEval) accept(root *node, list []uint32, need int, verdicts map[uint32]bool) ([]uint32, error) {
	var check []uint32
	for _, doc := range list {
		if !root.set.sure.Contains(doc) {
			if _, seen := verdicts[doc]; !seen {
				check = append(check, doc)
			}
		}
	}
	slices.Sort(check)
	for _, doc := range check {
		ok, err := root.holds(doc)
		if err != nil {
			return nil, err
		}
		verdicts[doc] = ok
	}
	out := make([]uint32, 0, need)
	for _, doc := range list {
		if root.set.sure.Contains(doc) || verdicts[doc] {
			if out = append(out, doc); len(out) == need {
				break
			}
		}
	}
	return out, nil
}

func trues(m map[uint32]bool) int {
	n := 0
	for _, ok := range m {
		if ok {
			n++
		}
	}
	return n
}

// Ranking. A match's score is the sum, over the query's words (free
// words, subject:, from:, to: and the words of phrases; not excluded ones)
// and the fields it holds each in, of idf² times the field's weight: a
// rare word counts more than a common one, a word in the subject or a
// lead's name more than one in a message body, and more of the query's
// words more than fewer. How often a word occurs and how long the text is
// do not count: reading that from the postings costs most of a query, and
// in mail it mostly favours short messages and repetitive ones. Equal
// scores, which are common, go newest first.

// fieldWeights are the fields' weights in scores; others weigh 1.
var fieldWeights = map[string]float32{
	fSubject: 2, fFromT: 1.5, fName: 3, fCompany: 2, fEmailT: 2, fTags: 1.5,
}

// bestFirst returns the best need matches, best first, and how many
// phrase candidates it confirmed on the way.
func (se *snapshotEval) bestFirst(need int) ([]postingsHit, int, error) {
	se.setWeights()
	var all []postingsHit
	confirmed := 0
	for i, ev := range se.segs {
		hits, c, err := ev.best(se.roots[i], need)
		if err != nil {
			return nil, 0, err
		}
		confirmed += c
		for j := range hits {
			hits[j].seg = i
		}
		all = append(all, hits...)
	}
	if err := se.readStored(all); err != nil {
		return nil, 0, err
	}
	slices.SortFunc(all, func(a, b postingsHit) int {
		if c := cmp.Compare(b.score, a.score); c != 0 {
			return c
		}
		return compareNewest(a, b)
	})
	return all[:min(len(all), need)], confirmed, nil
}

// setWeights sets each ranking term's weight from its document frequency
// over every segment.
func (se *snapshotEval) setWeights() {
	type key struct{ field, term string }
	df := map[key]uint64{}
	var docs uint64
	for _, ev := range se.segs {
		docs += ev.live.GetCardinality()
		seen := map[key]bool{}
		for _, t := range ev.terms {
			k := key{t.field, t.term}
			if !seen[k] {
				seen[k] = true
				df[k] += t.docs.GetCardinality()
			}
		}
	}
	for _, ev := range se.segs {
		for _, t := range ev.terms {
			idf := 1 + math.Log(float64(docs)/float64(df[key{t.field, t.term}]+1))
			w, ok := fieldWeights[t.field]
			if !ok {
				w = 1
			}
			t.weight = float32(idf*idf) * w
		}
	}
}

var scoresPool = sync.Pool{New: func() any { return new([]float32) }}

// best ranks the segment's matches and returns the best need of them.
func (ev *segmentEval) best(root *node, need int) ([]postingsHit, int, error) {
	cand := root.set.any()
	nc := cand.GetCardinality()
	if nc == 0 {
		return nil, 0, nil
	}
	sp := scoresPool.Get().(*[]float32)
	defer scoresPool.Put(sp)
	n := int(ev.seg.Count())
	if cap(*sp) < n {
		*sp = make([]float32, n)
	}
	scores := (*sp)[:n]
	hits := func(docs []uint32) []postingsHit {
		out := make([]postingsHit, len(docs))
		for i, doc := range docs {
			out[i] = postingsHit{doc: doc, secs: ev.order.secs[doc], score: float64(scores[doc])}
		}
		return out
	}
	verdicts := map[uint32]bool{}
	if top, err := ev.bestAmongFew(root, cand, need, scores, verdicts); err != nil || top != nil {
		return hits(top), trues(verdicts), err
	}
	ev.score(cand, scores)
	for k := need; ; k *= 4 {
		top := ev.topByScore(cand, k, scores)
		docs, err := ev.accept(root, top, need, verdicts)
		if err != nil {
			return nil, 0, err
		}
		if len(docs) == need || len(top) < k {
			return hits(docs), trues(verdicts), nil
		}
	}
}

// score sets scores[doc] for the documents of set (and clears the rest).
func (ev *segmentEval) score(set *roaring.Bitmap, scores []float32) {
	clear(scores)
	for _, t := range ev.terms {
		if t.docs.IsEmpty() {
			continue
		}
		eachBatch(roaring.And(t.docs, set), func(docs []uint32) {
			for _, doc := range docs {
				scores[doc] += t.weight
			}
		})
	}
}

// bestAmongFew finds the k best matches among the candidates holding the
// query's heaviest words alone, when that settles it: every other
// candidate scores at most the sum of the lighter words' weights, so once
// the k-th best match of the few beats that sum, nothing else can enter.
// A common word's matches then need no scoring (in mail, the few are the
// subject and sender matches). It returns nil when the few do not settle
// it.
func (ev *segmentEval) bestAmongFew(root *node, cand *roaring.Bitmap, k int, scores []float32, verdicts map[uint32]bool) ([]uint32, error) {
	terms := slices.Clone(ev.terms)
	slices.SortFunc(terms, func(a, b *scoredTerm) int { return cmp.Compare(b.weight, a.weight) })
	var rest float32
	for _, t := range terms {
		rest += t.weight
	}
	few := roaring.New()
	limit := cand.GetCardinality() / 4
	tried := uint64(0)
	for _, t := range terms[:max(0, len(terms)-1)] {
		rest -= t.weight
		if t.docs.IsEmpty() {
			continue
		}
		few.Or(t.docs)
		few.And(cand)
		nf := few.GetCardinality()
		if nf > limit {
			return nil, nil
		}
		// Scoring the few again is worth it only once they have grown.
		if nf < uint64(k) || nf < 2*tried {
			continue
		}
		tried = nf
		ev.score(few, scores)
		for n := k; ; n *= 4 {
			top := ev.topByScore(few, n, scores)
			docs, err := ev.accept(root, top, k, verdicts)
			if err != nil {
				return nil, err
			}
			if len(docs) == k {
				if scores[docs[k-1]] > rest {
					return docs, nil
				}
				break
			}
			if len(top) < n {
				break
			}
		}
	}
	return nil, nil
}

// topByRank returns the k documents of set that come first in the date
// order from position start on, in that order.
func (ev *segmentEval) topByRank(set *roaring.Bitmap, k, start int) []uint32 {
	rank := ev.order.rank
	// A heap of the k smallest ranks seen, the largest at the root.
	h := make([]uint32, 0, k)
	larger := func(a, b uint32) bool { return a > b }
	eachBatch(set, func(docs []uint32) {
		for _, doc := range docs {
			r := rank[doc]
			switch {
			case int(r) < start:
			case len(h) < k:
				h = append(h, r)
				siftUp(h, len(h)-1, larger)
			case r < h[0]:
				h[0] = r
				siftDown(h, 0, larger)
			}
		}
	})
	slices.Sort(h)
	for i, r := range h {
		h[i] = ev.order.byDate[r]
	}
	return h
}

// topByScore returns the k documents of set with the highest scores, best
// first; equal scores go newest first.
func (ev *segmentEval) topByScore(set *roaring.Bitmap, k int, scores []float32) []uint32 {
	rank := ev.order.rank
	worse := func(a, b uint32) bool {
		if scores[a] != scores[b] {
			return scores[a] < scores[b]
		}
		return rank[a] > rank[b]
	}
	// A heap of the k best seen, the worst at the root.
	h := make([]uint32, 0, k)
	eachBatch(set, func(docs []uint32) {
		for _, doc := range docs {
			if len(h) < k {
				h = append(h, doc)
				siftUp(h, len(h)-1, worse)
				continue
			}
			// Most documents fall below the worst kept on the score alone.
			if s, w := scores[doc], scores[h[0]]; s < w || s == w && rank[doc] > rank[h[0]] {
				continue
			}
			h[0] = doc
			siftDown(h, 0, worse)
		}
	})
	slices.SortFunc(h, func(a, b uint32) int {
		if worse(b, a) {
			return -1
		}
		if worse(a, b) {
			return 1
		}
		return 0
	})
	return h
}

// eachBatch calls fn with the documents of set in ascending order, a few
// hundred at a time: loops over matches stay free of a call per document.
func eachBatch(set *roaring.Bitmap, fn func(docs []uint32)) {
	buf := make([]uint32, 512)
	it := set.ManyIterator()
	for {
		n := it.NextMany(buf)
		if n == 0 {
			return
		}
		fn(buf[:n])
	}
}

// siftUp and siftDown keep h a heap whose root is the element before
// which less puts none (the worst kept).
func siftUp(h []uint32, i int, less func(a, b uint32) bool) {
	for i > 0 {
		p := (i - 1) / 2
		if !less(h[i], h[p]) {
			return
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
}

func siftDown(h []uint32, i int, less func(a, b uint32) bool) {
	for {
		l := 2*i + 1
		if l >= len(h) {
			return
		}
		m := l
		if r := l + 1; r < len(h) && less(h[r], h[l]) {
			m = r
		}
		if !less(h[m], h[i]) {
			return
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}

// facetCounts counts the matches per facet term; phrase candidates must
// have been settled.
func (se *snapshotEval) facetCounts() (map[string]int, error) {
	counts := map[string]int{}
	for i, ev := range se.segs {
		root := se.roots[i]
		if !root.set.maybe.IsEmpty() {
			return nil, errors.New("facet counts of unchecked phrase candidates")
		}
		if root.set.sure.IsEmpty() {
			continue
		}
		d, err := ev.dict(fFacet)
		if err != nil {
			return nil, err
		}
		// The matches exclude deleted documents, so the postings need not.
		bm := roaring.New()
		err = eachTerm(d, nil, nil, func(term []byte, pl segment.PostingsList) error {
			bm.Clear()
			if err := orInto(bm, pl); err != nil {
				return err
			}
			if c := root.set.sure.AndCardinality(bm); c > 0 {
				counts[string(term)] += int(c)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return counts, nil
}
