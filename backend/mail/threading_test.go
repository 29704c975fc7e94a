package mail

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"threadline/backend/internal/corpus"
	"threadline/backend/store"
)

func TestBaseSubject(t *testing.T) {
	for _, c := range []struct {
		in, base string
		reply    bool
	}{
		{"Re: Hello", "hello", true},
		{"RE: re: Fwd: Hello  World", "hello world", true},
		{"AW: SV: Angebot", "angebot", true},
		{"[list] Re: topic", "topic", true},
		{"Re[2]: topic", "topic", true},
		{"Hello", "hello", false},
		{"Re:", "", true},
	} {
		base, reply := BaseSubject(c.in)
		if base != c.base || reply != c.reply {
			t.Errorf("BaseSubject(%q) = %q, %v; want %q, %v", c.in, base, reply, c.base, c.reply)
		}
	}
}

func msgWith(id, subject, from string, refs ...string) []byte {
	h := fmt.Sprintf("From: %s\r\nTo: me@example.com\r\nSubject: %s\r\nMessage-ID: <%s>\r\nDate: Mon, 2 Jan 2023 15:04:05 +0000\r\n", from, subject, id)
	if len(refs) > 0 {
		h += "In-Reply-To: <" + refs[len(refs)-1] + ">\r\nReferences: <" + strings.Join(refs, "> <") + ">\r\n"
	}
	return []byte(h + "\r\nbody of " + id + "\r\n")
}

func TestThreadingLinksRepliesInAnyOrder(t *testing.T) {
	st, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	svc := NewService(Options{Store: st, Secrets: NewFileSecrets(filepath.Join(t.TempDir(), "s.json"))})
	add := func(raws ...[]byte) {
		t.Helper()
		var items []*fetched
		for _, r := range raws {
			items = append(items, &fetched{raw: r})
		}
		parseAll(items)
		if _, err := svc.storeFetched(nil, items, nil); err != nil {
			t.Fatal(err)
		}
	}
	// c replies to b which replies to a; c arrives first, then a (two
	// separate threads until b joins them), then b.
	add(msgWith("c@x", "Re: plan", "me@example.com", "a@x", "b@x"))
	add(msgWith("a@x", "plan", "bob@example.org"))
	add(msgWith("z@x", "other", "bob@example.org"))
	add(msgWith("b@x", "Re: plan", "bob@example.org", "a@x"))
	// A reply without references, grouped by subject.
	add(msgWith("d@x", "AW: plan", "eve@example.org"))

	err = st.View(func(txn *store.Txn) error {
		tid := func(key string) string {
			m, err := GetMessage(txn, MessageKey(key, nil))
			if err != nil {
				t.Fatal(err)
			}
			return m.ThreadID
		}
		ta := tid("a@x")
		for _, id := range []string{"b@x", "c@x", "d@x"} {
			if got := tid(id); got != ta {
				t.Errorf("%s is in thread %s, a@x in %s", id, got, ta)
			}
		}
		if tid("z@x") == ta {
			t.Errorf("an unrelated message joined the thread")
		}
		th, err := GetThread(txn, ta)
		if err != nil {
			return err
		}
		if th.MessageCount != 4 || th.Unread != 4 {
			t.Errorf("thread has %d messages, %d unread; want 4, 4", th.MessageCount, th.Unread)
		}
		if len(th.Participants) != 3 {
			t.Errorf("participants %v", th.Participants)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	page, err := svc.ListThreads(ThreadFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Threads) != 2 {
		t.Errorf("%d threads listed, want 2", len(page.Threads))
	}
	checkIntegrity(t, st)
}

// notmuchThreads runs notmuch over a Maildir and returns Message-ID →
// thread id.
//
// notmuch takes most of a minute for the corpus on a small machine, so its
// answer is cached beside the corpus, keyed by the notmuch version.
func notmuchThreads(t *testing.T, maildir string) map[string]string {
	version, err := exec.Command("notmuch", "--version").Output()
	if err != nil {
		t.Fatal(err)
	}
	cacheDir, _ := corpus.CacheDir()
	cachePath := filepath.Join(cacheDir, "notmuch-threads-"+strings.ReplaceAll(strings.TrimSpace(string(version)), " ", "-")+".json")
	if b, err := os.ReadFile(cachePath); err == nil {
		var byID map[string]string
		if json.Unmarshal(b, &byID) == nil && len(byID) > 0 {
			t.Logf("using notmuch's threads cached in %s", cachePath)
			return byID
		}
	}
	byID := runNotmuch(t, maildir)
	if b, err := json.Marshal(byID); err == nil {
		_ = os.WriteFile(cachePath, b, 0o644)
	}
	return byID
}

func runNotmuch(t *testing.T, maildir string) map[string]string {
	cfg := filepath.Join(t.TempDir(), "notmuch-config")
	conf := fmt.Sprintf("[database]\npath=%s\n[new]\ntags=\n[user]\nprimary_email=test@example.com\n[maildir]\nsynchronize_flags=false\n", maildir)
	if err := os.WriteFile(cfg, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "NOTMUCH_CONFIG="+cfg)
	cmd := exec.Command("notmuch", "new", "--quiet")
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("notmuch new: %v: %s", err, out)
	}
	cmd = exec.Command("notmuch", "search", "--format=json", "--output=summary", "*")
	cmd.Env = env
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("notmuch search: %v", err)
	}
	var threads []struct {
		Thread string `json:"thread"`
		Query  []any  `json:"query"`
	}
	if err := json.Unmarshal(out, &threads); err != nil {
		t.Fatal(err)
	}
	byID := map[string]string{}
	for _, th := range threads {
		q, _ := th.Query[0].(string)
		for _, id := range parseNotmuchIDs(q) {
			byID[id] = th.Thread
		}
	}
	return byID
}

// parseNotmuchIDs splits `id:a id:"b c"` into a, b c.
func parseNotmuchIDs(q string) []string {
	var out []string
	for len(q) > 0 {
		q = strings.TrimLeft(q, " ")
		if !strings.HasPrefix(q, "id:") {
			break
		}
		q = q[3:]
		if strings.HasPrefix(q, `"`) {
			var b strings.Builder
			i := 1
			for i < len(q) {
				if q[i] == '"' {
					if i+1 < len(q) && q[i+1] == '"' {
						b.WriteByte('"')
						i += 2
						continue
					}
					i++
					break
				}
				b.WriteByte(q[i])
				i++
			}
			out = append(out, b.String())
			q = q[i:]
			continue
		}
		end := strings.IndexByte(q, ' ')
		if end < 0 {
			end = len(q)
		}
		out = append(out, q[:end])
		q = q[end:]
	}
	return out
}

// TestThreadingAgreesWithNotmuch imports the corpus as a Maildir (which
// also exercises the importer) and compares the threads with notmuch's:
// a message agrees when the set of messages in its thread is the same on
// both sides.
func TestThreadingAgreesWithNotmuch(t *testing.T) {
	if _, err := exec.LookPath("notmuch"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("notmuch is required in CI")
		}
		t.Skip("notmuch is not installed")
	}
	msgs := corpus.Load(t)
	maildir := filepath.Join(t.TempDir(), "Maildir")
	for _, sub := range []string{"cur", "new", "tmp"} {
		if err := os.MkdirAll(filepath.Join(maildir, sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for i, m := range msgs {
		name := fmt.Sprintf("%010d.%d.corpus:2,S", 1000000000+i, i)
		if err := os.WriteFile(filepath.Join(maildir, "cur", name), m.Raw, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	nm := notmuchThreads(t, maildir)

	st, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	svc := NewService(Options{Store: st, Secrets: NewFileSecrets(filepath.Join(t.TempDir(), "s.json"))})
	start := time.Now()
	p, err := svc.Import(context.Background(), maildir, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("imported %d messages from a Maildir in %v", p.Messages, time.Since(start))
	if p.Messages != len(msgs) {
		t.Fatalf("imported %d messages of %d", p.Messages, len(msgs))
	}
	ours := map[string]string{}
	err = st.View(func(txn *store.Txn) error {
		return txn.Scan(store.Key("msg", ""), store.ScanOptions{}, func(k, v []byte) error {
			var m Message
			if err := json.Unmarshal(v, &m); err != nil {
				return err
			}
			if m.MessageID != "" {
				ours[m.MessageID] = m.ThreadID
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	group := func(m map[string]string) map[string][]string {
		g := map[string][]string{}
		for id, th := range m {
			g[th] = append(g[th], id)
		}
		return g
	}
	// Compare over the Message-IDs both sides know.
	common := map[string]bool{}
	for id := range ours {
		if _, ok := nm[id]; ok {
			common[id] = true
		}
	}
	members := func(m map[string]string) map[string]string {
		g := group(m)
		key := map[string]string{}
		for _, ids := range g {
			var in []string
			for _, id := range ids {
				if common[id] {
					in = append(in, id)
				}
			}
			sortStrings(in)
			k := strings.Join(in, "\x00")
			for _, id := range in {
				key[id] = k
			}
		}
		return key
	}
	a, b := members(ours), members(nm)
	agree, contained := 0, 0
	var differ []string
	for id := range common {
		if a[id] == b[id] {
			agree++
			contained++
			continue
		}
		// notmuch links by references only; ours adds JWZ's subject
		// grouping for replies without references, so our thread may
		// be a union of notmuch threads, but should never split one.
		if len(minus(strings.Split(b[id], "\x00"), strings.Split(a[id], "\x00"))) == 0 {
			contained++
		}
		if len(differ) < 5 {
			differ = append(differ, id)
		}
	}
	pct := 100 * float64(agree) / float64(len(common))
	pctContained := 100 * float64(contained) / float64(len(common))
	t.Logf("threading agreement with notmuch: %d of %d messages (%.2f%%) are in identical threads; %.2f%% have notmuch's whole thread inside ours (the rest is split); threads: ours %d, notmuch %d",
		agree, len(common), pct, pctContained, len(group(ours)), len(group(nm)))
	for _, id := range differ {
		ao := strings.Split(a[id], "\x00")
		bo := strings.Split(b[id], "\x00")
		t.Logf("differs: %s: ours %d messages, notmuch %d; only ours: %v; only notmuch: %v", id, len(ao), len(bo), minus(ao, bo), minus(bo, ao))
	}
	if pct < 80 {
		t.Errorf("threading agrees with notmuch for only %.2f%% of messages", pct)
	}
	if pctContained < 99 {
		t.Errorf("%.2f%% of messages have their notmuch thread split in ours", 100-pctContained)
	}
	if len(common) < len(msgs)*9/10 {
		t.Errorf("only %d Message-IDs in common between notmuch and the store", len(common))
	}
	checkIntegrity(t, st)

	// Importing again adds nothing.
	p2, err := svc.Import(context.Background(), maildir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if p2.Added != 0 {
		t.Errorf("a second import added %d messages", p2.Added)
	}
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

func minus(a, b []string) []string {
	var out []string
	for _, x := range a {
		found := false
		for _, y := range b {
			if x == y {
				found = true
			}
		}
		if !found {
			out = append(out, x)
		}
	}
	if len(out) > 4 {
		out = append(out[:4], "…")
	}
	return out
}
