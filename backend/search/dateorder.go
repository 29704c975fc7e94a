package search

import (
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	segment "github.com/blevesearch/scorch_segment_api/v2"
)

// dateOrder is one segment's documents newest first: the order of the
// date_sort key, ties broken by document id, descending — the order of
// newest-first pages. Segments never change once written, so it is built
// once per segment, by one pass over two term dictionaries (date_sort and
// _id), and pages are then read off it without touching doc values.
type dateOrder struct {
	// secs is each document's date in seconds (noDate when it has none).
	secs []int64
	// byDate lists document numbers newest first; rank is the inverse
	// (a document's position in byDate).
	byDate []uint32
	rank   []uint32
}

// noDate sorts after every real date, as the zero date's key does.
const noDate = math.MinInt64

// keySeconds turns a dateKey back into seconds; the zero date's key and
// anything unparsable give noDate.
func keySeconds(key string) int64 {
	t, err := time.Parse("2006-01-02T15:04:05Z", key)
	if err != nil {
		return noDate
	}
	return t.Unix()
}

// rangeable reports whether a document dated secs has a date field for
// before: and after: to match (see indexableDate).
func rangeable(secs int64) bool {
	return secs != noDate && secs >= minRangeSecs && secs <= maxRangeSecs
}

var (
	minRangeSecs = time.Date(minYear, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	maxRangeSecs = time.Date(maxYear+1, 1, 1, 0, 0, 0, 0, time.UTC).Unix() - 1
)

func buildDateOrder(seg segment.Segment) (*dateOrder, error) {
	n := int(seg.Count())
	o := &dateOrder{secs: make([]int64, n), byDate: make([]uint32, n), rank: make([]uint32, n)}
	for i := range o.secs {
		o.secs[i] = noDate
	}
	// idRank: a document's place in id order, which the _id dictionary
	// yields directly.
	idRank := o.rank
	next := uint32(0)
	if err := eachPosting(seg, "_id", func(_ []byte, doc uint32) {
		idRank[doc] = next
		next++
	}); err != nil {
		return nil, err
	}
	if err := eachPosting(seg, fDateSort, func(term []byte, doc uint32) {
		o.secs[doc] = keySeconds(string(term))
	}); err != nil {
		return nil, err
	}
	for i := range o.byDate {
		o.byDate[i] = uint32(i)
	}
	slices.SortFunc(o.byDate, func(a, b uint32) int {
		if o.secs[a] != o.secs[b] {
			if o.secs[a] > o.secs[b] {
				return -1
			}
			return 1
		}
		return int(idRank[b]) - int(idRank[a])
	})
	for pos, doc := range o.byDate {
		o.rank[doc] = uint32(pos)
	}
	return o, nil
}

// eachPosting calls fn for every (term, document) of field in seg, in
// term order.
func eachPosting(seg segment.Segment, field string, fn func(term []byte, doc uint32)) error {
	dict, err := seg.Dictionary(field)
	if err != nil {
		return err
	}
	var pi segment.PostingsIterator
	return eachTerm(dict, nil, nil, func(term []byte, pl segment.PostingsList) error {
		pi = pl.Iterator(false, false, false, pi)
		for {
			p, err := pi.Next()
			if err != nil || p == nil {
				return err
			}
			fn(term, uint32(p.Number()))
		}
	})
}

// eachTerm calls fn with every term of dict in [from, to) (nil: unbounded),
// in order, and its postings, which fn must not keep.
func eachTerm(dict segment.TermDictionary, from, to []byte, fn func(term []byte, pl segment.PostingsList) error) error {
	it := dict.AutomatonIterator(nil, from, to)
	var pl segment.PostingsList
	for {
		e, err := it.Next()
		if err != nil || e == nil {
			return err
		}
		term := []byte(e.Term)
		if pl, err = dict.PostingsList(term, nil, pl); err != nil {
			return err
		}
		if err := fn(term, pl); err != nil {
			return err
		}
	}
}

// dateOrders caches the dateOrder of every segment in use. Segments are
// compared by identity: a merge or a persist makes a new one.
type dateOrders struct {
	mu   sync.Mutex
	segs map[segment.Segment]*dateOrder
}

// get returns the orders of segs, building those not cached and dropping
// those of segments no longer listed.
func (c *dateOrders) get(segs []segment.Segment) ([]*dateOrder, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.segs == nil {
		c.segs = map[segment.Segment]*dateOrder{}
	}
	out := make([]*dateOrder, len(segs))
	inUse := make(map[segment.Segment]bool, len(segs))
	for i, s := range segs {
		inUse[s] = true
		o := c.segs[s]
		if o == nil {
			var err error
			if o, err = buildDateOrder(s); err != nil {
				return nil, fmt.Errorf("date order of a segment: %w", err)
			}
			c.segs[s] = o
		}
		out[i] = o
	}
	// A query on an older snapshot may still want a replaced segment;
	// it then builds it again, which is rare and only costs time.
	for s := range c.segs {
		if !inUse[s] {
			delete(c.segs, s)
		}
	}
	return out, nil
}

// between returns the documents dated in [from, to] (seconds), as a bitmap.
func (o *dateOrder) between(from, to int64) *roaring.Bitmap {
	if from > to {
		return roaring.New()
	}
	// They are one run of byDate. Setting them in a dense bitset and
	// converting that costs a fraction of adding them to a bitmap one by
	// one, and of testing every document's date.
	docs := o.byDate[o.firstAtOrBefore(to):o.firstAtOrBefore(from-1)]
	words := make([]uint64, (len(o.secs)+63)/64)
	for _, doc := range docs {
		words[doc>>6] |= 1 << (doc & 63)
	}
	return roaring.FromDense(words, false)
}

// firstAtOrBefore is the first position in byDate dated at or before secs.
func (o *dateOrder) firstAtOrBefore(secs int64) int {
	pos, _ := slices.BinarySearchFunc(o.byDate, secs, func(doc uint32, t int64) int {
		if o.secs[doc] > t {
			return -1
		}
		return 1
	})
	return pos
}
