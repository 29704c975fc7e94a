package crm

import (
	"context"
	"testing"
	"time"

	"threadline/backend/events"
	"threadline/backend/store"
)

func TestDueFollowUpsListsOpenOnesUpToNow(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(t.TempDir(), store.Options{})
	must(t, err)
	defer st.Close()
	clock := &fakeClock{t: time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)}
	s, err := New(st, events.NewBus(), Options{Now: clock.now})
	must(t, err)
	l, err := s.CreateLead(ctx, LeadInput{Email: "r@x.io", Name: "Rita"})
	must(t, err)
	start := clock.t
	var ids []string
	for _, d := range []time.Duration{-time.Hour, 0, 10 * time.Minute} {
		f, err := s.CreateFollowUp(ctx, FollowUpInput{LeadID: l.ID, DueAt: start.Add(d)})
		must(t, err)
		ids = append(ids, f.ID)
	}
	done, err := s.CreateFollowUp(ctx, FollowUpInput{LeadID: l.ID, DueAt: start.Add(-2 * time.Hour)})
	must(t, err)
	_, err = s.CompleteFollowUp(ctx, done.ID, nil)
	must(t, err)

	due, err := s.DueFollowUps(ctx, start)
	must(t, err)
	if len(due) != 2 || due[0].ID != ids[0] || due[1].ID != ids[1] {
		t.Fatalf("due at start: %+v", due)
	}
	if due[0].LeadName != "Rita" || due[0].LeadEmail != "r@x.io" {
		t.Fatalf("lead not filled in: %+v", due[0])
	}
	if due, _ := s.DueFollowUps(ctx, start.Add(time.Hour)); len(due) != 3 {
		t.Fatalf("an hour later: %d due", len(due))
	}
}

func TestAfterSendCreatesOneNoReplyFollowUp(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(t.TempDir(), store.Options{})
	must(t, err)
	defer st.Close()
	s, err := New(st, events.NewBus(), Options{})
	must(t, err)
	p, err := s.CreatePipeline(ctx, PipelineInput{Name: "Sales", Settings: &PipelineSettings{
		FollowUpAfterSend: FollowUpAfterSend{Enabled: true, Days: 3}}})
	must(t, err)
	l, err := s.CreateLead(ctx, LeadInput{Email: "b@x.io", Name: "Bob", PipelineID: p.ID})
	must(t, err)
	m := Mail{ThreadID: "t1", MessageID: "m1@x.io", At: time.Now(), Subject: "Hi"}
	for range 2 {
		must(t, s.AfterSend(ctx, l.ID, m))
	}
	// A later call without the lead finds it through the thread link.
	must(t, s.AfterSend(ctx, "", Mail{ThreadID: "t1", MessageID: "m2@x.io", At: time.Now()}))
	page, err := s.FollowUps(ctx, FollowUpQuery{LeadID: l.ID})
	must(t, err)
	if len(page.Items) != 1 || page.Items[0].Kind != FollowUpNoReply || page.Items[0].ThreadID != "t1" {
		t.Fatalf("follow-ups %+v", page.Items)
	}
	n, err := s.CancelNoReplyFollowUps(ctx, "t1")
	must(t, err)
	if n != 1 {
		t.Fatalf("cancelled %d", n)
	}
}
