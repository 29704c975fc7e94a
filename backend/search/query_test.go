package search

import (
	"errors"
	"testing"
	"time"
)

var testNow = time.Date(2024, 3, 15, 12, 0, 0, 0, time.UTC)

func parseTest(q string) (Expr, error) {
	return ParseQuery(q, ParseOptions{Now: testNow, Location: time.UTC})
}

func TestParseQuery(t *testing.T) {
	cases := []struct{ q, want string }{
		{`alice`, `(text "alice")`},
		{`  alice   bob `, `(and (text "alice") (text "bob"))`},
		{`alice AND bob`, `(and (text "alice") (text "bob"))`},
		{`"quarterly report"`, `(text "quarterly report")`},
		{`a OR b c`, `(or (text "a") (and (text "b") (text "c")))`},
		{`(a OR b) c`, `(and (or (text "a") (text "b")) (text "c"))`},
		{`a or b`, `(and (text "a") (text "or") (text "b"))`},
		{`-spam`, `(not (text "spam"))`},
		{`NOT spam`, `(not (text "spam"))`},
		{`--spam`, `(not (text "-spam"))`},
		{`- -x`, ``}, // error, checked below
		{`NOT NOT spam`, `(text "spam")`},
		{`-(a OR b)`, `(not (or (text "a") (text "b")))`},
		{`foo-bar`, `(text "foo-bar")`},
		{`invoic*`, `(text "invoic"*)`},
		{`from:alice`, `(from "alice")`},
		{`FROM:Alice@Example.com`, `(from "Alice@Example.com")`},
		{`from:"Alice Smith"`, `(from "Alice Smith")`},
		{`to:bob subject:"hello world"`, `(and (to "bob") (subject "hello world"))`},
		{`has:attachment`, `(has "attachment")`},
		{`has:attachments`, `(has "attachment")`},
		{`is:UNREAD`, `(is "unread")`},
		{`is:read`, `(is "read")`},
		{`in:INBOX`, `(in "INBOX")`},
		{`tag:vip stage:won pipeline:"New business"`, `(and (tag "vip") (stage "won") (pipeline "New business"))`},
		{`after:2024-02-01`, `(after 2024-02-01T00:00:00Z)`},
		{`before:2024/02/01`, `(before 2024-02-01T00:00:00Z)`},
		{`after:2024-02`, `(after 2024-02-01T00:00:00Z)`},
		{`after:2023`, `(after 2023-01-01T00:00:00Z)`},
		{`after:7d`, `(after 2024-03-08T12:00:00Z)`},
		{`after:2w`, `(after 2024-03-01T12:00:00Z)`},
		{`after:1m`, `(after 2024-02-15T12:00:00Z)`},
		{`before:1y`, `(before 2023-03-15T12:00:00Z)`},
		{`after:today`, `(after 2024-03-15T00:00:00Z)`},
		{`after:yesterday`, `(after 2024-03-14T00:00:00Z)`},
		{`re: pricing`, `(and (text "re:") (text "pricing"))`},
		{`http://example.com/x`, `(text "http://example.com/x")`},
		{`"say \"hi\""`, `(text "say \"hi\"")`},
		{`Müller`, `(text "Müller")`},
		{`a -from:spam@x.org OR b`, `(or (and (text "a") (not (from "spam@x.org"))) (text "b"))`},
	}
	for _, c := range cases {
		if c.want == "" {
			continue
		}
		e, err := parseTest(c.q)
		if err != nil {
			t.Errorf("ParseQuery(%q): %v", c.q, err)
			continue
		}
		if got := e.String(); got != c.want {
			t.Errorf("ParseQuery(%q)\n got %s\nwant %s", c.q, got, c.want)
		}
	}
}

func TestParseQueryErrors(t *testing.T) {
	cases := []struct {
		q   string
		pos int
		msg string
	}{
		{``, 0, "the query is empty"},
		{`   `, 0, "the query is empty"},
		{`"abc`, 0, "the quote opened here is never closed"},
		{`foo "abc`, 4, "the quote opened here is never closed"},
		{`from:"abc`, 5, "the quote opened here is never closed"},
		{`""`, 0, "empty quotes"},
		{`(a b`, 0, "the '(' here is never closed"},
		{`a (b (c)`, 2, "the '(' here is never closed"},
		{`a b)`, 3, "')' has no matching '('"},
		{`)`, 0, "')' has no matching '('"},
		{`()`, 0, "empty parentheses"},
		{`OR a`, 0, "OR needs a term before it"},
		{`a OR`, 2, "OR needs a term after it"},
		{`a OR OR b`, 2, "OR needs a term after it"},
		{`(a OR) b`, 3, "OR needs a term after it"},
		{`AND a`, 0, "AND needs a term before it"},
		{`a AND`, 2, "AND needs a term after it"},
		{`a -`, 2, "'-' must be followed by the term to exclude"},
		{`a - b`, 2, "'-' must be followed by the term to exclude"},
		{`a NOT`, 2, "NOT or '-' must be followed by the term to exclude"},
		{`from:`, 0, "from: needs a value (quote it if it has spaces)"},
		{`x subject: y`, 2, "subject: needs a value (quote it if it has spaces)"},
		{`has:pdf`, 4, `has: knows only has:attachment, not "pdf"`},
		{`is:flagged`, 3, `is: knows is:unread and is:read, not "flagged"`},
		{`after:yesterdayish`, 6, `"yesterdayish" is not a date`},
		{`before:2024-13-01`, 7, `"2024-13-01" is not a date`},
		{`*`, 0, "'*' must follow the start of a word"},
		{`é "x`, 2, "the quote opened here is never closed"}, // positions count characters
	}
	for _, c := range cases {
		_, err := parseTest(c.q)
		var qe *QueryError
		if !errors.As(err, &qe) {
			t.Errorf("ParseQuery(%q): err = %v; want a *QueryError", c.q, err)
			continue
		}
		if qe.Pos != c.pos || len(qe.Msg) < len(c.msg) || qe.Msg[:len(c.msg)] != c.msg {
			t.Errorf("ParseQuery(%q): error at %d %q; want at %d %q", c.q, qe.Pos, qe.Msg, c.pos, c.msg)
		}
	}
}

func TestQueryErrorMessage(t *testing.T) {
	_, err := parseTest(`a OR`)
	if got, want := err.Error(), "query: OR needs a term after it at character 3"; got != want {
		t.Fatalf("Error() = %q; want %q", got, want)
	}
}

func TestParseDateUsesLocation(t *testing.T) {
	loc := time.FixedZone("X", 2*3600)
	e, err := ParseQuery("after:2024-01-02", ParseOptions{Now: testNow, Location: loc})
	if err != nil {
		t.Fatal(err)
	}
	if got := e.(*TermExpr).Time; !got.Equal(time.Date(2024, 1, 1, 22, 0, 0, 0, time.UTC)) {
		t.Fatalf("after:2024-01-02 in UTC+2 = %v; want 2024-01-01T22:00Z", got.UTC())
	}
}

func TestParseDateRange(t *testing.T) {
	var qe *QueryError
	if _, err := parseTest("after:1500"); !errors.As(err, &qe) {
		t.Fatalf("after:1500: %v; want a QueryError", err)
	}
}
