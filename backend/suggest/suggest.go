// Package suggest drafts a reply for a thread. By default it works
// offline: it reads what the last inbound message asks for (a price, a
// meeting, a thank-you, …) and fills in the user's template for that intent,
// or a built-in one. If the user configures an OpenAI-compatible endpoint
// (a local Ollama, for example) it asks that model instead, with a prompt
// built from the thread, and falls back to the heuristic when the endpoint
// fails. Thread text goes only to the endpoint the user configured.
//
// # Key layout
//
//	suggest␀settings  Settings (JSON; the API key lives in the keychain)
package suggest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"time"

	"threadline/backend/store"
	"threadline/backend/templates"
)

// Direction says who wrote a message.
type Direction string

const (
	Inbound  Direction = "inbound"  // from the contact
	Outbound Direction = "outbound" // from the user
)

// Message is one message of the thread, oldest first in Input.
type Message struct {
	From      string    `json:"from"`
	Date      time.Time `json:"date"`
	Text      string    `json:"text"`
	Direction Direction `json:"direction"`
}

// Input is the thread to answer and what is known about the people in it.
// The mail package adapts its thread type to this.
type Input struct {
	Subject  string    `json:"subject"`
	Messages []Message `json:"messages"`
	// Vars fill template variables: first_name, company, my_name, …
	// (templates.Vars builds them).
	Vars map[string]string `json:"vars,omitempty"`
}

// Suggestion is a drafted reply.
type Suggestion struct {
	Text       string   `json:"text"`
	Intent     string   `json:"intent,omitempty"`
	Source     string   `json:"source"` // "heuristic" or "llm"
	TemplateID string   `json:"template_id,omitempty"`
	Model      string   `json:"model,omitempty"`
	Missing    []string `json:"missing"`
	// Fallback says why the configured model was not used.
	Fallback string `json:"fallback,omitempty"`
}

// Service suggests replies.
type Service struct {
	st        *store.Store
	templates *templates.Service
	secrets   Secrets
	log       *slog.Logger
	llm       *llmClient
}

// New returns the service; tpl and secrets may be nil (no user templates,
// no API key).
func New(st *store.Store, tpl *templates.Service, secrets Secrets, log *slog.Logger) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{st: st, templates: tpl, secrets: secrets, log: log, llm: newLLMClient()}
}

// ErrNoInbound is returned when a thread has no message to answer.
var ErrNoInbound = errors.New("the thread has no messages")

// Suggest drafts a reply to in.
func (s *Service) Suggest(ctx context.Context, in Input) (*Suggestion, error) {
	if len(in.Messages) == 0 {
		return nil, ErrNoInbound
	}
	set, err := s.Settings()
	if err != nil {
		return nil, err
	}
	if set.Enabled() {
		key, err := s.apiKey()
		if err == nil {
			var text string
			text, err = s.llm.complete(ctx, set, key, Prompt(in))
			if err == nil {
				return &Suggestion{Text: text, Source: "llm", Model: set.Model, Intent: DetectIntent(in), Missing: []string{}}, nil
			}
		}
		s.log.Warn("suggest: the configured model failed; using the local heuristic", "err", err)
		sg, herr := s.heuristic(in)
		if herr != nil {
			return nil, herr
		}
		sg.Fallback = "The model at " + set.BaseURL + " could not be used: " + err.Error()
		return sg, nil
	}
	return s.heuristic(in)
}

func (s *Service) heuristic(in Input) (*Suggestion, error) {
	intent := DetectIntent(in)
	tpl, err := s.pickTemplate(intent)
	if err != nil {
		return nil, err
	}
	vars := map[string]string{"subject": in.Subject}
	for k, v := range in.Vars {
		vars[k] = v
	}
	r := templates.Render(tpl, vars)
	return &Suggestion{Text: r.Body, Intent: intent, Source: "heuristic", TemplateID: tpl.ID, Missing: r.Missing}, nil
}

// pickTemplate prefers the user's own template for the intent (a whole
// template over a snippet, then by name), else the built-in text.
func (s *Service) pickTemplate(intent string) (*templates.Template, error) {
	if s.templates != nil {
		list, err := s.templates.List("")
		if err != nil {
			return nil, err
		}
		var snippet *templates.Template
		for i := range list {
			t := &list[i]
			if t.Intent != intent {
				continue
			}
			if t.Kind == templates.KindTemplate {
				return t, nil
			}
			if snippet == nil {
				snippet = t
			}
		}
		if snippet != nil {
			return snippet, nil
		}
	}
	return &templates.Template{Body: builtin[intent]}, nil
}

// builtin replies per intent, used until the user tags a template of their
// own with the intent.
var builtin = map[string]string{
	"pricing": "Hi {first_name},\n\nthanks for asking about pricing. I have put together the details for {company} " +
		"and am happy to walk you through them.\n\nWould a short call this week suit you?\n\nBest regards,\n{my_name}",
	"meeting": "Hi {first_name},\n\ngladly. I am free on Tuesday and Thursday afternoon; " +
		"tell me what suits you and I will send an invitation.\n\nBest regards,\n{my_name}",
	"thanks":      "Hi {first_name},\n\nyou are welcome, glad it helped. Let me know if there is anything else I can do.\n\nBest regards,\n{my_name}",
	"objection":   "Hi {first_name},\n\nthank you for being open about it. May I ask what would need to change for this to work for {company}?\n\nBest regards,\n{my_name}",
	"unsubscribe": "Hi {first_name},\n\nunderstood, I will not contact you about this again.\n\nBest regards,\n{my_name}",
	"followup":    "Hi {first_name},\n\nI wanted to follow up on my last message. Is this still of interest to {company}?\n\nBest regards,\n{my_name}",
	"info":        "Hi {first_name},\n\nthanks for your message. Here is the information you asked for:\n\n\n\nBest regards,\n{my_name}",
}

// intentRules score the last inbound message; the highest total wins, ties
// going to the earlier rule.
var intentRules = []struct {
	intent string
	re     *regexp.Regexp
}{
	{"unsubscribe", regexp.MustCompile(`(?i)\b(unsubscribe|remove me|stop (e-?mailing|contacting)|do not contact|don't contact)\b`)},
	{"objection", regexp.MustCompile(`(?i)(too expensive|not interested|no budget|out of (our )?budget|not a (good )?fit|went with (another|a different)|not (right )?now)`)},
	{"pricing", regexp.MustCompile(`(?i)\b(price|prices|pricing|cost|costs|quote|quotation|how much|discount|budget|invoice|licen[cs]e fee|per (seat|user|month))\b|[€$£]\s?\d`)},
	{"meeting", regexp.MustCompile(`(?i)\b(meet|meeting|call|demo|schedule|calendar|available|availability|zoom|teams|slot|tomorrow|next week|monday|tuesday|wednesday|thursday|friday)\b`)},
	{"thanks", regexp.MustCompile(`(?i)\b(thanks|thank you|thx|appreciate|grateful|cheers)\b`)},
}

// DetectIntent guesses what the thread's last inbound message asks for.
// When the user wrote last, the intent is "followup".
func DetectIntent(in Input) string {
	if len(in.Messages) == 0 {
		return "info"
	}
	last := in.Messages[len(in.Messages)-1]
	if last.Direction == Outbound {
		return "followup"
	}
	text := in.Subject + "\n" + OwnText(last.Text)
	best, bestScore := "info", 0
	for _, r := range intentRules {
		n := len(r.re.FindAllStringIndex(text, -1))
		if r.intent == "thanks" && n > 0 && strings.Contains(text, "?") {
			// "Thanks! What does it cost?" is a question, not a thank-you.
			n = 0
		}
		if n > bestScore {
			best, bestScore = r.intent, n
		}
	}
	return best
}

var attributionLine = regexp.MustCompile(`(?m)^(On .{5,200} wrote:|-{2,} ?(Original|Forwarded) [Mm]essage ?-{2,}|From: .+)\s*$`)

// OwnText strips quoted lines and everything from the first attribution
// line ("On …, X wrote:") on, leaving what the sender wrote themselves.
func OwnText(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	if loc := attributionLine.FindStringIndex(s); loc != nil && loc[0] > 0 {
		s = s[:loc[0]]
	}
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), ">") {
			continue
		}
		out = append(out, l)
	}
	return strings.TrimSpace(strings.Join(out, "\n"))
}

// Limits on what goes into a prompt.
const (
	promptMessages = 10
	promptChars    = 4000
)

// Prompt builds the chat messages for a model: a system instruction and the
// thread as a transcript, newest last.
func Prompt(in Input) []ChatMessage {
	var b strings.Builder
	fmt.Fprintf(&b, "Subject: %s\n", in.Subject)
	if n := in.Vars["name"]; n != "" {
		fmt.Fprintf(&b, "Contact: %s", n)
		if c := in.Vars["company"]; c != "" {
			fmt.Fprintf(&b, " (%s)", c)
		}
		b.WriteString("\n")
	}
	msgs := in.Messages
	if len(msgs) > promptMessages {
		msgs = msgs[len(msgs)-promptMessages:]
	}
	for _, m := range msgs {
		who := m.From
		if m.Direction == Outbound {
			who = "Me (" + m.From + ")"
		}
		text := OwnText(m.Text)
		if len(text) > promptChars {
			text = text[:promptChars] + " […]"
		}
		fmt.Fprintf(&b, "\n--- %s, %s ---\n%s\n", who, m.Date.Format("2 Jan 2006 15:04"), text)
	}
	me := in.Vars["my_name"]
	if me == "" {
		me = "the salesperson"
	}
	system := "You draft e-mail replies for " + me + ", a salesperson. Write only the body of the next reply " +
		"in the thread: in the language of the last message, friendly, concise, no subject line, no placeholders " +
		"in brackets, signed with the salesperson's name. Do not invent prices, dates or facts that are not in the thread."
	return []ChatMessage{{Role: "system", Content: system}, {Role: "user", Content: b.String()}}
}
