package crm

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"threadline/backend/store"
)

// Tag is a label with a colour. Leads carry tag names; a name a lead gets
// that no tag has yet creates the tag.
type Tag struct {
	ID        string    `json:"id"`
	Version   int       `json:"version"`
	Name      string    `json:"name"`
	Colour    string    `json:"colour"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// TagInput creates or changes a tag.
type TagInput struct {
	Version *int    `json:"version"`
	Name    *string `json:"name"`
	Colour  *string `json:"colour"`
}

const defaultTagColour = "#6366f1"

func allTags(txn *store.Txn) ([]*Tag, error) {
	var out []*Tag
	err := scanJSON(txn, store.Key("tag", ""), func(t *Tag) error {
		out = append(out, t)
		return nil
	})
	return out, err
}

func checkTagName(field, name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 50 || strings.ContainsRune(name, 0) {
		return "", fieldErr(field, "a tag name is 1-50 characters")
	}
	return name, nil
}

// resolveTags validates a lead's tag list, maps each name to the existing
// tag's spelling (case-insensitively) and creates tags that do not exist.
func (t *tx) resolveTags(field string, names []string) ([]string, error) {
	if len(names) == 0 {
		return nil, nil
	}
	if len(names) > 50 {
		return nil, fieldErr(field, "at most 50 tags per lead")
	}
	tags, err := allTags(t.Txn)
	if err != nil {
		return nil, err
	}
	byLower := map[string]*Tag{}
	for _, tg := range tags {
		byLower[strings.ToLower(tg.Name)] = tg
	}
	var out []string
	seen := map[string]bool{}
	for i, n := range names {
		n, err := checkTagName(fmt.Sprintf("%s[%d]", field, i), n)
		if err != nil {
			return nil, err
		}
		k := strings.ToLower(n)
		if seen[k] {
			continue
		}
		seen[k] = true
		tg := byLower[k]
		if tg == nil {
			tg = &Tag{ID: store.NewID(), Name: n, Colour: defaultTagColour, Version: 1, CreatedAt: t.now, UpdatedAt: t.now}
			if err := t.SetJSON(store.Key("tag", tg.ID), tg); err != nil {
				return nil, err
			}
			byLower[k] = tg
			t.publish("tag.created", map[string]string{"tag_id": tg.ID})
		}
		out = append(out, tg.Name)
	}
	return out, nil
}

// Tags lists every tag by name.
func (s *Service) Tags(ctx context.Context) ([]*Tag, error) {
	var out []*Tag
	err := s.view(func(txn *store.Txn) error {
		var err error
		out, err = allTags(txn)
		return err
	})
	slices.SortFunc(out, func(a, b *Tag) int { return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)) })
	if out == nil {
		out = []*Tag{}
	}
	return out, err
}

// CreateTag adds a tag.
func (s *Service) CreateTag(ctx context.Context, in TagInput) (*Tag, error) {
	if in.Name == nil {
		return nil, fieldErr("name", "a tag needs a name")
	}
	name, err := checkTagName("name", *in.Name)
	if err != nil {
		return nil, err
	}
	colour := defaultTagColour
	if in.Colour != nil {
		if !colourRE.MatchString(*in.Colour) {
			return nil, fieldErr("colour", "colour must look like #1a2b3c")
		}
		colour = strings.ToLower(*in.Colour)
	}
	var tg *Tag
	err = s.update(func(t *tx) error {
		tags, err := allTags(t.Txn)
		if err != nil {
			return err
		}
		for _, x := range tags {
			if strings.EqualFold(x.Name, name) {
				return &DuplicateError{Field: "name", Msg: "a tag called " + x.Name + " exists", ExistingID: x.ID}
			}
		}
		tg = &Tag{ID: store.NewID(), Name: name, Colour: colour, Version: 1, CreatedAt: t.now, UpdatedAt: t.now}
		t.publish("tag.created", map[string]string{"tag_id": tg.ID})
		return t.SetJSON(store.Key("tag", tg.ID), tg)
	})
	return tg, err
}

// leadsWithTag lists up to n leads carrying a tag.
func (s *Service) leadsWithTag(lower string, n int) ([]string, error) {
	var ids []string
	err := s.view(func(txn *store.Txn) error {
		return txn.Scan(store.Key("crmidx", "tag", lower, ""), store.ScanOptions{KeysOnly: true}, func(k, v []byte) error {
			parts := store.SplitKey(k)
			ids = append(ids, parts[len(parts)-1])
			if len(ids) == n {
				return store.ErrStopScan
			}
			return nil
		})
	})
	return ids, err
}

// retagLeads rewrites every lead carrying tag from into carrying to ("" =
// drop it), moveChunk leads per transaction.
func (s *Service) retagLeads(from, to string) error {
	lower := strings.ToLower(from)
	all, err := s.leadsWithTag(lower, 0)
	if err != nil {
		return err
	}
	for len(all) > 0 {
		ids := all[:min(moveChunk, len(all))]
		all = all[len(ids):]
		err = s.update(func(t *tx) error {
			for _, id := range ids {
				old, err := t.lead(id)
				if isNotFound(err) {
					continue
				}
				if err != nil {
					return err
				}
				l := old.clone()
				var tags []string
				for _, tg := range l.Tags {
					if strings.ToLower(tg) == lower {
						if to == "" || slices.ContainsFunc(tags, func(x string) bool { return strings.EqualFold(x, to) }) {
							continue
						}
						tg = to
					}
					tags = append(tags, tg)
				}
				if slices.Equal(tags, l.Tags) {
					continue
				}
				l.Tags = tags
				if err := t.activity(l.ID, Activity{Type: ActFieldChanged, Actor: ActorSystem, Field: "tags", Old: old.Tags, New: tags}); err != nil {
					return err
				}
				if err := t.putLead(old, l); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// UpdateTag renames or recolours a tag. A rename rewrites the leads that
// carry it (in chunks, before the tag itself, so that repeating an
// interrupted rename finishes it).
func (s *Service) UpdateTag(ctx context.Context, id string, in TagInput) (*Tag, error) {
	var cur Tag
	if err := s.view(func(txn *store.Txn) error { return getJSON(txn, "tag", id, &cur) }); err != nil {
		return nil, err
	}
	if err := checkVersion("tag", id, in.Version, cur.Version); err != nil {
		return nil, err
	}
	name := cur.Name
	if in.Name != nil {
		n, err := checkTagName("name", *in.Name)
		if err != nil {
			return nil, err
		}
		name = n
	}
	colour := cur.Colour
	if in.Colour != nil {
		if !colourRE.MatchString(*in.Colour) {
			return nil, fieldErr("colour", "colour must look like #1a2b3c")
		}
		colour = strings.ToLower(*in.Colour)
	}
	if name != cur.Name {
		var dup error
		_ = s.view(func(txn *store.Txn) error {
			tags, err := allTags(txn)
			for _, x := range tags {
				if x.ID != id && strings.EqualFold(x.Name, name) {
					dup = &DuplicateError{Field: "name", Msg: "a tag called " + x.Name + " exists", ExistingID: x.ID}
				}
			}
			return err
		})
		if dup != nil {
			return nil, dup
		}
		if err := s.retagLeads(cur.Name, name); err != nil {
			return nil, err
		}
	}
	var out *Tag
	err := s.update(func(t *tx) error {
		tg := new(Tag)
		if err := getJSON(t.Txn, "tag", id, tg); err != nil {
			return err
		}
		tg.Name, tg.Colour, tg.Version, tg.UpdatedAt = name, colour, tg.Version+1, t.now
		out = tg
		t.publish("tag.updated", map[string]string{"tag_id": tg.ID})
		return t.SetJSON(store.Key("tag", id), tg)
	})
	return out, err
}

// DeleteTag removes a tag from every lead, then the tag.
func (s *Service) DeleteTag(ctx context.Context, id string, version *int) error {
	var cur Tag
	if err := s.view(func(txn *store.Txn) error { return getJSON(txn, "tag", id, &cur) }); err != nil {
		return err
	}
	if err := checkVersion("tag", id, version, cur.Version); err != nil {
		return err
	}
	if err := s.retagLeads(cur.Name, ""); err != nil {
		return err
	}
	return s.update(func(t *tx) error {
		t.publish("tag.deleted", map[string]string{"tag_id": id})
		return t.Delete(store.Key("tag", id))
	})
}
