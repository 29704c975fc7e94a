package crm

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"threadline/backend/store"
)

// CheckIndexes verifies that every secondary index agrees with the records
// it is derived from, that derived lead fields (next_follow_up_at) match
// the follow-ups, that every lead's stage exists, and that the in-memory
// projection matches the store. It reads one snapshot; run it while
// nothing writes (tests, `threadline doctor`). The error lists up to 20
// problems.
func (s *Service) CheckIndexes() error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	var problems []string
	bad := func(format string, args ...any) {
		problems = append(problems, fmt.Sprintf(format, args...))
	}
	err := s.view(func(txn *store.Txn) error {
		want := map[string]string{} // index key -> value
		pipelines := map[string]*Pipeline{}
		if err := scanJSON(txn, store.Key("pipeline", ""), func(p *Pipeline) error {
			pipelines[p.ID] = p
			return nil
		}); err != nil {
			return err
		}
		leads := map[string]*Lead{}
		if err := scanJSON(txn, store.Key("lead", ""), func(l *Lead) error {
			leads[l.ID] = l
			for _, k := range leadIndexKeys(l) {
				v := ""
				if isEmailKey(k) {
					v = l.ID
				}
				if prev, ok := want[string(k)]; ok && prev != v {
					bad("two leads claim index key %q", k)
				}
				want[string(k)] = v
			}
			p := pipelines[l.PipelineID]
			if p == nil {
				bad("lead %s is in missing pipeline %s", l.ID, l.PipelineID)
			} else if p.Stage(l.StageID) == nil {
				bad("lead %s is in missing stage %s/%s", l.ID, l.PipelineID, l.StageID)
			}
			return nil
		}); err != nil {
			return err
		}
		next := map[string]*FollowUp{}
		if err := scanJSON(txn, store.Key("followup", ""), func(f *FollowUp) error {
			if leads[f.LeadID] == nil {
				bad("follow-up %s belongs to missing lead %s", f.ID, f.LeadID)
			}
			for _, k := range followUpIndexKeys(f) {
				want[string(k)] = ""
			}
			if f.open() && (next[f.LeadID] == nil || f.DueAt.Before(next[f.LeadID].DueAt)) {
				next[f.LeadID] = f
			}
			return nil
		}); err != nil {
			return err
		}
		for id, l := range leads {
			var due = next[id]
			if due == nil && l.NextFollowUpAt != nil {
				bad("lead %s has next_follow_up_at %v but no open follow-up", id, l.NextFollowUpAt)
			} else if due != nil && (l.NextFollowUpAt == nil || !l.NextFollowUpAt.Equal(due.DueAt)) {
				bad("lead %s has next_follow_up_at %v, its earliest open follow-up is due %v", id, l.NextFollowUpAt, due.DueAt)
			}
		}
		if err := scanJSON(txn, store.Key("note", ""), func(n *Note) error {
			if leads[n.LeadID] == nil {
				bad("note %s belongs to missing lead %s", n.ID, n.LeadID)
			}
			want[string(store.Key("crmidx", "leadnote", n.LeadID, n.ID))] = ""
			return nil
		}); err != nil {
			return err
		}
		if err := scanJSON(txn, store.Key("deal", ""), func(d *Deal) error {
			for _, k := range dealIndexKeys(d) {
				want[string(k)] = ""
			}
			return nil
		}); err != nil {
			return err
		}
		if err := scanJSON(txn, store.Key("contact", ""), func(c *Contact) error {
			for _, k := range contactIndexKeys(c) {
				want[string(k)] = c.ID
			}
			return nil
		}); err != nil {
			return err
		}
		mailPrefix := store.Key("crmidx", "mail", "")
		err := txn.Scan(store.Key("crmidx", ""), store.ScanOptions{}, func(k, v []byte) error {
			if bytes.HasPrefix(k, mailPrefix) {
				parts := store.SplitKey(k)
				if leads[parts[2]] == nil {
					bad("mail marker %q belongs to a missing lead", k)
				}
				return nil
			}
			wv, ok := want[string(k)]
			if !ok {
				bad("stray index entry %q", k)
				return nil
			}
			delete(want, string(k))
			if wv != string(v) {
				bad("index entry %q holds %q, want %q", k, v, wv)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for k := range want {
			bad("missing index entry %q", k)
		}
		err = txn.Scan(store.Key("activity", ""), store.ScanOptions{KeysOnly: true}, func(k, v []byte) error {
			parts := store.SplitKey(k)
			if leads[parts[1]] == nil {
				bad("activity %q belongs to a missing lead", k)
			}
			return nil
		})
		if err != nil {
			return err
		}
		// The projection must match the records exactly.
		s.proj.mu.RLock()
		defer s.proj.mu.RUnlock()
		for id, l := range leads {
			got := s.proj.byID[id]
			if got == nil {
				bad("lead %s is missing from the projection", id)
				continue
			}
			if w := summarize(l); !sameSummary(w, got) {
				bad("projection of lead %s is stale: version %d, record has %d", id, got.Version, l.Version)
			}
			if s.proj.byPipeline[l.PipelineID][id] != got {
				bad("projection files lead %s under the wrong pipeline", id)
			}
		}
		for id := range s.proj.byID {
			if leads[id] == nil {
				bad("projection holds deleted lead %s", id)
			}
		}
		n := 0
		for _, m := range s.proj.byPipeline {
			n += len(m)
		}
		if n != len(s.proj.byID) {
			bad("projection pipeline maps hold %d leads, the id map %d", n, len(s.proj.byID))
		}
		return nil
	})
	if err != nil {
		return err
	}
	if len(problems) == 0 {
		return nil
	}
	slices.Sort(problems)
	more := ""
	if len(problems) > 20 {
		more = fmt.Sprintf("\n... and %d more", len(problems)-20)
		problems = problems[:20]
	}
	return fmt.Errorf("crm: %d index problems:\n%s%s", len(problems), strings.Join(problems, "\n"), more)
}

func sameSummary(a, b *summary) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return bytes.Equal(ja, jb) && a.text == b.text
}
