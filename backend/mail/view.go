package mail

import (
	"strings"
	"time"

	"threadline/backend/store"
)

// ListThreads lists threads newest first. Folder matches a mailbox name or
// a role (inbox, sent, archive, all).
func (svc *Service) ListThreads(f ThreadFilter) (*ThreadPage, error) {
	roles := map[string][]string{} // role → mailbox names
	states, err := ListFolderStates(svc.store, "")
	if err != nil {
		return nil, err
	}
	for _, s := range states {
		roles[s.Role] = append(roles[s.Role], s.Mailbox)
	}
	folder := strings.ToLower(f.Folder)
	match := func(t *Thread, want string) bool {
		for _, mb := range t.Mailboxes {
			if strings.EqualFold(mb, want) {
				return true
			}
			for _, r := range roles[folder] {
				if r == mb {
					return true
				}
			}
		}
		return false
	}
	var page *ThreadPage
	err = svc.store.View(func(txn *store.Txn) error {
		var err error
		page, err = ListThreads(txn, f, match)
		return err
	})
	return page, err
}

// MessageView is one message as the thread view shows it.
type MessageView struct {
	ID            string       `json:"id"`
	MessageID     string       `json:"message_id,omitempty"`
	From          []Address    `json:"from,omitempty"`
	To            []Address    `json:"to,omitempty"`
	Cc            []Address    `json:"cc,omitempty"`
	Subject       string       `json:"subject"`
	Date          time.Time    `json:"date"`
	Direction     string       `json:"direction"`
	Flags         []string     `json:"flags"`
	Unread        bool         `json:"unread"`
	Mailboxes     []string     `json:"mailboxes"`
	Text          string       `json:"text"`
	HTML          string       `json:"html,omitempty"`
	RemoteBlocked bool         `json:"remote_content_blocked"`
	Attachments   []Attachment `json:"attachments"`
	ParseError    string       `json:"parse_error,omitempty"`
	RawURL        string       `json:"raw_url"`
}

// ThreadView is a thread with its messages, oldest first.
type ThreadView struct {
	*Thread
	Messages []*MessageView `json:"messages"`
}

// ThreadView loads a thread for display: text, and HTML made safe with
// remote content blocked unless allowRemote.
func (svc *Service) ThreadView(id string, allowRemote bool) (*ThreadView, error) {
	var tv *ThreadView
	err := svc.store.View(func(txn *store.Txn) error {
		t, err := GetThread(txn, id)
		if err != nil {
			return err
		}
		msgs, err := ThreadMessages(txn, t.ID)
		if err != nil {
			return err
		}
		tv = &ThreadView{Thread: t, Messages: make([]*MessageView, 0, len(msgs))}
		for _, m := range msgs {
			raw, err := RawMessage(txn, m.ID)
			if err != nil {
				return err
			}
			text, html, _ := ParseBodies(raw)
			mv := &MessageView{ID: m.ID, MessageID: m.MessageID, From: m.From, To: m.To, Cc: m.Cc, Subject: m.Subject,
				Date: m.sortDate(), Direction: m.Direction, Flags: m.Flags, Unread: !m.Seen(), Text: text,
				Attachments: m.Attachments, ParseError: m.ParseError, RawURL: "/api/messages/" + m.ID + "/raw", Mailboxes: []string{}}
			if mv.Flags == nil {
				mv.Flags = []string{}
			}
			if mv.Attachments == nil {
				mv.Attachments = []Attachment{}
			}
			if html != "" {
				mv.HTML, mv.RemoteBlocked = SanitizeHTML(html, allowRemote)
			}
			for _, l := range m.Locations {
				mv.Mailboxes = append(mv.Mailboxes, l.Mailbox)
			}
			tv.Messages = append(tv.Messages, mv)
		}
		return nil
	})
	return tv, err
}
