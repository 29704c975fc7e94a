package crm

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"threadline/backend/search"
	"threadline/backend/store"
)

// SearchLoader turns lead records into search documents. Every write that
// changes what a lead's document holds (the lead itself, its notes, the
// names of its pipeline and stages) records a search change for the lead
// in the same transaction; the search indexer loads them in the background.
//
// Archived leads are not searchable: archiving removes a lead from the
// index, and reopening it puts it back.
type SearchLoader struct{}

var _ search.Loader = SearchLoader{}

// searchableCustom are the custom field types whose values free words find.
var searchableCustom = []string{FieldText, FieldSelect, FieldMultiSelect}

// Load implements search.Loader.
func (SearchLoader) Load(txn *store.Txn, ids []string) ([]search.Doc, error) {
	pipelines := map[string]*Pipeline{}
	var defs map[string]*FieldDef
	docs := make([]search.Doc, 0, len(ids))
	for _, id := range ids {
		l := new(Lead)
		err := txn.GetJSON(store.Key("lead", id), l)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if l.ArchivedAt != nil {
			continue
		}
		p, ok := pipelines[l.PipelineID]
		if !ok {
			p = new(Pipeline)
			if err := txn.GetJSON(store.Key("pipeline", l.PipelineID), p); err != nil {
				if !errors.Is(err, store.ErrNotFound) {
					return nil, err
				}
				p = nil
			}
			pipelines[l.PipelineID] = p
		}
		if defs == nil && len(l.Custom) > 0 {
			defs = map[string]*FieldDef{}
			err := scanJSON(txn, store.Key("cfield", ""), func(d *FieldDef) error {
				defs[d.Key] = d
				return nil
			})
			if err != nil {
				return nil, err
			}
		}
		d, err := leadDoc(txn, l, p, defs)
		if err != nil {
			return nil, err
		}
		docs = append(docs, d)
	}
	return docs, nil
}

// IDs implements search.Loader: every lead that is not archived.
func (SearchLoader) IDs(txn *store.Txn, fn func(id string) error) error {
	return scanJSON(txn, store.Key("lead", ""), func(l *Lead) error {
		if l.ArchivedAt != nil {
			return nil
		}
		return fn(l.ID)
	})
}

func leadDoc(txn *store.Txn, l *Lead, p *Pipeline, defs map[string]*FieldDef) (*search.LeadDoc, error) {
	d := &search.LeadDoc{
		ID: l.ID, Name: l.Name, Email: l.Email, Company: l.Company,
		Tags: l.Tags, Stage: l.StageID, Pipeline: l.PipelineID, UpdatedAt: l.UpdatedAt,
	}
	if p != nil {
		d.PipelineName = p.Name
		if st := p.Stage(l.StageID); st != nil {
			d.StageName = st.Name
		}
	}
	err := txn.Scan(store.Key("crmidx", "leadnote", l.ID, ""), store.ScanOptions{KeysOnly: true}, func(k, _ []byte) error {
		parts := store.SplitKey(k)
		var n Note
		err := txn.GetJSON(store.Key("note", parts[len(parts)-1]), &n)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		d.Notes = append(d.Notes, n.Body)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("notes of lead %s: %w", l.ID, err)
	}
	keys := make([]string, 0, len(l.Custom))
	for k := range l.Custom {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		def := defs[k]
		if def == nil || !slices.Contains(searchableCustom, def.Type) {
			continue
		}
		switch v := l.Custom[k].(type) {
		case string:
			if v = strings.TrimSpace(v); v != "" {
				d.CustomText = append(d.CustomText, v)
			}
		case []any:
			for _, x := range v {
				if s, ok := x.(string); ok && s != "" {
					d.CustomText = append(d.CustomText, s)
				}
			}
		case []string:
			d.CustomText = append(d.CustomText, v...)
		}
	}
	return d, nil
}
