package capture

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"threadline/backend/internal/corpus"
)

// tokenizeRef is the plain statement of what tokenize does, which
// tokenize must match word for word and hash for hash: the model's
// features are these words' hashes.
func tokenizeRef(s []byte, fn func(w []byte)) {
	var buf [64]byte
	n := 0
	digits := true
	flush := func() {
		if n > 0 {
			if digits {
				fn([]byte("0"))
			} else {
				fn(buf[:n])
			}
		}
		n, digits = 0, true
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			switch {
			case 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || 'A' <= c && c <= 'Z':
				if n < len(buf) {
					if 'A' <= c && c <= 'Z' {
						c += 'a' - 'A'
					}
					if c > '9' {
						digits = false
					}
					buf[n] = c
					n++
				}
			case c == '\'':
				if n > 0 && n < len(buf) {
					buf[n] = c
					n++
					digits = false
				}
			case c == '$' || c == '%':
				flush()
				fn(s[i-1 : i])
			default:
				flush()
			}
			continue
		}
		r, size := utf8.DecodeRune(s[i:])
		i += size
		switch {
		case unicode.IsLetter(r):
			if n+utf8.UTFMax <= len(buf) {
				n += utf8.EncodeRune(buf[n:], unicode.ToLower(r))
			}
			digits = false
		case r == '’':
			if n > 0 && n < len(buf) {
				buf[n] = '\''
				n++
				digits = false
			}
		case r == '€' || r == '£':
			flush()
			fn(s[i-size : i])
		default:
			flush()
		}
	}
	flush()
}

// compareTokenize reports how tokenize and tokenizeRef differ on s.
func compareTokenize(t *testing.T, name string, s []byte) {
	t.Helper()
	var want, got []string
	tokenizeRef(s, func(w []byte) { want = append(want, string(w)) })
	var buf [64]byte
	tokenize(s, &buf, func(w []byte, h uint64) {
		got = append(got, string(w))
		if h != hashBytes(w) {
			t.Errorf("%s: word %q has hash %x, want %x", name, w, h, hashBytes(w))
		}
	})
	if !slices.Equal(got, want) {
		t.Errorf("%s: words\n%q\nwant\n%q", name, got, want)
	}
}

// messageTexts returns the subject and text of every message under
// trainingdata and, where it can be had, of the corpus: the text the
// model tokenizes.
func messageTexts(t *testing.T) map[string][]byte {
	out := map[string][]byte{}
	add := func(name string, raw []byte) {
		var e envelope
		parse(raw, &e)
		out[name] = append([]byte(e.subject+"\n"), e.text...)
	}
	err := filepath.WalkDir("trainingdata", func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(path) != ".eml" {
			return err
		}
		raw, err := os.ReadFile(path)
		add(path, raw)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if hasCorpus() {
		for _, m := range corpus.Load(t) {
			add(m.Name, m.Raw)
		}
	}
	return out
}

func TestTokenizeMatchesReference(t *testing.T) {
	cases := []string{
		"", "a", "We're looking for a quote: $500 or 20% off, €30 / £40!",
		"Grüße aus München, İstanbul, ΑΘΗΝΑ, ǅemal, ﬁne",
		"it’s 2025-03-04 at 10:30, call 555 0100; 0x1f is 31",
		"'leading 'quotes' and trailing'' and it’’s",
		strings.Repeat("x", 70) + " " + strings.Repeat("9", 63) + "a" + " " + strings.Repeat("7", 64) + "b",
		strings.Repeat("ü", 40) + " " + strings.Repeat("a", 62) + "üb" + " " + strings.Repeat("a", 64) + "'s",
		"12ü " + strings.Repeat("9", 61) + "ü " + strings.Repeat("9", 64) + "'",
		"broken \xff\xfe utf-8 \xe2\x82 and \xc3",
		"tabs\tnew\nlines\r\nand\u00a0nbsp\u2028sep",
	}
	for _, c := range cases {
		compareTokenize(t, c, []byte(c))
	}
	for name, text := range messageTexts(t) {
		compareTokenize(t, name, text)
	}
}

func FuzzTokenize(f *testing.F) {
	f.Add([]byte("We're looking for a quote: $500 or 20% off, €30 / £40!"))
	f.Add([]byte("Grüße it’s \xff" + strings.Repeat("9", 63) + "a"))
	f.Fuzz(func(t *testing.T, s []byte) { compareTokenize(t, "fuzz", s) })
}

func TestSubjectPrefixes(t *testing.T) {
	for _, s := range []string{"", "Re", "RE:", "re: x", "Re : x", "AW: x", "  Fwd: x", "FW:x", "WG: x", "Fw", "Fwd",
		"fw\xff", "Rе: (Cyrillic e)", "İ: x", "\u212aw: x", "Fwd\u0301: x", "F\u0307wd: x"} {
		ref := strings.ToLower(strings.TrimSpace(s))
		wantFwd := strings.HasPrefix(ref, "fwd:") || strings.HasPrefix(ref, "fw:") || strings.HasPrefix(ref, "wg:")
		if got := isForwardSubject(s); got != wantFwd {
			t.Errorf("isForwardSubject(%q) = %v", s, got)
		}
		tr := strings.TrimSpace(s)
		wantRe := len(tr) >= 3 && (strings.ToLower(tr[:3]) == "re:" || strings.ToLower(tr[:3]) == "aw:" ||
			len(tr) >= 4 && strings.ToLower(tr[:4]) == "re :")
		if got := isReplySubject(s); got != wantRe {
			t.Errorf("isReplySubject(%q) = %v", s, got)
		}
	}
}
