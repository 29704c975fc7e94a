package search

import (
	"bytes"
	"html"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/char/asciifolding"
	unicodetok "github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"
)

// Snippets are computed from the record's text at query time rather than
// from Bleve's term vectors: the index then needs no stored bodies, and the
// text shown is always the record's current text.

// snippetScan bounds how much of a text is searched for matches; beyond it
// the snippet falls back to the start of the text.
const snippetScan = 32 << 10

var (
	snippetTokenizer analysis.Tokenizer = words{unicodetok.NewUnicodeTokenizer()}
	folder                              = asciifolding.New()
)

// fold maps a word to the form the text analyzer indexes it in.
func fold(word []byte) string {
	return string(bytes.ToLower(folder.Filter(word)))
}

// highlight returns text, HTML-escaped, with marked words wrapped in
// <mark>…</mark>, cut to about width characters around the densest run of
// matches. Whitespace runs become one space.
func highlight(text string, m *marks, width int) string {
	scan := text
	if len(scan) > snippetScan {
		cut := snippetScan
		for cut > 0 && !utf8.RuneStart(text[cut]) {
			cut--
		}
		scan = text[:cut]
	}
	type span struct{ start, end int }
	var hits []span
	if m != nil && (len(m.terms) > 0 || len(m.prefixes) > 0) {
		for _, t := range snippetTokenizer.Tokenize([]byte(scan)) {
			if m.match(fold(t.Term)) {
				hits = append(hits, span{t.Start, t.End})
			}
		}
	}
	// Pick the window start: the match that has the most other matches
	// within width bytes after it, backed up a little for context.
	from := 0
	if len(hits) > 0 {
		best, bestN := 0, 0
		j := 0
		for i := range hits {
			for j < len(hits) && hits[j].end-hits[i].start <= width {
				j++
			}
			if j-i > bestN {
				best, bestN = i, j-i
			}
		}
		from = hits[best].start - width/5
		// Use the whole width when the text ends soon after the match.
		from = max(0, min(from, len(text)-width))
		for from > 0 && !utf8.RuneStart(text[from]) {
			from--
		}
		// Start at a word boundary.
		if from > 0 {
			k := strings.IndexFunc(text[from:hits[best].start], unicode.IsSpace)
			if k >= 0 {
				from += k + 1
			} else {
				from = hits[best].start
			}
		}
	}
	to := from + width
	if to >= len(text) {
		to = len(text)
	} else {
		for to > from && !utf8.RuneStart(text[to]) {
			to--
		}
		if k := strings.LastIndexFunc(text[from:to], unicode.IsSpace); k > width/2 {
			to = from + k
		}
	}
	var b strings.Builder
	if from > 0 {
		b.WriteString("… ")
	}
	pos := from
	for _, h := range hits {
		if h.start < from || h.end > to {
			continue
		}
		writeText(&b, text[pos:h.start])
		b.WriteString("<mark>")
		writeText(&b, text[h.start:h.end])
		b.WriteString("</mark>")
		pos = h.end
	}
	writeText(&b, text[pos:to])
	if to < len(text) {
		b.WriteString(" …")
	}
	return strings.TrimSpace(b.String())
}

// writeText writes s HTML-escaped with whitespace runs collapsed.
func writeText(b *strings.Builder, s string) {
	space := false
	start := 0
	for i, r := range s {
		if unicode.IsSpace(r) {
			if !space {
				b.WriteString(html.EscapeString(s[start:i]))
				b.WriteByte(' ')
				space = true
			}
			start = i + utf8.RuneLen(r)
			continue
		}
		space = false
	}
	b.WriteString(html.EscapeString(s[start:]))
}
