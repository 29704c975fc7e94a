package store

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func openTest(t *testing.T, dir string) *Store {
	t.Helper()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

func TestOpenRecordsSchema(t *testing.T) {
	s := openTest(t, t.TempDir())
	defer s.Close()
	v, err := s.Schema()
	if err != nil || v != SchemaVersion {
		t.Fatalf("Schema() = %d, %v; want %d", v, err, SchemaVersion)
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir)
	if err := s.Update(func(txn *Txn) error {
		return txn.Set(schemaKey, []byte(strconv.Itoa(SchemaVersion+1)))
	}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	_, err := Open(dir, Options{})
	if err == nil || !strings.Contains(err.Error(), "newer Threadline") {
		t.Fatalf("Open on a newer schema: err = %v; want a 'newer Threadline' error", err)
	}
	// The failed open must release the lock so that a fixed build can open it.
	if _, err := Open(dir, Options{}); errors.Is(err, ErrAlreadyRunning) {
		t.Fatal("a failed Open kept the directory lock")
	}
}

func TestSecondOpenFailsFast(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir)
	defer s.Close()
	start := time.Now()
	_, err := Open(dir, Options{})
	if !errors.Is(err, ErrAlreadyRunning) {
		t.Fatalf("second Open: err = %v; want ErrAlreadyRunning", err)
	}
	if want := "Threadline is already running with " + dir; err.Error() != want {
		t.Fatalf("second Open: message %q; want %q", err, want)
	}
	if time.Since(start) > 2*time.Second {
		t.Fatalf("second Open took %v; it must not wait for the lock", time.Since(start))
	}
}

func TestReopenAfterClose(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir)
	if err := s.Update(func(txn *Txn) error { return txn.Set(Key("k", "1"), []byte("v")) }); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openTest(t, dir)
	defer s.Close()
	err := s.View(func(txn *Txn) error {
		v, err := txn.Get(Key("k", "1"))
		if err != nil || string(v) != "v" {
			return fmt.Errorf("Get = %q, %v", v, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestScan(t *testing.T) {
	s := openTest(t, t.TempDir())
	defer s.Close()
	err := s.Update(func(txn *Txn) error {
		for _, k := range []string{"a", "b", "c", "d"} {
			if err := txn.Set(Key("item", k), []byte(k)); err != nil {
				return err
			}
		}
		// A neighbouring prefix must not leak into the scan.
		return txn.Set(Key("items", "x"), []byte("x"))
	})
	if err != nil {
		t.Fatal(err)
	}
	collect := func(opts ScanOptions, limit int) string {
		var got []string
		err := s.View(func(txn *Txn) error {
			return txn.Scan(Key("item", ""), opts, func(k, v []byte) error {
				got = append(got, string(v))
				if len(got) == limit {
					return ErrStopScan
				}
				return nil
			})
		})
		if err != nil {
			t.Fatal(err)
		}
		return strings.Join(got, "")
	}
	for _, tc := range []struct {
		name  string
		opts  ScanOptions
		limit int
		want  string
	}{
		{"forward", ScanOptions{}, 0, "abcd"},
		{"reverse", ScanOptions{Reverse: true}, 0, "dcba"},
		{"after", ScanOptions{After: Key("item", "b")}, 0, "cd"},
		{"reverse after", ScanOptions{Reverse: true, After: Key("item", "c")}, 0, "ba"},
		{"stop", ScanOptions{}, 2, "ab"},
	} {
		if got := collect(tc.opts, tc.limit); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestGetHead(t *testing.T) {
	s := openTest(t, t.TempDir())
	defer s.Close()
	long := strings.Repeat("0123456789", 10000)
	if err := s.Update(func(txn *Txn) error { return txn.Set(Key("v"), []byte(long)) }); err != nil {
		t.Fatal(err)
	}
	err := s.View(func(txn *Txn) error {
		for _, n := range []int{0, 5, len(long), len(long) + 1} {
			got, err := txn.GetHead(Key("v"), n)
			if err != nil {
				return err
			}
			if want := long[:min(n, len(long))]; string(got) != want {
				t.Errorf("GetHead(%d): %d bytes, want %d", n, len(got), len(want))
			}
		}
		if _, err := txn.GetHead(Key("missing"), 5); !errors.Is(err, ErrNotFound) {
			t.Errorf("GetHead of a missing key: %v, want ErrNotFound", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestNewIDSortsByCreation(t *testing.T) {
	prev := NewID()
	for i := 0; i < 10000; i++ {
		id := NewID()
		if len(id) != 20 || id <= prev {
			t.Fatalf("NewID %q after %q: ids must be 20 chars and increase", id, prev)
		}
		prev = id
	}
}

// TestKillDuringWrites kills a writing process with SIGKILL and checks that
// every write it reported as committed is in the reopened store.
func TestKillDuringWrites(t *testing.T) {
	if os.Getenv("THREADLINE_STORE_WRITER") != "" {
		t.Skip("this is the writer child")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperWriter$")
	cmd.Env = append(os.Environ(), "THREADLINE_STORE_WRITER="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var committed []string
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if n, ok := strings.CutPrefix(sc.Text(), "committed "); ok {
			committed = append(committed, n)
			if len(committed) == 300 {
				break
			}
		}
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if len(committed) < 300 {
		t.Fatalf("writer reported only %d commits before it stopped", len(committed))
	}

	s := openTest(t, dir)
	defer s.Close()
	err = s.View(func(txn *Txn) error {
		for _, n := range committed {
			v, err := txn.Get(Key("burst", n))
			if err != nil {
				return fmt.Errorf("committed write %s lost: %v", n, err)
			}
			if string(v) != "value-"+n {
				return fmt.Errorf("write %s: value %q", n, v)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestHelperWriter is the child of TestKillDuringWrites: it writes until it
// is killed, printing each key after its commit returned.
func TestHelperWriter(t *testing.T) {
	dir := os.Getenv("THREADLINE_STORE_WRITER")
	if dir == "" {
		t.Skip("run only as the child of TestKillDuringWrites")
	}
	s, err := Open(dir, Options{})
	if err != nil {
		fmt.Println("open failed:", err)
		os.Exit(1)
	}
	for i := 0; ; i++ {
		n := fmt.Sprintf("%08d", i)
		err := s.Update(func(txn *Txn) error {
			// A record and its index in one transaction, like the CRM.
			if err := txn.Set(Key("burst", n), []byte("value-"+n)); err != nil {
				return err
			}
			return txn.Set(Key("burst-idx", n), nil)
		})
		if err != nil {
			fmt.Println("write failed:", err)
			os.Exit(1)
		}
		fmt.Println("committed", n)
	}
}
