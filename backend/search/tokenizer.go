package search

import (
	"bytes"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/char/asciifolding"
	unicodetok "github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"
	"github.com/blevesearch/bleve/v2/registry"
)

// wordsTokenizer is Unicode word segmentation (UAX #29), which handles
// every script, with one change for mail: UAX #29 keeps letters joined by
// '.' or ':' together ("lists.sourceforge.net", "re:foo"), so "sourceforge"
// would not find the host name. We split those, as mail indexers such as
// notmuch (Xapian) do; the parts keep consecutive positions, so the
// phrase "sourceforge.net" still matches.
const wordsTokenizer = "tl_words"

type words struct{ seg analysis.Tokenizer }

func init() {
	registry.RegisterTokenizer(wordsTokenizer, func(map[string]any, *registry.Cache) (analysis.Tokenizer, error) {
		return words{unicodetok.NewUnicodeTokenizer()}, nil
	})
}

func splitByte(b byte) bool { return b == '.' || b == ':' }

func (w words) Tokenize(input []byte) analysis.TokenStream {
	ts := w.seg.Tokenize(input)
	split := false
	for _, t := range ts {
		if bytes.IndexByte(t.Term, '.') >= 0 || bytes.IndexByte(t.Term, ':') >= 0 {
			split = true
			break
		}
	}
	if !split {
		return ts
	}
	out := make(analysis.TokenStream, 0, len(ts)+8)
	pos := 1
	for _, t := range ts {
		if bytes.IndexByte(t.Term, '.') < 0 && bytes.IndexByte(t.Term, ':') < 0 {
			t.Position = pos
			pos++
			out = append(out, t)
			continue
		}
		start := -1
		for i := 0; i <= len(t.Term); i++ {
			if i < len(t.Term) && !splitByte(t.Term[i]) {
				if start < 0 {
					start = i
				}
				continue
			}
			if start >= 0 {
				out = append(out, &analysis.Token{
					Term: t.Term[start:i], Start: t.Start + start, End: t.Start + i,
					Position: pos, Type: t.Type,
				})
				pos++
				start = -1
			}
		}
	}
	return out
}

// foldFilter is Bleve's ASCII folding with a fast path: most mail is
// plain ASCII already, and the folding filter would copy it rune by rune.
const foldFilter = "tl_fold"

type asciiFold struct{ f analysis.CharFilter }

func init() {
	registry.RegisterCharFilter(foldFilter, func(map[string]any, *registry.Cache) (analysis.CharFilter, error) {
		return asciiFold{asciifolding.New()}, nil
	})
}

func (f asciiFold) Filter(input []byte) []byte {
	for _, c := range input {
		if c >= 0x80 {
			return f.f.Filter(input)
		}
	}
	return input
}
