package crm

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"threadline/backend/store"
)

// Stage kinds. Leads in won and lost stages are final.
const (
	KindOpen = "open"
	KindWon  = "won"
	KindLost = "lost"
)

// Pipeline is a named, ordered set of stages.
type Pipeline struct {
	ID        string           `json:"id"`
	Version   int              `json:"version"`
	Name      string           `json:"name"`
	Stages    []Stage          `json:"stages"`
	Settings  PipelineSettings `json:"settings"`
	CreatedAt time.Time        `json:"created_at"`
	UpdatedAt time.Time        `json:"updated_at"`
}

// Stage is one column of a pipeline. Its id is unique within the pipeline
// and never changes, so renaming a stage touches no lead.
type Stage struct {
	ID           string  `json:"id"`
	Name         string  `json:"name"`
	Colour       string  `json:"colour"`
	Kind         string  `json:"kind"`
	Probability  float64 `json:"probability"`
	RottingDays  int     `json:"rotting_days"`
	ExpectedDays int     `json:"expected_days"`
}

// PipelineSettings are per-pipeline behaviours.
type PipelineSettings struct {
	// Currency is the default for new leads' values.
	Currency string `json:"currency"`
	// FollowUpAfterSend schedules a no-reply follow-up when mail goes out
	// to a lead of this pipeline.
	FollowUpAfterSend FollowUpAfterSend `json:"followup_after_send"`
}

// FollowUpAfterSend: after sending to a lead, remind after Days without reply.
type FollowUpAfterSend struct {
	Enabled bool `json:"enabled"`
	Days    int  `json:"days"`
}

// Stage returns the stage with id, or nil.
func (p *Pipeline) Stage(id string) *Stage {
	for i := range p.Stages {
		if p.Stages[i].ID == id {
			return &p.Stages[i]
		}
	}
	return nil
}

func (p *Pipeline) firstOpen() *Stage {
	for i := range p.Stages {
		if p.Stages[i].Kind == KindOpen {
			return &p.Stages[i]
		}
	}
	return nil
}

func defaultStages() []Stage {
	return []Stage{
		{ID: "new", Name: "New", Colour: "#64748b", Kind: KindOpen, Probability: 0.1, RottingDays: 7, ExpectedDays: 3},
		{ID: "interested", Name: "Interested", Colour: "#3b82f6", Kind: KindOpen, Probability: 0.4, RottingDays: 14, ExpectedDays: 10},
		{ID: "follow-up", Name: "Follow-up", Colour: "#f59e0b", Kind: KindOpen, Probability: 0.6, RottingDays: 10, ExpectedDays: 14},
		{ID: "won", Name: "Won", Colour: "#16a34a", Kind: KindWon, Probability: 1},
		{ID: "lost", Name: "Lost", Colour: "#dc2626", Kind: KindLost, Probability: 0},
	}
}

// StageInput describes a stage to add or change; nil fields keep their
// value (or take the default when adding).
type StageInput struct {
	Name         *string  `json:"name"`
	Colour       *string  `json:"colour"`
	Kind         *string  `json:"kind"`
	Probability  *float64 `json:"probability"`
	RottingDays  *int     `json:"rotting_days"`
	ExpectedDays *int     `json:"expected_days"`
	// Position (0-based) places a new stage; nil appends it.
	Position *int `json:"position,omitempty"`
}

// PipelineInput creates a pipeline; without stages it gets the default
// five.
type PipelineInput struct {
	Name     string            `json:"name"`
	Stages   []StageInput      `json:"stages"`
	Settings *PipelineSettings `json:"settings"`
}

// PipelinePatch changes a pipeline's name or settings.
type PipelinePatch struct {
	Version  *int              `json:"version"`
	Name     *string           `json:"name"`
	Settings *PipelineSettings `json:"settings"`
}

var colourRE = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)

func defaultColour(kind string) string {
	switch kind {
	case KindWon:
		return "#16a34a"
	case KindLost:
		return "#dc2626"
	}
	return "#64748b"
}

// applyStageInput validates in and applies it to st; field names are
// prefixed with prefix ("stages[2]." or "").
func applyStageInput(st *Stage, in StageInput, prefix string, adding bool) error {
	if in.Name != nil {
		name := strings.TrimSpace(*in.Name)
		if name == "" {
			return fieldErr(prefix+"name", "a stage needs a name")
		}
		if len(name) > 80 {
			return fieldErr(prefix+"name", "a stage name can be at most 80 characters")
		}
		st.Name = name
	} else if adding {
		return fieldErr(prefix+"name", "a stage needs a name")
	}
	if in.Kind != nil {
		switch *in.Kind {
		case KindOpen, KindWon, KindLost:
			st.Kind = *in.Kind
		default:
			return fieldErr(prefix+"kind", "kind must be open, won or lost, not %q", *in.Kind)
		}
	} else if adding {
		st.Kind = KindOpen
	}
	if in.Colour != nil {
		if !colourRE.MatchString(*in.Colour) {
			return fieldErr(prefix+"colour", "colour must look like #1a2b3c, not %q", *in.Colour)
		}
		st.Colour = strings.ToLower(*in.Colour)
	} else if adding {
		st.Colour = defaultColour(st.Kind)
	}
	if in.Probability != nil {
		if *in.Probability < 0 || *in.Probability > 1 {
			return fieldErr(prefix+"probability", "probability must be between 0 and 1")
		}
		st.Probability = *in.Probability
	} else if adding {
		switch st.Kind {
		case KindWon:
			st.Probability = 1
		case KindOpen:
			st.Probability = 0.5
		}
	}
	if in.RottingDays != nil {
		if *in.RottingDays < 0 || *in.RottingDays > 3650 {
			return fieldErr(prefix+"rotting_days", "rotting_days must be between 0 (never) and 3650")
		}
		st.RottingDays = *in.RottingDays
	}
	if in.ExpectedDays != nil {
		if *in.ExpectedDays < 0 || *in.ExpectedDays > 3650 {
			return fieldErr(prefix+"expected_days", "expected_days must be between 0 and 3650")
		}
		st.ExpectedDays = *in.ExpectedDays
	}
	return nil
}

func validateSettings(set *PipelineSettings) error {
	set.Currency = strings.ToUpper(strings.TrimSpace(set.Currency))
	if set.Currency == "" {
		set.Currency = "EUR"
	}
	if !currencyRE.MatchString(set.Currency) {
		return fieldErr("settings.currency", "currency must be a three-letter ISO 4217 code such as EUR")
	}
	if set.FollowUpAfterSend.Days < 0 || set.FollowUpAfterSend.Days > 365 {
		return fieldErr("settings.followup_after_send.days", "days must be between 0 and 365")
	}
	if set.FollowUpAfterSend.Enabled && set.FollowUpAfterSend.Days == 0 {
		return fieldErr("settings.followup_after_send.days", "days must be at least 1 when the follow-up is enabled")
	}
	return nil
}

// validatePipeline checks the whole-pipeline rules: a name, unique stage
// names, at least one open stage (reopened leads go there).
func validatePipeline(p *Pipeline) error {
	p.Name = strings.TrimSpace(p.Name)
	if p.Name == "" {
		return fieldErr("name", "a pipeline needs a name")
	}
	if len(p.Name) > 120 {
		return fieldErr("name", "a pipeline name can be at most 120 characters")
	}
	if len(p.Stages) == 0 {
		return fieldErr("stages", "a pipeline needs at least one stage")
	}
	if len(p.Stages) > 50 {
		return fieldErr("stages", "a pipeline can have at most 50 stages")
	}
	seen := map[string]bool{}
	open := false
	for i, st := range p.Stages {
		k := strings.ToLower(st.Name)
		if seen[k] {
			return ruleErr(fmt.Sprintf("stages[%d].name", i), "another stage is already called %q", st.Name)
		}
		seen[k] = true
		if st.Kind == KindOpen {
			open = true
		}
	}
	if !open {
		return ruleErr("stages", "a pipeline needs at least one open stage")
	}
	return nil
}

var nonSlug = regexp.MustCompile(`[^a-z0-9]+`)

// stageID derives a readable id from the stage name, unique in p.
func stageID(p *Pipeline, name string) string {
	base := strings.Trim(nonSlug.ReplaceAllString(strings.ToLower(name), "-"), "-")
	if base == "" {
		base = "stage"
	}
	id := base
	for n := 2; p.Stage(id) != nil; n++ {
		id = fmt.Sprintf("%s-%d", base, n)
	}
	return id
}

func (t *tx) putPipeline(old, p *Pipeline) error {
	if old == nil {
		p.Version = 1
		p.CreatedAt = t.now
	} else {
		p.Version = old.Version + 1
	}
	p.UpdatedAt = t.now
	if err := t.SetJSON(store.Key("pipeline", p.ID), p); err != nil {
		return err
	}
	if old != nil && !sameNames(old, p) {
		return t.reindexPipelineLeads(p.ID)
	}
	return nil
}

// sameNames reports whether a and b name the pipeline and its stages
// alike; leads' search documents carry those names.
func sameNames(a, b *Pipeline) bool {
	if a.Name != b.Name || len(a.Stages) != len(b.Stages) {
		return false
	}
	names := make(map[string]string, len(a.Stages))
	for _, st := range a.Stages {
		names[st.ID] = st.Name
	}
	for _, st := range b.Stages {
		if n, ok := names[st.ID]; !ok || n != st.Name {
			return false
		}
	}
	return true
}

func (t *tx) pipeline(id string) (*Pipeline, error) {
	p := new(Pipeline)
	if err := getJSON(t.Txn, "pipeline", id, p); err != nil {
		return nil, err
	}
	return p, nil
}

// Pipelines lists every pipeline, oldest first.
func (s *Service) Pipelines(ctx context.Context) ([]*Pipeline, error) {
	var out []*Pipeline
	err := s.view(func(txn *store.Txn) error {
		return scanJSON(txn, store.Key("pipeline", ""), func(p *Pipeline) error {
			out = append(out, p)
			return nil
		})
	})
	return out, err
}

// Pipeline returns one pipeline.
func (s *Service) Pipeline(ctx context.Context, id string) (*Pipeline, error) {
	p := new(Pipeline)
	err := s.view(func(txn *store.Txn) error { return getJSON(txn, "pipeline", id, p) })
	return p, err
}

// DefaultPipeline is where leads go when the caller names no pipeline: the
// oldest one.
func (s *Service) DefaultPipeline(ctx context.Context) (*Pipeline, error) {
	var p *Pipeline
	err := s.view(func(txn *store.Txn) error {
		var err error
		p, err = defaultPipeline(txn)
		return err
	})
	return p, err
}

func defaultPipeline(txn *store.Txn) (*Pipeline, error) {
	var p *Pipeline
	err := scanJSON(txn, store.Key("pipeline", ""), func(x *Pipeline) error {
		p = x
		return store.ErrStopScan
	})
	if err == nil && p == nil {
		err = notFound("pipeline", "(default)")
	}
	return p, err
}

// CreatePipeline adds a pipeline.
func (s *Service) CreatePipeline(ctx context.Context, in PipelineInput) (*Pipeline, error) {
	p := &Pipeline{ID: store.NewID(), Name: in.Name}
	if in.Stages == nil {
		p.Stages = defaultStages()
	}
	for i, si := range in.Stages {
		var st Stage
		if err := applyStageInput(&st, si, fmt.Sprintf("stages[%d].", i), true); err != nil {
			return nil, err
		}
		st.ID = stageID(p, st.Name)
		p.Stages = append(p.Stages, st)
	}
	if in.Settings != nil {
		p.Settings = *in.Settings
	}
	if err := validateSettings(&p.Settings); err != nil {
		return nil, err
	}
	if err := validatePipeline(p); err != nil {
		return nil, err
	}
	err := s.update(func(t *tx) error {
		t.publish("pipeline.created", map[string]any{"pipeline_id": p.ID})
		return t.putPipeline(nil, p)
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// modifyPipeline loads the pipeline, checks the version, lets fn change it,
// validates and writes it.
func (s *Service) modifyPipeline(id string, version *int, fn func(t *tx, p *Pipeline) error) (*Pipeline, error) {
	var out *Pipeline
	err := s.update(func(t *tx) error {
		old, err := t.pipeline(id)
		if err != nil {
			return err
		}
		if err := checkVersion("pipeline", id, version, old.Version); err != nil {
			return err
		}
		p := clonePipeline(old)
		if err := fn(t, p); err != nil {
			return err
		}
		if err := validatePipeline(p); err != nil {
			return err
		}
		t.publish("pipeline.updated", map[string]any{"pipeline_id": p.ID})
		out = p
		return t.putPipeline(old, p)
	})
	return out, err
}

func clonePipeline(p *Pipeline) *Pipeline {
	c := *p
	c.Stages = append([]Stage(nil), p.Stages...)
	return &c
}

// UpdatePipeline renames a pipeline or changes its settings.
func (s *Service) UpdatePipeline(ctx context.Context, id string, in PipelinePatch) (*Pipeline, error) {
	return s.modifyPipeline(id, in.Version, func(t *tx, p *Pipeline) error {
		if in.Name != nil {
			p.Name = *in.Name
		}
		if in.Settings != nil {
			set := *in.Settings
			if err := validateSettings(&set); err != nil {
				return err
			}
			p.Settings = set
		}
		return nil
	})
}

// DeletePipeline removes an empty pipeline. A pipeline that still holds
// leads (archived ones too) or is the last one is refused.
func (s *Service) DeletePipeline(ctx context.Context, id string, version *int) error {
	return s.update(func(t *tx) error {
		p, err := t.pipeline(id)
		if err != nil {
			return err
		}
		if err := checkVersion("pipeline", id, version, p.Version); err != nil {
			return err
		}
		n := 0
		err = t.Scan(store.Key("crmidx", "stage", id, ""), store.ScanOptions{KeysOnly: true}, func(k, v []byte) error {
			n++
			return store.ErrStopScan
		})
		if err != nil {
			return err
		}
		if n > 0 {
			return ruleErr("", "pipeline %q still holds leads; move or delete them first", p.Name)
		}
		count := 0
		if err := t.Scan(store.Key("pipeline", ""), store.ScanOptions{KeysOnly: true}, func(k, v []byte) error {
			count++
			return nil
		}); err != nil {
			return err
		}
		if count <= 1 {
			return ruleErr("", "the last pipeline cannot be deleted")
		}
		t.publish("pipeline.deleted", map[string]any{"pipeline_id": id})
		return t.Delete(store.Key("pipeline", id))
	})
}

// AddStage inserts a stage.
func (s *Service) AddStage(ctx context.Context, pipelineID string, version *int, in StageInput) (*Pipeline, *Stage, error) {
	var added Stage
	p, err := s.modifyPipeline(pipelineID, version, func(t *tx, p *Pipeline) error {
		if err := applyStageInput(&added, in, "", true); err != nil {
			return err
		}
		added.ID = stageID(p, added.Name)
		pos := len(p.Stages)
		if in.Position != nil {
			if *in.Position < 0 || *in.Position > len(p.Stages) {
				return fieldErr("position", "position must be between 0 and %d", len(p.Stages))
			}
			pos = *in.Position
		}
		p.Stages = append(p.Stages[:pos], append([]Stage{added}, p.Stages[pos:]...)...)
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return p, p.Stage(added.ID), nil
}

// UpdateStage renames, recolours or re-kinds a stage.
func (s *Service) UpdateStage(ctx context.Context, pipelineID, stageID string, version *int, in StageInput) (*Pipeline, error) {
	if in.Position != nil {
		return nil, fieldErr("position", "reorder stages with PUT .../stages/order")
	}
	return s.modifyPipeline(pipelineID, version, func(t *tx, p *Pipeline) error {
		st := p.Stage(stageID)
		if st == nil {
			return notFound("stage", stageID)
		}
		return applyStageInput(st, in, "", false)
	})
}

// ReorderStages sets the stage order; order must name every stage once.
func (s *Service) ReorderStages(ctx context.Context, pipelineID string, version *int, order []string) (*Pipeline, error) {
	return s.modifyPipeline(pipelineID, version, func(t *tx, p *Pipeline) error {
		if len(order) != len(p.Stages) {
			return fieldErr("order", "order must list all %d stages, it lists %d", len(p.Stages), len(order))
		}
		seen := map[string]bool{}
		stages := make([]Stage, 0, len(order))
		for i, id := range order {
			st := p.Stage(id)
			if st == nil {
				return fieldErr(fmt.Sprintf("order[%d]", i), "no stage %q in this pipeline", id)
			}
			if seen[id] {
				return fieldErr(fmt.Sprintf("order[%d]", i), "stage %q is listed twice", id)
			}
			seen[id] = true
			stages = append(stages, *st)
		}
		p.Stages = stages
		return nil
	})
}

// moveChunk bounds how many leads one transaction moves, keeping it well
// below Badger's transaction size limit.
const moveChunk = 200

// DeleteStage removes a stage. If leads sit in it, moveTo must name another
// stage of the same pipeline; they are moved there (even closed ones: the
// column they were in is going away) in chunks of moveChunk, and the stage
// is removed in the last transaction. A crash halfway leaves some leads
// moved and the stage still present; repeating the call finishes the job.
func (s *Service) DeleteStage(ctx context.Context, pipelineID, stageID, moveTo string, version *int) (*Pipeline, error) {
	p, err := s.Pipeline(ctx, pipelineID)
	if err != nil {
		return nil, err
	}
	if err := checkVersion("pipeline", pipelineID, version, p.Version); err != nil {
		return nil, err
	}
	if p.Stage(stageID) == nil {
		return nil, notFound("stage", stageID)
	}
	// Check the pipeline without the stage before moving anything.
	rest := clonePipeline(p)
	rest.Stages = slices.DeleteFunc(rest.Stages, func(st Stage) bool { return st.ID == stageID })
	if err := validatePipeline(rest); err != nil {
		return nil, err
	}
	if moveTo != "" {
		if moveTo == stageID {
			return nil, fieldErr("move_to", "move_to must name a different stage")
		}
		if p.Stage(moveTo) == nil {
			return nil, fieldErr("move_to", "no stage %q in this pipeline", moveTo)
		}
	}
	for {
		ids := s.proj.stageLeadIDs(pipelineID, stageID, moveChunk)
		if len(ids) == 0 {
			break
		}
		if moveTo == "" {
			return nil, ruleErr("move_to", "stage %q holds leads; say where they go with move_to", stageID)
		}
		err := s.update(func(t *tx) error {
			for _, id := range ids {
				old, err := t.lead(id)
				if err != nil {
					return err
				}
				if old.PipelineID != pipelineID || old.StageID != stageID {
					continue
				}
				l := old.clone()
				if err := t.moveLead(l, p, moveTo, "", ActorSystem, true); err != nil {
					return err
				}
				if err := t.putLead(old, l); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return s.modifyPipeline(pipelineID, nil, func(t *tx, p *Pipeline) error {
		var has bool
		err := t.Scan(store.Key("crmidx", "stage", pipelineID, stageID, ""), store.ScanOptions{KeysOnly: true}, func(k, v []byte) error {
			has = true
			return store.ErrStopScan
		})
		if err != nil {
			return err
		}
		if has {
			return &VersionConflict{What: "stage", ID: stageID}
		}
		stages := p.Stages[:0]
		for _, st := range p.Stages {
			if st.ID != stageID {
				stages = append(stages, st)
			}
		}
		p.Stages = stages
		return nil
	})
}
