package crm

import (
	"bytes"
	"encoding/json"
	"strings"

	"threadline/backend/search"
	"threadline/backend/store"
)

var jsonUnmarshal = json.Unmarshal

// leadIndexKeys lists the index entries a lead record implies. The e-mail
// entry carries the lead id as its value (it enforces uniqueness); the
// others are empty.
func leadIndexKeys(l *Lead) [][]byte {
	keys := [][]byte{
		store.Key("crmidx", "stage", l.PipelineID, l.StageID, l.ID),
		store.Key("crmidx", "updated", nanosKey(l.UpdatedAt), l.ID),
	}
	if l.Email != "" {
		keys = append(keys, store.Key("crmidx", "email", l.PipelineID, l.Email))
	}
	for _, tag := range l.Tags {
		keys = append(keys, store.Key("crmidx", "tag", strings.ToLower(tag), l.ID))
	}
	for _, th := range l.ThreadIDs {
		keys = append(keys, store.Key("crmidx", "thread", th, l.ID))
	}
	return keys
}

func isEmailKey(k []byte) bool { return bytes.HasPrefix(k, store.Key("crmidx", "email", "")) }

// putLead writes a lead and brings its index entries in line, in the
// caller's transaction. old is the stored version (nil on create); the
// version and updated_at are set here.
func (t *tx) putLead(old, l *Lead) error {
	if l.Email != "" && (old == nil || old.Email != l.Email || old.PipelineID != l.PipelineID) {
		raw, err := t.Get(store.Key("crmidx", "email", l.PipelineID, l.Email))
		if err == nil && string(raw) != l.ID {
			return &DuplicateError{Field: "email", Msg: "another lead in this pipeline already has the address " + l.Email, ExistingID: string(raw)}
		}
		if err != nil && err != store.ErrNotFound {
			return err
		}
	}
	if old == nil {
		l.Version = 1
	} else {
		l.Version = old.Version + 1
	}
	l.UpdatedAt = t.now
	l.StageName, l.Final = "", false
	if l.Engagement == EngagementStale {
		// Stale is computed on read; never store it.
		l.Engagement = EngagementContacted
	}
	newKeys := leadIndexKeys(l)
	if old != nil {
		keep := map[string]bool{}
		for _, k := range newKeys {
			keep[string(k)] = true
		}
		for _, k := range leadIndexKeys(old) {
			if !keep[string(k)] {
				if err := t.Delete(k); err != nil {
					return err
				}
			}
		}
	}
	for _, k := range newKeys {
		var v []byte
		if isEmailKey(k) {
			v = []byte(l.ID)
		}
		if err := t.Set(k, v); err != nil {
			return err
		}
	}
	if err := t.SetJSON(store.Key("lead", l.ID), l); err != nil {
		return err
	}
	t.leads[l.ID] = l
	return search.RecordChange(t.Txn, search.KindLead, l.ID)
}

// deleteLead removes the record and its index entries.
func (t *tx) deleteLead(l *Lead) error {
	for _, k := range leadIndexKeys(l) {
		if err := t.Delete(k); err != nil {
			return err
		}
	}
	t.leads[l.ID] = nil
	if err := t.Delete(store.Key("lead", l.ID)); err != nil {
		return err
	}
	return search.RecordChange(t.Txn, search.KindLead, l.ID)
}

// reindexPipelineLeads records a search change for every lead of a
// pipeline whose name or stage names changed: lead documents hold them.
func (t *tx) reindexPipelineLeads(pipelineID string) error {
	return t.Scan(store.Key("crmidx", "stage", pipelineID, ""), store.ScanOptions{KeysOnly: true}, func(k, _ []byte) error {
		parts := store.SplitKey(k)
		return search.RecordChange(t.Txn, search.KindLead, parts[len(parts)-1])
	})
}
