package crm

import (
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"threadline/backend/store"
)

// ListQuery filters, sorts and pages leads. Zero fields do not filter.
type ListQuery struct {
	PipelineID    string
	StageID       string
	Status        string // engagement: new, contacted, replied, stale
	Qualification string // unqualified, qualified, disqualified
	Priority      string
	Source        string
	Tag           string
	Mailbox       string // the owner identity
	CreatedFrom   time.Time
	CreatedTo     time.Time // exclusive
	UpdatedFrom   time.Time
	UpdatedTo     time.Time // exclusive
	Q             string    // substring of name, e-mail, company, title, phone, tags
	// IncludeArchived lists archived leads too.
	IncludeArchived bool
	// Sort is one of SortFields; default updated_at. Desc reverses it.
	Sort   string
	Desc   bool
	Limit  int // default 50, at most 500
	Cursor string
}

// SortFields are the fields a lead list can be sorted by.
var SortFields = []string{"updated_at", "created_at", "name", "email", "company", "value", "score",
	"stage_entered_at", "last_activity_at", "next_follow_up_at", "priority"}

// LeadPage is one page of a lead list.
type LeadPage struct {
	Items      []*Lead `json:"items"`
	Total      int     `json:"total"`
	NextCursor string  `json:"next_cursor"`
}

// sortKey is one lead's position under a sort: only one of the fields is
// used by a given sort.
type sortKey struct {
	I int64   `json:"i,omitempty"`
	F float64 `json:"f,omitempty"`
	S string  `json:"s,omitempty"`
}

func timeKey(t *time.Time) int64 {
	if t == nil {
		return 0
	}
	return t.UnixNano()
}

func keyOf(s *summary, field string) sortKey {
	switch field {
	case "created_at":
		return sortKey{I: s.CreatedAt.UnixNano()}
	case "name":
		return sortKey{S: s.nameKey}
	case "email":
		return sortKey{S: s.Email}
	case "company":
		return sortKey{S: s.companyKey}
	case "value":
		return sortKey{F: s.Value}
	case "score":
		return sortKey{I: int64(s.Score)}
	case "stage_entered_at":
		return sortKey{I: s.StageEnteredAt.UnixNano()}
	case "last_activity_at":
		return sortKey{I: timeKey(s.LastActivityAt)}
	case "next_follow_up_at":
		return sortKey{I: timeKey(s.NextFollowUpAt)}
	case "priority":
		return sortKey{I: int64(map[string]int{PriorityLow: 1, PriorityMedium: 2, PriorityHigh: 3}[s.Priority])}
	}
	return sortKey{I: s.UpdatedAt.UnixNano()}
}

func compareKeys(a sortKey, aID string, b sortKey, bID string) int {
	if c := cmp.Compare(a.I, b.I); c != 0 {
		return c
	}
	if c := cmp.Compare(a.F, b.F); c != 0 {
		return c
	}
	if c := strings.Compare(a.S, b.S); c != 0 {
		return c
	}
	return strings.Compare(aID, bID)
}

type cursor struct {
	Sort string  `json:"o"`
	Desc bool    `json:"d,omitempty"`
	Key  sortKey `json:"k"`
	ID   string  `json:"id"`
}

func encodeCursor(c cursor) string {
	raw, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(raw)
}

func decodeCursor(s string) (cursor, error) {
	var c cursor
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		err = json.Unmarshal(raw, &c)
	}
	if err != nil || c.ID == "" {
		return c, fieldErr("cursor", "the cursor is not one this list handed out")
	}
	return c, nil
}

type keyed struct {
	s   *summary
	key sortKey
}

// sortPage returns the limit matches that follow the cursor in the given
// order, and the cursor for the page after them. It never sorts the whole
// set: one pass keeps the best limit+1 candidates in a small sorted
// window, which for 10,000 leads and a page of 50 costs a few comparisons
// per lead instead of a full sort.
func sortPage(matches []*summary, field string, desc bool, after string, limit int) ([]*summary, string, error) {
	dir := 1
	if desc {
		dir = -1
	}
	var c cursor
	hasCursor := after != ""
	if hasCursor {
		var err error
		if c, err = decodeCursor(after); err != nil {
			return nil, "", err
		}
		if c.Sort != field || c.Desc != desc {
			return nil, "", fieldErr("cursor", "the cursor belongs to a list with another sort")
		}
	}
	less := func(a, b *keyed) bool { return dir*compareKeys(a.key, a.s.ID, b.key, b.s.ID) < 0 }
	window := make([]keyed, 0, limit+1)
	for _, s := range matches {
		k := keyed{s, keyOf(s, field)}
		if hasCursor && dir*compareKeys(k.key, s.ID, c.Key, c.ID) <= 0 {
			continue
		}
		if len(window) == limit+1 && !less(&k, &window[limit]) {
			continue
		}
		i, _ := slices.BinarySearchFunc(window, k, func(e, t keyed) int {
			if less(&e, &t) {
				return -1
			}
			return 1
		})
		if len(window) == limit+1 {
			window = window[:limit]
		}
		window = slices.Insert(window, i, k)
	}
	n := min(limit, len(window))
	page := make([]*summary, n)
	for i := range n {
		page[i] = window[i].s
	}
	next := ""
	if len(window) > limit && n > 0 {
		last := window[n-1]
		next = encodeCursor(cursor{Sort: field, Desc: desc, Key: last.key, ID: last.s.ID})
	}
	return page, next, nil
}

// ListLeads answers a filtered, sorted, paged lead list from the
// projection and loads the page's leads from the store.
func (s *Service) ListLeads(ctx context.Context, q ListQuery) (*LeadPage, error) {
	if q.Sort == "" {
		q.Sort, q.Desc = "updated_at", true
	}
	if !slices.Contains(SortFields, q.Sort) {
		return nil, fieldErr("sort", "sort by one of %s", strings.Join(SortFields, ", "))
	}
	if q.Limit == 0 {
		q.Limit = 50
	}
	if q.Limit < 1 || q.Limit > 500 {
		return nil, fieldErr("limit", "limit must be between 1 and 500")
	}
	now := s.clock()
	var src []*summary
	if q.PipelineID != "" {
		src = s.proj.pipelineLeads(q.PipelineID)
	} else {
		src = s.proj.all()
	}
	needle := strings.ToLower(strings.TrimSpace(q.Q))
	tag := strings.ToLower(q.Tag)
	mailbox := strings.ToLower(q.Mailbox)
	matches := src[:0]
	for _, l := range src {
		switch {
		case l.Archived && !q.IncludeArchived,
			q.StageID != "" && l.StageID != q.StageID,
			q.Status != "" && effectiveEngagement(l.Engagement, l.LastActivityAt, now) != q.Status,
			q.Qualification != "" && l.Qualification != q.Qualification,
			q.Priority != "" && l.Priority != q.Priority,
			q.Source != "" && !strings.EqualFold(l.Source, q.Source),
			tag != "" && !slices.Contains(l.Tags, tag),
			mailbox != "" && l.Mailbox != mailbox,
			!q.CreatedFrom.IsZero() && l.CreatedAt.Before(q.CreatedFrom),
			!q.CreatedTo.IsZero() && !l.CreatedAt.Before(q.CreatedTo),
			!q.UpdatedFrom.IsZero() && l.UpdatedAt.Before(q.UpdatedFrom),
			!q.UpdatedTo.IsZero() && !l.UpdatedAt.Before(q.UpdatedTo),
			needle != "" && !strings.Contains(l.text, needle):
			continue
		}
		matches = append(matches, l)
	}
	page, next, err := sortPage(matches, q.Sort, q.Desc, q.Cursor, q.Limit)
	if err != nil {
		return nil, err
	}
	out := &LeadPage{Items: make([]*Lead, 0, len(page)), Total: len(matches), NextCursor: next}
	err = s.view(func(txn *store.Txn) error {
		pipelines := map[string]*Pipeline{}
		for _, sm := range page {
			l := new(Lead)
			if err := getJSON(txn, "lead", sm.ID, l); err != nil {
				if err == nil || isNotFound(err) {
					continue // purged since the projection was read
				}
				return err
			}
			p, ok := pipelines[l.PipelineID]
			if !ok {
				p = new(Pipeline)
				if getJSON(txn, "pipeline", l.PipelineID, p) != nil {
					p = nil
				}
				pipelines[l.PipelineID] = p
			}
			l.decorate(p, now)
			out.Items = append(out.Items, l)
		}
		return nil
	})
	return out, err
}
