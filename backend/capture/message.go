package capture

import (
	"bufio"
	"bytes"
	"fmt"
	stdhtml "html"
	"io"
	"mime"
	"strings"
	"sync"

	"github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset" // decode the charsets real mail uses
	"github.com/emersion/go-message/textproto"
)

// maxHeaderBytes bounds how much of a message is read as header: a message
// whose header is larger is still scored, on the part that was read.
const maxHeaderBytes = 64 << 10

// maxTextBytes is how much body text the text model reads. The opening of a
// message carries its intent; reading further costs time and mostly adds
// quoted history, signatures and legal footers.
const maxTextBytes = 1500

// maxParts bounds the MIME parts visited while looking for the text, so a
// message with thousands of parts cannot stall classification.
const maxParts = 16

// envelope is what the classifier needs from one message: the header
// fields that carry structure, and the opening of its readable text.
type envelope struct {
	from        addr
	replyTo     addr
	recipients  []string // To and Cc addresses, lower case
	hasTo       bool     // a To header with at least one address
	subject     string
	messageID   string
	inReplyTo   []string // In-Reply-To and References ids, without <>
	listID      bool
	listUnsub   bool
	precedence  string // lower case
	autoSub     string // lower case; "no" is stored as ""
	bulkService bool   // header set by a bulk-mail service
	htmlOnly    bool
	links       int    // URLs in the text read
	text        []byte // decoded, quoted replies removed, at most maxTextBytes
	head        []byte // scratch: the wanted header fields
	raw, html   []byte // scratch: body text before charset conversion
	conv        []byte // scratch: body text after charset conversion
}

type addr struct {
	name  string
	email string // lower case; empty when the field held no address
}

func (a addr) domain() string {
	if i := strings.LastIndexByte(a.email, '@'); i >= 0 {
		return a.email[i+1:]
	}
	return ""
}

func (a addr) local() string {
	if i := strings.LastIndexByte(a.email, '@'); i >= 0 {
		return a.email[:i]
	}
	return a.email
}

// bulkHeaders are set by mass-mail services and campaign tools, never by a
// person's mail client.
var bulkHeaders = []string{
	"X-Campaign", "X-Campaign-Id", "X-Campaignid", "X-Mailgun-Tag", "X-Mailgun-Sid",
	"X-Sg-Eid", "X-Ses-Outgoing", "X-Mc-User", "X-Mailchimp-Campaign",
	"X-Mailer-Lid", "X-Rpcampaign", "X-Sfmc-Stack", "X-Marketo-Id", "X-Hs-Cta-Tracking",
	"X-Listmember", "X-List-Unsubscribe", "X-Mailing-List", "X-Bulkmail", "X-Ems-Id",
	"Feedback-Id", "X-Csa-Complaints", "X-Job", "X-Emailtype-Id",
}

var readerPool = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 4096) }}

var wordDecoder = &mime.WordDecoder{CharsetReader: charsetReader}

func charsetReader(cs string, r io.Reader) (io.Reader, error) {
	if message.CharsetReader == nil {
		return nil, fmt.Errorf("unhandled charset %q", cs)
	}
	return message.CharsetReader(cs, r)
}

// parse reads the envelope of one RFC 5322 message. It never fails: a broken
// header or body yields whatever could be read before the damage, because a
// half-parsed message still has to be scored.
func parse(raw []byte, env *envelope) {
	// Keep the scratch buffers of the previous message.
	*env = envelope{
		recipients: env.recipients[:0], inReplyTo: env.inReplyTo[:0], text: env.text[:0],
		head: env.head[:0], raw: env.raw, html: env.html, conv: env.conv,
	}
	// Mailbox files and some exports start with an mbox "From " line.
	if bytes.HasPrefix(raw, []byte("From ")) {
		if i := bytes.IndexByte(raw, '\n'); i >= 0 {
			raw = raw[i+1:]
		}
	}
	head, body := splitHeader(raw)
	// Only the fields the model reads go to the header parser: real mail
	// carries dozens of Received, DKIM and vendor fields, and parsing them
	// would cost more than everything else together.
	env.head = appendWanted(env.head[:0], head)
	br := readerPool.Get().(*bufio.Reader)
	defer readerPool.Put(br)
	br.Reset(&limitedBytes{b: env.head, n: maxHeaderBytes})
	h, _ := textproto.ReadHeader(br)

	env.from = firstAddr(h.Get("From"))
	env.replyTo = firstAddr(h.Get("Reply-To"))
	env.recipients = appendAddrs(env.recipients, h.Get("To"))
	env.hasTo = len(env.recipients) > 0
	env.recipients = appendAddrs(env.recipients, h.Get("Cc"))
	env.subject = decodeWords(h.Get("Subject"))
	env.messageID = strings.Trim(strings.TrimSpace(h.Get("Message-Id")), "<>")
	env.inReplyTo = appendMsgIDs(env.inReplyTo, h.Get("In-Reply-To"))
	env.inReplyTo = appendMsgIDs(env.inReplyTo, h.Get("References"))
	env.listID = h.Has("List-Id")
	env.listUnsub = h.Has("List-Unsubscribe")
	env.precedence = strings.ToLower(strings.TrimSpace(h.Get("Precedence")))
	if a := strings.ToLower(strings.TrimSpace(h.Get("Auto-Submitted"))); a != "no" {
		env.autoSub = a
	}
	for _, k := range bulkHeaders {
		if h.Has(k) {
			env.bulkService = true
			break
		}
	}
	env.text = readText(env.text, h, bytes.NewReader(body), env)
	env.links = bytes.Count(env.text, []byte("http://")) + bytes.Count(env.text, []byte("https://")) + bytes.Count(env.text, []byte("www."))
}

// splitHeader splits raw at the first empty line.
func splitHeader(raw []byte) (head, body []byte) {
	for i := 0; ; {
		j := bytes.IndexByte(raw[i:], '\n')
		if j < 0 {
			return raw, nil
		}
		i += j + 1
		switch {
		case i < len(raw) && raw[i] == '\n':
			return raw[:i], raw[i+1:]
		case i+1 < len(raw) && raw[i] == '\r' && raw[i+1] == '\n':
			return raw[:i], raw[i+2:]
		}
	}
}

// wantedFields are the header fields parse reads (lower case, with colon).
var wantedFields = func() map[string]bool {
	m := map[string]bool{}
	for _, k := range []string{"from", "to", "cc", "reply-to", "subject", "message-id", "in-reply-to",
		"references", "list-id", "list-unsubscribe", "precedence", "auto-submitted", "content-type",
		"content-transfer-encoding", "mime-version"} {
		m[k] = true
	}
	for _, k := range bulkHeaders {
		m[strings.ToLower(k)] = true
	}
	return m
}()

// appendWanted appends the wanted fields of head (with their folded
// continuation lines) to dst, followed by the empty line that ends a header.
func appendWanted(dst, head []byte) []byte {
	var name [32]byte
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
		if c := bytes.IndexByte(line, ':'); c > 0 && c <= len(name) {
			n := name[:c]
			for k := 0; k < c; k++ {
				b := line[k]
				if 'A' <= b && b <= 'Z' {
					b += 'a' - 'A'
				}
				n[k] = b
			}
			keep = wantedFields[string(n)]
		}
		if keep {
			dst = append(dst, line...)
			if line[len(line)-1] != '\n' {
				dst = append(dst, '\n')
			}
		}
	}
	return append(dst, '\n')
}

func decodeWords(s string) string {
	if !strings.Contains(s, "=?") {
		return s
	}
	if d, err := wordDecoder.DecodeHeader(s); err == nil {
		return d
	}
	return s
}

// readText appends the opening of the message's readable text to dst:
// the first text/plain part, or the first text/html part with its markup
// removed when there is no plain one. Parts are walked with go-message's
// multipart reader; go-message decodes the transfer encoding, and the
// charset is converted here only when the text actually has non-ASCII
// bytes, because for most mail the conversion is an expensive no-op.
func readText(dst []byte, h textproto.Header, body io.Reader, env *envelope) []byte {
	var html []byte
	var htmlCharset string
	parts := 0
	var walk func(h textproto.Header, body io.Reader, depth int) bool
	walk = func(h textproto.Header, body io.Reader, depth int) bool {
		parts++
		if parts > maxParts || depth > 4 {
			return true
		}
		mh := message.Header{Header: h}
		t, params, _ := mh.ContentType()
		if strings.HasPrefix(t, "multipart/") {
			boundary := params["boundary"]
			if boundary == "" {
				return false
			}
			mr := textproto.NewMultipartReader(body, boundary)
			for {
				p, err := mr.NextPart()
				if err != nil {
					return false
				}
				if walk(p.Header, p, depth+1) {
					return true
				}
			}
		}
		if disp, _, _ := mh.ContentDisposition(); disp == "attachment" {
			return false
		}
		plain := t == "text/plain" || t == ""
		if !plain && (t != "text/html" || html != nil) {
			return false
		}
		// Without a charset parameter go-message only undoes the transfer
		// encoding.
		if t == "" {
			t = "text/plain"
		}
		h.Set("Content-Type", t)
		e, _ := message.New(mh, body)
		if e == nil {
			return false
		}
		if plain {
			env.raw = readLimited(env.raw, e.Body, 2*maxTextBytes)
			dst = appendPlain(dst, toUTF8(env, env.raw, params["charset"]))
			return true
		}
		env.html = readLimited(env.html, e.Body, 3*maxTextBytes)
		html, htmlCharset = env.html, params["charset"]
		return false
	}
	if !walk(h, body, 0) && html != nil {
		env.htmlOnly = true
		dst = appendHTMLText(dst, toUTF8(env, html, htmlCharset))
	}
	return dst
}

// toUTF8 converts text from charset cs. Pure ASCII needs no conversion in
// the ASCII-compatible charsets most mail uses; an unknown charset leaves
// the bytes as they are.
func toUTF8(env *envelope, text []byte, cs string) []byte {
	if cs == "" || strings.EqualFold(cs, "utf-8") || strings.EqualFold(cs, "us-ascii") {
		return text
	}
	// 7-bit encodings (ISO-2022-*, UTF-7) and UTF-16 look like ASCII bytes
	// but are not.
	lc := strings.ToLower(cs)
	sevenBit := strings.HasPrefix(lc, "iso-2022") || strings.HasPrefix(lc, "utf-7") || strings.HasPrefix(lc, "utf-16")
	if !sevenBit && isASCII(text) {
		return text
	}
	r, err := charsetReader(cs, bytes.NewReader(text))
	if err != nil {
		return text
	}
	env.conv = readLimited(env.conv, r, 3*len(text))
	return env.conv
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}

// readLimited reads up to n bytes of r into buf, reusing its storage.
func readLimited(buf []byte, r io.Reader, n int) []byte {
	if cap(buf) < n {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	m, _ := io.ReadFull(r, buf)
	return buf[:m]
}

// appendPlain appends the author's own words from a plain-text body: quoted
// lines and everything after a reply or forward separator belong to someone
// else (often the owner's own outreach) and would mislead the text model.
func appendPlain(dst []byte, buf []byte) []byte {
	start := len(dst)
	for len(buf) > 0 && len(dst)-start < maxTextBytes {
		line := buf
		if i := bytes.IndexByte(buf, '\n'); i >= 0 {
			line, buf = buf[:i], buf[i+1:]
		} else {
			buf = nil
		}
		line = bytes.TrimRight(line, "\r")
		trimmed := bytes.TrimSpace(line)
		if len(trimmed) > 0 && trimmed[0] == '>' {
			continue
		}
		if isQuoteIntro(trimmed) {
			break
		}
		dst = append(dst, line...)
		dst = append(dst, '\n')
	}
	return dst
}

func isQuoteIntro(line []byte) bool {
	if bytes.HasPrefix(line, []byte("-----Original Message")) ||
		bytes.HasPrefix(line, []byte("-----Ursprüngliche Nachricht")) ||
		bytes.HasPrefix(line, []byte("---------- Forwarded message")) {
		return true
	}
	if bytes.HasPrefix(line, []byte("On ")) && bytes.HasSuffix(line, []byte("wrote:")) {
		return true
	}
	if bytes.HasPrefix(line, []byte("Am ")) && bytes.HasSuffix(line, []byte("schrieb:")) {
		return true
	}
	return false
}

// appendHTMLText appends the visible text of an HTML body: tags become
// spaces, comments and the content of style and script elements are
// dropped, and character references are decoded. Mail HTML is read only
// for its words, so this single pass is enough and costs a fraction of a
// full tokenizer.
func appendHTMLText(dst []byte, src []byte) []byte {
	start := len(dst)
	var skip string // "style" or "script" while inside one
	for i := 0; i < len(src) && len(dst)-start < maxTextBytes; {
		c := src[i]
		switch {
		case c == '<':
			if bytes.HasPrefix(src[i:], []byte("<!--")) {
				k := bytes.Index(src[i+4:], []byte("-->"))
				if k < 0 {
					return dst
				}
				i += 4 + k + 3
				continue
			}
			j := bytes.IndexByte(src[i:], '>')
			if j < 0 {
				return dst
			}
			name, closing := tagName(src[i+1 : i+j])
			switch {
			case skip != "":
				if closing && name == skip {
					skip = ""
				}
			case !closing && (name == "style" || name == "script"):
				skip = name
			}
			dst = append(dst, ' ')
			i += j + 1
		case skip != "":
			i++
		case c == '&':
			j := bytes.IndexByte(src[i:min(len(src), i+12)], ';')
			if j < 0 {
				dst = append(dst, c)
				i++
				continue
			}
			dst = append(dst, stdhtml.UnescapeString(string(src[i:i+j+1]))...)
			i += j + 1
		default:
			dst = append(dst, c)
			i++
		}
	}
	return dst
}

// tagName returns the lower-case name of the tag whose text (between < and
// >) is t, and whether it is a closing tag.
func tagName(t []byte) (string, bool) {
	closing := len(t) > 0 && t[0] == '/'
	if closing {
		t = t[1:]
	}
	n := 0
	for n < len(t) && n < 8 && (t[n] >= 'a' && t[n] <= 'z' || t[n] >= 'A' && t[n] <= 'Z') {
		n++
	}
	switch {
	case n == 5 && bytes.EqualFold(t[:5], []byte("style")):
		return "style", closing
	case n == 6 && bytes.EqualFold(t[:6], []byte("script")):
		return "script", closing
	}
	return "", closing
}

// firstAddr returns the first address of an address-list header, decoding
// an encoded display name. It accepts the malformed lists real mail has
// (missing brackets, stray quotes) instead of failing on them.
func firstAddr(v string) addr {
	var a addr
	forEachAddr(v, func(name, email string) bool {
		a = addr{name: decodeWords(strings.Trim(strings.TrimSpace(name), `"' `)), email: email}
		return false
	})
	return a
}

func appendAddrs(dst []string, v string) []string {
	forEachAddr(v, func(_, email string) bool {
		dst = append(dst, email)
		return true
	})
	return dst
}

// forEachAddr calls fn with the display name and lower-case address of each
// entry of an address list, until fn returns false.
func forEachAddr(v string, fn func(name, email string) bool) {
	for len(v) > 0 {
		entry := v
		inQuote, depth := false, 0
		for i := 0; i < len(v); i++ {
			switch v[i] {
			case '"':
				inQuote = !inQuote
			case '<':
				depth++
			case '>':
				depth--
			case ',':
				if !inQuote && depth <= 0 {
					entry, v = v[:i], v[i+1:]
					goto split
				}
			}
		}
		v = ""
	split:
		name, email := "", ""
		if i := strings.LastIndexByte(entry, '<'); i >= 0 {
			name = entry[:i]
			email = entry[i+1:]
			if j := strings.IndexByte(email, '>'); j >= 0 {
				email = email[:j]
			}
		} else {
			// "addr (Name)" or a bare address.
			email = entry
			if i := strings.IndexByte(entry, '('); i >= 0 {
				email, name = entry[:i], strings.Trim(entry[i:], "()")
			}
		}
		email = strings.TrimSpace(email)
		if strings.IndexByte(email, '@') <= 0 {
			continue
		}
		if !fn(name, lowerASCII(email)) {
			return
		}
	}
}

func appendMsgIDs(dst []string, v string) []string {
	for {
		i := strings.IndexByte(v, '<')
		if i < 0 {
			return dst
		}
		j := strings.IndexByte(v[i:], '>')
		if j < 0 {
			return dst
		}
		dst = append(dst, v[i+1:i+j])
		v = v[i+j+1:]
	}
}

func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'A' <= c && c <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}

// limitedBytes reads at most n bytes of b without copying it.
type limitedBytes struct {
	b []byte
	n int
}

func (l *limitedBytes) Read(p []byte) (int, error) {
	if len(l.b) == 0 || l.n <= 0 {
		return 0, io.EOF
	}
	if len(p) > l.n {
		p = p[:l.n]
	}
	n := copy(p, l.b)
	l.b, l.n = l.b[n:], l.n-n
	return n, nil
}
