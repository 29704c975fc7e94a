package outbox

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message"
	gomail "github.com/emersion/go-message/mail"
)

// parts walks a composed message and returns "content-type[disposition]"
// for every leaf, and the decoded bodies by content type.
func parts(t *testing.T, raw []byte) (shape []string, bodies map[string]string) {
	t.Helper()
	bodies = map[string]string{}
	e, err := message.Read(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	var walk func(e *message.Entity, depth int)
	walk = func(e *message.Entity, depth int) {
		ct, _, _ := e.Header.ContentType()
		if mr := e.MultipartReader(); mr != nil {
			shape = append(shape, strings.Repeat(" ", depth)+ct)
			for {
				p, err := mr.NextPart()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				walk(p, depth+1)
			}
			return
		}
		disp, params, _ := e.Header.ContentDisposition()
		shape = append(shape, fmt.Sprintf("%s%s[%s %s]", strings.Repeat(" ", depth), ct, disp, params["filename"]))
		b, _ := io.ReadAll(e.Body)
		bodies[ct] += string(b)
	}
	walk(e, 0)
	return shape, bodies
}

func TestComposeAlternativeWithAttachment(t *testing.T) {
	d := testDraft()
	d.Attachments = []Attachment{{Filename: "quote.pdf", Data: []byte("%PDF-1.4 fake")}}
	d.Date = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	c, err := Compose(d)
	if err != nil {
		t.Fatal(err)
	}
	shape, bodies := parts(t, c.Raw)
	want := []string{
		"multipart/mixed",
		" multipart/alternative",
		"  text/plain[inline ]",
		"  text/html[inline ]",
		" application/pdf[attachment quote.pdf]",
	}
	if strings.Join(shape, "\n") != strings.Join(want, "\n") {
		t.Fatalf("structure:\n%s\nwant:\n%s", strings.Join(shape, "\n"), strings.Join(want, "\n"))
	}
	if bodies["application/pdf"] != "%PDF-1.4 fake" || !strings.Contains(bodies["text/html"], "<b>quote</b>") {
		t.Fatalf("bodies: %q", bodies)
	}
	h := headerOf(t, c.Raw)
	if date, _ := h.Date(); !date.Equal(d.Date) {
		t.Fatalf("Date %v", date)
	}
	if h.Has("Bcc") || h.Get("MIME-Version") != "1.0" {
		t.Fatalf("header: Bcc %q MIME-Version %q", h.Get("Bcc"), h.Get("MIME-Version"))
	}
	if !bytes.Contains(c.Raw, []byte("\r\n")) || bytes.Contains(bytes.ReplaceAll(c.Raw, []byte("\r\n"), nil), []byte("\n")) {
		t.Fatal("message lines are not all CRLF")
	}
	if c.Envelope.From != "test@example.com" || len(c.Envelope.Rcpts) != 2 {
		t.Fatalf("envelope %+v", c.Envelope)
	}
}

func TestComposeTextOnlyIsSinglePart(t *testing.T) {
	d := testDraft()
	d.HTML = ""
	d.Text = "Grüße aus Köln\n.\nnext line"
	c, err := Compose(d)
	if err != nil {
		t.Fatal(err)
	}
	shape, bodies := parts(t, c.Raw)
	if len(shape) != 1 || !strings.HasPrefix(shape[0], "text/plain") {
		t.Fatalf("shape %v", shape)
	}
	if bodies["text/plain"] != "Grüße aus Köln\r\n.\r\nnext line" {
		t.Fatalf("body %q", bodies["text/plain"])
	}
}

func TestComposeHTMLOnlyDerivesText(t *testing.T) {
	d := testDraft()
	d.Text = ""
	d.HTML = `<p>Hello <b>Bob</b>,</p><ul><li>one</li><li>two</li></ul><p>See <a href="https://example.com/q">the quote</a>.</p><script>x()</script>`
	c, err := Compose(d)
	if err != nil {
		t.Fatal(err)
	}
	_, bodies := parts(t, c.Raw)
	text := strings.ReplaceAll(bodies["text/plain"], "\r\n", "\n")
	for _, want := range []string{"Hello Bob,", "- one\n- two", "the quote <https://example.com/q>."} {
		if !strings.Contains(text, want) {
			t.Errorf("derived text lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "x()") {
		t.Errorf("script leaked into text: %s", text)
	}
}

func TestReplyHeadersAndQuote(t *testing.T) {
	parent := mustParse(t, "From: =?utf-8?q?Bj=C3=B6rn?= <bjorn@customer.test>\r\n"+
		"To: test@example.com, carol@customer.test\r\n"+
		"Cc: sales@example.com, dave@partner.test\r\n"+
		"Subject: Re: Pricing\r\n"+
		"Date: Tue, 3 Mar 2026 14:05:00 +0000\r\n"+
		"Message-ID: <m3@customer.test>\r\n"+
		"References: <m1@customer.test> <m2@example.com>\r\n"+
		"Content-Type: multipart/alternative; boundary=b\r\n\r\n"+
		"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nCan we meet?\r\n\r\nThanks\r\n"+
		"--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p onclick=\"evil()\">Can we <i>meet</i>?</p><script>evil()</script>\r\n--b--\r\n")
	own := []Address{{Address: "test@example.com"}, {Address: "sales@example.com"}}
	to, cc := ReplyRecipients(parent, own, true)
	if fmt.Sprint(addrs(to)) != "[bjorn@customer.test carol@customer.test]" || fmt.Sprint(addrs(cc)) != "[dave@partner.test]" {
		t.Fatalf("reply-all to %v cc %v", addrs(to), addrs(cc))
	}
	to, cc = ReplyRecipients(parent, own, false)
	if fmt.Sprint(addrs(to)) != "[bjorn@customer.test]" || len(cc) != 0 {
		t.Fatalf("reply to %v cc %v", addrs(to), addrs(cc))
	}
	d := Draft{From: own[0], To: to, Subject: ReplySubject(parent.Subject), Text: "Sure, Thursday?",
		HTML: "<p>Sure, Thursday?</p>", ReplyTo: parent, Quote: true}
	c, err := Compose(d)
	if err != nil {
		t.Fatal(err)
	}
	h := headerOf(t, c.Raw)
	irt, _ := h.MsgIDList("In-Reply-To")
	refs, _ := h.MsgIDList("References")
	subj, _ := h.Subject()
	if fmt.Sprint(irt) != "[m3@customer.test]" || fmt.Sprint(refs) != "[m1@customer.test m2@example.com m3@customer.test]" || subj != "Re: Pricing" {
		t.Fatalf("In-Reply-To %v References %v Subject %q", irt, refs, subj)
	}
	_, bodies := parts(t, c.Raw)
	text := strings.ReplaceAll(bodies["text/plain"], "\r\n", "\n")
	if !strings.Contains(text, "Sure, Thursday?\n\nOn Tue, 3 Mar 2026 at 14:05, Björn wrote:\n> Can we meet?\n>\n> Thanks\n") {
		t.Fatalf("quoted text:\n%s", text)
	}
	html := bodies["text/html"]
	if !strings.Contains(html, `<blockquote type="cite"`) || !strings.Contains(html, "Can we <i>meet</i>?") {
		t.Fatalf("quoted html:\n%s", html)
	}
	if strings.Contains(html, "evil") {
		t.Fatalf("unsafe HTML from the original was quoted:\n%s", html)
	}
}

func TestReplyToOwnMessageGoesToItsRecipients(t *testing.T) {
	mine := mustParse(t, "From: test@example.com\r\nTo: bob@customer.test\r\nMessage-ID: <a@example.com>\r\nSubject: Offer\r\n\r\nhi\r\n")
	to, _ := ReplyRecipients(mine, []Address{{Address: "TEST@example.com"}}, false)
	if fmt.Sprint(addrs(to)) != "[bob@customer.test]" {
		t.Fatalf("to %v", addrs(to))
	}
}

func TestReferencesAreTrimmed(t *testing.T) {
	p := &Original{MessageID: "last@x"}
	for i := range 30 {
		p.References = append(p.References, fmt.Sprintf("r%d@x", i))
	}
	refs := References(p)
	if len(refs) != maxReferences || refs[0] != "r0@x" || refs[len(refs)-1] != "last@x" || refs[len(refs)-2] != "r29@x" {
		t.Fatalf("refs %v", refs)
	}
	// Only In-Reply-To on the parent: it stands in for References.
	p = &Original{MessageID: "b@x", InReplyTo: []string{"a@x"}}
	if fmt.Sprint(References(p)) != "[a@x b@x]" {
		t.Fatalf("refs %v", References(p))
	}
}

func TestForwardInlineAndAsAttachment(t *testing.T) {
	raw := "From: Bob <bob@customer.test>\r\nTo: test@example.com\r\nSubject: Specs\r\nDate: Wed, 4 Mar 2026 08:00:00 +0000\r\nMessage-ID: <f@customer.test>\r\n\r\nThe specs are attached.\r\n"
	orig := mustParse(t, raw)
	d := Draft{From: Address{Address: "test@example.com"}, To: []Address{{Address: "eng@example.com"}},
		Subject: ForwardSubject(orig.Subject), Text: "FYI", Forward: orig}
	c, err := Compose(d)
	if err != nil {
		t.Fatal(err)
	}
	_, bodies := parts(t, c.Raw)
	text := strings.ReplaceAll(bodies["text/plain"], "\r\n", "\n")
	if !strings.Contains(text, "---------- Forwarded message ----------\nFrom: Bob <bob@customer.test>") || !strings.Contains(text, "The specs are attached.") {
		t.Fatalf("inline forward:\n%s", text)
	}
	if h := headerOf(t, c.Raw); h.Has("In-Reply-To") {
		t.Fatal("a forward must not claim to be a reply")
	}
	fh := headerOf(t, c.Raw)
	if s, _ := fh.Subject(); s != "Fwd: Specs" {
		t.Fatalf("subject %q", s)
	}

	d.ForwardAsAttachment = true
	c, err = Compose(d)
	if err != nil {
		t.Fatal(err)
	}
	shape, bodies := parts(t, c.Raw)
	if len(shape) != 3 || !strings.HasPrefix(shape[2], " message/rfc822[attachment Specs.eml]") {
		t.Fatalf("shape %q", shape)
	}
	if bodies["message/rfc822"] != raw {
		t.Fatalf("attached original changed:\n%q", bodies["message/rfc822"])
	}
}

func TestComposeRejectsBadDrafts(t *testing.T) {
	cases := []struct {
		field string
		edit  func(d *Draft)
	}{
		{"from", func(d *Draft) { d.From.Address = "nobody" }},
		{"to[0]", func(d *Draft) { d.To[0].Address = "bob at customer" }},
		{"to", func(d *Draft) { d.To, d.Bcc = nil, nil }},
		{"subject", func(d *Draft) { d.Subject = "a\r\nBcc: x@y" }},
		{"attachments[0].filename", func(d *Draft) { d.Attachments = []Attachment{{Data: []byte("x")}} }},
		{"text", func(d *Draft) { d.Text, d.HTML = "", "" }},
	}
	for _, tc := range cases {
		d := testDraft()
		tc.edit(&d)
		_, err := Compose(d)
		var ce *ComposeError
		if !errors.As(err, &ce) || ce.Field != tc.field {
			t.Errorf("%s: got %v", tc.field, err)
		}
	}
}

func TestMessageIDIsInSenderDomain(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		id, err := NewMessageID("Example.COM")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(id, "@example.com") || seen[id] {
			t.Fatalf("id %q (dup %v)", id, seen[id])
		}
		seen[id] = true
		var h gomail.Header
		h.SetMessageID(id)
		if got, err := h.MessageID(); err != nil || got != id {
			t.Fatalf("%q does not round-trip: %q %v", id, got, err)
		}
	}
}

func addrs(list []Address) []string {
	out := make([]string, len(list))
	for i, a := range list {
		out[i] = a.Address
	}
	return out
}
