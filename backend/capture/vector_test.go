package capture

import (
	"bytes"
	"testing"
)

// blankAddressesRef is the plain statement of what blankAddresses does:
// every word holding an @ or starting with http, <http, (http or www.
// becomes spaces.
func blankAddressesRef(b []byte) {
	for i := 0; i < len(b); {
		if b[i] == ' ' || b[i] == '\n' || b[i] == '\t' || b[i] == '\r' {
			i++
			continue
		}
		j := i
		for j < len(b) && b[j] != ' ' && b[j] != '\n' && b[j] != '\t' && b[j] != '\r' {
			j++
		}
		run := b[i:j]
		if bytes.IndexByte(run, '@') >= 0 || bytes.HasPrefix(run, []byte("http")) || bytes.HasPrefix(run, []byte("www.")) ||
			bytes.HasPrefix(run, []byte("<http")) || bytes.HasPrefix(run, []byte("(http")) {
			for k := i; k < j; k++ {
				b[k] = ' '
			}
		}
		i = j
	}
}

func compareBlank(t *testing.T, name string, s []byte) {
	t.Helper()
	want, got := bytes.Clone(s), bytes.Clone(s)
	blankAddressesRef(want)
	blankAddresses(got)
	if !bytes.Equal(got, want) {
		t.Errorf("%s: got\n%q\nwant\n%q", name, got, want)
	}
}

func TestBlankAddressesMatchesReference(t *testing.T) {
	cases := []string{
		"", "@", "a@b", "mail sam@brightpath.io today", "see https://x.io/a?b=c, or http://y",
		"<http://x> (http://y) <<http://z> ((http://w) xhttp://v www.example.com wwwx.example.com <www.x.y>",
		"end with http", "http", "www.", "a\thttp://x\r\nb@c\nd", "two @@ signs and a@b@c",
		"mid-word sam@x and trailing @", "httpwww. www.http @http",
	}
	for _, c := range cases {
		compareBlank(t, c, []byte(c))
	}
	for name, text := range messageTexts(t) {
		compareBlank(t, name, text)
	}
}

func FuzzBlankAddresses(f *testing.F) {
	f.Add([]byte("<http://x> (http://y) a@b www.c xhttp"))
	f.Fuzz(func(t *testing.T, s []byte) { compareBlank(t, "fuzz", s) })
}
