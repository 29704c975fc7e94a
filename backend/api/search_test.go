package api

import (
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"threadline/backend/events"
	"threadline/backend/search"
	"threadline/backend/search/searchtest"
	"threadline/backend/store"
)

func newSearchServer(t *testing.T) *Server {
	t.Helper()
	dir := t.TempDir()
	st, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	idx, err := search.Open(filepath.Join(dir, "search"), st, search.Options{Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	idx.Register(search.KindMail, searchtest.Messages)
	idx.Register(search.KindLead, searchtest.Leads)
	bus := events.NewBus()
	s := New(Config{Store: st, Bus: bus, Search: idx})
	t.Cleanup(func() { s.Close(); idx.Close(); bus.Close(); st.Close() })

	date := time.Date(2024, 2, 10, 9, 0, 0, 0, time.UTC)
	err = searchtest.Put(st,
		&search.MessageDoc{ID: "m1", ThreadID: "t1", Account: "work", Folder: "INBOX", Subject: "Invoice 42",
			Body: "Please pay <now> & thanks", From: []search.Address{{Name: "Alice", Addr: "alice@example.com"}}, Date: date},
		&search.MessageDoc{ID: "m2", ThreadID: "t2", Account: "work", Folder: "Archive", Subject: "Old invoice",
			Body: "paid", From: []search.Address{{Addr: "bob@example.com"}}, Date: date.AddDate(0, -1, 0)},
		&search.LeadDoc{ID: "l1", Name: "Invoice Corp", Email: "ap@invoice.test", Stage: "s1", StageName: "Won",
			Notes: []string{"sends an invoice monthly"}, UpdatedAt: date},
	)
	if err != nil {
		t.Fatal(err)
	}
	if err := idx.Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	return s
}

type searchBody struct {
	Total int `json:"total"`
	Hits  []struct {
		Kind, ID, Title, Snippet, Place string
		ThreadID                        string `json:"thread_id"`
		TitleHTML                       string `json:"title_html"`
		Score                           float64
		Date                            time.Time
	} `json:"hits"`
	Counts struct {
		Kinds   map[string]int `json:"kinds"`
		Folders []struct {
			Account, Folder string
			Count           int
		} `json:"folders"`
		Stages []struct {
			Stage, Name string
			Count       int
		} `json:"stages"`
	} `json:"counts"`
	NextCursor string `json:"next_cursor"`
}

func getSearch(t *testing.T, s *Server, params url.Values) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "/api/search?"+params.Encode(), nil))
	return rec.Code, rec.Body.String()
}

func TestSearchAPI(t *testing.T) {
	s := newSearchServer(t)
	code, body := getSearch(t, s, url.Values{"q": {"invoice"}, "counts": {"true"}})
	if code != 200 {
		t.Fatalf("GET /api/search: %d %s", code, body)
	}
	var res searchBody
	if err := json.Unmarshal([]byte(body), &res); err != nil {
		t.Fatal(err)
	}
	if res.Total != 3 || len(res.Hits) != 3 || res.Counts.Kinds["mail"] != 2 || res.Counts.Kinds["lead"] != 1 {
		t.Fatalf("q=invoice: %s", body)
	}
	if len(res.Counts.Folders) != 2 || len(res.Counts.Stages) != 1 || res.Counts.Stages[0].Name != "Won" {
		t.Errorf("counts: %+v", res.Counts)
	}

	code, body = getSearch(t, s, url.Values{"q": {"pay from:alice"}, "kind": {"mail"}})
	res = searchBody{}
	json.Unmarshal([]byte(body), &res)
	if code != 200 || len(res.Hits) != 1 {
		t.Fatalf("from:alice: %d %s", code, body)
	}
	h := res.Hits[0]
	if h.Kind != "mail" || h.ID != "m1" || h.ThreadID != "t1" || h.Place != "INBOX" || h.Score <= 0 ||
		h.Snippet != "Please <mark>pay</mark> &lt;now&gt; &amp; thanks" || h.Date.IsZero() {
		t.Errorf("hit: %+v", h)
	}

	code, body = getSearch(t, s, url.Values{"q": {"invoice"}, "kind": {"leads"}})
	res = searchBody{}
	json.Unmarshal([]byte(body), &res)
	if code != 200 || len(res.Hits) != 1 || res.Hits[0].Kind != "lead" || !strings.Contains(res.Hits[0].Snippet, "<mark>invoice</mark>") {
		t.Fatalf("kind=leads: %d %s", code, body)
	}

	// Without counts=true the counts are left out; the total of a
	// relevance search is still exact.
	code, body = getSearch(t, s, url.Values{"q": {"invoice"}})
	if code != 200 || strings.Contains(body, `"counts"`) || !strings.Contains(body, `"total":3,"total_exact":true`) {
		t.Fatalf("no counts: %d %s", code, body)
	}
	// The counts alone.
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "/api/search/counts?q=invoice", nil))
	var counts struct {
		Kinds map[string]int `json:"kinds"`
	}
	if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &counts) != nil || counts.Kinds["mail"] != 2 || counts.Kinds["lead"] != 1 {
		t.Fatalf("GET /api/search/counts: %d %s", rec.Code, rec.Body)
	}
	rec = httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "/api/search/counts?q=%22open", nil))
	if rec.Code != 400 || !strings.Contains(rec.Body.String(), `"field":"q"`) {
		t.Fatalf("counts with a malformed query: %d %s", rec.Code, rec.Body)
	}

	// Pagination: two pages of one and the rest.
	code, body = getSearch(t, s, url.Values{"q": {"invoice"}, "limit": {"1"}, "sort": {"date"}})
	res = searchBody{}
	json.Unmarshal([]byte(body), &res)
	if code != 200 || len(res.Hits) != 1 || res.NextCursor == "" {
		t.Fatalf("limit=1: %s", body)
	}
	code, body = getSearch(t, s, url.Values{"q": {"invoice"}, "limit": {"5"}, "sort": {"date"}, "cursor": {res.NextCursor}})
	res2 := searchBody{}
	json.Unmarshal([]byte(body), &res2)
	if code != 200 || len(res2.Hits) != 2 || res2.NextCursor != "" || res2.Hits[0].ID == res.Hits[0].ID {
		t.Fatalf("second page: %s", body)
	}
}

func TestSearchAPIErrors(t *testing.T) {
	s := newSearchServer(t)
	cases := []struct {
		params      url.Values
		code, field string
		msg         string
	}{
		{url.Values{"q": {`from:alice (invoice OR`}}, "bad_query", "q", "OR needs a term after it at character 21"},
		{url.Values{"q": {`"unclosed`}}, "bad_query", "q", "the quote opened here is never closed at character 1"},
		{url.Values{"q": {""}}, "bad_query", "q", "the query is empty"},
		{url.Values{"q": {"before:2024-99-01"}}, "bad_query", "q", "is not a date"},
		{url.Values{"q": {"x"}, "kind": {"files"}}, "bad_request", "kind", "kind must be mail, leads or all"},
		{url.Values{"q": {"x"}, "limit": {"0"}}, "bad_request", "limit", "limit must be a whole number"},
		{url.Values{"q": {"x"}, "limit": {"abc"}}, "bad_request", "limit", "limit must be a whole number"},
		{url.Values{"q": {"x"}, "sort": {"size"}}, "bad_request", "sort", "sort must be relevance or date"},
		{url.Values{"q": {"x"}, "counts": {"maybe"}}, "bad_request", "counts", "counts must be true or false"},
		{url.Values{"q": {"x"}, "cursor": {"nope"}}, "bad_request", "cursor", "not a cursor"},
		{url.Values{"q": {strings.Repeat("x ", 600)}}, "bad_request", "q", "the limit is 1000"},
	}
	for _, c := range cases {
		code, body := getSearch(t, s, c.params)
		if code != 400 {
			t.Errorf("%v: status %d %s; want 400", c.params, code, body)
			continue
		}
		e := decodeAPIError(t, body)
		if e.Code != c.code || e.Field != c.field || !strings.Contains(e.Message, c.msg) {
			t.Errorf("%v: error %+v; want code %s field %s message containing %q", c.params, e, c.code, c.field, c.msg)
		}
	}
}

func TestSearchAPIWithoutIndex(t *testing.T) {
	s, _ := newTestServer(t)
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "/api/search?q=x", nil))
	if rec.Code != 503 || decodeAPIError(t, rec.Body.String()).Code != "unavailable" {
		t.Fatalf("no index: %d %s", rec.Code, rec.Body)
	}
}

func TestSearchStatusAndReindex(t *testing.T) {
	s := newSearchServer(t)
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "/api/search/status", nil))
	var st search.Status
	if err := json.Unmarshal(rec.Body.Bytes(), &st); err != nil || rec.Code != 200 || st.Docs != 3 || st.Pending != 0 {
		t.Fatalf("status: %d %s", rec.Code, rec.Body)
	}
	rec = httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("POST", "/api/search/reindex", nil))
	if rec.Code != 202 {
		t.Fatalf("reindex: %d %s", rec.Code, rec.Body)
	}
}
