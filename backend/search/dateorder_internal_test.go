package search

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"testing"
)

// between is the documents whose date lies in the range, bounds included,
// whatever the order of equal dates and with undated documents left out.
func TestDateOrderBetween(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	o := &dateOrder{secs: make([]int64, 500)}
	for i := range o.secs {
		o.secs[i] = int64(r.IntN(50)) * 100 // many equal dates
		if i%37 == 0 {
			o.secs[i] = noDate
		}
		o.byDate = append(o.byDate, uint32(i))
	}
	slices.SortStableFunc(o.byDate, func(a, b uint32) int { return cmp.Compare(o.secs[b], o.secs[a]) })
	for _, c := range [][2]int64{{0, 4900}, {100, 100}, {99, 101}, {101, 199}, {2500, 2400}, {-5, 0}, {4900, 9000}, {1200, 3300}} {
		var want []uint32
		for doc, s := range o.secs {
			if s != noDate && s >= c[0] && s <= c[1] {
				want = append(want, uint32(doc))
			}
		}
		if got := o.between(c[0], c[1]).ToArray(); !slices.Equal(got, want) {
			t.Errorf("between(%d, %d): %d documents, want %d", c[0], c[1], len(got), len(want))
		}
	}
}
