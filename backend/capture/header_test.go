package capture

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/emersion/go-message/textproto"

	"threadline/backend/internal/corpus"
)

// readFields are the header fields the classifier reads, as they were
// listed when go-message parsed them: header must read exactly these.
var readFields = append([]string{"From", "To", "Cc", "Reply-To", "Subject", "Message-Id", "In-Reply-To",
	"References", "List-Id", "List-Unsubscribe", "Precedence", "Auto-Submitted", "Content-Type",
	"Content-Transfer-Encoding", "Mime-Version"}, bulkHeaders...)

// goMessageHeader is the reference for header: how parse read a header
// with go-message before header existed. Only the lines of the fields
// read go to textproto.ReadHeader, through a reader that stops after
// maxHeaderBytes of them.
func goMessageHeader(head []byte) textproto.Header {
	wanted := map[string]bool{}
	for _, k := range readFields {
		wanted[strings.ToLower(k)] = true
	}
	var dst []byte
	keep := false
	for len(head) > 0 {
		line := head
		if i := bytes.IndexByte(head, '\n'); i >= 0 {
			line, head = head[:i+1], head[i+1:]
		} else {
			head = nil
		}
		if line[0] == ' ' || line[0] == '\t' {
			if keep {
				dst = append(dst, line...)
			}
			continue
		}
		keep = false
		if c := bytes.IndexByte(line, ':'); c > 0 && c <= 32 {
			keep = wanted[string(bytes.ToLower(line[:c]))]
		}
		if keep {
			dst = append(dst, line...)
			if line[len(line)-1] != '\n' {
				dst = append(dst, '\n')
			}
		}
	}
	dst = append(dst, '\n')
	h, _ := textproto.ReadHeader(bufio.NewReaderSize(io.LimitReader(bytes.NewReader(dst), maxHeaderBytes), 4096))
	return h
}

// compareHeader reports every field where header and go-message disagree.
func compareHeader(raw []byte) []string {
	head, _ := splitHeader(raw)
	var h header
	h.read(head)
	ref := goMessageHeader(head)
	var diffs []string
	for f := hfield(0); f < numHFields; f++ {
		var names []string
		for n, g := range hfieldNames {
			if g == f {
				names = append(names, n)
			}
		}
		if f == hBulk {
			has := false
			for _, n := range names {
				has = has || ref.Has(n)
			}
			if has != h.has[f] {
				diffs = append(diffs, fmt.Sprintf("bulk-service field: present %v, go-message %v", h.has[f], has))
			}
			continue
		}
		if len(names) != 1 {
			diffs = append(diffs, fmt.Sprintf("field %d has names %v", f, names))
			continue
		}
		if got, want := h.get(f), ref.Get(names[0]); got != want || h.has[f] != ref.Has(names[0]) {
			diffs = append(diffs, fmt.Sprintf("%s: %q (present %v), go-message %q (present %v)",
				names[0], got, h.has[f], want, ref.Has(names[0])))
		}
	}
	return diffs
}

func TestHeaderReadsTheListedFields(t *testing.T) {
	var want, got []string
	for _, k := range readFields {
		want = append(want, strings.ToLower(k))
	}
	for k := range hfieldNames {
		got = append(got, k)
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("header reads %v, want %v", got, want)
	}
}

func TestHeaderMatchesGoMessageOnTrainingData(t *testing.T) {
	n := 0
	err := filepath.WalkDir("trainingdata", func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(path) != ".eml" {
			return err
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		n++
		for _, d := range compareHeader(raw) {
			t.Errorf("%s: %s", path, d)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 1000 {
		t.Fatalf("only %d messages under trainingdata", n)
	}
}

func TestHeaderMatchesGoMessageOnCorpus(t *testing.T) {
	if !hasCorpus() {
		t.Skip("npm not installed; the corpus check needs it outside CI")
	}
	for _, m := range corpus.Load(t) {
		for _, d := range compareHeader(m.Raw) {
			t.Errorf("%s: %s", m.Name, d)
		}
		// The mbox "From " line the corpus files start with.
		for _, d := range compareHeader(append([]byte("From someone@example.com Thu Aug 22 12:36:23 2002\n"), m.Raw...)) {
			t.Errorf("%s with a From line: %s", m.Name, d)
		}
	}
}

// crlf turns LF line ends into CRLF.
func crlf(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }

func TestHeaderMatchesGoMessageOnTrickyHeaders(t *testing.T) {
	received := "Received: from mx.example.com (mx.example.com [192.0.2.1])\n\tby mail.example.org with ESMTPS id 123\n\tfor <sam@brightpath.io>; Tue, 4 Mar 2025 10:00:00 +0000\n"
	cases := map[string]string{
		"plain":               "From: Gina Holt <gina@holtplumbing.com>\nTo: sam@brightpath.io\nSubject: Pricing\n\nbody",
		"folded":              "Subject: a long\n subject\n\tfolded  \n   \n\tthree times\nTo: a@b.c,\n c@d.e\n\nbody",
		"folded first line":   "Subject:\n  starts on the next line\n\nbody",
		"encoded name":        "From: =?utf-8?q?J=C3=BCrgen_Maier?= <j.maier@example.de>\nSubject: =?iso-8859-1?q?Anfrage_f=FCr_Preise?=\n\nHallo",
		"encoded folded":      "Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\n =?utf-8?q?_aus_M=C3=BCnchen?=\n\n",
		"quoted comma":        "From: \"Doe, Jane\" <jane@x.com>\nTo: \"Smith, Bob\" <bob@y.com>, carol@z.com\nCc: \"a, b, c\" <abc@q.com>\n\n",
		"missing headers":     "X-Nothing: here\n\nbody",
		"empty header":        "\nbody",
		"no header":           "",
		"header without body": "From: a@b.c\nSubject: no body",
		"cr at end":           "From: a@b.c\nSubject: no body\r",
		"continuation at end": "From: a@b.c\nSubject: no\n body",
		"duplicates":          "Subject: first\nSubject: second\nFrom: x@y.z\nFROM: other@y.z\n\n",
		"case":                "SUBJECT: shout\nfrom: a@b.c\nlIsT-iD: <l.x>\nx-mailgun-sid: 1\n\n",
		"space before colon":  "Subject : not read\nFrom\t: nor this\nTo: a@b.c\n\n",
		"empty values":        "Subject:\nFrom:   \nList-Unsubscribe:\n\n",
		"no colon":            "From: a@b.c\nthis is not a header\nSubject: after the damage\n\n",
		"leading space":       "  From: a@b.c\n continued\nSubject: s\n\nbody",
		"leading blank line":  "\nFrom: a@b.c\n\nbody",
		"mbox from":           "From someone@x Thu Aug 22 12:36:23 2002\nFrom: a@b.c\nSubject: s\n\nbody",
		"bare cr":             "Subject: one\rtwo\r\r\nFrom: a@b.c\r\n\r\n",
		"cr only line":        "Subject: s\n\r\nFrom: a@b.c\n\n",
		"non-ascii":           "Subject: Grüße aus München \x00\xff\nFrom: Jürgen <j@example.de>\n\n",
		"long name":           "X-This-Field-Name-Is-Longer-Than-Thirty-Two: x\nAn-Exactly-Thirty-Two-Byte-Name-: y\nSubject: s\n\n",
		"unwanted folded":     received + "Subject: after received\nDKIM-Signature: v=1;\n\tb=abc\nSubject: second\n\n",
		"content type":        "Content-Type: multipart/alternative;\n\tboundary=\"=_b\"\nContent-Transfer-Encoding: Quoted-Printable\nMIME-Version: 1.0\n\n",
		"bulk":                "Feedback-Id: 1:2:3\nPrecedence: Bulk\nAuto-Submitted: auto-generated\n\n",
		"long line":           "Subject: " + strings.Repeat("word ", 2000) + "\nFrom: a@b.c\n\n",
	}
	// A header far larger than maxHeaderBytes of fields that are not
	// read: everything after it is still read.
	cases["oversize, unread fields"] = strings.Repeat(received, 64<<10/len(received)*2) + "From: late@example.com\nSubject: still read\n\nbody"
	for name, c := range cases {
		for _, form := range []struct{ name, raw string }{{"LF", c}, {"CRLF", crlf(c)}} {
			for _, d := range compareHeader([]byte(form.raw)) {
				t.Errorf("%s (%s): %s", name, form.name, d)
			}
		}
	}
	// Read fields beyond maxHeaderBytes, cut at every position near the
	// bound: inside a name, at the colon, inside a value, between CR and
	// LF, in a continuation line, in a header without body.
	for _, nl := range []string{"\n", "\r\n"} {
		for pad := 0; pad < 80; pad++ {
			filler := "References: <" + strings.Repeat("r", pad) + "@example.com>" + nl
			for len(filler) < maxHeaderBytes-80 {
				filler += " <" + strings.Repeat("x", 60) + "@example.com>" + nl
			}
			tails := []string{
				"Subject: cut here" + nl + " continued" + nl + "From: last@example.com" + nl + nl + "body",
				"Subject: cut" + nl + " here\r",
			}
			for i, tail := range tails {
				for _, d := range compareHeader([]byte(filler + tail)) {
					t.Errorf("oversize %q, pad %d, tail %d: %s", nl, pad, i, d)
				}
			}
		}
	}
}

// The fields decode into the envelope the model sees, whatever the line
// ends.
func TestHeaderEnvelope(t *testing.T) {
	for _, ends := range []func(string) string{func(s string) string { return s }, crlf} {
		var e envelope
		parse([]byte(ends("From: =?utf-8?q?J=C3=BCrgen_Maier?= <J.Maier@Example.de>\n"+
			"To: \"Doe, Jane\" <jane@x.com>,\n bob@y.com\nCc: \"a, b\" <ab@q.com>\n"+
			"Subject: =?iso-8859-1?q?Anfrage_f=FCr?=\n =?iso-8859-1?q?_Preise?=\n"+
			"Message-ID: <1@x.de>\nReferences: <a@b>\n\t<c@d>\nPrecedence: Bulk\n\nHallo")), &e)
		if e.from != (addr{name: "Jürgen Maier", email: "j.maier@example.de"}) {
			t.Errorf("from %+v", e.from)
		}
		if !slices.Equal(e.recipients, []string{"jane@x.com", "bob@y.com", "ab@q.com"}) || !e.hasTo {
			t.Errorf("recipients %q", e.recipients)
		}
		if e.subject != "Anfrage für Preise" || e.messageID != "1@x.de" || e.precedence != "bulk" {
			t.Errorf("subject %q, id %q, precedence %q", e.subject, e.messageID, e.precedence)
		}
		if !slices.Equal(e.inReplyTo, []string{"a@b", "c@d"}) {
			t.Errorf("references %q", e.inReplyTo)
		}
		if string(e.text) != "Hallo\n" {
			t.Errorf("text %q", e.text)
		}
	}
}

// FuzzHeader: header reads any input as go-message does.
// Run longer with: go test -fuzz FuzzHeader ./backend/capture
func FuzzHeader(f *testing.F) {
	f.Add([]byte("From: a@b.c\r\nSubject: s\r\n folded\r\n\r\nbody"))
	f.Add([]byte("Subject : x\nthis is not a header\n\tcontinued\nTo: a@b.c\rCc: d\n\n"))
	f.Add([]byte("From x\nFROM: \"a, b\" <a@b.c>\nsubject:\n =?utf-8?q?x?=\r\r\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		for _, d := range compareHeader(raw) {
			t.Error(d)
		}
	})
}
