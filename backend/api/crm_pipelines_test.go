package api

import (
	"fmt"
	"testing"

	"threadline/backend/crm"
)

func TestDefaultPipelineSeededOnce(t *testing.T) {
	e := newCRMEnv(t)
	p := e.sales()
	if p.Name != "Sales" {
		t.Fatalf("default pipeline %q", p.Name)
	}
	var names, kinds []string
	for _, s := range p.Stages {
		names = append(names, s.Name)
		kinds = append(kinds, s.Kind)
	}
	if fmt.Sprint(names) != "[New Interested Follow-up Won Lost]" || fmt.Sprint(kinds) != "[open open open won lost]" {
		t.Fatalf("stages %v %v", names, kinds)
	}
	e.reopen()
	e.reopen()
	ps := into[list[*crm.Pipeline]](e, "GET", "/api/pipelines", nil, 200)
	if len(ps.Items) != 1 {
		t.Fatalf("%d pipelines after restarts, want 1", len(ps.Items))
	}
	rs := into[list[*crm.DiscardReason]](e, "GET", "/api/discard-reasons", nil, 200)
	if len(rs.Items) != 5 {
		t.Fatalf("%d discard reasons after restarts, want 5", len(rs.Items))
	}
}

func TestPipelineCRUD(t *testing.T) {
	e := newCRMEnv(t)
	e.fail("POST", "/api/pipelines", map[string]any{"name": " "}, 400, "bad_request", "name")
	e.fail("POST", "/api/pipelines", map[string]any{"name": "X", "stages": []map[string]any{{"name": "A"}, {"name": "B", "colour": "red"}}}, 400, "bad_request", "stages[1].colour")
	e.fail("POST", "/api/pipelines", map[string]any{"name": "X", "stages": []map[string]any{{"name": "A", "kind": "won"}}}, 422, "invalid", "stages")
	e.fail("POST", "/api/pipelines", map[string]any{"name": "X", "stages": []map[string]any{{"name": "A"}, {"name": "a"}}}, 422, "invalid", "stages[1].name")
	e.fail("POST", "/api/pipelines", map[string]any{"name": "X", "stages": []map[string]any{{"name": "A", "probability": 2}}}, 400, "bad_request", "stages[0].probability")
	e.fail("POST", "/api/pipelines", map[string]any{"name": "X", "bogus": 1}, 400, "bad_request", "bogus")
	e.fail("POST", "/api/pipelines", map[string]any{"name": "X", "settings": map[string]any{"currency": "euro"}}, 400, "bad_request", "settings.currency")

	p := into[*crm.Pipeline](e, "POST", "/api/pipelines", map[string]any{
		"name":     "Partners",
		"stages":   []map[string]any{{"name": "Intro", "rotting_days": 5}, {"name": "Signed", "kind": "won"}, {"name": "Dropped", "kind": "lost"}},
		"settings": map[string]any{"currency": "usd", "followup_after_send": map[string]any{"enabled": true, "days": 2}},
	}, 201)
	if p.Version != 1 || len(p.Stages) != 3 || p.Stages[0].ID != "intro" || p.Settings.Currency != "USD" || p.Stages[1].Probability != 1 {
		t.Fatalf("created %+v", p)
	}
	e.fail("GET", "/api/pipelines/nope", nil, 404, "not_found", "")
	got := into[*crm.Pipeline](e, "GET", "/api/pipelines/"+p.ID, nil, 200)
	if got.Name != "Partners" {
		t.Fatalf("get %+v", got)
	}
	p2 := into[*crm.Pipeline](e, "PATCH", "/api/pipelines/"+p.ID, map[string]any{"version": 1, "name": "Channel"}, 200)
	if p2.Name != "Channel" || p2.Version != 2 {
		t.Fatalf("patched %+v", p2)
	}
	e.fail("PATCH", "/api/pipelines/"+p.ID, map[string]any{"version": 1, "name": "Stale"}, 409, "version_conflict", "version")
	e.fail("PATCH", "/api/pipelines/nope", map[string]any{"name": "Y"}, 404, "not_found", "")

	// Stages: add, rename, recolour, reorder.
	added := into[struct {
		Pipeline *crm.Pipeline `json:"pipeline"`
		Stage    *crm.Stage    `json:"stage"`
	}](e, "POST", "/api/pipelines/"+p.ID+"/stages", map[string]any{"name": "Demo", "position": 1, "probability": 0.3}, 201)
	if added.Stage.ID != "demo" || added.Pipeline.Stages[1].ID != "demo" {
		t.Fatalf("added %+v", added.Pipeline.Stages)
	}
	e.fail("POST", "/api/pipelines/"+p.ID+"/stages", map[string]any{"name": "Intro"}, 422, "invalid", "stages[4].name")
	e.fail("POST", "/api/pipelines/"+p.ID+"/stages", map[string]any{"colour": "#000000"}, 400, "bad_request", "name")
	e.fail("POST", "/api/pipelines/"+p.ID+"/stages", map[string]any{"name": "Z", "position": 9}, 400, "bad_request", "position")
	e.fail("POST", "/api/pipelines/"+p.ID+"/stages", map[string]any{"name": "Z", "version": 1}, 409, "version_conflict", "version")
	pp := into[*crm.Pipeline](e, "PATCH", "/api/pipelines/"+p.ID+"/stages/demo", map[string]any{"name": "Demo call", "colour": "#ABCDEF"}, 200)
	if st := pp.Stage("demo"); st.Name != "Demo call" || st.Colour != "#abcdef" {
		t.Fatalf("renamed %+v", st)
	}
	e.fail("PATCH", "/api/pipelines/"+p.ID+"/stages/nope", map[string]any{"name": "X"}, 404, "not_found", "")
	e.fail("PATCH", "/api/pipelines/"+p.ID+"/stages/demo", map[string]any{"kind": "maybe"}, 400, "bad_request", "kind")
	e.fail("PUT", "/api/pipelines/"+p.ID+"/stages/order", map[string]any{"order": []string{"intro"}}, 400, "bad_request", "order")
	e.fail("PUT", "/api/pipelines/"+p.ID+"/stages/order", map[string]any{"order": []string{"intro", "demo", "signed", "x"}}, 400, "bad_request", "order[3]")
	e.fail("PUT", "/api/pipelines/"+p.ID+"/stages/order", map[string]any{"order": []string{"intro", "intro", "signed", "dropped"}}, 400, "bad_request", "order[1]")
	pp = into[*crm.Pipeline](e, "PUT", "/api/pipelines/"+p.ID+"/stages/order", map[string]any{"order": []string{"demo", "intro", "dropped", "signed"}}, 200)
	if pp.Stages[0].ID != "demo" || pp.Stages[3].ID != "signed" {
		t.Fatalf("order %+v", pp.Stages)
	}

	// Deleting a stage with leads needs move_to.
	l := e.newLead(map[string]any{"pipeline_id": p.ID, "stage_id": "intro", "email": "a@b.co"})
	e.fail("DELETE", "/api/pipelines/"+p.ID+"/stages/intro", nil, 422, "invalid", "move_to")
	e.fail("DELETE", "/api/pipelines/"+p.ID+"/stages/intro?move_to=nope", nil, 400, "bad_request", "move_to")
	e.fail("DELETE", "/api/pipelines/"+p.ID+"/stages/nope", nil, 404, "not_found", "")
	pp = into[*crm.Pipeline](e, "DELETE", "/api/pipelines/"+p.ID+"/stages/intro?move_to=demo", nil, 200)
	if pp.Stage("intro") != nil {
		t.Fatal("stage still there")
	}
	if got := into[*crm.Lead](e, "GET", "/api/leads/"+l.ID, nil, 200); got.StageID != "demo" || got.StageName != "Demo call" {
		t.Fatalf("lead after stage delete: %s %s", got.StageID, got.StageName)
	}
	into[*crm.Pipeline](e, "DELETE", "/api/pipelines/"+p.ID+"/stages/signed", nil, 200)
	e.fail("DELETE", "/api/pipelines/"+p.ID+"/stages/demo?move_to=dropped", nil, 422, "invalid", "stages")
	if got := into[*crm.Lead](e, "GET", "/api/leads/"+l.ID, nil, 200); got.StageID != "demo" {
		t.Fatalf("a refused stage delete moved the lead to %s", got.StageID)
	}

	// A pipeline with leads, and the last pipeline, cannot be deleted.
	e.fail("DELETE", "/api/pipelines/"+p.ID, nil, 422, "invalid", "")
	e.call("DELETE", "/api/leads/"+l.ID+"?purge=1", nil, 204)
	e.fail("DELETE", "/api/pipelines/"+p.ID+"?version=1", nil, 409, "version_conflict", "version")
	e.fail("DELETE", "/api/pipelines/"+p.ID+"?version=x", nil, 400, "bad_request", "version")
	e.call("DELETE", "/api/pipelines/"+p.ID, nil, 204)
	e.fail("DELETE", "/api/pipelines/"+p.ID, nil, 404, "not_found", "")
	e.fail("DELETE", "/api/pipelines/"+e.sales().ID, nil, 422, "invalid", "")
	e.check()
}
