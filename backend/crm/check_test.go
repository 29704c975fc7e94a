package crm

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"threadline/backend/events"
	"threadline/backend/store"
)

func newTestService(t *testing.T) (*Service, *store.Store) {
	t.Helper()
	st, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	s, err := New(st, events.NewBus(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s, st
}

// CheckIndexes must notice each kind of damage, or the randomized and
// crash tests prove nothing.
func TestCheckIndexesDetectsDamage(t *testing.T) {
	ctx := context.Background()
	for name, damage := range map[string]func(t *testing.T, s *Service, st *store.Store, l *Lead){
		"missing stage entry": func(t *testing.T, s *Service, st *store.Store, l *Lead) {
			must(t, st.Update(func(txn *store.Txn) error {
				return txn.Delete(store.Key("crmidx", "stage", l.PipelineID, l.StageID, l.ID))
			}))
		},
		"stray tag entry": func(t *testing.T, s *Service, st *store.Store, l *Lead) {
			must(t, st.Update(func(txn *store.Txn) error { return txn.Set(store.Key("crmidx", "tag", "ghost", l.ID), nil) }))
		},
		"email entry pointing elsewhere": func(t *testing.T, s *Service, st *store.Store, l *Lead) {
			must(t, st.Update(func(txn *store.Txn) error {
				return txn.Set(store.Key("crmidx", "email", l.PipelineID, l.Email), []byte("other"))
			}))
		},
		"stale next follow-up": func(t *testing.T, s *Service, st *store.Store, l *Lead) {
			must(t, st.Update(func(txn *store.Txn) error {
				l.NextFollowUpAt = nil
				return txn.SetJSON(store.Key("lead", l.ID), l)
			}))
		},
		"stale projection": func(t *testing.T, s *Service, st *store.Store, l *Lead) {
			must(t, st.Update(func(txn *store.Txn) error {
				l.Name = "changed behind the service's back"
				return txn.SetJSON(store.Key("lead", l.ID), l)
			}))
		},
		"orphan activity": func(t *testing.T, s *Service, st *store.Store, l *Lead) {
			must(t, st.Update(func(txn *store.Txn) error {
				return txn.Set(store.Key("activity", "nolead", "00000000000000000001", "x"), []byte("{}"))
			}))
		},
	} {
		t.Run(name, func(t *testing.T) {
			s, st := newTestService(t)
			l, err := s.CreateLead(ctx, LeadInput{Email: "a@b.io", Tags: []string{"t"}})
			must(t, err)
			_, err = s.CreateFollowUp(ctx, FollowUpInput{LeadID: l.ID, DueAt: s.Now()})
			must(t, err)
			must(t, s.CheckIndexes())
			raw, err := s.rawLead(l.ID)
			must(t, err)
			damage(t, s, st, raw)
			if err := s.CheckIndexes(); err == nil {
				t.Fatal("CheckIndexes missed the damage")
			} else {
				t.Log(strings.SplitN(err.Error(), "\n", 3)[1])
			}
		})
	}
}

func (s *Service) rawLead(id string) (*Lead, error) {
	l := new(Lead)
	return l, s.view(func(txn *store.Txn) error { return getJSON(txn, "lead", id, l) })
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// Two writers that read the same version: exactly one wins, the other gets
// a VersionConflict instead of overwriting.
func TestConcurrentEditsConflict(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestService(t)
	l, err := s.CreateLead(ctx, LeadInput{Email: "c@d.io"})
	must(t, err)
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := string(rune('A' + i))
			_, errs[i] = s.UpdateLead(ctx, l.ID, LeadPatch{Version: ptr(1), Name: &name})
		}()
	}
	wg.Wait()
	wins := 0
	for _, err := range errs {
		var vc *VersionConflict
		switch {
		case err == nil:
			wins++
		case !errors.As(err, &vc):
			t.Fatalf("unexpected error %v", err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d writers won, want 1", wins)
	}
	got, _ := s.Lead(ctx, l.ID)
	if got.Version != 2 {
		t.Fatalf("version %d", got.Version)
	}
	must(t, s.CheckIndexes())
}

// Readers (board, list) run while writers create, move and tag leads; run
// with -race. Afterwards the projection still matches the store.
func TestConcurrentReadsAndWrites(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestService(t)
	p, err := s.DefaultPipeline(ctx)
	must(t, err)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 40 {
				l, err := s.CreateLead(ctx, LeadInput{Email: fmt.Sprintf("w%d-%d@x.io", w, i), Tags: []string{"t"}})
				if err != nil {
					t.Error(err)
					return
				}
				if _, err := s.MoveLead(ctx, l.ID, MoveInput{StageID: "interested"}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	var readers sync.WaitGroup
	for range 2 {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := s.Board(ctx, p.ID, 10); err != nil {
					t.Error(err)
					return
				}
				if _, err := s.ListLeads(ctx, ListQuery{Tag: "t", Sort: "name", Limit: 20}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	readers.Wait()
	must(t, s.CheckIndexes())
	b, err := s.Board(ctx, p.ID, 0)
	must(t, err)
	if b.Columns[1].Count != 120 {
		t.Fatalf("interested holds %d leads, want 120", b.Columns[1].Count)
	}
}

// Events go out only for writes that committed, after the commit.
func TestEventsOnlyAfterCommit(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestService(t)
	sub := s.Bus().Subscribe(64)
	defer sub.Cancel()
	l, err := s.CreateLead(ctx, LeadInput{Email: "e@x.io"})
	must(t, err)
	if _, err := s.CreateLead(ctx, LeadInput{Email: "e@x.io", Tags: []string{"newtag"}}); err == nil {
		t.Fatal("duplicate accepted")
	}
	if _, err := s.MoveLead(ctx, l.ID, MoveInput{StageID: "won"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.MoveLead(ctx, l.ID, MoveInput{StageID: "new"}); !errors.Is(err, ErrFinal) {
		t.Fatalf("move of a won lead: %v", err)
	}
	var got []string
	for len(sub.C) > 0 {
		ev := <-sub.C
		got = append(got, ev.Type)
		if ev.Type == "lead.stage_changed" {
			// A subscriber reacting to the event reads the new state.
			cur, err := s.Lead(ctx, l.ID)
			must(t, err)
			if cur.StageID != "won" {
				t.Fatalf("event before commit: stage %s", cur.StageID)
			}
		}
	}
	if fmt.Sprint(got) != "[lead.created lead.stage_changed]" {
		t.Fatalf("events %v", got)
	}
	tags, _ := s.Tags(ctx)
	if len(tags) != 0 {
		t.Fatalf("a failed create left tags behind: %v", tags)
	}
}
