package search

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// QueryError is a query that cannot be parsed. Pos is the offset, in
// characters (not bytes) from 0, where it goes wrong; Msg says how.
type QueryError struct {
	Pos int
	Msg string
}

func (e *QueryError) Error() string {
	return fmt.Sprintf("query: %s at character %d", e.Msg, e.Pos+1)
}

// Expr is a parsed query: an *AndExpr, *OrExpr, *NotExpr or *TermExpr.
// String gives a canonical form used in tests and logs.
type Expr interface {
	String() string
}

// AndExpr matches what all of Items match.
type AndExpr struct{ Items []Expr }

// OrExpr matches what any of Items matches.
type OrExpr struct{ Items []Expr }

// NotExpr matches what X does not.
type NotExpr struct{ X Expr }

// TermExpr is one search term: a free word or phrase (Field "") or a
// field:value operator.
type TermExpr struct {
	Field  string // "", or one of the operators in Operators
	Value  string // as typed, without quotes or a trailing '*'
	Quoted bool   // the value was in double quotes
	Prefix bool   // a free word ending in '*': matches words starting with Value
	Pos    int    // character offset of the term in the query
	// Time is the instant a before: or after: value stands for.
	Time time.Time
}

func (e *AndExpr) String() string { return "(and " + joinExprs(e.Items) + ")" }
func (e *OrExpr) String() string  { return "(or " + joinExprs(e.Items) + ")" }
func (e *NotExpr) String() string { return "(not " + e.X.String() + ")" }
func (e *TermExpr) String() string {
	f := e.Field
	if f == "" {
		f = "text"
	}
	v := strconv.Quote(e.Value)
	if e.Prefix {
		v += "*"
	}
	if f == "before" || f == "after" {
		v = e.Time.Format(time.RFC3339)
	}
	return "(" + f + " " + v + ")"
}

func joinExprs(es []Expr) string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.String()
	}
	return strings.Join(parts, " ")
}

// Operators are the field:value prefixes the language knows. A word with
// any other prefix ("re:", "http://…") is searched as text, so that pasting
// a subject line or a link never fails.
var Operators = []string{"from", "to", "subject", "has", "before", "after", "in", "is", "tag", "stage", "pipeline"}

func isOperator(s string) bool {
	for _, o := range Operators {
		if s == o {
			return true
		}
	}
	return false
}

// ParseOptions give relative dates their meaning.
type ParseOptions struct {
	// Now is the instant "7d" counts back from; zero means time.Now().
	Now time.Time
	// Location is where "2024-03-01" starts; nil means time.Local.
	Location *time.Location
}

// ParseQuery parses the query language:
//
//	alice "quarterly report"      both (AND is implicit; AND may be written)
//	invoice OR receipt            either (OR in capitals)
//	-newsletter  NOT newsletter   without
//	(a OR b) c                    grouping
//	invoic*                       words starting with "invoic"
//	from:alice from:example.com from:alice@example.com from:"Alice Smith"
//	to: (To and Cc)  subject:  in:FOLDER  has:attachment  is:unread is:read
//	before:2024-03-01 after:2024-02  after:7d (also w, m, y)  before:today
//	tag:  stage:  pipeline:       (leads)
//
// after: includes the day it names; before: excludes it.
func ParseQuery(q string, opts ParseOptions) (Expr, error) {
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	if opts.Location == nil {
		opts.Location = time.Local
	}
	toks, err := lex(q)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks, opts: opts, end: utf8.RuneCountInString(q)}
	if len(toks) == 0 {
		return nil, &QueryError{Pos: 0, Msg: "the query is empty"}
	}
	e, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind == tokRParen {
		return nil, &QueryError{Pos: t.pos, Msg: "')' has no matching '('"}
	}
	return e, nil
}

type tokKind int

const (
	tokEOF tokKind = iota
	tokWord
	tokLParen
	tokRParen
	tokOr
	tokAnd
	tokNot // "-" before a term, or NOT
)

type token struct {
	kind   tokKind
	text   string // word: the field:value text; quoted values unquoted
	field  string // word: operator name, if any
	quoted bool
	pos    int // character offset
	valPos int // character offset of the value
}

func lex(q string) ([]token, error) {
	rs := []rune(q)
	var toks []token
	i := 0
	for i < len(rs) {
		r := rs[i]
		switch {
		case unicode.IsSpace(r):
			i++
		case r == '(':
			toks = append(toks, token{kind: tokLParen, pos: i})
			i++
		case r == ')':
			toks = append(toks, token{kind: tokRParen, pos: i})
			i++
		case r == '-' && (i == 0 || unicode.IsSpace(rs[i-1]) || rs[i-1] == '('):
			if i+1 >= len(rs) || unicode.IsSpace(rs[i+1]) || rs[i+1] == ')' {
				return nil, &QueryError{Pos: i, Msg: "'-' must be followed by the term to exclude"}
			}
			toks = append(toks, token{kind: tokNot, pos: i})
			i++
		case r == '"':
			s, next, err := lexQuoted(rs, i)
			if err != nil {
				return nil, err
			}
			toks = append(toks, token{kind: tokWord, text: s, quoted: true, pos: i, valPos: i + 1})
			i = next
		default:
			start := i
			for i < len(rs) && !unicode.IsSpace(rs[i]) && rs[i] != '(' && rs[i] != ')' && rs[i] != '"' {
				i++
			}
			w := string(rs[start:i])
			switch w {
			case "OR":
				toks = append(toks, token{kind: tokOr, pos: start})
				continue
			case "AND":
				toks = append(toks, token{kind: tokAnd, pos: start})
				continue
			case "NOT":
				toks = append(toks, token{kind: tokNot, pos: start})
				continue
			}
			t := token{kind: tokWord, text: w, pos: start, valPos: start}
			if c := strings.IndexByte(w, ':'); c > 0 && isOperator(strings.ToLower(w[:c])) {
				t.field = strings.ToLower(w[:c])
				t.text = w[c+1:]
				t.valPos = start + utf8.RuneCountInString(w[:c+1])
				if t.text == "" && i < len(rs) && rs[i] == '"' {
					s, next, err := lexQuoted(rs, i)
					if err != nil {
						return nil, err
					}
					t.text, t.quoted, t.valPos = s, true, i+1
					i = next
				}
				if t.text == "" {
					return nil, &QueryError{Pos: start, Msg: fmt.Sprintf("%s: needs a value (quote it if it has spaces)", t.field)}
				}
			}
			toks = append(toks, t)
		}
	}
	return toks, nil
}

// lexQuoted reads a double-quoted string starting at rs[i]; \" and \\
// escape.
func lexQuoted(rs []rune, i int) (string, int, error) {
	var b strings.Builder
	for j := i + 1; j < len(rs); j++ {
		switch rs[j] {
		case '\\':
			if j+1 < len(rs) && (rs[j+1] == '"' || rs[j+1] == '\\') {
				j++
			}
			b.WriteRune(rs[j])
		case '"':
			if strings.TrimSpace(b.String()) == "" {
				return "", 0, &QueryError{Pos: i, Msg: "empty quotes"}
			}
			return b.String(), j + 1, nil
		default:
			b.WriteRune(rs[j])
		}
	}
	return "", 0, &QueryError{Pos: i, Msg: "the quote opened here is never closed"}
}

type parser struct {
	toks []token
	i    int
	opts ParseOptions
	end  int
}

func (p *parser) peek() token {
	if p.i < len(p.toks) {
		return p.toks[p.i]
	}
	return token{kind: tokEOF, pos: p.end}
}

func (p *parser) next() token { t := p.peek(); p.i++; return t }

func (p *parser) parseOr() (Expr, error) {
	if t := p.peek(); t.kind == tokOr {
		return nil, &QueryError{Pos: t.pos, Msg: "OR needs a term before it"}
	}
	first, err := p.parseAnd()
	if err != nil {
		return nil, err
	}
	items := []Expr{first}
	for p.peek().kind == tokOr {
		or := p.next()
		switch t := p.peek(); t.kind {
		case tokEOF, tokRParen, tokOr:
			return nil, &QueryError{Pos: or.pos, Msg: "OR needs a term after it"}
		}
		e, err := p.parseAnd()
		if err != nil {
			return nil, err
		}
		items = append(items, e)
	}
	if len(items) == 1 {
		return first, nil
	}
	return &OrExpr{Items: items}, nil
}

func (p *parser) parseAnd() (Expr, error) {
	var items []Expr
	for {
		t := p.peek()
		switch t.kind {
		case tokEOF, tokRParen, tokOr:
			if len(items) == 0 {
				if t.kind == tokRParen {
					return nil, &QueryError{Pos: t.pos, Msg: "')' has no matching '('"}
				}
				return nil, &QueryError{Pos: t.pos, Msg: "a term is missing here"}
			}
			if len(items) == 1 {
				return items[0], nil
			}
			return &AndExpr{Items: items}, nil
		case tokAnd:
			p.next()
			if len(items) == 0 {
				return nil, &QueryError{Pos: t.pos, Msg: "AND needs a term before it"}
			}
			switch n := p.peek(); n.kind {
			case tokEOF, tokRParen, tokOr, tokAnd:
				return nil, &QueryError{Pos: t.pos, Msg: "AND needs a term after it"}
			}
			continue
		}
		e, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		items = append(items, e)
	}
}

func (p *parser) parseUnary() (Expr, error) {
	t := p.peek()
	if t.kind == tokNot {
		p.next()
		switch n := p.peek(); n.kind {
		case tokEOF, tokRParen, tokOr, tokAnd:
			return nil, &QueryError{Pos: t.pos, Msg: "NOT or '-' must be followed by the term to exclude"}
		}
		x, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		if n, ok := x.(*NotExpr); ok {
			return n.X, nil
		}
		return &NotExpr{X: x}, nil
	}
	return p.parsePrimary()
}

func (p *parser) parsePrimary() (Expr, error) {
	t := p.next()
	switch t.kind {
	case tokLParen:
		if n := p.peek(); n.kind == tokRParen {
			return nil, &QueryError{Pos: t.pos, Msg: "empty parentheses"}
		}
		e, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		if n := p.next(); n.kind != tokRParen {
			return nil, &QueryError{Pos: t.pos, Msg: "the '(' here is never closed"}
		}
		return e, nil
	case tokRParen:
		return nil, &QueryError{Pos: t.pos, Msg: "')' has no matching '('"}
	case tokWord:
		return p.term(t)
	}
	return nil, &QueryError{Pos: t.pos, Msg: "a term is missing here"}
}

func (p *parser) term(t token) (Expr, error) {
	e := &TermExpr{Field: t.field, Value: t.text, Quoted: t.quoted, Pos: t.pos}
	bad := func(msg string, args ...any) error {
		return &QueryError{Pos: t.valPos, Msg: fmt.Sprintf(msg, args...)}
	}
	switch t.field {
	case "":
		if !t.quoted && strings.HasSuffix(e.Value, "*") {
			e.Value = strings.TrimRight(e.Value, "*")
			if e.Value == "" {
				return nil, bad("'*' must follow the start of a word")
			}
			e.Prefix = true
		}
	case "has":
		switch strings.ToLower(e.Value) {
		case "attachment", "attachments":
			e.Value = "attachment"
		default:
			return nil, bad("has: knows only has:attachment, not %q", e.Value)
		}
	case "is":
		switch v := strings.ToLower(e.Value); v {
		case "unread", "read":
			e.Value = v
		default:
			return nil, bad("is: knows is:unread and is:read, not %q", e.Value)
		}
	case "before", "after":
		tm, err := parseDate(e.Value, p.opts)
		if err != nil {
			return nil, bad("%s", err.Error())
		}
		e.Time = tm
	}
	return e, nil
}

// Bleve stores dates as nanoseconds since 1970 in an int64.
const minYear, maxYear = 1678, 2261

// parseDate reads a date for before: and after:: an absolute day, month or
// year (2024-03-01, 2024/03/01, 2024-03, 2024), today, yesterday, or an
// age (7d, 2w, 3m, 1y) counted back from now.
func parseDate(v string, opts ParseOptions) (time.Time, error) {
	lv := strings.ToLower(v)
	now := opts.Now.In(opts.Location)
	midnight := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, opts.Location)
	switch lv {
	case "today":
		return midnight, nil
	case "yesterday":
		return midnight.AddDate(0, 0, -1), nil
	}
	if n := len(lv); n >= 2 && strings.ContainsRune("dwmy", rune(lv[n-1])) {
		if k, err := strconv.Atoi(lv[:n-1]); err == nil && k >= 0 && k <= 100000 {
			switch lv[n-1] {
			case 'd':
				return now.AddDate(0, 0, -k), nil
			case 'w':
				return now.AddDate(0, 0, -7*k), nil
			case 'm':
				return now.AddDate(0, -k, 0), nil
			case 'y':
				return now.AddDate(-k, 0, 0), nil
			}
		}
	}
	for _, layout := range []string{"2006-01-02", "2006/01/02", "2006-1-2", "2006/1/2", "2006-01", "2006"} {
		if t, err := time.ParseInLocation(layout, v, opts.Location); err == nil {
			if t.Year() < minYear || t.Year() > maxYear {
				return time.Time{}, fmt.Errorf("%q is outside the years %d to %d", v, minYear, maxYear)
			}
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a date: use YYYY-MM-DD, YYYY-MM, YYYY, today, yesterday, or an age like 7d, 2w, 3m, 1y", v)
}
