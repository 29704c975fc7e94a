package crm

import (
	"context"
	"errors"
	"time"
)

// Card chips.
const (
	ChipWaitingForReply = "waiting_for_reply"
	ChipFollowUpToday   = "follow_up_today"
	ChipOverdue         = "overdue"
	ChipRotting         = "rotting"
)

// Card is a lead as a board column shows it.
type Card struct {
	ID             string     `json:"id"`
	Version        int        `json:"version"`
	Name           string     `json:"name"`
	Email          string     `json:"email"`
	Company        string     `json:"company"`
	Value          float64    `json:"value"`
	Currency       string     `json:"currency"`
	Priority       string     `json:"priority"`
	Score          int        `json:"score"`
	Tags           []string   `json:"tags"`
	StageID        string     `json:"stage_id"`
	StageLabel     string     `json:"stage_label"`
	Engagement     string     `json:"engagement_status"`
	Chips          []string   `json:"chips"`
	StageEnteredAt time.Time  `json:"stage_entered_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
	NextFollowUpAt *time.Time `json:"next_follow_up_at"`
	LastActivityAt *time.Time `json:"last_activity_at"`
}

// Column is one stage of a board with its totals.
type Column struct {
	Stage         Stage              `json:"stage"`
	Count         int                `json:"count"`
	ValueSum      float64            `json:"value_sum"`
	WeightedValue float64            `json:"weighted_value"`
	ByCurrency    map[string]*Totals `json:"by_currency"`
	Cards         []Card             `json:"cards"`
	NextCursor    string             `json:"next_cursor"`
}

// Totals are a column's sums in one currency. ValueSum on the column adds
// all currencies as if they were one; the UI shows ByCurrency when a
// column mixes them.
type Totals struct {
	ValueSum      float64 `json:"value_sum"`
	WeightedValue float64 `json:"weighted_value"`
}

// Board is a pipeline's kanban view.
type Board struct {
	Pipeline *Pipeline `json:"pipeline"`
	Columns  []Column  `json:"columns"`
}

// boardSort orders cards: most recently changed first.
const boardSort = "updated_at"

// chips says which flags a card shows at time now in the local day.
// Overdue is a follow-up due before now; follow_up_today one due later
// today; rotting an open-stage lead that sat longer than the stage's
// rotting days.
func chips(s *summary, st *Stage, now time.Time) []string {
	out := []string{}
	if s.LastMessageDirection == DirectionOutbound {
		out = append(out, ChipWaitingForReply)
	}
	if s.NextFollowUpAt != nil {
		due := *s.NextFollowUpAt
		_, end := dayBounds(now)
		if due.Before(now) {
			out = append(out, ChipOverdue)
		} else if due.Before(end) {
			out = append(out, ChipFollowUpToday)
		}
	}
	if st.Kind == KindOpen && st.RottingDays > 0 && now.Sub(s.StageEnteredAt) > time.Duration(st.RottingDays)*24*time.Hour {
		out = append(out, ChipRotting)
	}
	return out
}

// dayBounds returns the start and end of now's day in local time: the
// user's day, not UTC's.
func dayBounds(now time.Time) (time.Time, time.Time) {
	l := now.Local()
	start := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, time.Local)
	return start, start.AddDate(0, 0, 1)
}

func card(s *summary, st *Stage, now time.Time) Card {
	tags := s.TagNames
	if tags == nil {
		tags = []string{}
	}
	return Card{ID: s.ID, Version: s.Version, Name: s.Name, Email: s.Email, Company: s.Company,
		Value: s.Value, Currency: s.Currency, Priority: s.Priority, Score: s.Score, Tags: tags,
		StageID: st.ID, StageLabel: st.Name, Engagement: effectiveEngagement(s.Engagement, s.LastActivityAt, now),
		Chips: chips(s, st, now), StageEnteredAt: s.StageEnteredAt, UpdatedAt: s.UpdatedAt, NextFollowUpAt: s.NextFollowUpAt, LastActivityAt: s.LastActivityAt}
}

// Board returns every column of a pipeline with its count, value sums and
// first limit cards. Archived leads are left out.
func (s *Service) Board(ctx context.Context, pipelineID string, limit int) (*Board, error) {
	if limit == 0 {
		limit = 25
	}
	if limit < 0 || limit > 500 {
		return nil, fieldErr("limit", "limit must be between 0 and 500")
	}
	p, err := s.Pipeline(ctx, pipelineID)
	if err != nil {
		return nil, err
	}
	now := s.clock()
	byStage := map[string][]*summary{}
	for _, l := range s.proj.pipelineLeads(pipelineID) {
		if !l.Archived {
			byStage[l.StageID] = append(byStage[l.StageID], l)
		}
	}
	b := &Board{Pipeline: p, Columns: make([]Column, 0, len(p.Stages))}
	for i := range p.Stages {
		col, err := column(&p.Stages[i], byStage[p.Stages[i].ID], "", limit, now)
		if err != nil {
			return nil, err
		}
		b.Columns = append(b.Columns, *col)
	}
	return b, nil
}

// BoardColumn pages through one column.
func (s *Service) BoardColumn(ctx context.Context, pipelineID, stageID, after string, limit int) (*Column, error) {
	if limit == 0 {
		limit = 25
	}
	if limit < 1 || limit > 500 {
		return nil, fieldErr("limit", "limit must be between 1 and 500")
	}
	p, err := s.Pipeline(ctx, pipelineID)
	if err != nil {
		return nil, err
	}
	st := p.Stage(stageID)
	if st == nil {
		return nil, notFound("stage", stageID)
	}
	var leads []*summary
	for _, l := range s.proj.pipelineLeads(pipelineID) {
		if !l.Archived && l.StageID == stageID {
			leads = append(leads, l)
		}
	}
	return column(st, leads, after, limit, s.clock())
}

func column(st *Stage, leads []*summary, after string, limit int, now time.Time) (*Column, error) {
	col := &Column{Stage: *st, Count: len(leads), ByCurrency: map[string]*Totals{}, Cards: []Card{}}
	for _, l := range leads {
		col.ValueSum += l.Value
		col.WeightedValue += l.Value * st.Probability
		t := col.ByCurrency[l.Currency]
		if t == nil {
			t = &Totals{}
			col.ByCurrency[l.Currency] = t
		}
		t.ValueSum += l.Value
		t.WeightedValue += l.Value * st.Probability
	}
	if limit == 0 {
		return col, nil
	}
	page, next, err := topPage(leads, after, limit)
	if err != nil {
		return nil, err
	}
	for _, l := range page {
		col.Cards = append(col.Cards, card(l, st, now))
	}
	col.NextCursor = next
	return col, nil
}

// topPage is sortPage for the board order.
func topPage(leads []*summary, after string, limit int) ([]*summary, string, error) {
	return sortPage(leads, boardSort, true, after, limit)
}

func isNotFound(err error) bool { return errors.Is(err, ErrNotFound) }
