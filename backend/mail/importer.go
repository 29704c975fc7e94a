package mail

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// ImportProgress reports an import as it runs.
type ImportProgress struct {
	Path       string `json:"path"`
	Messages   int    `json:"messages"`
	Added      int    `json:"added"`
	Skipped    int    `json:"skipped"`
	ParseMarks int    `json:"parse_errors"`
	Bytes      int64  `json:"bytes"`
	TotalBytes int64  `json:"total_bytes"`
	Done       bool   `json:"done"`
}

// Import reads an mbox file (Google Takeout's is one), a Maildir, or a
// directory holding either, into the store. It is idempotent: a message
// already stored (same Message-ID, or same content without one) is
// skipped, so an interrupted import can simply be run again.
func (svc *Service) Import(ctx context.Context, path string, progress func(ImportProgress)) (ImportProgress, error) {
	p := ImportProgress{Path: path}
	fi, err := os.Stat(path)
	if err != nil {
		return p, err
	}
	var sources []string
	if !fi.IsDir() {
		sources = []string{path}
		p.TotalBytes = fi.Size()
	} else {
		err := filepath.WalkDir(path, func(q string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				return nil
			}
			// Maildir messages live in cur/ and new/; tmp/ is unfinished.
			parent := filepath.Base(filepath.Dir(q))
			if parent == "cur" || parent == "new" || isMboxName(q) {
				if info, err := d.Info(); err == nil {
					p.TotalBytes += info.Size()
				}
				sources = append(sources, q)
			}
			return nil
		})
		if err != nil {
			return p, err
		}
	}
	var batch []*fetched
	lastReport := time.Now()
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		parseAll(batch)
		for _, it := range batch {
			if it.parsed.ParseError != "" {
				p.ParseMarks++
			}
		}
		added, err := svc.storeFetched(nil, batch, nil)
		if err != nil {
			return err
		}
		p.Added += len(added)
		p.Skipped += len(batch) - len(added)
		svc.announce(ctx, added, "", true)
		batch = batch[:0]
		if progress != nil && time.Since(lastReport) > 200*time.Millisecond {
			lastReport = time.Now()
			progress(p)
		}
		return nil
	}
	add := func(raw []byte, flags []string, date time.Time) error {
		p.Messages++
		p.Bytes += int64(len(raw))
		batch = append(batch, &fetched{raw: raw, flags: normalizeFlags(flags), internal: date})
		if len(batch) >= batchSize {
			return flush()
		}
		return ctx.Err()
	}
	for _, src := range sources {
		if err := ctx.Err(); err != nil {
			return p, err
		}
		parent := filepath.Base(filepath.Dir(src))
		if (parent == "cur" || parent == "new") && !isMboxName(src) {
			raw, err := os.ReadFile(src)
			if err != nil {
				return p, err
			}
			info, _ := os.Stat(src)
			var mt time.Time
			if info != nil {
				mt = info.ModTime()
			}
			if err := add(raw, maildirFlags(src), mt); err != nil {
				return p, err
			}
			continue
		}
		if err := readMbox(src, func(raw []byte) error { return add(raw, nil, time.Time{}) }); err != nil {
			return p, fmt.Errorf("%s: %w", src, err)
		}
	}
	if err := flush(); err != nil {
		return p, err
	}
	p.Done = true
	if progress != nil {
		progress(p)
	}
	return p, nil
}

func isMboxName(p string) bool {
	ext := strings.ToLower(filepath.Ext(p))
	return ext == ".mbox" || ext == ".mbx" || filepath.Base(p) == "mbox"
}

// maildirFlags reads the flags from a Maildir file name ("...:2,FS").
func maildirFlags(name string) []string {
	_, info, ok := strings.Cut(filepath.Base(name), ":2,")
	if !ok {
		return nil
	}
	var out []string
	for _, c := range info {
		switch c {
		case 'S':
			out = append(out, `\Seen`)
		case 'R':
			out = append(out, `\Answered`)
		case 'F':
			out = append(out, `\Flagged`)
		case 'D':
			out = append(out, `\Draft`)
		case 'T':
			out = append(out, `\Deleted`)
		}
	}
	return out
}

// maxMboxMessage bounds one message in an mbox; anything bigger is a
// damaged file rather than mail.
const maxMboxMessage = 256 << 20

// readMbox splits an mbox file into messages. A "From " line starts a
// message when it follows a blank line (or starts the file); ">From "
// quoting (mboxrd and mboxo) is undone.
func readMbox(path string, fn func([]byte) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	var cur bytes.Buffer
	started, prevBlank := false, true
	emit := func() error {
		if !started {
			return nil
		}
		msg := cur.Bytes()
		// The blank line before the next separator belongs to the format.
		msg = bytes.TrimSuffix(msg, []byte("\n"))
		msg = bytes.TrimSuffix(msg, []byte("\r"))
		out := make([]byte, len(msg))
		copy(out, msg)
		cur.Reset()
		if len(bytes.TrimSpace(out)) == 0 {
			return nil
		}
		return fn(out)
	}
	for {
		line, err := r.ReadBytes('\n')
		if len(line) > 0 {
			if prevBlank && bytes.HasPrefix(line, []byte("From ")) {
				if err := emit(); err != nil {
					return err
				}
				started = true
				prevBlank = false
				continue
			}
			if !started {
				// Not an mbox: treat the whole file as one message.
				started = true
			}
			trimmed := bytes.TrimLeft(line, ">")
			if len(trimmed) < len(line) && bytes.HasPrefix(trimmed, []byte("From ")) {
				line = line[1:]
			}
			cur.Write(line)
			if cur.Len() > maxMboxMessage {
				return errors.New("a message is larger than 256 MiB: the file is probably not an mbox")
			}
			prevBlank = len(bytes.TrimRight(line, "\r\n")) == 0
		}
		if err == io.EOF {
			return emit()
		}
		if err != nil {
			return err
		}
	}
}
