package outbox

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	_ "github.com/emersion/go-message/charset" // decode originals in legacy charsets
	gomail "github.com/emersion/go-message/mail"
	"golang.org/x/net/html"
)

// Original is a received (or earlier sent) message that a draft replies
// to or forwards.
type Original struct {
	Raw        []byte // the whole message; needed to forward as attachment
	MessageID  string
	InReplyTo  []string
	References []string
	From       []Address
	ReplyTo    []Address
	To         []Address
	Cc         []Address
	Subject    string
	Date       time.Time
	Text       string
	HTML       string
}

// maxQuotedBody bounds how much of an original's text is read for quoting.
const maxQuotedBody = 1 << 20

// ParseOriginal reads the headers and the first text/plain and text/html
// bodies of a raw RFC 5322 message. Malformed header fields are skipped,
// not fatal: a reply to a sloppy mailer must still work.
func ParseOriginal(raw []byte) (*Original, error) {
	r, err := gomail.CreateReader(bytes.NewReader(raw))
	if r == nil {
		return nil, fmt.Errorf("parse original message: %w", err)
	}
	defer r.Close()
	o := &Original{Raw: raw}
	h := r.Header
	o.MessageID, _ = h.MessageID()
	o.InReplyTo, _ = h.MsgIDList("In-Reply-To")
	o.References, _ = h.MsgIDList("References")
	o.From = addrList(h, "From")
	o.ReplyTo = addrList(h, "Reply-To")
	o.To = addrList(h, "To")
	o.Cc = addrList(h, "Cc")
	o.Subject, _ = h.Subject()
	o.Date, _ = h.Date()
	for {
		p, err := r.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			// A broken later part does not spoil the text already read.
			if o.Text != "" || o.HTML != "" {
				break
			}
			if errors.Is(err, io.ErrUnexpectedEOF) {
				break
			}
			return nil, fmt.Errorf("parse original message: %w", err)
		}
		ih, ok := p.Header.(*gomail.InlineHeader)
		if !ok {
			continue
		}
		ct, _, _ := ih.ContentType()
		if ct == "" {
			ct = "text/plain"
		}
		body, _ := io.ReadAll(io.LimitReader(p.Body, maxQuotedBody))
		switch ct {
		case "text/plain":
			if o.Text == "" {
				o.Text = strings.ReplaceAll(string(body), "\r\n", "\n")
			}
		case "text/html":
			if o.HTML == "" {
				o.HTML = string(body)
			}
		}
	}
	return o, nil
}

func addrList(h gomail.Header, key string) []Address {
	list, err := h.AddressList(key)
	if err != nil {
		// Fall back to the lenient parts of the list that did parse.
		var out []Address
		for _, part := range strings.Split(h.Get(key), ",") {
			if a, err := gomail.ParseAddress(strings.TrimSpace(part)); err == nil {
				out = append(out, Address{Name: a.Name, Address: a.Address})
			}
		}
		return out
	}
	out := make([]Address, len(list))
	for i, a := range list {
		out[i] = Address{Name: a.Name, Address: a.Address}
	}
	return out
}

// HTMLToText renders HTML as readable plain text: block elements end
// lines, links keep their target, scripts and styles vanish. It is meant
// for the plain alternative of a message and for quoting, not for layout.
func HTMLToText(s string) string {
	z := html.NewTokenizer(strings.NewReader(s))
	var b strings.Builder
	skip := 0
	var href string
	newline := func() {
		if b.Len() > 0 && !strings.HasSuffix(b.String(), "\n") {
			b.WriteByte('\n')
		}
	}
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return tidyText(b.String())
		case html.TextToken:
			if skip > 0 {
				continue
			}
			raw := string(z.Text())
			t := strings.Join(strings.Fields(raw), " ")
			lead := raw != "" && isSpace(raw[0])
			trail := raw != "" && isSpace(raw[len(raw)-1])
			cur := b.String()
			atLineStart := cur == "" || strings.HasSuffix(cur, "\n")
			if (lead || t == "") && !atLineStart && !strings.HasSuffix(cur, " ") {
				b.WriteByte(' ')
			}
			b.WriteString(t)
			if trail && t != "" {
				b.WriteByte(' ')
			}
		case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
			name, hasAttr := z.TagName()
			tag := string(name)
			end := tt == html.EndTagToken
			switch tag {
			case "script", "style", "head", "title":
				if tt == html.StartTagToken {
					skip++
				} else if end && skip > 0 {
					skip--
				}
			case "br":
				b.WriteByte('\n')
			case "p", "div", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "table", "blockquote", "pre":
				newline()
				if end && (tag == "p" || strings.HasPrefix(tag, "h")) {
					b.WriteByte('\n')
				}
			case "li":
				if !end {
					newline()
					b.WriteString("- ")
				}
			case "a":
				if !end {
					href = ""
					for hasAttr {
						var k, v []byte
						k, v, hasAttr = z.TagAttr()
						if string(k) == "href" {
							href = string(v)
						}
					}
				} else if href != "" && !strings.HasPrefix(href, "mailto:") && !strings.HasSuffix(b.String(), href) {
					fmt.Fprintf(&b, " <%s>", href)
					href = ""
				}
			}
		}
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\t' || c == '\r' }

func tidyText(s string) string {
	lines := strings.Split(s, "\n")
	var out []string
	blank := 0
	for _, l := range lines {
		l = strings.TrimRight(l, " ")
		if l == "" {
			blank++
			if blank > 1 {
				continue
			}
		} else {
			blank = 0
		}
		out = append(out, l)
	}
	return strings.TrimSpace(strings.Join(out, "\n")) + "\n"
}
