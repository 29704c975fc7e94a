package crm

import (
	"context"
	"time"

	"threadline/backend/search"
	"threadline/backend/store"
)

// Note is free text the user keeps on a lead.
type Note struct {
	ID        string    `json:"id"`
	Version   int       `json:"version"`
	LeadID    string    `json:"lead_id"`
	Body      string    `json:"body"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// NoteInput adds a note or changes its body.
type NoteInput struct {
	Version *int   `json:"version"`
	Body    string `json:"body"`
}

func checkNoteBody(b string) (string, error) {
	b, err := checkText("body", b, 100_000)
	if err != nil {
		return "", err
	}
	if b == "" {
		return "", fieldErr("body", "a note needs some text")
	}
	return b, nil
}

// AddNote adds a note to a lead and puts it on the timeline.
func (s *Service) AddNote(ctx context.Context, leadID string, in NoteInput) (*Note, error) {
	body, err := checkNoteBody(in.Body)
	if err != nil {
		return nil, err
	}
	var n *Note
	err = s.update(func(t *tx) error {
		l, err := t.lead(leadID)
		if err != nil {
			return err
		}
		n = &Note{ID: store.NewID(), Version: 1, LeadID: l.ID, Body: body, CreatedAt: t.now, UpdatedAt: t.now}
		if err := t.SetJSON(store.Key("note", n.ID), n); err != nil {
			return err
		}
		if err := t.Set(store.Key("crmidx", "leadnote", l.ID, n.ID), nil); err != nil {
			return err
		}
		if err := search.RecordChange(t.Txn, search.KindLead, l.ID); err != nil {
			return err
		}
		t.publish("note.added", map[string]string{"lead_id": l.ID, "note_id": n.ID})
		return t.activity(l.ID, Activity{Type: ActNoteAdded, Actor: ActorYou, NoteID: n.ID, Text: body})
	})
	return n, err
}

// UpdateNote changes a note's body.
func (s *Service) UpdateNote(ctx context.Context, id string, in NoteInput) (*Note, error) {
	body, err := checkNoteBody(in.Body)
	if err != nil {
		return nil, err
	}
	var n *Note
	err = s.update(func(t *tx) error {
		n = new(Note)
		if err := getJSON(t.Txn, "note", id, n); err != nil {
			return err
		}
		if err := checkVersion("note", id, in.Version, n.Version); err != nil {
			return err
		}
		if n.Body == body {
			return nil
		}
		n.Body, n.Version, n.UpdatedAt = body, n.Version+1, t.now
		if err := t.SetJSON(store.Key("note", n.ID), n); err != nil {
			return err
		}
		return search.RecordChange(t.Txn, search.KindLead, n.LeadID)
	})
	return n, err
}

// DeleteNote removes a note; the timeline keeps a note_deleted entry.
func (s *Service) DeleteNote(ctx context.Context, id string, version *int) error {
	return s.update(func(t *tx) error {
		n := new(Note)
		if err := getJSON(t.Txn, "note", id, n); err != nil {
			return err
		}
		if err := checkVersion("note", id, version, n.Version); err != nil {
			return err
		}
		if err := t.Delete(store.Key("note", id)); err != nil {
			return err
		}
		if err := t.Delete(store.Key("crmidx", "leadnote", n.LeadID, id)); err != nil {
			return err
		}
		if err := search.RecordChange(t.Txn, search.KindLead, n.LeadID); err != nil {
			return err
		}
		t.publish("note.deleted", map[string]string{"lead_id": n.LeadID, "note_id": n.ID})
		return t.activity(n.LeadID, Activity{Type: ActNoteDeleted, Actor: ActorYou, NoteID: n.ID})
	})
}

// Notes lists a lead's notes, newest first.
func (s *Service) Notes(ctx context.Context, leadID string) ([]*Note, error) {
	out := []*Note{}
	err := s.view(func(txn *store.Txn) error {
		if ok, err := txn.Has(store.Key("lead", leadID)); err != nil || !ok {
			if err == nil {
				err = notFound("lead", leadID)
			}
			return err
		}
		return txn.Scan(store.Key("crmidx", "leadnote", leadID, ""), store.ScanOptions{Reverse: true, KeysOnly: true}, func(k, v []byte) error {
			parts := store.SplitKey(k)
			n := new(Note)
			if err := getJSON(txn, "note", parts[len(parts)-1], n); err != nil {
				return err
			}
			out = append(out, n)
			return nil
		})
	})
	return out, err
}
