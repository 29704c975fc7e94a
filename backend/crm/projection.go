package crm

import (
	"slices"
	"strings"
	"sync"
	"time"

	"threadline/backend/store"
)

// summary is the in-memory projection of one lead: what the board and the
// list filter, sort and show. It is immutable once published; an update
// replaces it.
type summary struct {
	ID, PipelineID, StageID            string
	Email, Name, Company, Title, Phone string
	Priority, Source, Mailbox          string
	Engagement, Qualification          string
	LastMessageDirection               string
	Currency                           string
	Tags                               []string // lower-cased
	TagNames                           []string // as stored
	Value                              float64
	Score                              int
	Version                            int
	CreatedAt, UpdatedAt               time.Time
	StageEnteredAt                     time.Time
	LastActivityAt                     *time.Time
	NextFollowUpAt                     *time.Time
	Archived                           bool
	LostReasonID                       string
	text                               string // lower-cased haystack for q
	nameKey, companyKey                string // lower-cased sort keys
}

func summarize(l *Lead) *summary {
	s := &summary{
		ID: l.ID, PipelineID: l.PipelineID, StageID: l.StageID,
		Email: l.Email, Name: l.Name, Company: l.Company, Title: l.Title, Phone: l.Phone,
		Priority: l.Priority, Source: l.Attribution.Source, Mailbox: l.Mailbox,
		Engagement: l.Engagement, Qualification: l.Qualification.Status,
		LastMessageDirection: l.LastMessageDirection, Currency: l.Currency,
		TagNames: slices.Clone(l.Tags), Value: l.Value, Score: l.Score, Version: l.Version,
		CreatedAt: l.CreatedAt, UpdatedAt: l.UpdatedAt, StageEnteredAt: l.StageEnteredAt,
		LastActivityAt: l.LastActivityAt, NextFollowUpAt: l.NextFollowUpAt,
		Archived: l.ArchivedAt != nil, LostReasonID: l.LostReasonID,
	}
	for _, t := range l.Tags {
		s.Tags = append(s.Tags, strings.ToLower(t))
	}
	s.nameKey = strings.ToLower(l.Name)
	if s.nameKey == "" {
		s.nameKey = l.Email
	}
	s.companyKey = strings.ToLower(l.Company)
	s.text = strings.ToLower(strings.Join([]string{l.Name, l.Email, l.Company, l.Title, l.Phone, strings.Join(l.Tags, " ")}, "\x00"))
	return s
}

// projection holds every lead's summary, grouped by pipeline.
type projection struct {
	mu         sync.RWMutex
	byID       map[string]*summary
	byPipeline map[string]map[string]*summary
}

func newProjection() *projection {
	return &projection{byID: map[string]*summary{}, byPipeline: map[string]map[string]*summary{}}
}

func (p *projection) put(s *summary) {
	if old := p.byID[s.ID]; old != nil && old.PipelineID != s.PipelineID {
		delete(p.byPipeline[old.PipelineID], s.ID)
	}
	p.byID[s.ID] = s
	m := p.byPipeline[s.PipelineID]
	if m == nil {
		m = map[string]*summary{}
		p.byPipeline[s.PipelineID] = m
	}
	m[s.ID] = s
}

func (p *projection) remove(id string) {
	if old := p.byID[id]; old != nil {
		delete(p.byPipeline[old.PipelineID], id)
		delete(p.byID, id)
	}
}

// apply publishes the leads a transaction committed.
func (p *projection) apply(leads map[string]*Lead) {
	if len(leads) == 0 {
		return
	}
	sums := make(map[string]*summary, len(leads))
	for id, l := range leads {
		if l != nil {
			sums[id] = summarize(l)
		} else {
			sums[id] = nil
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for id, s := range sums {
		if s == nil {
			p.remove(id)
		} else {
			p.put(s)
		}
	}
}

// pipelineLeads returns a snapshot of one pipeline's summaries.
func (p *projection) pipelineLeads(pipelineID string) []*summary {
	p.mu.RLock()
	defer p.mu.RUnlock()
	m := p.byPipeline[pipelineID]
	out := make([]*summary, 0, len(m))
	for _, s := range m {
		out = append(out, s)
	}
	return out
}

func (p *projection) all() []*summary {
	p.mu.RLock()
	defer p.mu.RUnlock()
	out := make([]*summary, 0, len(p.byID))
	for _, s := range p.byID {
		out = append(out, s)
	}
	return out
}

func (p *projection) get(id string) *summary {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.byID[id]
}

func (p *projection) count(pipelineID string) int {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return len(p.byPipeline[pipelineID])
}

// stageLeadIDs returns up to n ids of leads (archived included) in a stage.
func (p *projection) stageLeadIDs(pipelineID, stageID string, n int) []string {
	p.mu.RLock()
	defer p.mu.RUnlock()
	var ids []string
	for _, s := range p.byPipeline[pipelineID] {
		if s.StageID == stageID {
			ids = append(ids, s.ID)
			if len(ids) == n {
				break
			}
		}
	}
	return ids
}

func (s *Service) loadProjection() error {
	p := newProjection()
	err := s.view(func(txn *store.Txn) error {
		return scanJSON(txn, store.Key("lead", ""), func(l *Lead) error {
			p.put(summarize(l))
			return nil
		})
	})
	if err != nil {
		return err
	}
	s.wmu.Lock()
	s.proj = p
	s.wmu.Unlock()
	return nil
}
