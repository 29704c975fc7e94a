package capture

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"fmt"
	stdhtml "html"
	"io"
	"mime"
	"mime/quotedprintable"
	"strings"
	"sync"
	"unicode/utf8"

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
	links       int          // URLs in the text read
	text        []byte       // decoded, quoted replies removed, at most maxTextBytes
	hdr         header       // scratch: the header fields read
	body        bytes.Reader // scratch: reads the message body
	raw, html   []byte       // scratch: body text before charset conversion
	conv        []byte       // scratch: body text after charset conversion
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

// readerPool holds the buffered readers of quoted-printable bodies. They
// are exactly the size the decoder would allocate for itself (4096), so
// pooling them changes nothing it reads.
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
		hdr: header{buf: env.hdr.buf}, raw: env.raw, html: env.html, conv: env.conv,
	}
	head, body := splitHeader(raw)
	h := &env.hdr
	h.read(head)

	env.from = firstAddr(h.get(hFrom))
	env.replyTo = firstAddr(h.get(hReplyTo))
	env.recipients = appendAddrs(env.recipients, h.get(hTo))
	env.hasTo = len(env.recipients) > 0
	env.recipients = appendAddrs(env.recipients, h.get(hCc))
	env.subject = decodeWords(h.get(hSubject))
	env.messageID = strings.Trim(strings.TrimSpace(h.get(hMessageID)), "<>")
	env.inReplyTo = appendMsgIDs(env.inReplyTo, h.get(hInReplyTo))
	env.inReplyTo = appendMsgIDs(env.inReplyTo, h.get(hReferences))
	env.listID = h.has[hListID]
	env.listUnsub = h.has[hListUnsubscribe]
	env.precedence = strings.ToLower(strings.TrimSpace(h.get(hPrecedence)))
	if a := strings.ToLower(strings.TrimSpace(h.get(hAutoSubmitted))); a != "no" {
		env.autoSub = a
	}
	env.bulkService = h.has[hBulk]
	top := mimePart{contentType: h.get(hContentType), encoding: h.get(hContentTransferEncoding), whole: body}
	env.text = readText(env.text, top, env)
	env.links = bytes.Count(env.text, []byte("http://")) + bytes.Count(env.text, []byte("https://")) + bytes.Count(env.text, []byte("www."))
}

// splitHeader splits raw at the first empty line, after a leading mbox
// "From " line, which mailbox files and some exports have.
func splitHeader(raw []byte) (head, body []byte) {
	if bytes.HasPrefix(raw, []byte("From ")) {
		if i := bytes.IndexByte(raw, '\n'); i >= 0 {
			raw = raw[i+1:]
		}
	}
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

func decodeWords(s string) string {
	if !strings.Contains(s, "=?") {
		return s
	}
	if d, err := wordDecoder.DecodeHeader(s); err == nil {
		return d
	}
	return s
}

// mimePart is the message itself or one part of a multipart body: the
// header fields that say how to read it, and its body.
type mimePart struct {
	contentType, disposition, encoding string
	whole                              []byte    // the message's body; nil for a part
	r                                  io.Reader // a part's body
}

// readText appends the opening of the message's readable text to dst:
// the first text/plain part, or the first text/html part with its markup
// removed when there is no plain one. Parts are walked with go-message's
// multipart reader, and their fields are read as go-message reads them;
// the transfer encoding is undone only when there is one, and the charset
// is converted only when the text actually has non-ASCII bytes, because
// for most mail both are expensive no-ops.
func readText(dst []byte, top mimePart, env *envelope) []byte {
	var html []byte
	var htmlCharset string
	parts := 0
	var walk func(p mimePart, depth int) bool
	walk = func(p mimePart, depth int) bool {
		parts++
		if parts > maxParts || depth > 4 {
			return true
		}
		t, charset, boundary := contentType(p.contentType)
		if strings.HasPrefix(t, "multipart/") {
			if boundary == "" {
				return false
			}
			mr := textproto.NewMultipartReader(env.bodyReader(p), boundary)
			for {
				np, err := mr.NextPart()
				if err != nil {
					return false
				}
				sub := mimePart{
					contentType: np.Header.Get("Content-Type"),
					disposition: np.Header.Get("Content-Disposition"),
					encoding:    np.Header.Get("Content-Transfer-Encoding"),
					r:           np,
				}
				if walk(sub, depth+1) {
					return true
				}
			}
		}
		if dispositionType(p.disposition) == "attachment" {
			return false
		}
		plain := t == "text/plain" || t == ""
		if !plain && (t != "text/html" || html != nil) {
			return false
		}
		if plain {
			text := env.decoded(&env.raw, p, 2*maxTextBytes)
			dst = appendPlain(dst, toUTF8(env, text, charset))
			return true
		}
		html, htmlCharset = env.decoded(&env.html, p, 3*maxTextBytes), charset
		return false
	}
	if !walk(top, 0) && html != nil {
		env.htmlOnly = true
		dst = appendHTMLText(dst, toUTF8(env, html, htmlCharset))
	}
	return dst
}

// bodyReader returns a reader of p's body.
func (env *envelope) bodyReader(p mimePart) io.Reader {
	if p.r != nil {
		return p.r
	}
	env.body.Reset(p.whole)
	return &env.body
}

// decoded returns up to n bytes of p's body with its transfer encoding
// undone, as go-message decodes it. It reads into *buf, or returns the
// message's own body when there is nothing to undo; either way the result
// must not be written to.
func (env *envelope) decoded(buf *[]byte, p mimePart, n int) []byte {
	switch {
	case lowerEquals(p.encoding, "quoted-printable"):
		br := readerPool.Get().(*bufio.Reader)
		br.Reset(env.bodyReader(p))
		*buf = readLimited(*buf, quotedprintable.NewReader(br), n)
		br.Reset(nil)
		readerPool.Put(br)
	case lowerEquals(p.encoding, "base64"):
		*buf = readLimited(*buf, base64.NewDecoder(base64.StdEncoding, spaceToNewline{env.bodyReader(p)}), n)
	case p.r == nil:
		// 7bit, 8bit, binary, none, and encodings go-message does not know,
		// which it leaves as they are.
		return p.whole[:min(n, len(p.whole))]
	default:
		*buf = readLimited(*buf, p.r, n)
	}
	return *buf
}

// spaceToNewline turns spaces and tabs into line ends, as go-message does
// before decoding base64, so bodies indented against the rules still
// decode.
type spaceToNewline struct{ r io.Reader }

func (s spaceToNewline) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	for i := range p[:n] {
		if p[i] == ' ' || p[i] == '\t' {
			p[i] = '\n'
		}
	}
	return n, err
}

// lowerEquals reports whether strings.ToLower(s) == lower, for a lower-case
// ASCII lower, allocating only when s is not ASCII.
func lowerEquals(s, lower string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			// Some non-ASCII letters lower to ASCII ones (K, the Kelvin
			// sign, to k).
			return strings.ToLower(s) == lower
		}
	}
	if len(s) != len(lower) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
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
