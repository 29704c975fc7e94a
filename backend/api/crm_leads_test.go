package api

import (
	"fmt"
	"net/url"
	"testing"
	"time"

	"threadline/backend/crm"
)

func TestLeadCreateGetPatch(t *testing.T) {
	e := newCRMEnv(t)
	sub := e.bus.Subscribe(64)
	defer sub.Cancel()
	p := e.sales()
	l := e.newLead(map[string]any{"email": "  Alice.Doe@Example.COM ", "name": "Alice", "company": "Acme",
		"priority": "high", "value": 1200, "tags": []string{"VIP", "vip", "beta"},
		"attribution": map[string]any{"source": "pricing-page", "utm": map[string]string{"utm_source": "news"}}})
	if l.Email != "alice.doe@example.com" || l.PipelineID != p.ID || l.StageID != "new" || l.StageName != "New" ||
		l.Version != 1 || l.Currency != "EUR" || fmt.Sprint(l.Tags) != "[VIP beta]" || l.Engagement != "new" ||
		l.Qualification.Status != "unqualified" || l.Attribution.UTM["utm_source"] != "news" || l.Final {
		t.Fatalf("created %+v", l)
	}
	for found := false; !found; {
		select {
		case ev := <-sub.C:
			found = ev.Type == "lead.created"
		case <-time.After(time.Second):
			t.Fatal("no lead.created event")
		}
	}

	// Validation: each error names its field; nothing is written.
	e.fail("POST", "/api/leads", map[string]any{"email": "not-an-address"}, 400, "bad_request", "email")
	e.fail("POST", "/api/leads", map[string]any{}, 400, "bad_request", "email")
	e.fail("POST", "/api/leads", map[string]any{"email": "b@x.io", "priority": "urgent"}, 400, "bad_request", "priority")
	e.fail("POST", "/api/leads", map[string]any{"email": "b@x.io", "value": -5}, 400, "bad_request", "value")
	e.fail("POST", "/api/leads", map[string]any{"email": "b@x.io", "value": "lots"}, 400, "bad_request", "value")
	e.fail("POST", "/api/leads", map[string]any{"email": "b@x.io", "currency": "dollars"}, 400, "bad_request", "currency")
	e.fail("POST", "/api/leads", map[string]any{"email": "b@x.io", "stage_id": "nope"}, 400, "bad_request", "stage_id")
	e.fail("POST", "/api/leads", map[string]any{"email": "b@x.io", "pipeline_id": "nope"}, 400, "bad_request", "pipeline_id")
	e.fail("POST", "/api/leads", map[string]any{"email": "b@x.io", "tags": []string{""}}, 400, "bad_request", "tags[0]")
	e.fail("POST", "/api/leads", map[string]any{"email": "b@x.io", "owner": "x"}, 400, "bad_request", "owner")
	e.fail("POST", "/api/leads", map[string]any{"email": "b@x.io", "custom": map[string]any{"size": 3}}, 422, "invalid", "custom.size")
	e.fail("POST", "/api/leads", map[string]any{"email": "b@x.io", "lost_reason_id": "x"}, 422, "invalid", "lost_reason_id")
	e.fail("POST", "/api/leads", `{"email": "b@x.io"`, 400, "bad_request", "")
	dup := e.fail("POST", "/api/leads", map[string]any{"email": "ALICE.doe@example.com"}, 409, "duplicate", "email")
	if dup.Message == "" {
		t.Fatal("duplicate without message")
	}
	if page := into[*crm.LeadPage](e, "GET", "/api/leads", nil, 200); page.Total != 1 {
		t.Fatalf("failed creates left %d leads", page.Total)
	}
	// The same address in another pipeline is another lead.
	p2 := into[*crm.Pipeline](e, "POST", "/api/pipelines", map[string]any{"name": "Other"}, 201)
	e.newLead(map[string]any{"email": "alice.doe@example.com", "pipeline_id": p2.ID})

	e.fail("GET", "/api/leads/nope", nil, 404, "not_found", "")
	got := into[*crm.Lead](e, "GET", "/api/leads/"+l.ID, nil, 200)
	if got.Name != "Alice" || got.Version != 1 {
		t.Fatalf("get %+v", got)
	}

	e.advance(time.Minute)
	pl := into[*crm.Lead](e, "PATCH", "/api/leads/"+l.ID, map[string]any{"version": 1, "company": "Acme Inc", "value": 1500, "tags": []string{"beta"}}, 200)
	if pl.Version != 2 || pl.Company != "Acme Inc" || pl.Value != 1500 || fmt.Sprint(pl.Tags) != "[beta]" || !pl.UpdatedAt.After(l.UpdatedAt) {
		t.Fatalf("patched %+v", pl)
	}
	e.fail("PATCH", "/api/leads/"+l.ID, map[string]any{"version": 1, "company": "Lost update"}, 409, "version_conflict", "version")
	e.fail("PATCH", "/api/leads/"+l.ID, map[string]any{"email": "nope"}, 400, "bad_request", "email")
	e.fail("PATCH", "/api/leads/"+l.ID, map[string]any{"nickname": "x"}, 400, "bad_request", "nickname")
	e.fail("PATCH", "/api/leads/nope", map[string]any{"name": "x"}, 404, "not_found", "")
	// A patch that changes nothing writes nothing.
	same := into[*crm.Lead](e, "PATCH", "/api/leads/"+l.ID, map[string]any{"company": "Acme Inc"}, 200)
	if same.Version != 2 {
		t.Fatalf("no-op patch bumped version to %d", same.Version)
	}
	// Field changes are on the timeline.
	tl := into[*crm.TimelinePage](e, "GET", "/api/leads/"+l.ID+"/timeline?type=field_changed", nil, 200)
	fields := map[string]bool{}
	for _, a := range tl.Items {
		fields[a.Field] = true
	}
	if !fields["company"] || !fields["value"] || !fields["tags"] {
		t.Fatalf("timeline fields %v", fields)
	}
	e.check()
}

func TestLeadCustomFields(t *testing.T) {
	e := newCRMEnv(t)
	e.fail("POST", "/api/custom-fields", map[string]any{"key": "Team Size", "type": "number"}, 400, "bad_request", "key")
	e.fail("POST", "/api/custom-fields", map[string]any{"key": "x", "type": "color"}, 400, "bad_request", "type")
	e.fail("POST", "/api/custom-fields", map[string]any{"key": "x", "type": "select"}, 400, "bad_request", "options")
	for _, d := range []map[string]any{
		{"key": "team_size", "type": "number", "label": "Team size"},
		{"key": "renewal", "type": "date"},
		{"key": "plan", "type": "select", "options": []string{"free", "pro"}},
		{"key": "channels", "type": "multi_select", "options": []string{"mail", "phone", "chat"}},
		{"key": "site", "type": "url"},
		{"key": "notes", "type": "text"},
	} {
		e.call("POST", "/api/custom-fields", d, 201)
	}
	e.fail("POST", "/api/custom-fields", map[string]any{"key": "plan", "type": "text"}, 409, "duplicate", "key")
	defs := into[list[*crm.FieldDef]](e, "GET", "/api/custom-fields", nil, 200)
	if len(defs.Items) != 6 {
		t.Fatalf("%d defs", len(defs.Items))
	}
	l := e.newLead(map[string]any{"email": "c@d.io", "custom": map[string]any{
		"team_size": 25, "renewal": "2026-06-30", "plan": "pro", "channels": []string{"mail", "chat", "mail"},
		"site": "https://acme.example", "notes": "likes tea"}})
	if l.Custom["team_size"] != 25.0 || fmt.Sprint(l.Custom["channels"]) != "[mail chat]" {
		t.Fatalf("custom %v", l.Custom)
	}
	for field, bad := range map[string]any{"team_size": "many", "renewal": "30/06/2026", "plan": "gold",
		"channels": []string{"fax"}, "site": "ftp://x", "notes": 5, "unknown": 1} {
		e.fail("PATCH", "/api/leads/"+l.ID, map[string]any{"custom": map[string]any{field: bad}}, 422, "invalid", "custom."+field)
	}
	pl := into[*crm.Lead](e, "PATCH", "/api/leads/"+l.ID, map[string]any{"custom": map[string]any{"plan": nil, "team_size": 30}}, 200)
	if _, ok := pl.Custom["plan"]; ok || pl.Custom["team_size"] != 30.0 {
		t.Fatalf("after patch %v", pl.Custom)
	}
	var planID, sizeID string
	for _, d := range defs.Items {
		switch d.Key {
		case "plan":
			planID = d.ID
		case "team_size":
			sizeID = d.ID
		}
	}
	e.fail("PATCH", "/api/custom-fields/"+planID, map[string]any{"type": "text"}, 422, "invalid", "type")
	e.fail("PATCH", "/api/custom-fields/"+planID, map[string]any{"version": 9, "label": "P"}, 409, "version_conflict", "version")
	d := into[*crm.FieldDef](e, "PATCH", "/api/custom-fields/"+planID, map[string]any{"options": []string{"free", "pro", "gold"}}, 200)
	if len(d.Options) != 3 || d.Version != 2 {
		t.Fatalf("def %+v", d)
	}
	e.call("PATCH", "/api/leads/"+l.ID, map[string]any{"custom": map[string]any{"plan": "gold"}}, 200)
	// Deleting a definition removes its values from leads.
	e.call("DELETE", "/api/custom-fields/"+sizeID, nil, 204)
	e.fail("DELETE", "/api/custom-fields/"+sizeID, nil, 404, "not_found", "")
	if got := into[*crm.Lead](e, "GET", "/api/leads/"+l.ID, nil, 200); got.Custom["team_size"] != nil || got.Custom["plan"] != "gold" {
		t.Fatalf("after def delete %v", got.Custom)
	}
	e.check()
}

func TestLeadListFiltersSortPaging(t *testing.T) {
	e := newCRMEnv(t)
	p := e.sales()
	for i := 0; i < 23; i++ {
		e.advance(time.Second)
		body := map[string]any{"email": fmt.Sprintf("u%02d@example.com", i), "name": fmt.Sprintf("User %02d", i),
			"value": float64(i * 100), "priority": []string{"low", "medium", "high"}[i%3]}
		if i%2 == 0 {
			body["tags"] = []string{"even"}
			body["company"] = "Evenco"
		}
		if i%5 == 0 {
			body["stage_id"] = "interested"
			body["attribution"] = map[string]any{"source": "webinar"}
			body["mailbox"] = "me@work.example"
		}
		e.newLead(body)
	}
	list := func(q string) *crm.LeadPage { return into[*crm.LeadPage](e, "GET", "/api/leads?"+q, nil, 200) }
	if page := list(""); page.Total != 23 || len(page.Items) != 23 || page.Items[0].Email != "u22@example.com" {
		t.Fatalf("default list total %d first %s", page.Total, page.Items[0].Email)
	}
	for q, want := range map[string]int{
		"tag=EVEN": 12, "priority=high": 7, "stage=interested": 5, "pipeline=" + p.ID + "&stage=new": 18,
		"source=webinar": 5, "owner=me@work.example": 5, "q=evenco": 12, "q=user%2007": 1, "status=new": 23,
		"status=replied": 0, "qualification=unqualified": 23, "pipeline=nope": 0,
		"created_from=" + url.QueryEscape(e.clock().Add(-4*time.Second).Format(time.RFC3339)): 5,
		"created_to=2026-03-09": 0, "updated_to=2026-03-10": 23,
	} {
		if page := list(q); page.Total != want {
			t.Errorf("%s: %d leads, want %d", q, page.Total, want)
		}
	}
	// Paging through a sort visits every lead once, in order.
	var seen []float64
	cursor := ""
	for pages := 0; ; pages++ {
		page := list("sort=value&dir=desc&limit=5&cursor=" + cursor)
		for _, l := range page.Items {
			seen = append(seen, l.Value)
		}
		if page.NextCursor == "" {
			if pages != 4 {
				t.Fatalf("%d pages", pages+1)
			}
			break
		}
		cursor = page.NextCursor
	}
	if len(seen) != 23 || seen[0] != 2200 || seen[22] != 0 {
		t.Fatalf("paged values %v", seen)
	}
	for i := 1; i < len(seen); i++ {
		if seen[i] > seen[i-1] {
			t.Fatalf("not sorted: %v", seen)
		}
	}
	asc := list("sort=name&limit=3")
	if asc.Items[0].Name != "User 00" || asc.Items[2].Name != "User 02" {
		t.Fatalf("name sort %s..%s", asc.Items[0].Name, asc.Items[2].Name)
	}
	e.fail("GET", "/api/leads?sort=shoe_size", nil, 400, "bad_request", "sort")
	e.fail("GET", "/api/leads?dir=sideways", nil, 400, "bad_request", "dir")
	e.fail("GET", "/api/leads?limit=0", nil, 400, "bad_request", "limit")
	e.fail("GET", "/api/leads?limit=x", nil, 400, "bad_request", "limit")
	e.fail("GET", "/api/leads?cursor=garbage", nil, 400, "bad_request", "cursor")
	e.fail("GET", "/api/leads?sort=name&cursor="+asc.NextCursor+"x", nil, 400, "bad_request", "cursor")
	e.fail("GET", "/api/leads?sort=value&cursor="+asc.NextCursor, nil, 400, "bad_request", "cursor")
	e.fail("GET", "/api/leads?status=asleep", nil, 400, "bad_request", "status")
	e.fail("GET", "/api/leads?created_from=yesterday", nil, 400, "bad_request", "created_from")
	e.fail("GET", "/api/leads?include_archived=perhaps", nil, 400, "bad_request", "include_archived")

	// Archived leads leave the list unless asked for.
	first := list("sort=name&limit=1").Items[0]
	archived := into[*crm.Lead](e, "DELETE", "/api/leads/"+first.ID, nil, 200)
	if archived.ArchivedAt == nil || !archived.Final {
		t.Fatalf("archive: %+v", archived)
	}
	if list("").Total != 22 || list("include_archived=1").Total != 23 {
		t.Fatal("archived lead still listed, or not listed with include_archived")
	}
}

func TestFinalStateLock(t *testing.T) {
	e := newCRMEnv(t)
	a := e.newLead(map[string]any{"email": "a@x.io"})
	b := e.newLead(map[string]any{"email": "b@x.io"})
	reasons := into[list[*crm.DiscardReason]](e, "GET", "/api/discard-reasons", nil, 200)

	e.fail("POST", "/api/leads/"+a.ID+"/move", map[string]any{}, 400, "bad_request", "stage_id")
	e.fail("POST", "/api/leads/"+a.ID+"/move", map[string]any{"stage_id": "nope"}, 400, "bad_request", "stage_id")
	e.fail("POST", "/api/leads/nope/move", map[string]any{"stage_id": "won"}, 404, "not_found", "")
	e.fail("POST", "/api/leads/"+a.ID+"/move", map[string]any{"stage_id": "won", "version": 7}, 409, "version_conflict", "version")
	e.fail("POST", "/api/leads/"+a.ID+"/move", map[string]any{"stage_id": "won", "lost_reason_id": reasons.Items[0].ID}, 422, "invalid", "lost_reason_id")
	won := into[*crm.Lead](e, "POST", "/api/leads/"+a.ID+"/move", map[string]any{"stage_id": "won", "version": 1}, 200)
	if won.StageID != "won" || won.WonAt == nil || !won.Final || won.Version != 2 {
		t.Fatalf("won %+v", won)
	}
	// Closed: no stage change by move, patch or bulk move.
	e.fail("POST", "/api/leads/"+a.ID+"/move", map[string]any{"stage_id": "new"}, 422, "final_state", "stage_id")
	e.fail("PATCH", "/api/leads/"+a.ID, map[string]any{"stage_id": "new"}, 422, "final_state", "stage_id")
	e.fail("POST", "/api/leads/bulk-move", map[string]any{"ids": []string{b.ID, a.ID}, "stage_id": "interested"}, 422, "final_state", "ids[1]")
	if got := into[*crm.Lead](e, "GET", "/api/leads/"+b.ID, nil, 200); got.StageID != "new" || got.Version != 1 {
		t.Fatalf("refused bulk move moved b: %s v%d", got.StageID, got.Version)
	}
	// Other fields can still change.
	into[*crm.Lead](e, "PATCH", "/api/leads/"+a.ID, map[string]any{"name": "Ann"}, 200)

	e.fail("POST", "/api/leads/"+b.ID+"/reopen", nil, 422, "invalid", "")
	e.fail("POST", "/api/leads/"+a.ID+"/reopen", map[string]any{"stage_id": "lost"}, 422, "invalid", "stage_id")
	re := into[*crm.Lead](e, "POST", "/api/leads/"+a.ID+"/reopen", map[string]any{"stage_id": "interested"}, 200)
	if re.StageID != "interested" || re.Final || re.WonAt != nil {
		t.Fatalf("reopened %+v", re)
	}
	lost := into[*crm.Lead](e, "POST", "/api/leads/"+a.ID+"/move", map[string]any{"stage_id": "lost", "lost_reason_id": reasons.Items[1].ID}, 200)
	if lost.LostReasonID != reasons.Items[1].ID || lost.LostAt == nil || !lost.Final {
		t.Fatalf("lost %+v", lost)
	}
	e.fail("DELETE", "/api/discard-reasons/"+reasons.Items[1].ID, nil, 422, "invalid", "")
	e.fail("POST", "/api/leads/"+a.ID+"/move", map[string]any{"stage_id": "won"}, 422, "final_state", "stage_id")
	re = into[*crm.Lead](e, "POST", "/api/leads/"+a.ID+"/reopen", nil, 200)
	if re.StageID != "new" || re.LostReasonID != "" || re.LostAt != nil {
		t.Fatalf("reopened from lost %+v", re)
	}
	// Archived leads are final too.
	into[*crm.Lead](e, "DELETE", "/api/leads/"+b.ID, nil, 200)
	e.fail("POST", "/api/leads/"+b.ID+"/move", map[string]any{"stage_id": "interested"}, 422, "final_state", "stage_id")
	re = into[*crm.Lead](e, "POST", "/api/leads/"+b.ID+"/reopen", map[string]any{}, 200)
	if re.ArchivedAt != nil || re.StageID != "new" {
		t.Fatalf("unarchived %+v", re)
	}
	// Bulk move works on open leads, all or nothing.
	e.fail("POST", "/api/leads/bulk-move", map[string]any{"ids": []string{a.ID, "nope"}, "stage_id": "interested"}, 422, "invalid", "ids[1]")
	e.fail("POST", "/api/leads/bulk-move", map[string]any{"ids": []string{}, "stage_id": "interested"}, 400, "bad_request", "ids")
	e.fail("POST", "/api/leads/bulk-move", map[string]any{"ids": []string{a.ID}}, 400, "bad_request", "stage_id")
	res := into[map[string]int](e, "POST", "/api/leads/bulk-move", map[string]any{"ids": []string{a.ID, b.ID, a.ID}, "stage_id": "follow-up"}, 200)
	if res["moved"] != 2 {
		t.Fatalf("bulk moved %v", res)
	}
	tl := into[*crm.TimelinePage](e, "GET", "/api/leads/"+a.ID+"/timeline?type=stage_changed", nil, 200)
	if len(tl.Items) != 5 || tl.Items[0].ToStage != "follow-up" || tl.Items[0].FromStage != "new" {
		t.Fatalf("stage timeline %+v", tl.Items)
	}
	// Moving to another pipeline.
	p2 := into[*crm.Pipeline](e, "POST", "/api/pipelines", map[string]any{"name": "Other"}, 201)
	e.fail("POST", "/api/leads/"+a.ID+"/move", map[string]any{"pipeline_id": p2.ID, "stage_id": "nope"}, 400, "bad_request", "stage_id")
	mv := into[*crm.Lead](e, "POST", "/api/leads/"+a.ID+"/move", map[string]any{"pipeline_id": p2.ID, "stage_id": "interested"}, 200)
	if mv.PipelineID != p2.ID || mv.StageID != "interested" {
		t.Fatalf("cross-pipeline move %+v", mv)
	}
	e.check()
}

func TestUpsertIdempotent(t *testing.T) {
	e := newCRMEnv(t)
	body := map[string]any{"email": "Bob@Example.com", "name": "Bob", "thread_id": "t1", "mailbox": "me@work.example", "source": "inbound", "tags": []string{"mail"}}
	r1 := into[struct {
		Lead    *crm.Lead `json:"lead"`
		Created bool      `json:"created"`
	}](e, "PUT", "/api/leads/upsert", body, 201)
	if !r1.Created || r1.Lead.Email != "bob@example.com" || fmt.Sprint(r1.Lead.ThreadIDs) != "[t1]" || r1.Lead.Mailbox != "me@work.example" {
		t.Fatalf("upsert created %+v", r1)
	}
	for i := 0; i < 3; i++ {
		e.advance(time.Minute)
		r2 := into[struct {
			Lead    *crm.Lead `json:"lead"`
			Created bool      `json:"created"`
		}](e, "POST", "/api/leads/upsert", body, 200)
		if r2.Created || r2.Lead.ID != r1.Lead.ID || r2.Lead.Version != 1 || !r2.Lead.UpdatedAt.Equal(r1.Lead.UpdatedAt) {
			t.Fatalf("repeat upsert changed the lead: %+v", r2.Lead)
		}
	}
	tl := into[*crm.TimelinePage](e, "GET", "/api/leads/"+r1.Lead.ID+"/timeline", nil, 200)
	if len(tl.Items) != 2 { // created, thread_linked
		t.Fatalf("timeline after repeated upserts: %d entries", len(tl.Items))
	}
	// New facts update; first-touch attribution stays.
	r3 := into[struct {
		Lead *crm.Lead `json:"lead"`
	}](e, "PUT", "/api/leads/upsert", map[string]any{"email": "bob@example.com", "company": "Bobco", "thread_id": "t2", "source": "other"}, 200)
	if r3.Lead.Company != "Bobco" || fmt.Sprint(r3.Lead.ThreadIDs) != "[t1 t2]" || r3.Lead.Attribution.Source != "inbound" || r3.Lead.Version != 2 {
		t.Fatalf("upsert update %+v", r3.Lead)
	}
	e.fail("PUT", "/api/leads/upsert", map[string]any{"name": "No mail"}, 400, "bad_request", "email")
	e.fail("PUT", "/api/leads/upsert", map[string]any{"email": "x@y.io", "pipeline_id": "nope"}, 400, "bad_request", "pipeline_id")
	if page := into[*crm.LeadPage](e, "GET", "/api/leads", nil, 200); page.Total != 1 {
		t.Fatalf("%d leads after upserts", page.Total)
	}
	// Thread linking is idempotent too.
	l := into[*crm.Lead](e, "POST", "/api/leads/"+r1.Lead.ID+"/threads", map[string]any{"thread_id": "t2"}, 200)
	if l.Version != 2 {
		t.Fatalf("re-linking a thread bumped the version to %d", l.Version)
	}
	l = into[*crm.Lead](e, "POST", "/api/leads/"+r1.Lead.ID+"/threads", map[string]any{"thread_id": "t3"}, 200)
	if l.Version != 3 || len(l.ThreadIDs) != 3 {
		t.Fatalf("link t3 %+v", l)
	}
	e.fail("POST", "/api/leads/"+r1.Lead.ID+"/threads", map[string]any{"thread_id": ""}, 400, "bad_request", "thread_id")
	e.fail("POST", "/api/leads/nope/threads", map[string]any{"thread_id": "t9"}, 404, "not_found", "")
	e.fail("POST", "/api/leads/"+r1.Lead.ID+"/threads", map[string]any{"thread_id": "t9", "mailbox": "me"}, 400, "bad_request", "mailbox")
	byThread, err := e.crm.LeadsByThread(t.Context(), "t3")
	if err != nil || len(byThread) != 1 || byThread[0].ID != l.ID {
		t.Fatalf("LeadsByThread: %v %v", byThread, err)
	}
	e.check()
}

func TestQualifyScoreConvert(t *testing.T) {
	e := newCRMEnv(t)
	l := e.newLead(map[string]any{"email": "q@x.io", "name": "Quinn", "company": "Qco", "value": 500, "currency": "usd"})
	q := into[*crm.Lead](e, "POST", "/api/leads/"+l.ID+"/qualify", map[string]any{"reason": "budget ok", "by": "model"}, 200)
	if q.Qualification.Status != "qualified" || q.Qualification.By != "model" || q.QualifiedAt == nil {
		t.Fatalf("qualified %+v", q.Qualification)
	}
	e.fail("POST", "/api/leads/"+l.ID+"/qualify", map[string]any{"by": "boss"}, 400, "bad_request", "by")
	e.fail("POST", "/api/leads/"+l.ID+"/disqualify", nil, 400, "bad_request", "reason")
	e.fail("POST", "/api/leads/nope/qualify", nil, 404, "not_found", "")
	d := into[*crm.Lead](e, "POST", "/api/leads/"+l.ID+"/disqualify", map[string]any{"reason": "no budget", "by": "rule:fit"}, 200)
	if d.Qualification.Status != "disqualified" || d.Qualification.Reason != "no budget" {
		t.Fatalf("disqualified %+v", d.Qualification)
	}
	if page := into[*crm.LeadPage](e, "GET", "/api/leads?qualification=disqualified", nil, 200); page.Total != 1 {
		t.Fatal("qualification filter")
	}

	s := into[*crm.Lead](e, "POST", "/api/leads/"+l.ID+"/score", map[string]any{"breakdown": []map[string]any{{"rule": "fit", "points": 20}, {"rule": "cold", "points": -5}}}, 200)
	if s.Score != 15 || len(s.ScoreBreakdown) != 2 || s.ScoredAt == nil {
		t.Fatalf("score %+v", s)
	}
	e.fail("POST", "/api/leads/"+l.ID+"/score", map[string]any{"breakdown": []map[string]any{{"points": 1}}}, 400, "bad_request", "breakdown[0].rule")
	e.fail("POST", "/api/leads/"+l.ID+"/score", map[string]any{}, 400, "bad_request", "breakdown")
	e.fail("POST", "/api/leads/nope/score", map[string]any{"breakdown": []any{}}, 404, "not_found", "")
	e.fail("POST", "/api/leads/nope/convert", nil, 404, "not_found", "")
	e.fail("POST", "/api/leads/nope/reopen", nil, 404, "not_found", "")
	e.fail("DELETE", "/api/leads/nope", nil, 404, "not_found", "")

	e.fail("POST", "/api/leads/"+l.ID+"/convert", map[string]any{"create_contact": false}, 400, "bad_request", "create_contact")
	e.fail("POST", "/api/leads/"+l.ID+"/convert", map[string]any{"create_deal": true, "deal": map[string]any{"expected_close": "soon"}}, 400, "bad_request", "deal.expected_close")
	c := into[*crm.Lead](e, "POST", "/api/leads/"+l.ID+"/convert", map[string]any{"create_deal": true, "deal": map[string]any{"expected_close": "2026-06-30"}}, 200)
	if c.Conversion == nil || c.Conversion.ContactID == "" || c.Conversion.DealID == "" {
		t.Fatalf("conversion %+v", c.Conversion)
	}
	deal := into[*crm.Deal](e, "GET", "/api/deals/"+c.Conversion.DealID, nil, 200)
	if deal.Name != "Qco" || deal.Amount != 500 || deal.Currency != "USD" || deal.LeadID != l.ID || deal.ContactID != c.Conversion.ContactID || deal.ExpectedClose != "2026-06-30" {
		t.Fatalf("deal %+v", deal)
	}
	contact := into[*crm.Contact](e, "GET", "/api/contacts/"+c.Conversion.ContactID, nil, 200)
	if contact.Email != "q@x.io" || contact.LeadID != l.ID {
		t.Fatalf("contact %+v", contact)
	}
	e.fail("POST", "/api/leads/"+l.ID+"/convert", nil, 422, "invalid", "")
	// A second lead with the same address converts into the same contact.
	p2 := into[*crm.Pipeline](e, "POST", "/api/pipelines", map[string]any{"name": "Other"}, 201)
	l2 := e.newLead(map[string]any{"email": "q@x.io", "pipeline_id": p2.ID})
	c2 := into[*crm.Lead](e, "POST", "/api/leads/"+l2.ID+"/convert", nil, 200)
	if c2.Conversion.ContactID != contact.ID || c2.Conversion.DealID != "" {
		t.Fatalf("second conversion %+v", c2.Conversion)
	}
	tl := into[*crm.TimelinePage](e, "GET", "/api/leads/"+l.ID+"/timeline?type=qualified,converted,scored", nil, 200)
	if len(tl.Items) != 4 || tl.Items[0].Type != "converted" {
		t.Fatalf("timeline %+v", tl.Items)
	}
	e.check()
}
