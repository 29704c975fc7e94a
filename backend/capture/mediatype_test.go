package capture

import (
	"bufio"
	"bytes"
	"mime"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"threadline/backend/internal/corpus"
)

// compareSimpleMediaType reports where parseSimpleMediaType, when it
// reads v, differs from mime.ParseMediaType.
func compareSimpleMediaType(t *testing.T, v string) {
	t.Helper()
	typ, charset, boundary, ok := parseSimpleMediaType(v)
	if !ok {
		return
	}
	wt, params, err := mime.ParseMediaType(v)
	if err != nil {
		t.Errorf("%q: read as %q, but mime.ParseMediaType fails: %v", v, typ, err)
		return
	}
	if typ != wt || charset != params["charset"] || boundary != params["boundary"] {
		t.Errorf("%q: %q charset %q boundary %q, mime.ParseMediaType %q %v", v, typ, charset, boundary, wt, params)
	}
}

// contentTypes returns the Content-Type values of every message and
// MIME part under trainingdata and, where it can be had, of the corpus.
func contentTypes(t *testing.T) []string {
	var out []string
	add := func(raw []byte) {
		sc := bufio.NewScanner(bytes.NewReader(raw))
		sc.Buffer(nil, 1<<20)
		var cur []string
		for sc.Scan() {
			line := strings.TrimSuffix(sc.Text(), "\r")
			switch {
			case cur != nil && (strings.HasPrefix(line, " ") || strings.HasPrefix(line, "\t")):
				cur = append(cur, strings.TrimSpace(line))
				continue
			case cur != nil:
				out = append(out, strings.Join(cur, " "))
				cur = nil
			}
			if len(line) > 13 && strings.EqualFold(line[:13], "content-type:") {
				cur = []string{strings.TrimSpace(line[13:])}
			}
		}
	}
	err := filepath.WalkDir("trainingdata", func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(path) != ".eml" {
			return err
		}
		raw, err := os.ReadFile(path)
		add(raw)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if hasCorpus() {
		for _, m := range corpus.Load(t) {
			add(m.Raw)
		}
	}
	return out
}

func TestSimpleMediaType(t *testing.T) {
	cases := []string{
		"text/plain", "text/plain; charset=us-ascii", `text/plain; charset="iso-8859-1"`, "TEXT/PLAIN; CHARSET=US-ASCII",
		"text/plain; Charset=UTF-8", "text/plain;", "text/plain; ;", "text/plain; ; charset=x", "text/plain;charset=x;",
		"text", "text/", "/plain", "text/plain/x", "text /plain", " text/plain ", "text/plain\r", "text/plain; charset",
		"text/plain; charset=", `text/plain; charset=""`, `text/plain; charset="unterminated`,
		`text/plain; charset="a\"b"`, `text/plain; charset="a\\b"`, `text/plain; charset="a\;b"; x=y`,
		`text/plain; charset="a;b"`, "text/plain; charset=a b", "text/plain; charset=a; charset=a", "text/plain; charset=a; CHARSET=b",
		"text/plain; charset*=utf-8''x", "text/plain; name*0=a; name*1=b", "multipart/alternative; boundary=\"----=_NextPart_000\"",
		"multipart/mixed;\tboundary=b1; type=x; a=1; b=2", "multipart/mixed; a=1; b=2; c=3; d=4; boundary=x",
		"text/plain;\vcharset=x", "text/plain; charset=\"x\"\"y\"", "text/plain; charset=x\r", "text/plain; format=flowed; delsp=yes",
		"text/html; charset=utf-8; charset=utf-8", "text/plain; charset=ü", "téxt/plain", "text/plain; =x", "text/plain charset=x",
	}
	for _, v := range cases {
		compareSimpleMediaType(t, v)
	}
	n, read := 0, 0
	for _, v := range contentTypes(t) {
		n++
		if _, _, _, ok := parseSimpleMediaType(v); ok {
			read++
		}
		compareSimpleMediaType(t, v)
	}
	t.Logf("%d of %d Content-Type values read without mime.ParseMediaType", read, n)
}

func FuzzSimpleMediaType(f *testing.F) {
	f.Add(`text/plain; charset="iso-8859-1"`)
	f.Add("multipart/mixed;\tboundary=b1; type=x; a=1;")
	f.Fuzz(compareSimpleMediaType)
}
