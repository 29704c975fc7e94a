package crm

import (
	"context"
	"fmt"
	"math"
	"net/mail"
	"regexp"
	"slices"
	"strings"
	"time"

	"threadline/backend/store"
)

// Priorities.
const (
	PriorityLow    = "low"
	PriorityMedium = "medium"
	PriorityHigh   = "high"
)

// Engagement statuses, derived from mail. Stale is never stored: a lead
// that was contacted or replied and has been quiet for StaleAfter reads
// as stale.
const (
	EngagementNew       = "new"
	EngagementContacted = "contacted"
	EngagementReplied   = "replied"
	EngagementStale     = "stale"
)

// StaleAfter is how long a conversation may be quiet before the lead reads
// as stale.
const StaleAfter = 14 * 24 * time.Hour

// Qualification statuses.
const (
	Unqualified  = "unqualified"
	Qualified    = "qualified"
	Disqualified = "disqualified"
)

// Mail directions as the mail sync reports them.
const (
	DirectionInbound  = "inbound"
	DirectionOutbound = "outbound"
)

// Lead is a person who might buy, in one pipeline.
type Lead struct {
	ID         string `json:"id"`
	Version    int    `json:"version"`
	PipelineID string `json:"pipeline_id"`
	StageID    string `json:"stage_id"`

	Email   string `json:"email"`
	Name    string `json:"name"`
	Company string `json:"company"`
	Title   string `json:"title"`
	Phone   string `json:"phone"`

	Priority string         `json:"priority"`
	Value    float64        `json:"value"`
	Currency string         `json:"currency"`
	Tags     []string       `json:"tags"`
	Custom   map[string]any `json:"custom"`

	Score          int           `json:"score"`
	ScoreBreakdown []ScoreItem   `json:"score_breakdown"`
	ScoredAt       *time.Time    `json:"scored_at"`
	Attribution    Attribution   `json:"attribution"`
	Qualification  Qualification `json:"qualification"`

	// Engagement is new, contacted or replied as stored; reads report
	// stale for a quiet conversation.
	Engagement string `json:"engagement_status"`
	// LastMessageDirection is the direction of the newest mail in any
	// linked thread; outbound means the lead owes a reply.
	LastMessageDirection string `json:"last_message_direction"`
	// Mailbox is the user's own address the conversation runs through.
	Mailbox   string   `json:"mailbox"`
	ThreadIDs []string `json:"thread_ids"`

	Conversion   *Conversion `json:"conversion"`
	LostReasonID string      `json:"lost_reason_id"`
	// NextFollowUpAt is the earliest due time of the lead's open
	// follow-ups, kept with them in the same transaction.
	NextFollowUpAt *time.Time `json:"next_follow_up_at"`

	CreatedAt        time.Time  `json:"created_at"`
	UpdatedAt        time.Time  `json:"updated_at"`
	StageEnteredAt   time.Time  `json:"stage_entered_at"`
	LastActivityAt   *time.Time `json:"last_activity_at"`
	FirstContactedAt *time.Time `json:"first_contacted_at"`
	QualifiedAt      *time.Time `json:"qualified_at"`
	WonAt            *time.Time `json:"won_at"`
	LostAt           *time.Time `json:"lost_at"`
	ArchivedAt       *time.Time `json:"archived_at"`

	// Filled on reads only.
	StageName string `json:"stage_name,omitempty"`
	Final     bool   `json:"final"`
}

// ScoreItem is one rule's contribution to a score.
type ScoreItem struct {
	Rule   string `json:"rule"`
	Points int    `json:"points"`
}

// Attribution says where a lead came from. It records the first touch:
// upserts do not overwrite it.
type Attribution struct {
	Source   string            `json:"source"`
	Campaign string            `json:"campaign"`
	Referrer string            `json:"referrer"`
	UTM      map[string]string `json:"utm"`
}

// Qualification is the verdict on a lead and who gave it.
type Qualification struct {
	Status string     `json:"status"`
	By     string     `json:"by"` // you, rule:NAME, model
	Reason string     `json:"reason"`
	At     *time.Time `json:"at"`
}

// Conversion records what the lead became.
type Conversion struct {
	ContactID string    `json:"contact_id"`
	DealID    string    `json:"deal_id"`
	At        time.Time `json:"at"`
}

func (l *Lead) clone() *Lead {
	c := *l
	c.Tags = slices.Clone(l.Tags)
	c.ThreadIDs = slices.Clone(l.ThreadIDs)
	c.ScoreBreakdown = slices.Clone(l.ScoreBreakdown)
	if l.Custom != nil {
		c.Custom = make(map[string]any, len(l.Custom))
		for k, v := range l.Custom {
			c.Custom[k] = v
		}
	}
	if l.Attribution.UTM != nil {
		c.Attribution.UTM = make(map[string]string, len(l.Attribution.UTM))
		for k, v := range l.Attribution.UTM {
			c.Attribution.UTM[k] = v
		}
	}
	if l.Conversion != nil {
		cv := *l.Conversion
		c.Conversion = &cv
	}
	return &c
}

// final reports whether the lead's stage is locked.
func (l *Lead) final(p *Pipeline) bool {
	if l.ArchivedAt != nil {
		return true
	}
	if st := p.Stage(l.StageID); st != nil {
		return st.Kind != KindOpen
	}
	return false
}

// effectiveEngagement turns a quiet conversation into "stale".
func effectiveEngagement(stored string, last *time.Time, now time.Time) string {
	if (stored == EngagementContacted || stored == EngagementReplied) && last != nil && now.Sub(*last) > StaleAfter {
		return EngagementStale
	}
	if stored == "" {
		return EngagementNew
	}
	return stored
}

// decorate fills the read-only fields.
func (l *Lead) decorate(p *Pipeline, now time.Time) {
	if p != nil {
		if st := p.Stage(l.StageID); st != nil {
			l.StageName = st.Name
		}
		l.Final = l.final(p)
	}
	l.Engagement = effectiveEngagement(l.Engagement, l.LastActivityAt, now)
	if l.Tags == nil {
		l.Tags = []string{}
	}
}

// LeadInput creates a lead.
type LeadInput struct {
	PipelineID  string         `json:"pipeline_id"`
	StageID     string         `json:"stage_id"`
	Email       string         `json:"email"`
	Name        string         `json:"name"`
	Company     string         `json:"company"`
	Title       string         `json:"title"`
	Phone       string         `json:"phone"`
	Priority    string         `json:"priority"`
	Value       float64        `json:"value"`
	Currency    string         `json:"currency"`
	Tags        []string       `json:"tags"`
	Custom      map[string]any `json:"custom"`
	Attribution Attribution    `json:"attribution"`
	Mailbox     string         `json:"mailbox"`
	ThreadIDs   []string       `json:"thread_ids"`
	// LostReasonID is required context when the lead starts in a lost stage.
	LostReasonID string `json:"lost_reason_id"`
	// Actor defaults to "you".
	Actor string `json:"-"`
}

// LeadPatch changes some fields of a lead; nil fields stay. In Custom a
// null value removes the field.
type LeadPatch struct {
	Version      *int           `json:"version"`
	Email        *string        `json:"email"`
	Name         *string        `json:"name"`
	Company      *string        `json:"company"`
	Title        *string        `json:"title"`
	Phone        *string        `json:"phone"`
	Priority     *string        `json:"priority"`
	Value        *float64       `json:"value"`
	Currency     *string        `json:"currency"`
	Tags         *[]string      `json:"tags"`
	Custom       map[string]any `json:"custom"`
	Attribution  *Attribution   `json:"attribution"`
	Mailbox      *string        `json:"mailbox"`
	StageID      *string        `json:"stage_id"`
	LostReasonID *string        `json:"lost_reason_id"`
	Actor        string         `json:"-"`
}

var currencyRE = regexp.MustCompile(`^[A-Z]{3}$`)

// NormalizeEmail trims and lower-cases an address and checks that it is a
// bare address (no display name). Lower-casing the local part is not what
// RFC 5321 promises, but no real mail system distinguishes case there and
// it is what makes "Alice@X" and "alice@x" one lead.
func NormalizeEmail(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return "", nil
	}
	if len(s) > 254 {
		return "", fmt.Errorf("an e-mail address is at most 254 characters")
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return "", fmt.Errorf("%q is not an e-mail address", s)
	}
	local, domain, ok := strings.Cut(s, "@")
	if !ok || local == "" || !strings.Contains(domain, ".") || strings.ContainsAny(s, "\x00 ") {
		return "", fmt.Errorf("%q is not an e-mail address", s)
	}
	return s, nil
}

func checkText(field, v string, max int) (string, error) {
	v = strings.TrimSpace(v)
	if len(v) > max {
		return "", fieldErr(field, "%s can be at most %d characters", field, max)
	}
	if strings.ContainsRune(v, 0) {
		return "", fieldErr(field, "%s contains a NUL character", field)
	}
	return v, nil
}

func checkPriority(v string) (string, error) {
	switch v {
	case "":
		return PriorityMedium, nil
	case PriorityLow, PriorityMedium, PriorityHigh:
		return v, nil
	}
	return "", fieldErr("priority", "priority must be low, medium or high, not %q", v)
}

func checkValue(v float64) error {
	if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 || v > 1e15 {
		return fieldErr("value", "value must be a number between 0 and 10^15")
	}
	return nil
}

func checkCurrency(v string) (string, error) {
	v = strings.ToUpper(strings.TrimSpace(v))
	if !currencyRE.MatchString(v) {
		return "", fieldErr("currency", "currency must be a three-letter ISO 4217 code such as EUR, not %q", v)
	}
	return v, nil
}

func checkAttribution(a *Attribution) error {
	var err error
	if a.Source, err = checkText("attribution.source", a.Source, 200); err != nil {
		return err
	}
	if a.Campaign, err = checkText("attribution.campaign", a.Campaign, 200); err != nil {
		return err
	}
	if a.Referrer, err = checkText("attribution.referrer", a.Referrer, 2000); err != nil {
		return err
	}
	if len(a.UTM) > 20 {
		return fieldErr("attribution.utm", "at most 20 UTM parameters")
	}
	for k, v := range a.UTM {
		if k == "" || len(k) > 64 || len(v) > 500 {
			return fieldErr("attribution.utm."+k, "UTM parameter names are 1-64 characters and values at most 500")
		}
	}
	if len(a.UTM) == 0 {
		a.UTM = nil
	}
	return nil
}

func checkThreadID(field, id string) error {
	if id == "" || len(id) > 200 || strings.ContainsRune(id, 0) {
		return fieldErr(field, "a thread id is 1-200 characters without NUL")
	}
	return nil
}

// lead reads a lead inside a write.
func (t *tx) lead(id string) (*Lead, error) {
	l := new(Lead)
	if err := getJSON(t.Txn, "lead", id, l); err != nil {
		return nil, err
	}
	return l, nil
}

// Lead returns one lead.
func (s *Service) Lead(ctx context.Context, id string) (*Lead, error) {
	var l *Lead
	err := s.view(func(txn *store.Txn) error {
		l = new(Lead)
		if err := getJSON(txn, "lead", id, l); err != nil {
			return err
		}
		p := new(Pipeline)
		if err := getJSON(txn, "pipeline", l.PipelineID, p); err != nil {
			p = nil
		}
		l.decorate(p, s.clock())
		return nil
	})
	return l, err
}

// LeadsByThread returns the leads linked to a mail thread.
func (s *Service) LeadsByThread(ctx context.Context, threadID string) ([]*Lead, error) {
	var out []*Lead
	err := s.view(func(txn *store.Txn) error {
		return txn.Scan(store.Key("crmidx", "thread", threadID, ""), store.ScanOptions{KeysOnly: true}, func(k, v []byte) error {
			parts := store.SplitKey(k)
			l := new(Lead)
			if err := getJSON(txn, "lead", parts[len(parts)-1], l); err != nil {
				return err
			}
			p := new(Pipeline)
			if getJSON(txn, "pipeline", l.PipelineID, p) != nil {
				p = nil
			}
			l.decorate(p, s.clock())
			out = append(out, l)
			return nil
		})
	})
	return out, err
}

// LeadByEmail finds the lead with this address in a pipeline ("" = the
// default one).
func (s *Service) LeadByEmail(ctx context.Context, pipelineID, email string) (*Lead, error) {
	email, err := NormalizeEmail(email)
	if err != nil {
		return nil, fieldErr("email", "%v", err)
	}
	var l *Lead
	err = s.view(func(txn *store.Txn) error {
		if pipelineID == "" {
			p, err := defaultPipeline(txn)
			if err != nil {
				return err
			}
			pipelineID = p.ID
		}
		raw, err := txn.Get(store.Key("crmidx", "email", pipelineID, email))
		if err != nil {
			return notFound("lead", email)
		}
		l = new(Lead)
		return getJSON(txn, "lead", string(raw), l)
	})
	return l, err
}

func actorOr(a string) string {
	if a == "" {
		return ActorYou
	}
	return a
}

// CreateLead adds a lead.
func (s *Service) CreateLead(ctx context.Context, in LeadInput) (*Lead, error) {
	var out *Lead
	err := s.update(func(t *tx) error {
		l, err := t.createLead(in)
		out = l
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.Lead(ctx, out.ID)
}

func (t *tx) createLead(in LeadInput) (*Lead, error) {
	actor := actorOr(in.Actor)
	var p *Pipeline
	var err error
	if in.PipelineID == "" {
		p, err = defaultPipeline(t.Txn)
	} else {
		p, err = t.pipeline(in.PipelineID)
		if err != nil {
			return nil, fieldErr("pipeline_id", "no pipeline %q", in.PipelineID)
		}
	}
	if err != nil {
		return nil, err
	}
	l := &Lead{ID: store.NewID(), PipelineID: p.ID, Engagement: EngagementNew,
		Qualification: Qualification{Status: Unqualified}, StageEnteredAt: t.now, CreatedAt: t.now}
	if in.StageID == "" {
		l.StageID = p.firstOpen().ID
	} else if p.Stage(in.StageID) == nil {
		return nil, fieldErr("stage_id", "no stage %q in pipeline %q", in.StageID, p.Name)
	} else {
		l.StageID = in.StageID
	}
	if l.Email, err = NormalizeEmail(in.Email); err != nil {
		return nil, fieldErr("email", "%v", err)
	}
	if l.Name, err = checkText("name", in.Name, 200); err != nil {
		return nil, err
	}
	if l.Company, err = checkText("company", in.Company, 200); err != nil {
		return nil, err
	}
	if l.Title, err = checkText("title", in.Title, 200); err != nil {
		return nil, err
	}
	if l.Phone, err = checkText("phone", in.Phone, 50); err != nil {
		return nil, err
	}
	if l.Email == "" && l.Name == "" && l.Phone == "" {
		return nil, fieldErr("email", "a lead needs an e-mail address, a name or a phone number")
	}
	if l.Priority, err = checkPriority(in.Priority); err != nil {
		return nil, err
	}
	if err := checkValue(in.Value); err != nil {
		return nil, err
	}
	l.Value = in.Value
	l.Currency = p.Settings.Currency
	if in.Currency != "" {
		if l.Currency, err = checkCurrency(in.Currency); err != nil {
			return nil, err
		}
	}
	if l.Currency == "" {
		l.Currency = "EUR"
	}
	l.Attribution = in.Attribution
	if err := checkAttribution(&l.Attribution); err != nil {
		return nil, err
	}
	if in.Mailbox != "" {
		if l.Mailbox, err = NormalizeEmail(in.Mailbox); err != nil {
			return nil, fieldErr("mailbox", "%v", err)
		}
	}
	for i, th := range in.ThreadIDs {
		if err := checkThreadID(fmt.Sprintf("thread_ids[%d]", i), th); err != nil {
			return nil, err
		}
		if !slices.Contains(l.ThreadIDs, th) {
			l.ThreadIDs = append(l.ThreadIDs, th)
		}
	}
	if l.Tags, err = t.resolveTags("tags", in.Tags); err != nil {
		return nil, err
	}
	if len(in.Custom) > 0 {
		defs, err := t.fieldDefs()
		if err != nil {
			return nil, err
		}
		l.Custom = map[string]any{}
		if err := applyCustom(defs, l.Custom, in.Custom); err != nil {
			return nil, err
		}
	}
	st := p.Stage(l.StageID)
	switch st.Kind {
	case KindWon:
		l.WonAt = &t.now
	case KindLost:
		l.LostAt = &t.now
		if in.LostReasonID != "" {
			if err := t.checkDiscard("lost_reason_id", in.LostReasonID); err != nil {
				return nil, err
			}
			l.LostReasonID = in.LostReasonID
		}
	}
	if in.LostReasonID != "" && st.Kind != KindLost {
		return nil, ruleErr("lost_reason_id", "a lost reason only applies to a lead in a lost stage")
	}
	if err := t.putLead(nil, l); err != nil {
		return nil, err
	}
	if err := t.activity(l.ID, Activity{Type: ActCreated, Actor: actor, ToStage: l.StageID}); err != nil {
		return nil, err
	}
	for _, th := range l.ThreadIDs {
		if err := t.activity(l.ID, Activity{Type: ActThreadLinked, Actor: actor, ThreadID: th}); err != nil {
			return nil, err
		}
	}
	t.publish("lead.created", LeadEvent{LeadID: l.ID, PipelineID: l.PipelineID, StageID: l.StageID, Actor: actor})
	return l, nil
}

// LeadEvent is the payload of every lead.* bus event.
type LeadEvent struct {
	LeadID     string   `json:"lead_id"`
	PipelineID string   `json:"pipeline_id"`
	StageID    string   `json:"stage_id,omitempty"`
	FromStage  string   `json:"from_stage,omitempty"`
	ToStage    string   `json:"to_stage,omitempty"`
	Actor      string   `json:"actor,omitempty"`
	Score      *int     `json:"score,omitempty"`
	ContactID  string   `json:"contact_id,omitempty"`
	DealID     string   `json:"deal_id,omitempty"`
	Fields     []string `json:"fields,omitempty"`
}

// modifyLead runs fn on a copy of the lead inside one write and stores it
// if fn reports a change.
func (s *Service) modifyLead(ctx context.Context, id string, version *int, fn func(t *tx, old, l *Lead, p *Pipeline) (bool, error)) (*Lead, error) {
	err := s.update(func(t *tx) error {
		old, err := t.lead(id)
		if err != nil {
			return err
		}
		if err := checkVersion("lead", id, version, old.Version); err != nil {
			return err
		}
		p, err := t.pipeline(old.PipelineID)
		if err != nil {
			return err
		}
		l := old.clone()
		changed, err := fn(t, old, l, p)
		if err != nil || !changed {
			return err
		}
		return t.putLead(old, l)
	})
	if err != nil {
		return nil, err
	}
	return s.Lead(ctx, id)
}

// UpdateLead applies a patch. Each changed field becomes a field_changed
// activity; a stage change is a move and obeys the final-state lock.
func (s *Service) UpdateLead(ctx context.Context, id string, in LeadPatch) (*Lead, error) {
	actor := actorOr(in.Actor)
	return s.modifyLead(ctx, id, in.Version, func(t *tx, old, l *Lead, p *Pipeline) (bool, error) {
		var changed []string
		setStr := func(field string, dst *string, v *string, max int) error {
			if v == nil {
				return nil
			}
			nv, err := checkText(field, *v, max)
			if err != nil {
				return err
			}
			if nv != *dst {
				if err := t.activity(l.ID, Activity{Type: ActFieldChanged, Actor: actor, Field: field, Old: *dst, New: nv}); err != nil {
					return err
				}
				*dst = nv
				changed = append(changed, field)
			}
			return nil
		}
		if in.Email != nil {
			e, err := NormalizeEmail(*in.Email)
			if err != nil {
				return false, fieldErr("email", "%v", err)
			}
			if e == "" && l.Name == "" && l.Phone == "" {
				return false, fieldErr("email", "a lead needs an e-mail address, a name or a phone number")
			}
			if err := setStr("email", &l.Email, &e, 254); err != nil {
				return false, err
			}
		}
		if err := setStr("name", &l.Name, in.Name, 200); err != nil {
			return false, err
		}
		if err := setStr("company", &l.Company, in.Company, 200); err != nil {
			return false, err
		}
		if err := setStr("title", &l.Title, in.Title, 200); err != nil {
			return false, err
		}
		if err := setStr("phone", &l.Phone, in.Phone, 50); err != nil {
			return false, err
		}
		if in.Priority != nil {
			pr, err := checkPriority(*in.Priority)
			if err != nil {
				return false, err
			}
			if err := setStr("priority", &l.Priority, &pr, 10); err != nil {
				return false, err
			}
		}
		if in.Currency != nil {
			c, err := checkCurrency(*in.Currency)
			if err != nil {
				return false, err
			}
			if err := setStr("currency", &l.Currency, &c, 3); err != nil {
				return false, err
			}
		}
		if in.Mailbox != nil {
			m, err := NormalizeEmail(*in.Mailbox)
			if err != nil {
				return false, fieldErr("mailbox", "%v", err)
			}
			if err := setStr("mailbox", &l.Mailbox, &m, 254); err != nil {
				return false, err
			}
		}
		if in.Value != nil {
			if err := checkValue(*in.Value); err != nil {
				return false, err
			}
			if *in.Value != l.Value {
				if err := t.activity(l.ID, Activity{Type: ActFieldChanged, Actor: actor, Field: "value", Old: l.Value, New: *in.Value}); err != nil {
					return false, err
				}
				l.Value = *in.Value
				changed = append(changed, "value")
			}
		}
		if in.Tags != nil {
			tags, err := t.resolveTags("tags", *in.Tags)
			if err != nil {
				return false, err
			}
			if !slices.Equal(tags, l.Tags) {
				if err := t.activity(l.ID, Activity{Type: ActFieldChanged, Actor: actor, Field: "tags", Old: l.Tags, New: tags}); err != nil {
					return false, err
				}
				l.Tags = tags
				changed = append(changed, "tags")
			}
		}
		if in.Custom != nil {
			defs, err := t.fieldDefs()
			if err != nil {
				return false, err
			}
			if l.Custom == nil {
				l.Custom = map[string]any{}
			}
			before := l.clone().Custom
			if err := applyCustom(defs, l.Custom, in.Custom); err != nil {
				return false, err
			}
			for k := range in.Custom {
				ov, nv := before[k], l.Custom[k]
				if fmt.Sprint(ov) != fmt.Sprint(nv) {
					if err := t.activity(l.ID, Activity{Type: ActFieldChanged, Actor: actor, Field: "custom." + k, Old: ov, New: nv}); err != nil {
						return false, err
					}
					changed = append(changed, "custom."+k)
				}
			}
			if len(l.Custom) == 0 {
				l.Custom = nil
			}
		}
		if in.Attribution != nil {
			a := *in.Attribution
			if err := checkAttribution(&a); err != nil {
				return false, err
			}
			if fmt.Sprint(a) != fmt.Sprint(l.Attribution) {
				if err := t.activity(l.ID, Activity{Type: ActFieldChanged, Actor: actor, Field: "attribution", Old: l.Attribution, New: a}); err != nil {
					return false, err
				}
				l.Attribution = a
				changed = append(changed, "attribution")
			}
		}
		lostReason := ""
		if in.LostReasonID != nil {
			lostReason = *in.LostReasonID
		}
		if in.StageID != nil && *in.StageID != l.StageID {
			if err := t.moveLead(l, p, *in.StageID, lostReason, actor, false); err != nil {
				return false, err
			}
			changed = append(changed, "stage_id")
		} else if in.LostReasonID != nil && *in.LostReasonID != l.LostReasonID {
			if st := p.Stage(l.StageID); st == nil || st.Kind != KindLost {
				return false, ruleErr("lost_reason_id", "a lost reason only applies to a lead in a lost stage")
			}
			if lostReason != "" {
				if err := t.checkDiscard("lost_reason_id", lostReason); err != nil {
					return false, err
				}
			}
			if err := t.activity(l.ID, Activity{Type: ActFieldChanged, Actor: actor, Field: "lost_reason_id", Old: l.LostReasonID, New: lostReason}); err != nil {
				return false, err
			}
			l.LostReasonID = lostReason
			changed = append(changed, "lost_reason_id")
		}
		if len(changed) > 0 {
			t.publish("lead.updated", LeadEvent{LeadID: l.ID, PipelineID: l.PipelineID, StageID: l.StageID, Actor: actor, Fields: changed})
		}
		return len(changed) > 0, nil
	})
}

// moveLead changes a lead's stage within pipeline p. force skips the
// final-state lock (used when a stage is deleted).
func (t *tx) moveLead(l *Lead, p *Pipeline, to, lostReason, actor string, force bool) error {
	if l.PipelineID != p.ID {
		return fmt.Errorf("crm: moveLead: lead %s is not in pipeline %s", l.ID, p.ID)
	}
	st := p.Stage(to)
	if st == nil {
		return fieldErr("stage_id", "no stage %q in pipeline %q", to, p.Name)
	}
	if !force && l.final(p) {
		return &RuleError{Field: "stage_id", Msg: ErrFinal.Error(), Err: ErrFinal}
	}
	if lostReason != "" {
		if st.Kind != KindLost {
			return ruleErr("lost_reason_id", "a lost reason only applies to a move into a lost stage")
		}
		if err := t.checkDiscard("lost_reason_id", lostReason); err != nil {
			return err
		}
	}
	if to == l.StageID {
		return nil
	}
	from := l.StageID
	l.StageID = to
	l.StageEnteredAt = t.now
	switch st.Kind {
	case KindWon:
		l.WonAt = &t.now
		l.LostAt, l.LostReasonID = nil, ""
	case KindLost:
		l.LostAt = &t.now
		l.LostReasonID = lostReason
		l.WonAt = nil
	default:
		l.WonAt, l.LostAt, l.LostReasonID = nil, nil, ""
	}
	if err := t.activity(l.ID, Activity{Type: ActStageChanged, Actor: actor, FromStage: from, ToStage: to, Text: lostReason}); err != nil {
		return err
	}
	t.publish("lead.stage_changed", LeadEvent{LeadID: l.ID, PipelineID: l.PipelineID, FromStage: from, ToStage: to, StageID: to, Actor: actor})
	return nil
}

// MoveInput moves a lead to a stage, optionally of another pipeline.
type MoveInput struct {
	Version      *int   `json:"version"`
	PipelineID   string `json:"pipeline_id"`
	StageID      string `json:"stage_id"`
	LostReasonID string `json:"lost_reason_id"`
	Actor        string `json:"-"`
}

// MoveLead moves a lead. Closed leads (won, lost, archived) are refused
// with ErrFinal until reopened.
func (s *Service) MoveLead(ctx context.Context, id string, in MoveInput) (*Lead, error) {
	if in.StageID == "" {
		return nil, fieldErr("stage_id", "say which stage to move the lead to")
	}
	actor := actorOr(in.Actor)
	return s.modifyLead(ctx, id, in.Version, func(t *tx, old, l *Lead, p *Pipeline) (bool, error) {
		if in.PipelineID != "" && in.PipelineID != l.PipelineID {
			np, err := t.pipeline(in.PipelineID)
			if err != nil {
				return false, fieldErr("pipeline_id", "no pipeline %q", in.PipelineID)
			}
			if l.final(p) {
				return false, &RuleError{Field: "stage_id", Msg: ErrFinal.Error(), Err: ErrFinal}
			}
			if np.Stage(in.StageID) == nil {
				return false, fieldErr("stage_id", "no stage %q in pipeline %q", in.StageID, np.Name)
			}
			from := l.PipelineID
			l.PipelineID = np.ID
			l.StageID = ""
			if err := t.activity(l.ID, Activity{Type: ActFieldChanged, Actor: actor, Field: "pipeline_id", Old: from, New: np.ID}); err != nil {
				return false, err
			}
			if err := t.moveLead(l, np, in.StageID, in.LostReasonID, actor, true); err != nil {
				return false, err
			}
			return true, nil
		}
		if err := t.moveLead(l, p, in.StageID, in.LostReasonID, actor, false); err != nil {
			return false, err
		}
		return l.StageID != old.StageID, nil
	})
}

// BulkMoveInput moves many leads of one pipeline to one stage.
type BulkMoveInput struct {
	IDs          []string `json:"ids"`
	StageID      string   `json:"stage_id"`
	LostReasonID string   `json:"lost_reason_id"`
	Actor        string   `json:"-"`
}

// MaxBulk bounds a bulk request so that it fits one transaction.
const MaxBulk = 500

// BulkMove moves every listed lead or none: if one is closed, missing or in
// another pipeline, nothing moves and the error names it.
func (s *Service) BulkMove(ctx context.Context, in BulkMoveInput) (int, error) {
	if len(in.IDs) == 0 {
		return 0, fieldErr("ids", "list the leads to move")
	}
	if len(in.IDs) > MaxBulk {
		return 0, fieldErr("ids", "at most %d leads per request", MaxBulk)
	}
	if in.StageID == "" {
		return 0, fieldErr("stage_id", "say which stage to move the leads to")
	}
	actor := actorOr(in.Actor)
	moved := 0
	err := s.update(func(t *tx) error {
		moved = 0
		var p *Pipeline
		seen := map[string]bool{}
		for i, id := range in.IDs {
			field := fmt.Sprintf("ids[%d]", i)
			if seen[id] {
				continue
			}
			seen[id] = true
			old, err := t.lead(id)
			if err != nil {
				return &RuleError{Field: field, Msg: err.Error(), Err: ErrNotFound}
			}
			if p == nil {
				if p, err = t.pipeline(old.PipelineID); err != nil {
					return err
				}
			} else if p.ID != old.PipelineID {
				return ruleErr(field, "lead %s is in another pipeline; bulk moves stay within one", id)
			}
			l := old.clone()
			if err := t.moveLead(l, p, in.StageID, in.LostReasonID, actor, false); err != nil {
				if re, ok := err.(*RuleError); ok && re.Err == ErrFinal {
					re.Field = field
					re.Msg = fmt.Sprintf("lead %s: %s", id, re.Msg)
				}
				return err
			}
			if l.StageID != old.StageID {
				moved++
				if err := t.putLead(old, l); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return moved, err
}

// ArchiveLead is the soft delete: the lead leaves the board and lists
// (unless include_archived) and is locked until reopened.
func (s *Service) ArchiveLead(ctx context.Context, id string, version *int, actor string) (*Lead, error) {
	actor = actorOr(actor)
	return s.modifyLead(ctx, id, version, func(t *tx, old, l *Lead, p *Pipeline) (bool, error) {
		if l.ArchivedAt != nil {
			return false, nil
		}
		l.ArchivedAt = &t.now
		t.publish("lead.archived", LeadEvent{LeadID: l.ID, PipelineID: l.PipelineID, Actor: actor})
		return true, t.activity(l.ID, Activity{Type: ActArchived, Actor: actor})
	})
}

// ReopenInput reopens a closed lead, into StageID or the first open stage.
type ReopenInput struct {
	Version *int   `json:"version"`
	StageID string `json:"stage_id"`
	Actor   string `json:"-"`
}

// ReopenLead unlocks a won, lost or archived lead. An archived lead in an
// open stage stays there unless StageID says otherwise; a won or lost one
// goes to StageID (which must be open) or the pipeline's first open stage.
func (s *Service) ReopenLead(ctx context.Context, id string, in ReopenInput) (*Lead, error) {
	actor := actorOr(in.Actor)
	return s.modifyLead(ctx, id, in.Version, func(t *tx, old, l *Lead, p *Pipeline) (bool, error) {
		if !l.final(p) {
			return false, ruleErr("", "the lead is not closed; there is nothing to reopen")
		}
		to := l.StageID
		if st := p.Stage(l.StageID); st == nil || st.Kind != KindOpen {
			to = p.firstOpen().ID
		}
		if in.StageID != "" {
			st := p.Stage(in.StageID)
			if st == nil {
				return false, fieldErr("stage_id", "no stage %q in pipeline %q", in.StageID, p.Name)
			}
			if st.Kind != KindOpen {
				return false, ruleErr("stage_id", "reopen into an open stage, not %q", st.Name)
			}
			to = in.StageID
		}
		l.ArchivedAt = nil
		if err := t.moveLead(l, p, to, "", actor, true); err != nil {
			return false, err
		}
		l.WonAt, l.LostAt, l.LostReasonID = nil, nil, ""
		t.publish("lead.reopened", LeadEvent{LeadID: l.ID, PipelineID: l.PipelineID, StageID: l.StageID, Actor: actor})
		return true, t.activity(l.ID, Activity{Type: ActReopened, Actor: actor, ToStage: l.StageID})
	})
}

// QualifyInput qualifies or disqualifies a lead.
type QualifyInput struct {
	Version *int   `json:"version"`
	Reason  string `json:"reason"`
	// By is "you" (default), "model" or "rule:NAME".
	By string `json:"by"`
}

// Qualify marks the lead qualified (or disqualified when qualified is
// false; then a reason is required).
func (s *Service) Qualify(ctx context.Context, id string, qualified bool, in QualifyInput) (*Lead, error) {
	by := actorOr(in.By)
	if by != ActorYou && by != "model" && by != ActorSystem && !strings.HasPrefix(by, "rule:") {
		return nil, fieldErr("by", "by must be you, model or rule:NAME")
	}
	reason, err := checkText("reason", in.Reason, 500)
	if err != nil {
		return nil, err
	}
	status := Qualified
	if !qualified {
		status = Disqualified
		if reason == "" {
			return nil, fieldErr("reason", "say why the lead is disqualified")
		}
	}
	return s.modifyLead(ctx, id, in.Version, func(t *tx, old, l *Lead, p *Pipeline) (bool, error) {
		if l.Qualification.Status == status && l.Qualification.Reason == reason && l.Qualification.By == by {
			return false, nil
		}
		l.Qualification = Qualification{Status: status, By: by, Reason: reason, At: &t.now}
		if qualified {
			l.QualifiedAt = &t.now
		}
		typ := "lead.qualified"
		if !qualified {
			typ = "lead.disqualified"
		}
		t.publish(typ, LeadEvent{LeadID: l.ID, PipelineID: l.PipelineID, Actor: by})
		return true, t.activity(l.ID, Activity{Type: ActQualified, Actor: by, New: status, Text: reason})
	})
}

// SetScore records a score computed from rules; the score is the sum of
// the breakdown.
func (s *Service) SetScore(ctx context.Context, id string, breakdown []ScoreItem, actor string) (*Lead, error) {
	actor = actorOr(actor)
	total := 0
	for i, b := range breakdown {
		if strings.TrimSpace(b.Rule) == "" {
			return nil, fieldErr(fmt.Sprintf("breakdown[%d].rule", i), "each score item names its rule")
		}
		total += b.Points
	}
	return s.modifyLead(ctx, id, nil, func(t *tx, old, l *Lead, p *Pipeline) (bool, error) {
		prev := l.Score
		l.Score = total
		l.ScoreBreakdown = slices.Clone(breakdown)
		l.ScoredAt = &t.now
		t.publish("lead.scored", LeadEvent{LeadID: l.ID, PipelineID: l.PipelineID, Actor: actor, Score: &total})
		return true, t.activity(l.ID, Activity{Type: ActScored, Actor: actor, Old: prev, New: total})
	})
}

// UpsertInput creates or updates a lead keyed by e-mail within a pipeline.
// It is what mail sync and imports call.
type UpsertInput struct {
	Email      string            `json:"email"`
	Name       string            `json:"name"`
	Company    string            `json:"company"`
	Title      string            `json:"title"`
	Phone      string            `json:"phone"`
	PipelineID string            `json:"pipeline_id"`
	StageID    string            `json:"stage_id"`
	ThreadID   string            `json:"thread_id"`
	Mailbox    string            `json:"mailbox"`
	Source     string            `json:"source"`
	Campaign   string            `json:"campaign"`
	Referrer   string            `json:"referrer"`
	UTM        map[string]string `json:"utm"`
	Tags       []string          `json:"tags"`
	Value      *float64          `json:"value"`
	Actor      string            `json:"-"`
}

// UpsertLead creates the lead if no lead of the pipeline has this e-mail,
// otherwise fills in what is given: identity fields that differ, tags
// added, the thread linked, the mailbox set if unknown. Attribution keeps
// the first touch and the stage only applies on creation. Calling it twice
// with the same input changes nothing the second time (not even the
// version).
func (s *Service) UpsertLead(ctx context.Context, in UpsertInput) (*Lead, bool, error) {
	email, err := NormalizeEmail(in.Email)
	if err != nil {
		return nil, false, fieldErr("email", "%v", err)
	}
	if email == "" {
		return nil, false, fieldErr("email", "upsert needs an e-mail address")
	}
	if in.ThreadID != "" {
		if err := checkThreadID("thread_id", in.ThreadID); err != nil {
			return nil, false, err
		}
	}
	actor := actorOr(in.Actor)
	var id string
	created := false
	err = s.update(func(t *tx) error {
		created = false
		pid := in.PipelineID
		if pid == "" {
			p, err := defaultPipeline(t.Txn)
			if err != nil {
				return err
			}
			pid = p.ID
		}
		raw, err := t.Get(store.Key("crmidx", "email", pid, email))
		if err == store.ErrNotFound {
			li := LeadInput{PipelineID: pid, StageID: in.StageID, Email: email, Name: in.Name, Company: in.Company,
				Title: in.Title, Phone: in.Phone, Tags: in.Tags, Mailbox: in.Mailbox, Actor: actor,
				Attribution: Attribution{Source: in.Source, Campaign: in.Campaign, Referrer: in.Referrer, UTM: in.UTM}}
			if in.Value != nil {
				li.Value = *in.Value
			}
			if in.ThreadID != "" {
				li.ThreadIDs = []string{in.ThreadID}
			}
			l, err := t.createLead(li)
			if err != nil {
				return err
			}
			id, created = l.ID, true
			return nil
		}
		if err != nil {
			return err
		}
		id = string(raw)
		old, err := t.lead(id)
		if err != nil {
			return err
		}
		l := old.clone()
		var fields []string
		set := func(field string, dst *string, v string, max int) error {
			v, err := checkText(field, v, max)
			if err != nil || v == "" || v == *dst {
				return err
			}
			if err := t.activity(l.ID, Activity{Type: ActFieldChanged, Actor: actor, Field: field, Old: *dst, New: v}); err != nil {
				return err
			}
			*dst = v
			fields = append(fields, field)
			return nil
		}
		for _, f := range []struct {
			name string
			dst  *string
			v    string
			max  int
		}{{"name", &l.Name, in.Name, 200}, {"company", &l.Company, in.Company, 200}, {"title", &l.Title, in.Title, 200}, {"phone", &l.Phone, in.Phone, 50}} {
			if err := set(f.name, f.dst, f.v, f.max); err != nil {
				return err
			}
		}
		if in.Value != nil && *in.Value != l.Value {
			if err := checkValue(*in.Value); err != nil {
				return err
			}
			if err := t.activity(l.ID, Activity{Type: ActFieldChanged, Actor: actor, Field: "value", Old: l.Value, New: *in.Value}); err != nil {
				return err
			}
			l.Value = *in.Value
			fields = append(fields, "value")
		}
		if in.Mailbox != "" && l.Mailbox == "" {
			m, err := NormalizeEmail(in.Mailbox)
			if err != nil {
				return fieldErr("mailbox", "%v", err)
			}
			l.Mailbox = m
			fields = append(fields, "mailbox")
		}
		if l.Attribution.Source == "" && l.Attribution.Campaign == "" && (in.Source != "" || in.Campaign != "" || in.Referrer != "" || len(in.UTM) > 0) {
			a := Attribution{Source: in.Source, Campaign: in.Campaign, Referrer: in.Referrer, UTM: in.UTM}
			if err := checkAttribution(&a); err != nil {
				return err
			}
			l.Attribution = a
			fields = append(fields, "attribution")
		}
		if len(in.Tags) > 0 {
			tags, err := t.resolveTags("tags", append(slices.Clone(l.Tags), in.Tags...))
			if err != nil {
				return err
			}
			if !slices.Equal(tags, l.Tags) {
				if err := t.activity(l.ID, Activity{Type: ActFieldChanged, Actor: actor, Field: "tags", Old: l.Tags, New: tags}); err != nil {
					return err
				}
				l.Tags = tags
				fields = append(fields, "tags")
			}
		}
		if in.ThreadID != "" && !slices.Contains(l.ThreadIDs, in.ThreadID) {
			l.ThreadIDs = append(l.ThreadIDs, in.ThreadID)
			if err := t.activity(l.ID, Activity{Type: ActThreadLinked, Actor: actor, ThreadID: in.ThreadID}); err != nil {
				return err
			}
			fields = append(fields, "thread_ids")
		}
		if len(fields) == 0 {
			return nil
		}
		t.publish("lead.updated", LeadEvent{LeadID: l.ID, PipelineID: l.PipelineID, Actor: actor, Fields: fields})
		return t.putLead(old, l)
	})
	if err != nil {
		return nil, false, err
	}
	l, err := s.Lead(ctx, id)
	return l, created, err
}

// LinkThread attaches a mail thread (and, if the lead has none yet, the
// mailbox it runs through) to a lead. Linking twice is a no-op.
func (s *Service) LinkThread(ctx context.Context, leadID, threadID, mailbox string) (*Lead, error) {
	if err := checkThreadID("thread_id", threadID); err != nil {
		return nil, err
	}
	if mailbox != "" {
		m, err := NormalizeEmail(mailbox)
		if err != nil {
			return nil, fieldErr("mailbox", "%v", err)
		}
		mailbox = m
	}
	return s.modifyLead(ctx, leadID, nil, func(t *tx, old, l *Lead, p *Pipeline) (bool, error) {
		changed := false
		if mailbox != "" && l.Mailbox == "" {
			l.Mailbox = mailbox
			changed = true
		}
		if !slices.Contains(l.ThreadIDs, threadID) {
			l.ThreadIDs = append(l.ThreadIDs, threadID)
			changed = true
			if err := t.activity(l.ID, Activity{Type: ActThreadLinked, Actor: ActorSystem, ThreadID: threadID}); err != nil {
				return false, err
			}
			t.publish("lead.thread_linked", LeadEvent{LeadID: l.ID, PipelineID: l.PipelineID})
		}
		return changed, nil
	})
}

// Mail is one message exchanged with a lead, as the mail sync reports it.
type Mail struct {
	ThreadID string `json:"thread_id"`
	// MessageID makes RecordMail idempotent: a message already recorded
	// for the lead is ignored.
	MessageID string    `json:"message_id"`
	Direction string    `json:"direction"` // inbound or outbound
	At        time.Time `json:"at"`
	Subject   string    `json:"subject"`
}

// RecordMail puts a sent or received message on the lead's timeline and
// updates what mail drives: last activity, last message direction (the
// "waiting for reply" chip), first contact, engagement status. Outbound
// mail schedules a no-reply follow-up if the pipeline asks for one; inbound
// mail cancels the thread's no-reply follow-ups.
func (s *Service) RecordMail(ctx context.Context, leadID string, m Mail) (*Lead, error) {
	if m.Direction != DirectionInbound && m.Direction != DirectionOutbound {
		return nil, fieldErr("direction", "direction must be inbound or outbound")
	}
	if m.At.IsZero() {
		return nil, fieldErr("at", "say when the message was sent")
	}
	if m.ThreadID != "" {
		if err := checkThreadID("thread_id", m.ThreadID); err != nil {
			return nil, err
		}
	}
	at := m.At.UTC()
	return s.modifyLead(ctx, leadID, nil, func(t *tx, old, l *Lead, p *Pipeline) (bool, error) {
		if m.MessageID != "" {
			mk := store.Key("crmidx", "mail", l.ID, m.MessageID)
			if ok, err := t.Has(mk); err != nil || ok {
				return false, err
			}
			if err := t.Set(mk, nil); err != nil {
				return false, err
			}
		}
		// Date headers have one-second resolution, while mail sent from
		// here carries the exact send time: mail recorded later within
		// the same second as the last activity is the newer message.
		if l.LastActivityAt == nil || !at.Truncate(time.Second).Before(l.LastActivityAt.Truncate(time.Second)) {
			if l.LastActivityAt == nil || at.After(*l.LastActivityAt) {
				l.LastActivityAt = &at
			}
			l.LastMessageDirection = m.Direction
		}
		typ := ActEmailReceived
		if m.Direction == DirectionOutbound {
			typ = ActEmailSent
			if l.FirstContactedAt == nil || at.Before(*l.FirstContactedAt) {
				l.FirstContactedAt = &at
			}
			if l.Engagement == EngagementNew || l.Engagement == "" {
				l.Engagement = EngagementContacted
			}
		} else {
			l.Engagement = EngagementReplied
		}
		if m.ThreadID != "" && !slices.Contains(l.ThreadIDs, m.ThreadID) {
			l.ThreadIDs = append(l.ThreadIDs, m.ThreadID)
			if err := t.activity(l.ID, Activity{Type: ActThreadLinked, Actor: ActorSystem, ThreadID: m.ThreadID}); err != nil {
				return false, err
			}
		}
		if err := t.activityAt(l.ID, at, Activity{Type: typ, Actor: ActorSystem, ThreadID: m.ThreadID, Text: m.Subject}); err != nil {
			return false, err
		}
		t.publish("lead."+typ, LeadEvent{LeadID: l.ID, PipelineID: l.PipelineID})
		if m.ThreadID != "" {
			if m.Direction == DirectionInbound {
				if _, err := t.cancelNoReply(m.ThreadID, l); err != nil {
					return false, err
				}
			} else if set := p.Settings.FollowUpAfterSend; set.Enabled && set.Days > 0 && l.ArchivedAt == nil {
				if err := t.ensureNoReply(l, m.ThreadID, at.Add(time.Duration(set.Days)*24*time.Hour)); err != nil {
					return false, err
				}
			}
		}
		return true, nil
	})
}

// PurgeLead deletes a lead for good with everything that hangs off it:
// timeline, notes, follow-ups and index entries. Contacts and deals made
// from it are records of their own and stay, unlinked.
func (s *Service) PurgeLead(ctx context.Context, id string, version *int) error {
	return s.update(func(t *tx) error {
		l, err := t.lead(id)
		if err != nil {
			return err
		}
		if err := checkVersion("lead", id, version, l.Version); err != nil {
			return err
		}
		var keys [][]byte
		collect := func(prefix []byte) error {
			return t.Scan(prefix, store.ScanOptions{KeysOnly: true}, func(k, v []byte) error {
				keys = append(keys, slices.Clone(k))
				return nil
			})
		}
		for _, prefix := range [][]byte{
			store.Key("activity", id, ""),
			store.Key("crmidx", "mail", id, ""),
		} {
			if err := collect(prefix); err != nil {
				return err
			}
		}
		var notes, fus, deals []string
		for _, x := range []struct {
			part string
			dst  *[]string
		}{{"leadnote", &notes}, {"leadfu", &fus}, {"leaddeal", &deals}} {
			err := t.Scan(store.Key("crmidx", x.part, id, ""), store.ScanOptions{KeysOnly: true}, func(k, v []byte) error {
				parts := store.SplitKey(k)
				*x.dst = append(*x.dst, parts[len(parts)-1])
				keys = append(keys, slices.Clone(k))
				return nil
			})
			if err != nil {
				return err
			}
		}
		for _, n := range notes {
			keys = append(keys, store.Key("note", n))
		}
		for _, fid := range fus {
			f := new(FollowUp)
			if err := getJSON(t.Txn, "followup", fid, f); err != nil {
				return err
			}
			keys = append(keys, followUpIndexKeys(f)...)
			keys = append(keys, store.Key("followup", fid))
		}
		for _, did := range deals {
			d := new(Deal)
			if err := getJSON(t.Txn, "deal", did, d); err != nil {
				return err
			}
			od := *d
			d.LeadID = ""
			if err := t.putDeal(&od, d); err != nil {
				return err
			}
		}
		for _, k := range keys {
			if err := t.Delete(k); err != nil {
				return err
			}
		}
		t.publish("lead.deleted", LeadEvent{LeadID: id, PipelineID: l.PipelineID})
		return t.deleteLead(l)
	})
}
