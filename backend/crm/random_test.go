package crm

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"threadline/backend/events"
	"threadline/backend/store"
)

// expectedErr reports whether err is one of the domain errors random
// operations are allowed to hit (a duplicate address, a closed lead, a
// missing record...). Anything else is a bug.
func expectedErr(err error) bool {
	var fe *FieldError
	var re *RuleError
	var vc *VersionConflict
	var de *DuplicateError
	return err == nil || errors.As(err, &fe) || errors.As(err, &re) || errors.As(err, &vc) ||
		errors.As(err, &de) || errors.Is(err, ErrNotFound)
}

// fakeClock is a settable clock; set may race with the service's reads, so
// it is guarded.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// TestRandomOperations runs thousands of random operations with a fixed
// seed, then checks that every secondary index, derived field and the
// projection agree with the records, before and after a restart.
func TestRandomOperations(t *testing.T) {
	ops := 4000
	if testing.Short() {
		ops = 800
	}
	dir := t.TempDir()
	st, err := store.Open(dir, store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	clock := &fakeClock{t: time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)}
	s, err := New(st, events.NewBus(), Options{Now: clock.now})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(42, 7))
	pick := func(xs []string) string {
		if len(xs) == 0 {
			return "missing"
		}
		return xs[rng.IntN(len(xs))]
	}
	p1, _ := s.DefaultPipeline(ctx)
	p2, err := s.CreatePipeline(ctx, PipelineInput{Name: "Second"})
	if err != nil {
		t.Fatal(err)
	}
	pipelines := []string{p1.ID, p2.ID}
	if _, err := s.CreateFieldDef(ctx, FieldDefInput{Key: ptr("size"), Type: ptr(FieldNumber)}); err != nil {
		t.Fatal(err)
	}
	reasons, _ := s.DiscardReasons(ctx)
	tagPool := []string{"hot", "cold", "vip", "Beta", "eu", "us", "partner", "x"}
	threads := []string{"t1", "t2", "t3", "t4", "t5", "t6", "t7", "t8", "t9", "t10"}
	var leadIDs, followUps, notes, deals []string
	live := map[string]bool{}
	counts := map[string]int{}

	stageOf := func(pid string) string {
		p, err := s.Pipeline(ctx, pid)
		if err != nil || len(p.Stages) == 0 {
			return "missing"
		}
		return p.Stages[rng.IntN(len(p.Stages))].ID
	}
	randomTags := func() []string {
		var out []string
		for range rng.IntN(4) {
			out = append(out, pick(tagPool))
		}
		return out
	}
	var version *int
	for i := 0; i < ops; i++ {
		clock.t = clock.t.Add(time.Duration(rng.IntN(3600)) * time.Second)
		op := rng.IntN(100)
		version = nil
		if rng.IntN(10) == 0 {
			v := rng.IntN(4) + 1
			version = &v
		}
		var err error
		var name string
		switch {
		case op < 20:
			name = "create"
			var l *Lead
			pid := pick(pipelines)
			l, err = s.CreateLead(ctx, LeadInput{PipelineID: pid, StageID: stageOf(pid),
				Email: fmt.Sprintf("u%d@ex%d.com", rng.IntN(400), rng.IntN(3)), Name: "N", Value: float64(rng.IntN(1000)),
				Tags: randomTags(), Custom: map[string]any{"size": float64(rng.IntN(50))}, ThreadIDs: []string{pick(threads)}})
			if err == nil {
				leadIDs = append(leadIDs, l.ID)
				live[l.ID] = true
			}
		case op < 30:
			name = "patch"
			p := LeadPatch{Version: version}
			switch rng.IntN(5) {
			case 0:
				e := fmt.Sprintf("u%d@ex%d.com", rng.IntN(400), rng.IntN(3))
				p.Email = &e
			case 1:
				tg := randomTags()
				p.Tags = &tg
			case 2:
				st := pick([]string{"new", "interested", "follow-up", "won", "lost"})
				p.StageID = &st
			case 3:
				v := float64(rng.IntN(5000))
				p.Value = &v
			case 4:
				p.Custom = map[string]any{"size": nil}
			}
			_, err = s.UpdateLead(ctx, pick(leadIDs), p)
		case op < 40:
			name = "move"
			in := MoveInput{StageID: pick([]string{"new", "interested", "follow-up", "won", "lost"}), Version: version}
			if in.StageID == "lost" && rng.IntN(2) == 0 {
				in.LostReasonID = reasons[rng.IntN(len(reasons))].ID
			}
			if rng.IntN(8) == 0 {
				in.PipelineID = pick(pipelines)
			}
			_, err = s.MoveLead(ctx, pick(leadIDs), in)
		case op < 43:
			name = "bulk"
			var ids []string
			for range rng.IntN(6) + 1 {
				ids = append(ids, pick(leadIDs))
			}
			_, err = s.BulkMove(ctx, BulkMoveInput{IDs: ids, StageID: pick([]string{"new", "interested", "won"})})
		case op < 47:
			name = "archive"
			_, err = s.ArchiveLead(ctx, pick(leadIDs), version, "")
		case op < 52:
			name = "reopen"
			_, err = s.ReopenLead(ctx, pick(leadIDs), ReopenInput{})
		case op < 54:
			name = "purge"
			id := pick(leadIDs)
			err = s.PurgeLead(ctx, id, nil)
			if err == nil {
				delete(live, id)
			}
		case op < 62:
			name = "upsert"
			var l *Lead
			l, _, err = s.UpsertLead(ctx, UpsertInput{Email: fmt.Sprintf("u%d@ex%d.com", rng.IntN(400), rng.IntN(3)),
				PipelineID: pick(pipelines), ThreadID: pick(threads), Name: pick([]string{"", "A", "B"}), Tags: randomTags()})
			if err == nil && !slices.Contains(leadIDs, l.ID) {
				leadIDs = append(leadIDs, l.ID)
				live[l.ID] = true
			}
		case op < 70:
			name = "mail"
			_, err = s.RecordMail(ctx, pick(leadIDs), Mail{ThreadID: pick(threads), MessageID: fmt.Sprint(rng.IntN(2000)),
				Direction: pick([]string{DirectionInbound, DirectionOutbound}), At: clock.t.Add(-time.Duration(rng.IntN(100)) * time.Hour)})
		case op < 76:
			name = "followup"
			var f *FollowUp
			f, err = s.CreateFollowUp(ctx, FollowUpInput{LeadID: pick(leadIDs), ThreadID: pick(append(threads, "")),
				DueAt: clock.t.Add(time.Duration(rng.IntN(200)-100) * time.Hour), Kind: pick([]string{FollowUpManual, FollowUpNoReply})})
			if err == nil {
				followUps = append(followUps, f.ID)
			}
		case op < 80:
			name = "followup-change"
			id := pick(followUps)
			switch rng.IntN(4) {
			case 0:
				_, err = s.CompleteFollowUp(ctx, id, nil)
			case 1:
				_, err = s.SnoozeFollowUp(ctx, id, clock.t.Add(time.Duration(rng.IntN(100)+1)*time.Hour), nil)
			case 2:
				st := pick([]string{FollowUpCancelled, FollowUpPending})
				d := clock.t.Add(time.Duration(rng.IntN(50)) * time.Hour)
				_, err = s.UpdateFollowUp(ctx, id, FollowUpPatch{State: &st, DueAt: &d})
			case 3:
				_, err = s.CancelNoReplyFollowUps(ctx, pick(threads))
			}
		case op < 85:
			name = "note"
			if rng.IntN(3) == 0 {
				err = s.DeleteNote(ctx, pick(notes), nil)
			} else {
				var n *Note
				n, err = s.AddNote(ctx, pick(leadIDs), NoteInput{Body: "note"})
				if err == nil {
					notes = append(notes, n.ID)
				}
			}
		case op < 89:
			name = "qualify"
			_, err = s.Qualify(ctx, pick(leadIDs), rng.IntN(2) == 0, QualifyInput{Reason: "r"})
		case op < 92:
			name = "convert"
			_, err = s.ConvertLead(ctx, pick(leadIDs), ConvertInput{CreateDeal: rng.IntN(2) == 0})
		case op < 95:
			name = "deal"
			lid := pick(leadIDs)
			if rng.IntN(2) == 0 || len(deals) == 0 {
				var d *Deal
				d, err = s.CreateDeal(ctx, DealInput{Name: ptr("D"), LeadID: &lid})
				if err == nil {
					deals = append(deals, d.ID)
				}
			} else {
				_, err = s.UpdateDeal(ctx, pick(deals), DealInput{LeadID: &lid})
			}
		case op < 97:
			name = "tag"
			tags, _ := s.Tags(ctx)
			if len(tags) > 0 {
				tg := tags[rng.IntN(len(tags))]
				if rng.IntN(3) == 0 {
					err = s.DeleteTag(ctx, tg.ID, nil)
				} else {
					nn := pick(tagPool)
					_, err = s.UpdateTag(ctx, tg.ID, TagInput{Name: &nn})
				}
			}
		case op < 98:
			name = "stage-add"
			_, _, err = s.AddStage(ctx, pick(pipelines), nil, StageInput{Name: ptr(fmt.Sprint("S", i))})
		default:
			name = "stage-delete"
			pid := pick(pipelines)
			p, _ := s.Pipeline(ctx, pid)
			if len(p.Stages) > 5 {
				victim := p.Stages[5+rng.IntN(len(p.Stages)-5)].ID
				_, err = s.DeleteStage(ctx, pid, victim, "new", nil)
			}
		}
		if !expectedErr(err) {
			t.Fatalf("op %d (%s): unexpected error: %v", i, name, err)
		}
		if err == nil {
			counts[name]++
		}
		if i%500 == 499 {
			if err := s.CheckIndexes(); err != nil {
				t.Fatalf("after op %d: %v", i, err)
			}
		}
	}
	t.Logf("successful operations: %v", counts)
	for _, name := range []string{"create", "patch", "move", "upsert", "mail", "followup", "followup-change", "purge", "tag"} {
		if counts[name] == 0 {
			t.Errorf("no %s operation succeeded; the test exercises less than it claims", name)
		}
	}
	if err := s.CheckIndexes(); err != nil {
		t.Fatal(err)
	}
	before, err := s.ListLeads(ctx, ListQuery{IncludeArchived: true, Limit: 500, Sort: "email"})
	if err != nil {
		t.Fatal(err)
	}
	if before.Total != len(live) {
		t.Fatalf("store holds %d leads, the operations left %d", before.Total, len(live))
	}
	for _, l := range before.Items {
		if !live[l.ID] {
			t.Fatalf("lead %s listed but was purged", l.ID)
		}
	}
	// A restart rebuilds the projection from the store: same answers.
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	st, err = store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s, err = New(st, events.NewBus(), Options{Now: clock.now})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CheckIndexes(); err != nil {
		t.Fatal(err)
	}
	after, err := s.ListLeads(ctx, ListQuery{IncludeArchived: true, Limit: 500, Sort: "email"})
	if err != nil {
		t.Fatal(err)
	}
	if after.Total != before.Total || len(after.Items) != len(before.Items) {
		t.Fatalf("after restart %d leads, before %d", after.Total, before.Total)
	}
	for i := range after.Items {
		if after.Items[i].ID != before.Items[i].ID || after.Items[i].Version != before.Items[i].Version {
			t.Fatalf("lead %d differs after restart", i)
		}
	}
}

func ptr[T any](v T) *T { return &v }
