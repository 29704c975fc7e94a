package mail

import (
	"bytes"
	"fmt"
	stdhtml "html"
	"io"
	"mime"
	"net/mail"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"

	"github.com/emersion/go-message"
	// Registers every charset go-message knows, so bodies and headers in
	// legacy encodings are converted to UTF-8 instead of failing.
	"github.com/emersion/go-message/charset"
	gomail "github.com/emersion/go-message/mail"
)

// Limits on what parsing keeps in the record; the raw message always keeps
// everything.
const (
	maxTextBytes = 256 << 10
	snippetRunes = 200
)

// Parsed is what Threadline reads out of one raw RFC 5322 message. A
// message that cannot be read completely still yields every field that
// could be read, and ParseError says what went wrong: broken mail is kept
// and marked, never dropped.
type Parsed struct {
	MessageID   string       `json:"message_id,omitempty"`
	InReplyTo   []string     `json:"in_reply_to,omitempty"`
	References  []string     `json:"references,omitempty"`
	Subject     string       `json:"subject"`
	From        []Address    `json:"from,omitempty"`
	To          []Address    `json:"to,omitempty"`
	Cc          []Address    `json:"cc,omitempty"`
	ReplyTo     []Address    `json:"reply_to,omitempty"`
	Date        time.Time    `json:"date"`
	Text        string       `json:"-"`
	HasHTML     bool         `json:"has_html,omitempty"`
	Snippet     string       `json:"snippet,omitempty"`
	Attachments []Attachment `json:"attachments,omitempty"`
	Headers     Headers      `json:"headers,omitempty"`
	ParseError  string       `json:"parse_error,omitempty"`
}

// Address is one mailbox of an address header.
type Address struct {
	Name    string `json:"name,omitempty"`
	Address string `json:"address"`
}

// Attachment describes one attached part without its content, which stays
// in the raw message.
type Attachment struct {
	Filename    string `json:"filename"`
	ContentType string `json:"content_type"`
	Size        int    `json:"size"`
	Inline      bool   `json:"inline,omitempty"`
}

// Headers keeps the few headers later features need (list handling, lead
// capture) without a second parse of the raw message.
type Headers map[string]string

var keptHeaders = []string{"List-Id", "List-Unsubscribe", "Auto-Submitted", "Precedence", "X-Mailer", "User-Agent", "X-Gmail-Labels", "X-GM-THRID"}

var wordDecoder = &mime.WordDecoder{CharsetReader: charset.Reader}

// Parse reads raw. It never fails and never panics: problems are reported
// in ParseError.
func Parse(raw []byte) (p *Parsed) {
	p = &Parsed{}
	defer func() {
		if r := recover(); r != nil {
			p.addError(fmt.Sprintf("the parser crashed: %v", r))
		}
	}()
	parse(raw, p)
	return p
}

// ParseBodies returns the plain text and HTML bodies of raw, for display.
func ParseBodies(raw []byte) (text, html string, err error) {
	p := &Parsed{}
	var h string
	func() {
		defer func() {
			if r := recover(); r != nil {
				p.addError(fmt.Sprintf("the parser crashed: %v", r))
			}
		}()
		h = parse(raw, p)
	}()
	if p.ParseError != "" {
		err = fmt.Errorf("%s", p.ParseError)
	}
	return p.Text, h, err
}

func (p *Parsed) addError(msg string) {
	if p.ParseError == "" {
		p.ParseError = msg
	} else if !strings.Contains(p.ParseError, msg) && len(p.ParseError) < 1000 {
		p.ParseError += "; " + msg
	}
}

// parse fills p and returns the first HTML body.
func parse(raw []byte, p *Parsed) string {
	ent, err := message.Read(bytes.NewReader(raw))
	if err != nil && !message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err) {
		p.addError("header: " + err.Error())
		if ent == nil {
			// Not even a header: keep the bytes as the text.
			p.Text = truncateUTF8(strings.ToValidUTF8(string(raw), "\uFFFD"), maxTextBytes)
			p.Snippet = snippet(p.Text)
			p.MessageID = messageIDFromRaw(raw)
			return ""
		}
	} else if err != nil {
		p.addError(err.Error())
	}
	readHeader(gomail.Header{Header: ent.Header}, p)

	var text, html string
	walkErr := ent.Walk(func(path []int, part *message.Entity, err error) error {
		if err != nil {
			p.addError(fmt.Sprintf("part %v: %v", path, err))
			if part == nil {
				return nil
			}
		}
		mt, params, cterr := part.Header.ContentType()
		if cterr != nil {
			mt = "text/plain"
		}
		if strings.HasPrefix(mt, "multipart/") {
			return nil
		}
		disp, dparams, _ := part.Header.ContentDisposition()
		name := dparams["filename"]
		if name == "" {
			name = params["name"]
		}
		if name != "" {
			if dec, err := wordDecoder.DecodeHeader(name); err == nil {
				name = dec
			}
		}
		isAttachment := disp == "attachment" || (name != "" && !strings.HasPrefix(mt, "text/")) || mt == "message/rfc822"
		if isAttachment {
			n, _ := io.Copy(io.Discard, part.Body)
			p.Attachments = append(p.Attachments, Attachment{Filename: name, ContentType: mt, Size: int(n), Inline: disp == "inline"})
			return nil
		}
		switch {
		case mt == "text/plain" && text == "":
			b, err := io.ReadAll(io.LimitReader(part.Body, maxTextBytes*4))
			if err != nil {
				p.addError(fmt.Sprintf("part %v: %v", path, err))
			}
			text = string(b)
		case mt == "text/html" && html == "":
			b, err := io.ReadAll(io.LimitReader(part.Body, maxTextBytes*8))
			if err != nil {
				p.addError(fmt.Sprintf("part %v: %v", path, err))
			}
			html = string(b)
		case strings.HasPrefix(mt, "text/"):
			_, _ = io.Copy(io.Discard, part.Body)
		default:
			n, _ := io.Copy(io.Discard, part.Body)
			p.Attachments = append(p.Attachments, Attachment{Filename: name, ContentType: mt, Size: int(n), Inline: disp == "inline"})
		}
		return nil
	})
	if walkErr != nil {
		p.addError("body: " + walkErr.Error())
	}
	text = strings.ToValidUTF8(text, "\uFFFD")
	html = strings.ToValidUTF8(html, "\uFFFD")
	p.HasHTML = html != ""
	if text == "" && html != "" {
		text = htmlToText(html)
	}
	p.Text = truncateUTF8(text, maxTextBytes)
	p.Snippet = snippet(p.Text)
	return html
}

func readHeader(h gomail.Header, p *Parsed) {
	if s, err := h.Subject(); err == nil {
		p.Subject = s
	} else {
		p.Subject = h.Get("Subject")
		p.addError("subject: " + err.Error())
	}
	p.Subject = latin1Fallback(strings.TrimSpace(p.Subject))
	p.From = addresses(h, "From", p)
	p.To = addresses(h, "To", p)
	p.Cc = addresses(h, "Cc", p)
	p.ReplyTo = addresses(h, "Reply-To", p)
	if d, err := h.Date(); err == nil {
		p.Date = d.UTC()
	} else if d, err := parseLooseDate(h.Get("Date")); err == nil {
		p.Date = d.UTC()
	}
	p.MessageID = firstMsgID(h.Get("Message-Id"))
	p.InReplyTo = msgIDs(h.Get("In-Reply-To"))
	p.References = msgIDs(strings.Join(h.Values("References"), " "))
	for _, k := range keptHeaders {
		if v := h.Get(k); v != "" {
			if p.Headers == nil {
				p.Headers = Headers{}
			}
			if dec, err := wordDecoder.DecodeHeader(v); err == nil {
				v = dec
			}
			p.Headers[k] = strings.ToValidUTF8(v, "\uFFFD")
		}
	}
}

func addresses(h gomail.Header, key string, p *Parsed) []Address {
	v := h.Get(key)
	if v == "" {
		return nil
	}
	list, err := h.AddressList(key)
	if err == nil {
		out := make([]Address, 0, len(list))
		for _, a := range list {
			out = append(out, Address{Name: latin1Fallback(a.Name), Address: strings.ToLower(a.Address)})
		}
		return out
	}
	// Real mail is full of address headers that break RFC 5322 (bare
	// names, unquoted commas, raw 8-bit): salvage what looks like an
	// address rather than losing the sender.
	var out []Address
	for _, m := range looseAddr.FindAllString(v, -1) {
		out = append(out, Address{Address: strings.ToLower(strings.Trim(m, "<>"))})
	}
	if len(out) == 1 {
		name := strings.TrimSpace(looseAddr.ReplaceAllString(v, ""))
		name = strings.Trim(name, "\"' <>()")
		if dec, err := wordDecoder.DecodeHeader(name); err == nil {
			name = dec
		}
		out[0].Name = latin1Fallback(name)
	}
	if len(out) == 0 {
		p.addError(key + ": " + err.Error())
	}
	return out
}

var (
	looseAddr = regexp.MustCompile(`[^\s<>"',;()]+@[^\s<>"',;()]+`)
	msgIDRe   = regexp.MustCompile(`<([^<>\s]+)>`)
)

// firstMsgID returns the first message id in v without angle brackets.
// Ids without brackets are accepted as a whole word, as notmuch does.
func firstMsgID(v string) string {
	if m := msgIDRe.FindStringSubmatch(v); m != nil {
		return m[1]
	}
	v = strings.TrimSpace(v)
	if v == "" || strings.ContainsAny(v, " \t") {
		return ""
	}
	return v
}

// msgIDs returns every bracketed id in v, in order, without duplicates.
func msgIDs(v string) []string {
	var out []string
	seen := map[string]bool{}
	for _, m := range msgIDRe.FindAllStringSubmatch(v, -1) {
		if !seen[m[1]] {
			seen[m[1]] = true
			out = append(out, m[1])
		}
	}
	return out
}

// messageIDFromRaw finds a Message-ID header in a message whose header
// could not be parsed.
func messageIDFromRaw(raw []byte) string {
	end := bytes.Index(raw, []byte("\n\n"))
	if end < 0 {
		end = len(raw)
	}
	for _, line := range strings.Split(string(raw[:end]), "\n") {
		if len(line) > 11 && strings.EqualFold(line[:11], "message-id:") {
			return firstMsgID(line[11:])
		}
	}
	return ""
}

// HeaderMessageID extracts the Message-ID from a header block as fetched
// with BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)].
func HeaderMessageID(hdr []byte) string {
	// Unfold continuation lines first.
	s := strings.ReplaceAll(string(hdr), "\r\n", "\n")
	s = strings.ReplaceAll(s, "\n ", " ")
	s = strings.ReplaceAll(s, "\n\t", " ")
	return messageIDFromRaw([]byte(s + "\n\n"))
}

func parseLooseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if i := strings.Index(s, "("); i > 0 {
		s = strings.TrimSpace(s[:i])
	}
	if t, err := mail.ParseDate(s); err == nil {
		return t, nil
	}
	for _, layout := range []string{
		"Mon, 2 Jan 2006 15:04:05 MST", "Mon, 2 Jan 2006 15:04:05", "2 Jan 2006 15:04:05 -0700",
		"Mon, 2 Jan 06 15:04:05 -0700", "Mon Jan 2 15:04:05 2006", "Mon, 2 Jan 2006 15:04 -0700",
	} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("unreadable date %q", s)
}

var (
	tagRe   = regexp.MustCompile(`(?s)<(script|style)[^>]*>.*?</(script|style)>|<[^>]*>`)
	spaceRe = regexp.MustCompile(`[ \t\r\f\v]+`)
	nlRe    = regexp.MustCompile(`\n\s*\n+`)
)

// htmlToText is a rough rendering for snippets and search of HTML-only mail.
func htmlToText(h string) string {
	s := tagRe.ReplaceAllStringFunc(h, func(tag string) string {
		l := strings.ToLower(tag)
		if strings.HasPrefix(l, "<br") || strings.HasPrefix(l, "<p") || strings.HasPrefix(l, "<div") || strings.HasPrefix(l, "<tr") || strings.HasPrefix(l, "<li") {
			return "\n"
		}
		return ""
	})
	s = htmlUnescape(s)
	s = spaceRe.ReplaceAllString(s, " ")
	s = nlRe.ReplaceAllString(s, "\n\n")
	return strings.TrimSpace(s)
}

func htmlUnescape(s string) string { return stdhtml.UnescapeString(s) }

func snippet(text string) string {
	s := strings.Join(strings.Fields(text), " ")
	if utf8.RuneCountInString(s) <= snippetRunes {
		return s
	}
	r := []rune(s)
	return string(r[:snippetRunes]) + "…"
}

func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// latin1Fallback reads a header that carries raw 8-bit bytes (against RFC
// 5322, common in old mail) as Windows-1252, the usual culprit, instead of
// showing replacement characters.
func latin1Fallback(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	out, err := charmap.Windows1252.NewDecoder().String(s)
	if err != nil {
		return strings.ToValidUTF8(s, "\uFFFD")
	}
	return out
}
