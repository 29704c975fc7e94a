package search

import (
	"fmt"
	"strings"
	"testing"
)

func TestHighlight(t *testing.T) {
	m := &marks{terms: map[string]bool{"invoice": true, "muller": true}, prefixes: []string{"pay"}}
	long := strings.Repeat("filler words here ", 200)
	cases := []struct{ text, want string }{
		{"Your invoice & <receipt>", "Your <mark>invoice</mark> &amp; &lt;receipt&gt;"},
		{"Invoices are not invoice", "Invoices are not <mark>invoice</mark>"},
		{"Herr Müller\n\n  pays", "Herr <mark>Müller</mark> <mark>pays</mark>"},
		{"nothing here", "nothing here"},
	}
	for _, c := range cases {
		got := highlight(c.text, m, 200)
		if !strings.HasPrefix(got, c.want) {
			t.Errorf("highlight(%.40q…)\n got %q\nwant prefix %q", c.text, got, c.want)
		}
	}
	// A long text is cut around the match, at spaces, with ellipses; a
	// folded match deep in a long text is found too.
	for _, c := range []struct{ text, mark string }{
		{long + "the invoice is due " + long, "<mark>invoice</mark>"},
		{long + "Grüße von Müller " + long, "<mark>Müller</mark>"},
	} {
		got := highlight(c.text, m, 200)
		i := strings.Index(got, c.mark)
		if !strings.HasPrefix(got, "… filler") && !strings.HasPrefix(got, "… words") && !strings.HasPrefix(got, "… here") ||
			!strings.HasSuffix(got, " …") || i < 0 || i > 60 || len(got) > 260 {
			t.Errorf("long text: %q", got)
		}
	}
	if got := highlight(long, m, 200); !strings.HasPrefix(got, "filler words") || !strings.HasSuffix(got, " …") {
		t.Errorf("no match in a long text: %q; want its start", got)
	}
}

// The ASCII fast path finds the same words as the Unicode tokenizer.
func TestASCIIMarksAgreeWithTokenizer(t *testing.T) {
	m := &marks{terms: map[string]bool{"invoice": true, "don't": true, "1,000": true, "net": true, "re": true, "x_y": true}, prefixes: []string{"pay"}}
	texts := []string{
		"Your INVOICE, paid: 1,000 dollars; don't pay twice. lists.sourceforge.net Re:hello x_y",
		"'quoted' invoice's payments (pay) - invoices 3.14 a,b 1,2,3 --net-- _under_",
		strings.Repeat("Payment due for invoice #42. ", 20),
	}
	for _, text := range texts {
		var want []span
		for _, tk := range snippetTokenizer.Tokenize([]byte(text)) {
			if m.match(fold(tk.Term)) {
				want = append(want, span{tk.Start, tk.End})
			}
		}
		got := asciiMarks(text, 0, m)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%q:\n got %v\nwant %v", text, got, want)
		}
	}
}

// Reading text with non-ASCII characters a chunk at a time, and skipping
// chunks that cannot fold to a marked word, finds what tokenizing the
// whole text finds.
func TestTokenMarksAgreeWithTokenizer(t *testing.T) {
	asciiMarks := &marks{terms: map[string]bool{"money": true, "muller": true, "fast": true, "abc": true}, prefixes: []string{"mort"}}
	cyrillic := &marks{terms: map[string]bool{"деньги": true, "money": true}}
	texts := []string{
		"Make MONEY fast: Grüße von Müller, mortgage rates ↓ today!",
		"赚钱money快速 免费的钱 ｍｏｎｅｙ (fullwidth) ａｂｃ and 数字muller",
		"Быстрые деньги — ДЕНЬГИ сегодня, money\ttoo\nMoney",
		"emoji 💰money💰 😀 naïve café Mortgages\u00a0money",
		"Ｍüller's mortgage\r\n\r\n  — fast,fast;fast money",
	}
	for _, m := range []*marks{asciiMarks, cyrillic} {
		for _, text := range texts {
			var want []span
			for _, tk := range snippetTokenizer.Tokenize([]byte(text)) {
				if m.match(fold(tk.Term)) {
					want = append(want, span{tk.Start, tk.End})
				}
			}
			if len(want) == 0 {
				t.Fatalf("%q: the case marks nothing", text)
			}
			if got := tokenMarks(text, 0, m); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%q:\n got %v\nwant %v", text, got, want)
			}
		}
	}
}

// firstWord finds the earliest marked word that stands alone (a prefix:
// that starts a word), in any case, whichever of the words it is.
func TestFirstWord(t *testing.T) {
	m := &marks{terms: map[string]bool{"linux": true, "perl": true, "1,000": true, "don't": true}, prefixes: []string{"unsub"}}
	for _, c := range []struct {
		text string
		want int
	}{
		{"nothing to see", -1},
		{"Linux", 0},
		{"xlinux linuxes LINUX", 15},
		{"superl perl", 7},
		{"PeRl and linux", 0},
		{"pay 1,000 now", 4},
		{"x21,000 then don't", 13},
		{"resubscribe or Unsubscribe", 15},
		{"naïve perl", 7},
		{"_perl perl_ perl.", 12},
		{"linu", -1},
	} {
		if got := firstWord(c.text, m); got != c.want {
			t.Errorf("firstWord(%q) = %d, want %d", c.text, got, c.want)
		}
	}
}
