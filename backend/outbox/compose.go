package outbox

import (
	"bytes"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"html"
	"io"
	"mime"
	"net/mail"
	"path"
	"strings"
	"time"

	gomail "github.com/emersion/go-message/mail"
	"github.com/microcosm-cc/bluemonday"
)

// Address is one mailbox: an optional display name and an address.
type Address = mail.Address

// Attachment is a file sent with a message.
type Attachment struct {
	Filename    string
	ContentType string // guessed from Filename when empty
	Data        []byte
}

// Draft is what the user wrote, plus what it answers or forwards. Compose
// turns it into a message ready for the outbox.
type Draft struct {
	From    Address // the identity sending; its domain names the Message-ID
	To      []Address
	Cc      []Address
	Bcc     []Address // goes into the envelope only, never into the header
	Subject string
	// Text and HTML are the user's own words. At least one is needed; when
	// only HTML is given a plain-text alternative is derived from it.
	Text        string
	HTML        string
	Attachments []Attachment
	Date        time.Time // zero means now

	// ReplyTo, when set, makes the message a reply: In-Reply-To and
	// References point at it and, with Quote, its text is quoted below.
	ReplyTo *Original
	Quote   bool
	// Forward, when set, forwards that message: inline below the user's
	// words, or as a message/rfc822 attachment with ForwardAsAttachment.
	Forward             *Original
	ForwardAsAttachment bool
}

// Composed is a message ready to be queued.
type Composed struct {
	MessageID string // without angle brackets
	Raw       []byte // CRLF line endings, as sent
	Envelope  Envelope
	Subject   string
	Bcc       []Address // kept so the Sent copy can show them
}

// Envelope is the SMTP envelope: MAIL FROM and RCPT TO.
type Envelope struct {
	From  string   `json:"from"`
	Rcpts []string `json:"rcpts"`
}

// maxReferences bounds the References header. Long threads would otherwise
// grow it past the 998-character line limit some servers enforce; keeping the
// first id (the thread's root) and the most recent ones is what threading
// clients rely on (RFC 5322 section 3.6.4 allows the trimming).
const maxReferences = 12

// ComposeError says which part of a draft is unusable; Field is the draft
// field ("to", "attachments[1]") so an API can name it.
type ComposeError struct {
	Field   string
	Message string
}

func (e *ComposeError) Error() string { return e.Field + ": " + e.Message }

func composeErr(field, format string, args ...any) error {
	return &ComposeError{Field: field, Message: fmt.Sprintf(format, args...)}
}

// Compose builds an RFC 5322 message from d.
func Compose(d Draft) (*Composed, error) {
	if d.From.Address == "" {
		return nil, composeErr("from", "a sender address is needed")
	}
	domain, ok := addressDomain(d.From.Address)
	if !ok {
		return nil, composeErr("from", "%q is not an e-mail address", d.From.Address)
	}
	for _, list := range []struct {
		name  string
		addrs []Address
	}{{"to", d.To}, {"cc", d.Cc}, {"bcc", d.Bcc}} {
		for i, a := range list.addrs {
			if _, ok := addressDomain(a.Address); !ok {
				return nil, composeErr(fmt.Sprintf("%s[%d]", list.name, i), "%q is not an e-mail address", a.Address)
			}
		}
	}
	if len(d.To)+len(d.Cc)+len(d.Bcc) == 0 {
		return nil, composeErr("to", "the message needs at least one recipient")
	}
	if strings.ContainsAny(d.Subject, "\r\n") {
		return nil, composeErr("subject", "the subject cannot contain line breaks")
	}
	for i, a := range d.Attachments {
		if strings.TrimSpace(a.Filename) == "" {
			return nil, composeErr(fmt.Sprintf("attachments[%d].filename", i), "an attachment needs a file name")
		}
		if strings.IndexFunc(a.Filename, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0 {
			return nil, composeErr(fmt.Sprintf("attachments[%d].filename", i), "the file name contains control characters")
		}
		if a.ContentType != "" {
			if _, _, err := mime.ParseMediaType(a.ContentType); err != nil {
				return nil, composeErr(fmt.Sprintf("attachments[%d].content_type", i), "%q is not a media type", a.ContentType)
			}
		}
	}
	if d.ForwardAsAttachment && (d.Forward == nil || len(d.Forward.Raw) == 0) {
		return nil, composeErr("forward_of", "forwarding as an attachment needs the original message")
	}

	date := d.Date
	if date.IsZero() {
		date = time.Now()
	}
	msgID, err := NewMessageID(domain)
	if err != nil {
		return nil, err
	}

	var h gomail.Header
	h.SetDate(date)
	h.SetAddressList("From", addrPtrs([]Address{d.From}))
	h.SetAddressList("To", addrPtrs(d.To))
	h.SetAddressList("Cc", addrPtrs(d.Cc))
	h.SetSubject(d.Subject)
	h.SetMessageID(msgID)
	if p := d.ReplyTo; p != nil && p.MessageID != "" {
		h.SetMsgIDList("In-Reply-To", []string{p.MessageID})
		h.SetMsgIDList("References", References(p))
	}
	h.Set("MIME-Version", "1.0")

	text, htmlBody := d.Text, d.HTML
	if text == "" && htmlBody != "" {
		text = HTMLToText(htmlBody)
	}
	if text == "" && htmlBody == "" && d.Forward == nil && len(d.Attachments) == 0 {
		return nil, composeErr("text", "the message is empty")
	}
	switch {
	case d.Forward != nil && !d.ForwardAsAttachment:
		text, htmlBody = quoteForward(text, htmlBody, d.Forward)
	case d.ReplyTo != nil && d.Quote:
		text, htmlBody = quoteReply(text, htmlBody, d.ReplyTo)
	}

	var buf bytes.Buffer
	attachments := len(d.Attachments) > 0 || d.ForwardAsAttachment
	if !attachments {
		if err := writeBody(&buf, h, text, htmlBody); err != nil {
			return nil, err
		}
	} else {
		mw, err := gomail.CreateWriter(&buf, h)
		if err != nil {
			return nil, err
		}
		if err := writeInline(mw, text, htmlBody); err != nil {
			return nil, err
		}
		for _, a := range d.Attachments {
			if err := writeAttachment(mw, a); err != nil {
				return nil, err
			}
		}
		if d.ForwardAsAttachment {
			name := d.Forward.Subject
			if name == "" {
				name = "message"
			}
			if err := writeAttachment(mw, Attachment{Filename: sanitizeFilename(name) + ".eml",
				ContentType: "message/rfc822", Data: d.Forward.Raw}); err != nil {
				return nil, err
			}
		}
		if err := mw.Close(); err != nil {
			return nil, err
		}
	}

	return &Composed{
		MessageID: msgID,
		Raw:       buf.Bytes(),
		Envelope:  Envelope{From: d.From.Address, Rcpts: envelopeRcpts(d.To, d.Cc, d.Bcc)},
		Subject:   d.Subject,
		Bcc:       d.Bcc,
	}, nil
}

func writeBody(w io.Writer, h gomail.Header, text, htmlBody string) error {
	if htmlBody == "" {
		h.SetContentType("text/plain", map[string]string{"charset": "utf-8"})
		bw, err := gomail.CreateSingleInlineWriter(w, h)
		if err != nil {
			return err
		}
		if _, err := io.WriteString(bw, crlf(text)); err != nil {
			return err
		}
		return bw.Close()
	}
	iw, err := gomail.CreateInlineWriter(w, h)
	if err != nil {
		return err
	}
	if err := writeAlternatives(iw, text, htmlBody); err != nil {
		return err
	}
	return iw.Close()
}

func writeInline(mw *gomail.Writer, text, htmlBody string) error {
	if htmlBody == "" {
		var ih gomail.InlineHeader
		ih.SetContentType("text/plain", map[string]string{"charset": "utf-8"})
		pw, err := mw.CreateSingleInline(ih)
		if err != nil {
			return err
		}
		if _, err := io.WriteString(pw, crlf(text)); err != nil {
			return err
		}
		return pw.Close()
	}
	iw, err := mw.CreateInline()
	if err != nil {
		return err
	}
	if err := writeAlternatives(iw, text, htmlBody); err != nil {
		return err
	}
	return iw.Close()
}

// writeAlternatives writes the plain part first: RFC 2046 orders
// alternatives from least to most faithful, and clients show the last one
// they understand.
func writeAlternatives(iw *gomail.InlineWriter, text, htmlBody string) error {
	for _, p := range []struct{ ctype, body string }{{"text/plain", text}, {"text/html", htmlBody}} {
		var ih gomail.InlineHeader
		ih.SetContentType(p.ctype, map[string]string{"charset": "utf-8"})
		pw, err := iw.CreatePart(ih)
		if err != nil {
			return err
		}
		if _, err := io.WriteString(pw, crlf(p.body)); err != nil {
			return err
		}
		if err := pw.Close(); err != nil {
			return err
		}
	}
	return nil
}

func writeAttachment(mw *gomail.Writer, a Attachment) error {
	ctype := a.ContentType
	if ctype == "" {
		ctype = mime.TypeByExtension(path.Ext(a.Filename))
		if ctype == "" {
			ctype = "application/octet-stream"
		}
	}
	var ah gomail.AttachmentHeader
	mt, params, _ := mime.ParseMediaType(ctype)
	if mt == "message/rfc822" {
		// RFC 2046 section 5.2.1: message/rfc822 must not be base64 encoded.
		ah.Set("Content-Transfer-Encoding", "8bit")
	}
	ah.SetContentType(mt, params)
	ah.SetFilename(a.Filename)
	w, err := mw.CreateAttachment(ah)
	if err != nil {
		return err
	}
	data := a.Data
	if mt == "message/rfc822" {
		data = []byte(crlf(string(data)))
	}
	if _, err := w.Write(data); err != nil {
		return err
	}
	return w.Close()
}

// References is the References list of a reply to p: p's own References
// (or, lacking them, its In-Reply-To) followed by p's Message-ID, trimmed to
// the thread root plus the most recent ids.
func References(p *Original) []string {
	refs := append([]string(nil), p.References...)
	if len(refs) == 0 && len(p.InReplyTo) == 1 {
		refs = append(refs, p.InReplyTo[0])
	}
	if p.MessageID != "" {
		refs = append(refs, p.MessageID)
	}
	seen := map[string]bool{}
	out := refs[:0]
	for _, r := range refs {
		if r == "" || seen[r] {
			continue
		}
		seen[r] = true
		out = append(out, r)
	}
	if len(out) > maxReferences {
		out = append(out[:1:1], out[len(out)-(maxReferences-1):]...)
	}
	return out
}

// NewMessageID returns a fresh message identifier (without angle brackets)
// in domain: 128 random bits make a collision impossible in practice, and
// the sender's own domain keeps the id globally unique as RFC 5322 asks.
func NewMessageID(domain string) (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("generate Message-ID: %w", err)
	}
	enc := base32.StdEncoding.WithPadding(base32.NoPadding)
	return strings.ToLower(enc.EncodeToString(b[:])) + "@" + strings.ToLower(domain), nil
}

func addressDomain(addr string) (string, bool) {
	at := strings.LastIndexByte(addr, '@')
	if at <= 0 || at == len(addr)-1 || strings.ContainsAny(addr, " \t\r\n<>,") {
		return "", false
	}
	return addr[at+1:], true
}

func addrPtrs(list []Address) []*gomail.Address {
	out := make([]*gomail.Address, 0, len(list))
	for i := range list {
		a := list[i]
		out = append(out, &gomail.Address{Name: a.Name, Address: a.Address})
	}
	return out
}

func envelopeRcpts(lists ...[]Address) []string {
	seen := map[string]bool{}
	var out []string
	for _, l := range lists {
		for _, a := range l {
			k := strings.ToLower(a.Address)
			if seen[k] {
				continue
			}
			seen[k] = true
			out = append(out, a.Address)
		}
	}
	return out
}

// ReplySubject prefixes "Re: " unless the subject already starts with a
// reply prefix.
func ReplySubject(s string) string {
	if hasPrefixFold(s, "re:") {
		return s
	}
	return "Re: " + s
}

// ForwardSubject prefixes "Fwd: " unless already there.
func ForwardSubject(s string) string {
	if hasPrefixFold(s, "fwd:") || hasPrefixFold(s, "fw:") {
		return s
	}
	return "Fwd: " + s
}

func hasPrefixFold(s, prefix string) bool {
	s = strings.TrimSpace(s)
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// ReplyRecipients computes who a reply to p goes to. A plain reply goes to
// Reply-To, else From; reply-all adds the other To and Cc recipients. The
// user's own addresses (own) are left out, except that replying to a
// message the user sent goes back to its original recipients.
func ReplyRecipients(p *Original, own []Address, all bool) (to, cc []Address) {
	isOwn := map[string]bool{}
	for _, a := range own {
		isOwn[strings.ToLower(a.Address)] = true
	}
	fromSelf := len(p.From) > 0 && isOwn[strings.ToLower(p.From[0].Address)]
	primary := p.ReplyTo
	if len(primary) == 0 {
		primary = p.From
	}
	if fromSelf {
		// Following up on one's own message: write to its recipients again.
		primary = p.To
	}
	seen := map[string]bool{}
	add := func(dst []Address, list []Address) []Address {
		for _, a := range list {
			k := strings.ToLower(a.Address)
			if k == "" || seen[k] || isOwn[k] {
				continue
			}
			seen[k] = true
			dst = append(dst, a)
		}
		return dst
	}
	to = add(to, primary)
	if all {
		if !fromSelf {
			to = add(to, p.To)
		}
		cc = add(cc, p.Cc)
	}
	return to, cc
}

func quoteAttribution(p *Original) string {
	name := "someone"
	if len(p.From) > 0 {
		name = p.From[0].Name
		if name == "" {
			name = p.From[0].Address
		}
	}
	if p.Date.IsZero() {
		return name + " wrote:"
	}
	return fmt.Sprintf("On %s, %s wrote:", p.Date.Format("Mon, 2 Jan 2006 at 15:04"), name)
}

func quoteReply(text, htmlBody string, p *Original) (string, string) {
	attribution := quoteAttribution(p)
	origText := p.Text
	if origText == "" && p.HTML != "" {
		origText = HTMLToText(p.HTML)
	}
	text = strings.TrimRight(text, "\n") + "\n\n" + attribution + "\n" + QuoteText(origText)
	if htmlBody != "" {
		htmlBody += "\n<br><div>" + html.EscapeString(attribution) + "</div>\n" +
			`<blockquote type="cite" style="margin:0 0 0 .8ex;border-left:1px solid #ccc;padding-left:1ex">` +
			originalHTML(p) + "</blockquote>\n"
	}
	return text, htmlBody
}

func quoteForward(text, htmlBody string, p *Original) (string, string) {
	var hdr strings.Builder
	hdr.WriteString("---------- Forwarded message ----------\n")
	fmt.Fprintf(&hdr, "From: %s\n", formatList(p.From))
	if !p.Date.IsZero() {
		fmt.Fprintf(&hdr, "Date: %s\n", p.Date.Format("Mon, 2 Jan 2006 at 15:04"))
	}
	fmt.Fprintf(&hdr, "Subject: %s\n", p.Subject)
	fmt.Fprintf(&hdr, "To: %s\n", formatList(p.To))
	if len(p.Cc) > 0 {
		fmt.Fprintf(&hdr, "Cc: %s\n", formatList(p.Cc))
	}
	origText := p.Text
	if origText == "" && p.HTML != "" {
		origText = HTMLToText(p.HTML)
	}
	newText := strings.TrimRight(text, "\n") + "\n\n" + hdr.String() + "\n" + origText
	if htmlBody != "" {
		htmlBody += "\n<br><div>" + strings.ReplaceAll(html.EscapeString(strings.TrimRight(hdr.String(), "\n")), "\n", "<br>\n") +
			"</div><br>\n" + originalHTML(p) + "\n"
	}
	return newText, htmlBody
}

func formatList(list []Address) string {
	parts := make([]string, len(list))
	for i, a := range list {
		if a.Name != "" {
			parts[i] = fmt.Sprintf("%s <%s>", a.Name, a.Address)
		} else {
			parts[i] = a.Address
		}
	}
	return strings.Join(parts, ", ")
}

// quotePolicy keeps the original's formatting but drops scripts, forms and
// event handlers: the quoted HTML came from someone else and is sent on
// under the user's name.
var quotePolicy = bluemonday.UGCPolicy()

func originalHTML(p *Original) string {
	if p.HTML != "" {
		return quotePolicy.Sanitize(p.HTML)
	}
	return strings.ReplaceAll(html.EscapeString(p.Text), "\n", "<br>\n")
}

// QuoteText prefixes every line with "> " (">" for empty lines, so quoted
// blank lines carry no trailing space).
func QuoteText(s string) string {
	s = strings.TrimRight(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if l == "" || strings.HasPrefix(l, ">") {
			lines[i] = ">" + l
		} else {
			lines[i] = "> " + l
		}
	}
	return strings.Join(lines, "\n") + "\n"
}

// crlf normalises line endings to CRLF, as SMTP requires.
func crlf(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return strings.ReplaceAll(s, "\n", "\r\n")
}

func sanitizeFilename(s string) string {
	s = strings.Map(func(r rune) rune {
		if strings.ContainsRune(`/\:*?"<>|`, r) || r < 0x20 {
			return '_'
		}
		return r
	}, s)
	if len(s) > 100 {
		s = s[:100]
	}
	return s
}

// ErrNoOriginal is returned when a reply or forward names a message that
// cannot be found.
var ErrNoOriginal = errors.New("the original message was not found")
