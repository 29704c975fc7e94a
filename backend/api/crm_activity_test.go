package api

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"threadline/backend/crm"
)

func TestNotesAndTimeline(t *testing.T) {
	e := newCRMEnv(t)
	l := e.newLead(map[string]any{"email": "n@x.io"})
	e.fail("POST", "/api/leads/"+l.ID+"/notes", map[string]any{"body": "  "}, 400, "bad_request", "body")
	e.fail("POST", "/api/leads/nope/notes", map[string]any{"body": "hi"}, 404, "not_found", "")
	e.fail("GET", "/api/leads/nope/notes", nil, 404, "not_found", "")
	var notes []*crm.Note
	for i := 0; i < 3; i++ {
		e.advance(time.Minute)
		notes = append(notes, into[*crm.Note](e, "POST", "/api/leads/"+l.ID+"/notes", map[string]any{"body": fmt.Sprintf("call #%d went well", i)}, 201))
	}
	ns := into[list[*crm.Note]](e, "GET", "/api/leads/"+l.ID+"/notes", nil, 200)
	if len(ns.Items) != 3 || ns.Items[0].ID != notes[2].ID {
		t.Fatalf("notes %+v", ns.Items)
	}
	n := into[*crm.Note](e, "PATCH", "/api/notes/"+notes[0].ID, map[string]any{"version": 1, "body": "edited"}, 200)
	if n.Body != "edited" || n.Version != 2 {
		t.Fatalf("edited %+v", n)
	}
	e.fail("PATCH", "/api/notes/"+notes[0].ID, map[string]any{"version": 1, "body": "again"}, 409, "version_conflict", "version")
	e.fail("PATCH", "/api/notes/nope", map[string]any{"body": "x"}, 404, "not_found", "")
	e.call("DELETE", "/api/notes/"+notes[1].ID, nil, 204)
	e.fail("DELETE", "/api/notes/"+notes[1].ID, nil, 404, "not_found", "")

	tl := into[*crm.TimelinePage](e, "GET", "/api/leads/"+l.ID+"/timeline", nil, 200)
	var types []string
	for _, a := range tl.Items {
		types = append(types, a.Type)
	}
	if strings.Join(types, ",") != "note_deleted,note_added,note_added,note_added,created" {
		t.Fatalf("timeline %v", types)
	}
	for i := 1; i < len(tl.Items); i++ {
		if tl.Items[i].At.After(tl.Items[i-1].At) {
			t.Fatal("timeline not newest first")
		}
	}
	if got := into[*crm.TimelinePage](e, "GET", "/api/leads/"+l.ID+"/timeline?q=%232", nil, 200); len(got.Items) != 1 || got.Items[0].Text != "call #2 went well" {
		t.Fatalf("q filter %+v", got.Items)
	}
	if got := into[*crm.TimelinePage](e, "GET", "/api/leads/"+l.ID+"/timeline?type=created,note_deleted", nil, 200); len(got.Items) != 2 {
		t.Fatalf("type filter %d", len(got.Items))
	}
	// Paging: two at a time visits all five once.
	var all []string
	cursor := ""
	for {
		page := into[*crm.TimelinePage](e, "GET", "/api/leads/"+l.ID+"/timeline?limit=2&cursor="+cursor, nil, 200)
		for _, a := range page.Items {
			all = append(all, a.ID)
		}
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	if len(all) != 5 || all[0] != tl.Items[0].ID || all[4] != tl.Items[4].ID {
		t.Fatalf("paged timeline %v", all)
	}
	e.fail("GET", "/api/leads/"+l.ID+"/timeline?type=party", nil, 400, "bad_request", "type")
	e.fail("GET", "/api/leads/"+l.ID+"/timeline?cursor=!!", nil, 400, "bad_request", "cursor")
	e.fail("GET", "/api/leads/nope/timeline", nil, 404, "not_found", "")
	e.check()
}

func TestFollowUps(t *testing.T) {
	e := newCRMEnv(t)
	l := e.newLead(map[string]any{"email": "f@x.io", "name": "Fran"})
	now := e.clock()
	_, endOfDay := dayEnd(now)
	e.fail("POST", "/api/leads/"+l.ID+"/followups", map[string]any{}, 400, "bad_request", "due_at")
	e.fail("POST", "/api/leads/"+l.ID+"/followups", map[string]any{"due_at": now, "kind": "someday"}, 400, "bad_request", "kind")
	e.fail("POST", "/api/leads/"+l.ID+"/followups", map[string]any{"due_at": "tomorrow"}, 400, "bad_request", "due_at")
	e.fail("POST", "/api/leads/nope/followups", map[string]any{"due_at": now}, 404, "not_found", "")

	overdue := into[*crm.FollowUp](e, "POST", "/api/leads/"+l.ID+"/followups", map[string]any{"due_at": now.Add(-time.Hour), "note": "call back"}, 201)
	today := into[*crm.FollowUp](e, "POST", "/api/leads/"+l.ID+"/followups", map[string]any{"due_at": endOfDay.Add(-time.Minute), "thread_id": "th1"}, 201)
	later := into[*crm.FollowUp](e, "POST", "/api/leads/"+l.ID+"/followups", map[string]any{"due_at": endOfDay.Add(48 * time.Hour)}, 201)
	if overdue.State != "pending" || overdue.Kind != "manual" || overdue.Version != 1 {
		t.Fatalf("created %+v", overdue)
	}
	ids := func(q string) string {
		page := into[*crm.FollowUpPage](e, "GET", "/api/followups"+q, nil, 200)
		var out []string
		for _, f := range page.Items {
			out = append(out, f.ID)
		}
		return strings.Join(out, ",")
	}
	if got := ids("?due=overdue"); got != overdue.ID {
		t.Fatalf("overdue %s", got)
	}
	if got := ids("?due=today"); got != today.ID {
		t.Fatalf("today %s", got)
	}
	if got := ids("?due=upcoming"); got != later.ID {
		t.Fatalf("upcoming %s", got)
	}
	if got := ids(""); got != overdue.ID+","+today.ID+","+later.ID {
		t.Fatalf("all %s", got)
	}
	page := into[*crm.FollowUpPage](e, "GET", "/api/followups?limit=2", nil, 200)
	if len(page.Items) != 2 || page.NextCursor == "" || page.Items[0].LeadName != "Fran" {
		t.Fatalf("page %+v", page)
	}
	if rest := into[*crm.FollowUpPage](e, "GET", "/api/followups?limit=2&cursor="+page.NextCursor, nil, 200); len(rest.Items) != 1 || rest.Items[0].ID != later.ID || rest.NextCursor != "" {
		t.Fatalf("second page %+v", rest)
	}
	e.fail("GET", "/api/followups?due=someday", nil, 400, "bad_request", "due")
	e.fail("GET", "/api/followups?cursor=zz", nil, 400, "bad_request", "cursor")

	// The lead carries the earliest open due time; the board shows chips.
	lead := into[*crm.Lead](e, "GET", "/api/leads/"+l.ID, nil, 200)
	if lead.NextFollowUpAt == nil || !lead.NextFollowUpAt.Equal(overdue.DueAt) {
		t.Fatalf("next follow-up %v", lead.NextFollowUpAt)
	}
	if c := boardCard(e, l.ID); !hasChip(c, "overdue") || hasChip(c, "follow_up_today") {
		t.Fatalf("chips %v", c.Chips)
	}
	done := into[*crm.FollowUp](e, "POST", "/api/followups/"+overdue.ID+"/complete", nil, 200)
	if done.State != "done" || done.DoneAt == nil {
		t.Fatalf("done %+v", done)
	}
	e.fail("POST", "/api/followups/"+overdue.ID+"/snooze", map[string]any{"days": 1}, 422, "invalid", "state")
	if c := boardCard(e, l.ID); !hasChip(c, "follow_up_today") || hasChip(c, "overdue") {
		t.Fatalf("chips after completing %v", c.Chips)
	}
	e.fail("POST", "/api/followups/"+today.ID+"/snooze", map[string]any{}, 400, "bad_request", "until")
	e.fail("POST", "/api/followups/"+today.ID+"/snooze", map[string]any{"until": now.Add(-time.Hour)}, 422, "invalid", "until")
	e.fail("POST", "/api/followups/"+today.ID+"/snooze", map[string]any{"days": 1, "version": 5}, 409, "version_conflict", "version")
	sn := into[*crm.FollowUp](e, "POST", "/api/followups/"+today.ID+"/snooze", map[string]any{"days": 3}, 200)
	if sn.State != "snoozed" || !sn.DueAt.Equal(now.Add(72*time.Hour)) {
		t.Fatalf("snoozed %+v", sn)
	}
	if got := ids("?due=today"); got != "" {
		t.Fatalf("today after snooze %s", got)
	}
	cancelled := into[*crm.FollowUp](e, "PATCH", "/api/followups/"+later.ID, map[string]any{"state": "cancelled", "note": "not needed"}, 200)
	if cancelled.State != "cancelled" || cancelled.Note != "not needed" {
		t.Fatalf("cancelled %+v", cancelled)
	}
	e.fail("PATCH", "/api/followups/"+later.ID, map[string]any{"state": "done"}, 400, "bad_request", "state")
	e.fail("POST", "/api/followups/"+later.ID+"/complete", nil, 422, "invalid", "state")
	e.fail("PATCH", "/api/followups/nope", map[string]any{"note": "x"}, 404, "not_found", "")
	e.fail("POST", "/api/followups/nope/complete", nil, 404, "not_found", "")
	lead = into[*crm.Lead](e, "GET", "/api/leads/"+l.ID, nil, 200)
	if lead.NextFollowUpAt == nil || !lead.NextFollowUpAt.Equal(sn.DueAt) {
		t.Fatalf("next follow-up after changes %v, want %v", lead.NextFollowUpAt, sn.DueAt)
	}
	mine := into[*crm.FollowUpPage](e, "GET", "/api/leads/"+l.ID+"/followups", nil, 200)
	if len(mine.Items) != 3 {
		t.Fatalf("lead follow-ups %d", len(mine.Items))
	}
	if got := into[*crm.FollowUp](e, "GET", "/api/followups/"+later.ID, nil, 200); got.Version != 2 {
		t.Fatalf("get %+v", got)
	}
	tl := into[*crm.TimelinePage](e, "GET", "/api/leads/"+l.ID+"/timeline?type=follow_up_created,follow_up_done,follow_up_snoozed,follow_up_cancelled", nil, 200)
	if len(tl.Items) != 6 {
		t.Fatalf("follow-up timeline %d entries", len(tl.Items))
	}
	e.check()
}

func TestMailDrivesChipsAndNoReplyFollowUps(t *testing.T) {
	e := newCRMEnv(t)
	ctx := t.Context()
	l := e.newLead(map[string]any{"email": "m@x.io"})
	sent := e.clock().Add(-time.Hour)
	if _, err := e.crm.RecordMail(ctx, l.ID, crm.Mail{ThreadID: "th9", MessageID: "<1@x>", Direction: "outbound", At: sent, Subject: "Proposal"}); err != nil {
		t.Fatal(err)
	}
	// The same message again changes nothing.
	again, err := e.crm.RecordMail(ctx, l.ID, crm.Mail{ThreadID: "th9", MessageID: "<1@x>", Direction: "outbound", At: sent})
	if err != nil {
		t.Fatal(err)
	}
	if again.Version != 2 || again.Engagement != "contacted" || again.LastMessageDirection != "outbound" || again.FirstContactedAt == nil {
		t.Fatalf("after send %+v", again)
	}
	c := boardCard(e, l.ID)
	if !hasChip(c, "waiting_for_reply") {
		t.Fatalf("chips %v", c.Chips)
	}
	// Sales sends a no-reply follow-up after 3 days.
	fus := into[*crm.FollowUpPage](e, "GET", "/api/leads/"+l.ID+"/followups", nil, 200)
	if len(fus.Items) != 1 || fus.Items[0].Kind != "no_reply" || !fus.Items[0].DueAt.Equal(sent.Add(72*time.Hour)) {
		t.Fatalf("no-reply follow-ups %+v", fus.Items)
	}
	// A reply cancels it and clears the chip.
	e.advance(time.Hour)
	if _, err := e.crm.RecordMail(ctx, l.ID, crm.Mail{ThreadID: "th9", MessageID: "<2@x>", Direction: "inbound", At: e.clock()}); err != nil {
		t.Fatal(err)
	}
	lead := into[*crm.Lead](e, "GET", "/api/leads/"+l.ID, nil, 200)
	if lead.Engagement != "replied" || lead.LastMessageDirection != "inbound" || lead.NextFollowUpAt != nil {
		t.Fatalf("after reply %+v", lead)
	}
	if c := boardCard(e, l.ID); hasChip(c, "waiting_for_reply") {
		t.Fatalf("chips after reply %v", c.Chips)
	}
	tl := into[*crm.TimelinePage](e, "GET", "/api/leads/"+l.ID+"/timeline?type=email_sent,email_received", nil, 200)
	if len(tl.Items) != 2 || tl.Items[0].Type != "email_received" {
		t.Fatalf("mail timeline %+v", tl.Items)
	}
	// Quiet for weeks: stale, and rotting in its stage.
	e.advance(20 * 24 * time.Hour)
	lead = into[*crm.Lead](e, "GET", "/api/leads/"+l.ID, nil, 200)
	if lead.Engagement != "stale" {
		t.Fatalf("engagement after 20 quiet days: %s", lead.Engagement)
	}
	if page := into[*crm.LeadPage](e, "GET", "/api/leads?status=stale", nil, 200); page.Total != 1 {
		t.Fatal("stale filter")
	}
	if c := boardCard(e, l.ID); !hasChip(c, "rotting") {
		t.Fatalf("chips after 20 days %v", c.Chips)
	}
	// A later send schedules a new one; CancelNoReplyFollowUps cancels it.
	if _, err := e.crm.RecordMail(ctx, l.ID, crm.Mail{ThreadID: "th9", MessageID: "<3@x>", Direction: "outbound", At: e.clock()}); err != nil {
		t.Fatal(err)
	}
	if n, err := e.crm.CancelNoReplyFollowUps(ctx, "th9"); err != nil || n != 1 {
		t.Fatalf("cancelled %d, %v", n, err)
	}
	if _, err := e.crm.RecordMail(ctx, l.ID, crm.Mail{Direction: "sideways", At: e.clock()}); err == nil {
		t.Fatal("bad direction accepted")
	}
	e.check()
}

func TestBoard(t *testing.T) {
	e := newCRMEnv(t)
	p := e.sales()
	for i := 0; i < 7; i++ {
		e.advance(time.Second)
		e.newLead(map[string]any{"email": fmt.Sprintf("b%d@x.io", i), "value": 100, "stage_id": "interested"})
	}
	e.newLead(map[string]any{"email": "usd@x.io", "value": 50, "currency": "USD", "stage_id": "interested"})
	w := e.newLead(map[string]any{"email": "w@x.io", "value": 1000, "stage_id": "won"})
	gone := e.newLead(map[string]any{"email": "gone@x.io", "value": 999, "stage_id": "interested"})
	e.call("DELETE", "/api/leads/"+gone.ID, nil, 200)

	b := into[*crm.Board](e, "GET", "/api/pipelines/"+p.ID+"/board?limit=3", nil, 200)
	if len(b.Columns) != 5 || b.Pipeline.ID != p.ID {
		t.Fatalf("%d columns", len(b.Columns))
	}
	col := b.Columns[1]
	if col.Stage.ID != "interested" || col.Count != 8 || col.ValueSum != 750 || col.WeightedValue != 300 ||
		len(col.Cards) != 3 || col.NextCursor == "" || col.ByCurrency["USD"].ValueSum != 50 || col.ByCurrency["EUR"].WeightedValue != 280 {
		t.Fatalf("interested column %+v", col)
	}
	if c := col.Cards[0]; c.Email != "usd@x.io" || c.StageLabel != "Interested" || c.Chips == nil {
		t.Fatalf("first card %+v", c)
	}
	if won := b.Columns[3]; won.Count != 1 || won.WeightedValue != 1000 || won.Cards[0].ID != w.ID {
		t.Fatalf("won column %+v", won)
	}
	if b.Columns[0].Count != 0 || len(b.Columns[0].Cards) != 0 {
		t.Fatalf("new column %+v", b.Columns[0])
	}
	// Paging the column visits every card once.
	seen := map[string]bool{}
	for _, c := range col.Cards {
		seen[c.ID] = true
	}
	cursor := col.NextCursor
	for cursor != "" {
		page := into[*crm.Column](e, "GET", "/api/pipelines/"+p.ID+"/board/columns/interested?limit=3&cursor="+cursor, nil, 200)
		for _, c := range page.Cards {
			if seen[c.ID] {
				t.Fatalf("card %s twice", c.ID)
			}
			seen[c.ID] = true
		}
		cursor = page.NextCursor
	}
	if len(seen) != 8 {
		t.Fatalf("paged %d cards", len(seen))
	}
	e.fail("GET", "/api/pipelines/nope/board", nil, 404, "not_found", "")
	e.fail("GET", "/api/pipelines/"+p.ID+"/board?limit=x", nil, 400, "bad_request", "limit")
	e.fail("GET", "/api/pipelines/"+p.ID+"/board?limit=9999", nil, 400, "bad_request", "limit")
	e.fail("GET", "/api/pipelines/"+p.ID+"/board/columns/nope", nil, 404, "not_found", "")
	e.fail("GET", "/api/pipelines/"+p.ID+"/board/columns/interested?cursor=bad", nil, 400, "bad_request", "cursor")
}

func boardCard(e *crmEnv, leadID string) crm.Card {
	e.t.Helper()
	b := into[*crm.Board](e, "GET", "/api/pipelines/"+e.sales().ID+"/board?limit=100", nil, 200)
	for _, col := range b.Columns {
		for _, c := range col.Cards {
			if c.ID == leadID {
				return c
			}
		}
	}
	e.t.Fatalf("lead %s not on the board", leadID)
	return crm.Card{}
}

func hasChip(c crm.Card, chip string) bool {
	for _, x := range c.Chips {
		if x == chip {
			return true
		}
	}
	return false
}

// dayEnd mirrors the board's notion of "today": the local day.
func dayEnd(now time.Time) (time.Time, time.Time) {
	l := now.Local()
	start := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, time.Local)
	return start, start.AddDate(0, 0, 1)
}
