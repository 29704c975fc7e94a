package crm_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"

	"threadline/backend/api"
	"threadline/backend/crm"
	"threadline/backend/events"
	"threadline/backend/store"
)

// benchEnv is a pipeline of 10,000 leads on a real on-disk store, served by
// the real API, so that the benchmarks time what the UI waits for: routing,
// the query, loading the page and encoding JSON.
type benchEnv struct {
	st       *store.Store
	s        *crm.Service
	srv      *api.Server
	pipeline string
}

func newBenchEnv(b *testing.B, n int) *benchEnv {
	b.Helper()
	st, err := store.Open(b.TempDir(), store.Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	bus := events.NewBus()
	s, err := crm.New(st, bus, crm.Options{})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	p, err := s.DefaultPipeline(ctx)
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	stages := []string{"new", "interested", "follow-up", "won", "lost"}
	tags := []string{"hot", "cold", "vip", "eu", "us", "partner", "webinar", "referral"}
	for i := 0; i < n; i++ {
		l, err := s.CreateLead(ctx, crm.LeadInput{
			PipelineID: p.ID, StageID: stages[rng.IntN(len(stages))],
			Email: fmt.Sprintf("lead%05d@company%d.example", i, i%700), Name: fmt.Sprintf("Lead %05d", i),
			Company: fmt.Sprintf("Company %d", i%700), Priority: []string{"low", "medium", "high"}[rng.IntN(3)],
			Value: float64(rng.IntN(50000)), Tags: []string{tags[rng.IntN(len(tags))], tags[rng.IntN(len(tags))]},
			Attribution: crm.Attribution{Source: []string{"inbound", "outbound", "event"}[rng.IntN(3)]},
		})
		if err != nil {
			b.Fatal(err)
		}
		if i%10 == 0 {
			if _, err := s.CreateFollowUp(ctx, crm.FollowUpInput{LeadID: l.ID, DueAt: time.Now().Add(time.Duration(rng.IntN(96)-48) * time.Hour)}); err != nil {
				b.Fatal(err)
			}
		}
		if i%7 == 0 {
			if _, err := s.RecordMail(ctx, l.ID, crm.Mail{ThreadID: fmt.Sprint("th", i), Direction: crm.DirectionOutbound, At: time.Now()}); err != nil {
				b.Fatal(err)
			}
		}
	}
	// Collect the garbage of loading now, not inside the timed loop.
	runtime.GC()
	return &benchEnv{st: st, s: s, srv: api.New(api.Config{Store: st, Bus: bus, CRM: s}), pipeline: p.ID}
}

func (e *benchEnv) get(b *testing.B, path string) int {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	rec := httptest.NewRecorder()
	e.srv.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		b.Fatalf("GET %s: %d %s", path, rec.Code, rec.Body.String())
	}
	return rec.Body.Len()
}

// BenchmarkBoard10k times GET /api/pipelines/{id}/board?limit=25 for a
// pipeline of 10,000 leads. Target: ≤ 50 ms.
func BenchmarkBoard10k(b *testing.B) {
	e := newBenchEnv(b, 10_000)
	path := "/api/pipelines/" + e.pipeline + "/board?limit=25"
	b.ResetTimer()
	for b.Loop() {
		e.get(b, path)
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "ms/op")
}

// BenchmarkLeadListPage10k times a filtered, sorted first page and a page
// deep into the list: GET /api/leads?pipeline=&priority=high&q=company&
// sort=value&dir=desc&limit=50. Target: ≤ 20 ms.
func BenchmarkLeadListPage10k(b *testing.B) {
	e := newBenchEnv(b, 10_000)
	first := "/api/leads?pipeline=" + e.pipeline + "&priority=high&q=company&sort=value&dir=desc&limit=50"
	b.ResetTimer()
	for b.Loop() {
		e.get(b, first)
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "ms/op")
}

// BenchmarkLeadListUnfiltered10k is the worst case for the list: no
// filter, sorted by name, all 10,000 leads ranked.
func BenchmarkLeadListUnfiltered10k(b *testing.B) {
	e := newBenchEnv(b, 10_000)
	path := "/api/leads?sort=name&limit=50"
	b.ResetTimer()
	for b.Loop() {
		e.get(b, path)
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "ms/op")
}

// BenchmarkBoardColumnPage10k pages into the middle of a column.
func BenchmarkBoardColumnPage10k(b *testing.B) {
	e := newBenchEnv(b, 10_000)
	col, err := e.s.BoardColumn(context.Background(), e.pipeline, "interested", "", 500)
	if err != nil {
		b.Fatal(err)
	}
	path := "/api/pipelines/" + e.pipeline + "/board/columns/interested?limit=25&cursor=" + col.NextCursor
	b.ResetTimer()
	for b.Loop() {
		e.get(b, path)
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "ms/op")
}

// BenchmarkMoveLead10k times one stage change (record, indexes, timeline,
// projection) in a store of 10,000 leads, with the write-ahead log synced
// as the app runs it.
func BenchmarkMoveLead10k(b *testing.B) {
	e := newBenchEnv(b, 10_000)
	page, err := e.s.ListLeads(context.Background(), crm.ListQuery{PipelineID: e.pipeline, StageID: "new", Limit: 1})
	if err != nil || len(page.Items) == 0 {
		b.Fatal(err)
	}
	id := page.Items[0].ID
	stages := []string{"interested", "new"}
	b.ResetTimer()
	i := 0
	for b.Loop() {
		if _, err := e.s.MoveLead(context.Background(), id, crm.MoveInput{StageID: stages[i%2]}); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkOpen10k times starting the service on a store of 10,000 leads:
// mostly loading the projection.
func BenchmarkOpen10k(b *testing.B) {
	e := newBenchEnv(b, 10_000)
	st := e.st
	b.ResetTimer()
	for b.Loop() {
		if _, err := crm.New(st, events.NewBus(), crm.Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
