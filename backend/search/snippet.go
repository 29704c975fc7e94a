package search

import (
	"bytes"
	"html"
	"slices"
	"strings"
	"sync"
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

// snippetFoldScan is how much of a text is tokenized when a substring
// search found none of the words (see findMarks).
const snippetFoldScan = 4 << 10

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
	hits := findMarks(text, m, width)
	// Pick the window start: the match that has the most other matches
	// within width bytes after it, backed up a little for context.
	from := 0
	if len(hits) > 0 {
		best, bestN := 0, 0
		j := 0
		for i := range hits {
			j = max(j, i)
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

type span struct{ start, end int }

// findMarks returns the byte spans of marked words in text. Tokenizing a
// long body costs more than the search itself, so for ASCII terms it first
// finds a likely match with a plain substring search and tokenizes only
// the text around it; it tokenizes the whole (bounded) text only when that
// finds nothing and the text or the terms are not ASCII, where folding
// (ü → u) defeats substring search.
func findMarks(text string, m *marks, width int) []span {
	if m == nil || len(m.terms)+len(m.prefixes) == 0 {
		return nil
	}
	scan := text
	if len(scan) > snippetScan {
		cut := snippetScan
		for cut > 0 && !utf8.RuneStart(text[cut]) {
			cut--
		}
		scan = text[:cut]
	}
	if len(scan) <= 2*width+64 {
		return tokenMarks(scan, 0, m)
	}
	termsASCII := m.ascii()
	best := firstWord(scan, m)
	if best < 0 {
		// Folding (ü → u) can hide a match from substring search; the
		// tokenizer finds it, but costs too much to run over a long
		// text, so only its start is read that way.
		head := scan
		if len(head) > snippetFoldScan {
			head = head[:snippetFoldScan]
			for len(head) > 0 && !utf8.RuneStart(scan[len(head)]) {
				head = head[:len(head)-1]
			}
		}
		if termsASCII && isASCII(head) {
			return nil
		}
		return tokenMarks(head, 0, m)
	}
	from, to := max(0, best-width), min(len(scan), best+2*width)
	for from > 0 && !utf8.RuneStart(scan[from]) {
		from--
	}
	for to < len(scan) && !utf8.RuneStart(scan[to]) {
		to++
	}
	// Start and end at spaces, so no word is cut in two.
	if from > 0 {
		if k := strings.IndexFunc(scan[from:best], unicode.IsSpace); k >= 0 {
			from += k
		} else {
			from = best
		}
	}
	if to < len(scan) {
		if k := strings.LastIndexFunc(scan[best:to], unicode.IsSpace); k > 0 {
			to = best + k
		}
	}
	return tokenMarks(scan[from:to], from, m)
}

func tokenMarks(s string, offset int, m *marks) []span {
	if isASCII(s) {
		return asciiMarks(s, offset, m)
	}
	// Words never span ASCII whitespace, so the text is read a
	// whitespace-separated chunk at a time: ASCII chunks the fast way, and
	// the Unicode tokenizer, which costs several times more, only for
	// chunks that can hold a marked word. When every marked word is ASCII,
	// as folded words nearly always are, a chunk without ASCII letters or
	// digits and without characters that fold to them (such as CJK or
	// Cyrillic text) cannot.
	asciiTerms := m.ascii()
	var hits []span
	for i := 0; i < len(s); {
		if isASCIISpace(s[i]) {
			i++
			continue
		}
		j := i + 1
		for j < len(s) && !isASCIISpace(s[j]) {
			j++
		}
		switch chunk := s[i:j]; {
		case isASCII(chunk):
			hits = append(hits, asciiMarks(chunk, offset+i, m)...)
		case !asciiTerms || mayFoldToASCII(chunk):
			for _, t := range snippetTokenizer.Tokenize([]byte(chunk)) {
				if m.match(fold(t.Term)) {
					hits = append(hits, span{offset + i + t.Start, offset + i + t.End})
				}
			}
		}
		i = j
	}
	return hits
}

func isASCIISpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

// mayFoldToASCII reports whether s has an ASCII letter or digit or a
// character that folds to one.
func mayFoldToASCII(s string) bool {
	table := foldsToASCII()
	for _, r := range s {
		if r < utf8.RuneSelf && isASCIIWordByte(byte(r)) ||
			r >= utf8.RuneSelf && r < 0x10000 && table[r>>6]&(1<<(r&63)) != 0 {
			return true
		}
	}
	return false
}

// foldsToASCII is a bitset over the Basic Multilingual Plane of the
// characters the folding filter turns into text with an ASCII letter or
// digit. It folds nothing beyond that plane.
var foldsToASCII = sync.OnceValue(func() []uint64 {
	table := make([]uint64, 0x10000/64)
	var buf [utf8.UTFMax]byte
	for r := rune(utf8.RuneSelf); r < 0x10000; r++ {
		if !utf8.ValidRune(r) {
			continue
		}
		n := utf8.EncodeRune(buf[:], r)
		for _, c := range folder.Filter(buf[:n]) {
			if c < utf8.RuneSelf && isASCIIWordByte(c) {
				table[r>>6] |= 1 << (r & 63)
				break
			}
		}
	}
	return table
})

// asciiMarks is tokenMarks for ASCII text, where word segmentation comes
// down to runs of letters, digits and '_' (joined across an apostrophe
// between letters and a comma between digits, as UAX #29 joins them) and
// folding to lower case: several times faster than the Unicode tokenizer,
// which a page of hits would otherwise run twenty times.
func asciiMarks(s string, offset int, m *marks) []span {
	var hits []span
	var buf [64]byte
	for i := 0; i < len(s); {
		if !isASCIIWordByte(s[i]) {
			i++
			continue
		}
		j := i + 1
		for j < len(s) {
			if isASCIIWordByte(s[j]) {
				j++
				continue
			}
			if j+1 < len(s) && (s[j] == '\'' && isLetter(s[j-1]) && isLetter(s[j+1]) ||
				s[j] == ',' && isDigit(s[j-1]) && isDigit(s[j+1])) {
				j += 2
				continue
			}
			break
		}
		if j-i <= len(buf) {
			w := buf[:0]
			for k := i; k < j; k++ {
				c := s[k]
				if 'A' <= c && c <= 'Z' {
					c += 'a' - 'A'
				}
				w = append(w, c)
			}
			if m.match(string(w)) {
				hits = append(hits, span{offset + i, offset + j})
			}
		}
		i = j
	}
	return hits
}

func isASCIIWordByte(c byte) bool { return isLetter(c) || isDigit(c) || c == '_' }
func isLetter(c byte) bool        { return c|0x20 >= 'a' && c|0x20 <= 'z' }
func isDigit(c byte) bool         { return c >= '0' && c <= '9' }

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// firstWord returns where the first case-insensitive occurrence in s of a
// marked ASCII word, standing alone (or starting a word, for a prefix),
// begins; -1 if there is none. It jumps from one possible first letter to
// the next with strings.IndexByte, which reads many bytes at a time, and
// stops at the first match: a body without the words is read at memory
// speed, not byte by byte.
func firstWord(s string, m *marks) int {
	type word struct {
		w      string
		prefix bool
	}
	var words []word
	var firsts []byte
	add := func(w string, prefix bool) {
		if w == "" || !isASCII(w) {
			return
		}
		words = append(words, word{w, prefix})
		for _, b := range []byte{w[0], upperASCII(w[0])} {
			if !slices.Contains(firsts, b) {
				firsts = append(firsts, b)
			}
		}
	}
	for t := range m.terms {
		add(t, false)
	}
	for _, p := range m.prefixes {
		add(p, true)
	}
	// next[k] is the next position of firsts[k] at or after pos, len(s)
	// when there is none, -1 before the first look.
	next := make([]int, len(firsts))
	for k := range next {
		next[k] = -1
	}
	for pos := 0; ; {
		i := len(s)
		for k, b := range firsts {
			if next[k] >= 0 && next[k] < pos {
				next[k] = -1
			}
			if next[k] < 0 {
				next[k] = len(s)
				if j := strings.IndexByte(s[pos:], b); j >= 0 {
					next[k] = pos + j
				}
			}
			i = min(i, next[k])
		}
		if i == len(s) {
			return -1
		}
		if i == 0 || !isWordByte(s[i-1]) {
			for _, w := range words {
				end := i + len(w.w)
				if end <= len(s) && equalFoldASCII(s[i:end], w.w) && (w.prefix || end == len(s) || !isWordByte(s[end])) {
					return i
				}
			}
		}
		pos = i + 1
	}
}

func upperASCII(c byte) byte {
	if 'a' <= c && c <= 'z' {
		return c - ('a' - 'A')
	}
	return c
}

func equalFoldASCII(a, lower string) bool {
	for i := 0; i < len(lower); i++ {
		c := a[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c >= 0x80
}
