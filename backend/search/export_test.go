package search

import "github.com/blevesearch/bleve/v2/index/scorch"

// SetBleveOnly makes x answer queries with Bleve's searchers alone.
func SetBleveOnly(x *Index, on bool) {
	x.mu.Lock()
	x.bleveOnly = on
	x.mu.Unlock()
}

// DeletedDocs is how many deleted documents the index's segments still
// hold, and how many segments there are.
func DeletedDocs(x *Index) (deleted, segments int) {
	for _, ss := range segmentsOf(x) {
		if d := ss.Deleted(); d != nil {
			deleted += int(d.GetCardinality())
		}
		segments++
	}
	return deleted, segments
}

// segmentsOf is the segments of x's current snapshot.
func segmentsOf(x *Index) []*scorch.SegmentSnapshot {
	x.mu.RLock()
	defer x.mu.RUnlock()
	snap, _, err := x.snapshot()
	if err != nil {
		panic(err)
	}
	defer snap.Close()
	return snap.Segments()
}

// KeepSegments stops Bleve from merging the segments of indexes opened
// until restore is called, so that deleted documents stay in them.
func KeepSegments() (restore func()) {
	bleveConfig = map[string]any{"scorchMergePlanOptions": map[string]any{
		"maxSegmentsPerTier": 100000, "segmentsPerMergeTask": 100000,
	}}
	return func() { bleveConfig = nil }
}

// SplitSettleAt makes counts check a segment's phrase candidates on two
// goroutines from n candidates on, until restore is called.
func SplitSettleAt(n uint64) (restore func()) {
	old := settleSplit
	settleSplit = n
	return func() { settleSplit = old }
}

// BodyChunkSizes is, per segment, the chunk size zap chose for the body
// postings of word, as phrase checks read it (0: not found).
func BodyChunkSizes(x *Index, word string) []uint64 {
	var out []uint64
	for _, ss := range segmentsOf(x) {
		d, err := ss.Segment().Dictionary(fBody)
		if err != nil {
			panic(err)
		}
		pl, err := d.PostingsList([]byte(word), nil, nil)
		if err != nil {
			panic(err)
		}
		out = append(out, zapChunkSize(pl))
	}
	return out
}
