package mail

import (
	"strings"
	"testing"

	"threadline/backend/internal/corpus"
)

func TestParseCharsetsAndStructure(t *testing.T) {
	latin1 := "From: =?ISO-8859-1?Q?J=F6rg_M=FCller?= <JOERG@example.de>\r\n" +
		"To: a@example.com, \"Bob, Jr.\" <bob@example.com>\r\n" +
		"Subject: =?ISO-8859-1?Q?Gr=FC=DFe?=\r\n" +
		"Message-ID: <abc@example.de>\r\n" +
		"References: <r1@x> <r2@x>\r\n" +
		"In-Reply-To: <r2@x>\r\n" +
		"Date: Tue, 3 Sep 2002 10:00:00 +0200\r\n" +
		"MIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n" +
		"--b1\r\nContent-Type: multipart/alternative; boundary=\"b2\"\r\n\r\n" +
		"--b2\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nGr=FC=DFe aus K=F6ln\r\n" +
		"--b2\r\nContent-Type: text/html; charset=koi8-r\r\n\r\n<p>\xf0\xd2\xc9\xd7\xc5\xd4</p><img src=\"http://tracker.example/p.gif\">\r\n" +
		"--b2--\r\n" +
		"--b1\r\nContent-Type: application/pdf; name=\"offer.pdf\"\r\nContent-Disposition: attachment; filename=\"offer.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n" +
		"--b1--\r\n"
	p := Parse([]byte(latin1))
	if p.ParseError != "" {
		t.Errorf("unexpected parse error: %s", p.ParseError)
	}
	if p.Subject != "Grüße" {
		t.Errorf("subject %q", p.Subject)
	}
	if len(p.From) != 1 || p.From[0].Name != "Jörg Müller" || p.From[0].Address != "joerg@example.de" {
		t.Errorf("from %+v", p.From)
	}
	if len(p.To) != 2 || p.To[1].Name != "Bob, Jr." {
		t.Errorf("to %+v", p.To)
	}
	if p.MessageID != "abc@example.de" || strings.Join(p.References, " ") != "r1@x r2@x" || strings.Join(p.InReplyTo, " ") != "r2@x" {
		t.Errorf("ids %q %v %v", p.MessageID, p.References, p.InReplyTo)
	}
	if !strings.Contains(p.Text, "Grüße aus Köln") {
		t.Errorf("text %q", p.Text)
	}
	if len(p.Attachments) != 1 || p.Attachments[0].Filename != "offer.pdf" || p.Attachments[0].Size != 9 {
		t.Errorf("attachments %+v", p.Attachments)
	}
	_, html, err := ParseBodies([]byte(latin1))
	if err != nil || !strings.Contains(html, "Привет") {
		t.Errorf("html %q, %v", html, err)
	}
	safe, blocked := SanitizeHTML(html+`<script>alert(1)</script><a href="https://x.example" onclick="x()">l</a>`, false)
	if !blocked || strings.Contains(safe, "tracker.example/p.gif\"") && !strings.Contains(safe, "data-blocked-src") || strings.Contains(safe, "<script") || strings.Contains(safe, "onclick") {
		t.Errorf("sanitized %q blocked=%v", safe, blocked)
	}
	if strings.Contains(safe, ` src="http`) {
		t.Errorf("a remote image still loads: %q", safe)
	}
	allowed, blocked := SanitizeHTML(html, true)
	if blocked || !strings.Contains(allowed, `src="http://tracker.example/p.gif"`) {
		t.Errorf("allowed remote content: %q blocked=%v", allowed, blocked)
	}
}

func TestParseBrokenMailIsKeptAndMarked(t *testing.T) {
	for name, raw := range map[string]string{
		"unterminated multipart": "Subject: x\r\nMessage-ID: <m1@x>\r\nContent-Type: multipart/mixed; boundary=zz\r\n\r\n--zz\r\nContent-Type: text/plain\r\n\r\nhello",
		"bad base64":             "Subject: y\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!not base64!!!",
		"unknown charset":        "Subject: z\r\nContent-Type: text/plain; charset=x-klingon\r\n\r\nqapla",
		"no header at all":       "\x00\x01\x02 garbage without a colon\n\nbody",
		"8-bit header":           "Subject: caf\xe9\r\nFrom: Ren\xe9 <rene@example.fr>\r\n\r\nbody",
		"empty":                  "",
	} {
		t.Run(name, func(t *testing.T) {
			p := Parse([]byte(raw))
			if p == nil {
				t.Fatal("nil result")
			}
			t.Logf("parse error: %q; subject %q; text %q", p.ParseError, p.Subject, p.Text)
			if name == "8-bit header" && (p.Subject != "café" || len(p.From) != 1 || p.From[0].Name != "René") {
				t.Errorf("raw 8-bit header not read as Latin-1: %q %+v", p.Subject, p.From)
			}
		})
	}
	p := Parse([]byte("Subject: x\r\nMessage-ID: <m1@x>\r\nContent-Type: multipart/mixed; boundary=zz\r\n\r\n--zz\r\nContent-Type: text/plain\r\n\r\nhello"))
	if p.MessageID != "m1@x" || !strings.Contains(p.Text, "hello") {
		t.Errorf("unterminated multipart lost data: %+v", p)
	}
	p = Parse([]byte("Subject: z\r\nContent-Type: text/plain; charset=x-klingon\r\n\r\nqapla"))
	if p.ParseError == "" || !strings.Contains(p.Text, "qapla") {
		t.Errorf("unknown charset: error %q text %q", p.ParseError, p.Text)
	}
}

// TestParseWholeCorpus: every real message parses, or is kept with a
// parse-error mark; none panics (Parse recovers, and says so).
func TestParseWholeCorpus(t *testing.T) {
	msgs := corpus.Load(t)
	marked, crashed, noFrom, noText := 0, 0, 0, 0
	for _, m := range msgs {
		p := Parse(m.Raw)
		if p.ParseError != "" {
			marked++
			if strings.Contains(p.ParseError, "crashed") {
				crashed++
				t.Errorf("%s: %s", m.Name, p.ParseError)
			}
		}
		if len(p.From) == 0 {
			noFrom++
		}
		if p.Text == "" && len(p.Attachments) == 0 {
			noText++
		}
	}
	t.Logf("%d messages: %d parsed cleanly, %d kept with a parse-error mark, %d without a From address, %d without text", len(msgs), len(msgs)-marked, marked, noFrom, noText)
	if noFrom > len(msgs)/100 {
		t.Errorf("%d messages lost their sender", noFrom)
	}
}
