package engine

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestOpenServesSearchAndCloses(t *testing.T) {
	dir := t.TempDir()
	e, err := Open(dir, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Search.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	e.API.ServeHTTP(rec, httptest.NewRequest("GET", "/api/search?q=hello", nil))
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"total":0`) {
		t.Fatalf("GET /api/search: %d %s", rec.Code, rec.Body)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "search", "index_meta.json")); err != nil {
		t.Fatalf("no search index in the data directory: %v", err)
	}
	// The index survives a restart without a rebuild being needed.
	e, err = Open(dir, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if st := e.Search.Status(); st.LastError != "" {
		t.Fatalf("status after restart: %+v", st)
	}
}
