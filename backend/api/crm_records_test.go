package api

import (
	"fmt"
	"strings"
	"testing"

	"threadline/backend/crm"
)

func TestDealsAndContacts(t *testing.T) {
	e := newCRMEnv(t)
	l := e.newLead(map[string]any{"email": "d@x.io"})
	e.fail("POST", "/api/contacts", map[string]any{}, 400, "bad_request", "name")
	e.fail("POST", "/api/contacts", map[string]any{"email": "bad"}, 400, "bad_request", "email")
	e.fail("POST", "/api/contacts", map[string]any{"name": "C", "lead_id": "nope"}, 400, "bad_request", "lead_id")
	c := into[*crm.Contact](e, "POST", "/api/contacts", map[string]any{"name": "Cara", "email": "Cara@X.io", "lead_id": l.ID}, 201)
	if c.Email != "cara@x.io" || c.Version != 1 {
		t.Fatalf("contact %+v", c)
	}
	e.fail("POST", "/api/contacts", map[string]any{"name": "Other", "email": "cara@x.io"}, 409, "duplicate", "email")
	c2 := into[*crm.Contact](e, "PATCH", "/api/contacts/"+c.ID, map[string]any{"version": 1, "title": "CTO"}, 200)
	if c2.Title != "CTO" || c2.Version != 2 {
		t.Fatalf("patched %+v", c2)
	}
	e.fail("PATCH", "/api/contacts/"+c.ID, map[string]any{"version": 1, "title": "CEO"}, 409, "version_conflict", "version")
	e.fail("GET", "/api/contacts/nope", nil, 404, "not_found", "")
	if cs := into[list[*crm.Contact]](e, "GET", "/api/contacts", nil, 200); len(cs.Items) != 1 {
		t.Fatalf("%d contacts", len(cs.Items))
	}

	e.fail("POST", "/api/deals", map[string]any{}, 400, "bad_request", "name")
	e.fail("POST", "/api/deals", map[string]any{"name": "D", "amount": -1}, 400, "bad_request", "amount")
	e.fail("POST", "/api/deals", map[string]any{"name": "D", "probability": 1.5}, 400, "bad_request", "probability")
	e.fail("POST", "/api/deals", map[string]any{"name": "D", "status": "maybe"}, 400, "bad_request", "status")
	e.fail("POST", "/api/deals", map[string]any{"name": "D", "lead_id": "nope"}, 400, "bad_request", "lead_id")
	e.fail("POST", "/api/deals", map[string]any{"name": "D", "contact_id": "nope"}, 400, "bad_request", "contact_id")
	e.fail("POST", "/api/deals", map[string]any{"name": "D", "expected_close": "June"}, 400, "bad_request", "expected_close")
	d := into[*crm.Deal](e, "POST", "/api/deals", map[string]any{"name": "Pro plan", "amount": 12000, "currency": "usd",
		"expected_close": "2026-06-30", "stage": "negotiation", "probability": 0.7, "lead_id": l.ID, "contact_id": c.ID}, 201)
	if d.Status != "open" || d.Currency != "USD" || *d.Probability != 0.7 || d.Version != 1 {
		t.Fatalf("deal %+v", d)
	}
	won := into[*crm.Deal](e, "PATCH", "/api/deals/"+d.ID, map[string]any{"version": 1, "status": "won", "clear_probability": true}, 200)
	if won.Status != "won" || won.ClosedAt == nil || won.Probability != nil || won.Version != 2 {
		t.Fatalf("won %+v", won)
	}
	e.fail("PATCH", "/api/deals/"+d.ID, map[string]any{"version": 1, "name": "x"}, 409, "version_conflict", "version")
	e.fail("GET", "/api/deals/nope", nil, 404, "not_found", "")
	if ds := into[list[*crm.Deal]](e, "GET", "/api/deals?lead_id="+l.ID+"&status=won", nil, 200); len(ds.Items) != 1 {
		t.Fatalf("%d deals", len(ds.Items))
	}
	if ds := into[list[*crm.Deal]](e, "GET", "/api/deals?status=open", nil, 200); len(ds.Items) != 0 {
		t.Fatalf("%d open deals", len(ds.Items))
	}
	e.fail("GET", "/api/deals?status=maybe", nil, 400, "bad_request", "status")

	// Deleting the contact unlinks its deals.
	e.call("DELETE", "/api/contacts/"+c.ID, nil, 204)
	e.fail("DELETE", "/api/contacts/"+c.ID, nil, 404, "not_found", "")
	if got := into[*crm.Deal](e, "GET", "/api/deals/"+d.ID, nil, 200); got.ContactID != "" {
		t.Fatalf("deal still linked to deleted contact: %+v", got)
	}
	// Purging the lead unlinks its deals too.
	e.call("DELETE", "/api/leads/"+l.ID+"?purge=1", nil, 204)
	if got := into[*crm.Deal](e, "GET", "/api/deals/"+d.ID, nil, 200); got.LeadID != "" {
		t.Fatalf("deal still linked to purged lead: %+v", got)
	}
	e.fail("DELETE", "/api/deals/"+d.ID+"?version=1", nil, 409, "version_conflict", "version")
	e.call("DELETE", "/api/deals/"+d.ID, nil, 204)
	e.fail("DELETE", "/api/deals/"+d.ID, nil, 404, "not_found", "")
	e.check()
}

func TestTagsDiscardReasonsSignals(t *testing.T) {
	e := newCRMEnv(t)
	e.fail("POST", "/api/tags", map[string]any{}, 400, "bad_request", "name")
	e.fail("POST", "/api/tags", map[string]any{"name": "x", "colour": "blue"}, 400, "bad_request", "colour")
	hot := into[*crm.Tag](e, "POST", "/api/tags", map[string]any{"name": "Hot", "colour": "#FF0000"}, 201)
	e.fail("POST", "/api/tags", map[string]any{"name": "hot"}, 409, "duplicate", "name")
	var leads []*crm.Lead
	for i := 0; i < 3; i++ {
		leads = append(leads, e.newLead(map[string]any{"email": fmt.Sprintf("t%d@x.io", i), "tags": []string{"HOT", "new-tag"}}))
	}
	if fmt.Sprint(leads[0].Tags) != "[Hot new-tag]" {
		t.Fatalf("tags resolve to the existing spelling: %v", leads[0].Tags)
	}
	tags := into[list[*crm.Tag]](e, "GET", "/api/tags", nil, 200)
	if len(tags.Items) != 2 {
		t.Fatalf("tags %+v", tags.Items)
	}
	var newTag *crm.Tag
	for _, tg := range tags.Items {
		if tg.Name == "new-tag" {
			newTag = tg
		}
	}
	if newTag == nil {
		t.Fatal("new-tag was not created")
	}
	e.fail("PATCH", "/api/tags/"+hot.ID, map[string]any{"name": "new-tag"}, 409, "duplicate", "name")
	e.fail("PATCH", "/api/tags/"+hot.ID, map[string]any{"version": 3, "name": "x"}, 409, "version_conflict", "version")
	e.fail("PATCH", "/api/tags/nope", map[string]any{"name": "x"}, 404, "not_found", "")
	r := into[*crm.Tag](e, "PATCH", "/api/tags/"+hot.ID, map[string]any{"name": "Priority", "colour": "#00ff00"}, 200)
	if r.Name != "Priority" || r.Version != 2 {
		t.Fatalf("renamed %+v", r)
	}
	if page := into[*crm.LeadPage](e, "GET", "/api/leads?tag=priority", nil, 200); page.Total != 3 || fmt.Sprint(page.Items[0].Tags) != "[Priority new-tag]" {
		t.Fatalf("after rename: %d leads tagged", page.Total)
	}
	if page := into[*crm.LeadPage](e, "GET", "/api/leads?tag=hot", nil, 200); page.Total != 0 {
		t.Fatal("old tag name still matches")
	}
	e.call("DELETE", "/api/tags/"+newTag.ID, nil, 204)
	if got := into[*crm.Lead](e, "GET", "/api/leads/"+leads[1].ID, nil, 200); fmt.Sprint(got.Tags) != "[Priority]" {
		t.Fatalf("after delete: %v", got.Tags)
	}
	e.fail("DELETE", "/api/tags/"+newTag.ID, nil, 404, "not_found", "")

	e.fail("POST", "/api/discard-reasons", map[string]any{"label": ""}, 400, "bad_request", "label")
	e.fail("POST", "/api/discard-reasons", map[string]any{"name": "x"}, 400, "bad_request", "name")
	e.fail("PATCH", "/api/custom-fields/nope", map[string]any{"label": "x"}, 404, "not_found", "")
	e.fail("PATCH", "/api/custom-fields/nope", map[string]any{"key": "x"}, 422, "invalid", "key")
	dr := into[*crm.DiscardReason](e, "POST", "/api/discard-reasons", map[string]any{"label": "Went silent"}, 201)
	dr2 := into[*crm.DiscardReason](e, "PATCH", "/api/discard-reasons/"+dr.ID, map[string]any{"label": "Ghosted", "version": 1}, 200)
	if dr2.Label != "Ghosted" || dr2.Version != 2 {
		t.Fatalf("reason %+v", dr2)
	}
	e.fail("PATCH", "/api/discard-reasons/"+dr.ID, map[string]any{"label": "X", "version": 1}, 409, "version_conflict", "version")
	e.fail("PATCH", "/api/discard-reasons/nope", map[string]any{"label": "X"}, 404, "not_found", "")
	e.call("DELETE", "/api/discard-reasons/"+dr.ID, nil, 204)
	e.fail("DELETE", "/api/discard-reasons/"+dr.ID, nil, 404, "not_found", "")

	if ok, _ := e.crm.IsDismissed(t.Context(), "thr-1"); ok {
		t.Fatal("dismissed before dismissing")
	}
	s1 := into[*crm.DismissedSignal](e, "POST", "/api/signals/thr-1/dismiss", nil, 200)
	e.advance(1e9)
	s2 := into[*crm.DismissedSignal](e, "POST", "/api/signals/thr-1/dismiss", nil, 200)
	if !s1.DismissedAt.Equal(s2.DismissedAt) {
		t.Fatal("dismissing twice moved the time")
	}
	if ok, _ := e.crm.IsDismissed(t.Context(), "thr-1"); !ok {
		t.Fatal("IsDismissed false after dismissing")
	}
	if ds := into[list[*crm.DismissedSignal]](e, "GET", "/api/signals/dismissed", nil, 200); len(ds.Items) != 1 || ds.Items[0].ThreadID != "thr-1" {
		t.Fatalf("dismissed %+v", ds.Items)
	}
	e.fail("POST", "/api/signals/"+strings.Repeat("x", 201)+"/dismiss", nil, 400, "bad_request", "thread")
	e.call("DELETE", "/api/signals/thr-1/dismiss", nil, 204)
	if ds := into[list[*crm.DismissedSignal]](e, "GET", "/api/signals/dismissed", nil, 200); len(ds.Items) != 0 {
		t.Fatal("undismiss kept the signal")
	}
	e.check()
}

func TestPurgeRemovesEverythingHangingOffTheLead(t *testing.T) {
	e := newCRMEnv(t)
	l := e.newLead(map[string]any{"email": "p@x.io", "tags": []string{"a"}, "thread_ids": []string{"t1"}})
	keep := e.newLead(map[string]any{"email": "k@x.io"})
	e.call("POST", "/api/leads/"+l.ID+"/notes", map[string]any{"body": "hello"}, 201)
	f := into[*crm.FollowUp](e, "POST", "/api/leads/"+l.ID+"/followups", map[string]any{"due_at": e.clock().Format("2006-01-02T15:04:05Z07:00"), "thread_id": "t1"}, 201)
	if _, err := e.crm.RecordMail(t.Context(), l.ID, crm.Mail{ThreadID: "t1", MessageID: "m1", Direction: "inbound", At: e.clock()}); err != nil {
		t.Fatal(err)
	}
	e.fail("DELETE", "/api/leads/"+l.ID+"?purge=1&version=1", nil, 409, "version_conflict", "version")
	e.fail("DELETE", "/api/leads/"+l.ID+"?purge=maybe", nil, 400, "bad_request", "purge")
	e.call("DELETE", "/api/leads/"+l.ID+"?purge=1", nil, 204)
	e.fail("GET", "/api/leads/"+l.ID, nil, 404, "not_found", "")
	e.fail("GET", "/api/followups/"+f.ID, nil, 404, "not_found", "")
	e.fail("GET", "/api/leads/"+l.ID+"/timeline", nil, 404, "not_found", "")
	e.fail("DELETE", "/api/leads/"+l.ID+"?purge=1", nil, 404, "not_found", "")
	if page := into[*crm.FollowUpPage](e, "GET", "/api/followups", nil, 200); len(page.Items) != 0 {
		t.Fatal("purged lead's follow-up still listed")
	}
	if page := into[*crm.LeadPage](e, "GET", "/api/leads?include_archived=1", nil, 200); page.Total != 1 || page.Items[0].ID != keep.ID {
		t.Fatal("purge touched another lead")
	}
	// The address is free again.
	e.newLead(map[string]any{"email": "p@x.io"})
	e.check()
	e.reopen()
	e.check()
}
