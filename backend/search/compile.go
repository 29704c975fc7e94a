package search

import (
	"slices"
	"strings"
	"time"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search/query"
)

// compiler turns a parsed query into a Bleve query, analysing each value
// with the analyzer of the field it searches, and collects the words to
// highlight in snippets.
type compiler struct {
	analyzers map[string]analysis.Analyzer
	marks     *marks
	// kind, if set, limits free words to that kind's fields: a search of
	// mail alone then skips the lead fields.
	kind Kind
}

// marks are the positive text terms of a query, as the text analyzer
// produces them: snippets highlight these.
type marks struct {
	terms    map[string]bool
	prefixes []string
}

// ascii reports whether every marked word and prefix is ASCII.
func (m *marks) ascii() bool {
	for t := range m.terms {
		if !isASCII(t) {
			return false
		}
	}
	for _, p := range m.prefixes {
		if !isASCII(p) {
			return false
		}
	}
	return true
}

func (m *marks) match(term string) bool {
	if m.terms[term] {
		return true
	}
	for _, p := range m.prefixes {
		if strings.HasPrefix(term, p) {
			return true
		}
	}
	return false
}

func newCompiler(im *mapping.IndexMappingImpl) *compiler {
	c := &compiler{analyzers: map[string]analysis.Analyzer{}, marks: &marks{terms: map[string]bool{}}}
	for _, n := range []string{anText, anAddr, anLower} {
		c.analyzers[n] = im.AnalyzerNamed(n)
	}
	return c
}

func (c *compiler) tokens(analyzer, v string) []string {
	ts := c.analyzers[analyzer].Analyze([]byte(v))
	out := make([]string, 0, len(ts))
	for _, t := range ts {
		out = append(out, string(t.Term))
	}
	return out
}

// compile returns the query for e. negated says whether e sits under an
// odd number of NOTs, in which case its words are not highlighted.
func (c *compiler) compile(e Expr, negated bool) query.Query {
	switch e := e.(type) {
	case *AndExpr:
		var must, mustNot []query.Query
		for _, it := range e.Items {
			if n, ok := it.(*NotExpr); ok {
				mustNot = append(mustNot, c.compile(n.X, !negated))
				continue
			}
			must = append(must, c.compile(it, negated))
		}
		if len(must) == 0 {
			must = append(must, query.NewMatchAllQuery())
		}
		return query.NewBooleanQuery(must, nil, mustNot)
	case *OrExpr:
		qs := make([]query.Query, len(e.Items))
		for i, it := range e.Items {
			qs[i] = c.compile(it, negated)
		}
		return query.NewDisjunctionQuery(qs)
	case *NotExpr:
		return query.NewBooleanQuery([]query.Query{query.NewMatchAllQuery()}, nil, []query.Query{c.compile(e.X, !negated)})
	case *TermExpr:
		return c.term(e, negated)
	}
	return query.NewMatchNoneQuery()
}

func (c *compiler) term(e *TermExpr, negated bool) query.Query {
	switch e.Field {
	case "":
		if e.Prefix {
			return c.prefix(e.Value, negated)
		}
		if len(c.tokens(anText, e.Value)) == 0 && len(c.tokens(anAddr, e.Value)) == 0 {
			// Only punctuation: nothing to look for. Matching everything
			// keeps "foo ..." equal to "foo".
			return query.NewMatchAllQuery()
		}
		var qs []query.Query
		for _, f := range textFields {
			if c.kind != "" && f.kind != c.kind {
				continue
			}
			if q := c.match(f.name, f.analyzer, e.Value); q != nil {
				qs = append(qs, q)
			}
		}
		if !negated {
			for _, t := range c.tokens(anText, e.Value) {
				c.marks.terms[t] = true
			}
		}
		return disjunction(qs)
	case "subject":
		if !negated {
			for _, t := range c.tokens(anText, e.Value) {
				c.marks.terms[t] = true
			}
		}
		return orNone(c.match(fSubject, anText, e.Value))
	case "from":
		return c.address(fFrom, fFromT, e.Value)
	case "to":
		return c.address(fTo, fToT, e.Value)
	case "has":
		return termQ(fFlags, "attachment")
	case "is":
		if e.Value == "read" {
			return query.NewBooleanQuery([]query.Query{termQ(fKind, string(KindMail))}, nil, []query.Query{termQ(fFlags, "unread")})
		}
		return termQ(fFlags, "unread")
	case "in":
		return c.exact(fFolder, e.Value)
	case "tag":
		return c.exact(fTags, e.Value)
	case "stage":
		return c.exact(fStage, e.Value)
	case "pipeline":
		return c.exact(fPipeline, e.Value)
	case "before":
		q := query.NewDateRangeInclusiveQuery(time.Time{}, e.Time, nil, &falseV)
		q.SetField(fDate)
		return q
	case "after":
		q := query.NewDateRangeInclusiveQuery(e.Time, time.Time{}, &trueV, nil)
		q.SetField(fDate)
		return q
	}
	return query.NewMatchNoneQuery()
}

// A zero time leaves that end of a date range open.
var trueV, falseV = true, false

// match is a term query for a value that analyses to one term, a phrase
// query for one that analyses to several, and nil for one that analyses to
// none.
func (c *compiler) match(field, analyzer, v string) query.Query {
	ts := c.tokens(analyzer, v)
	switch len(ts) {
	case 0:
		return nil
	case 1:
		return termQ(field, ts[0])
	}
	return query.NewPhraseQuery(ts, field)
}

func (c *compiler) prefix(v string, negated bool) query.Query {
	ts := c.tokens(anText, v)
	if len(ts) == 0 {
		return query.NewMatchNoneQuery()
	}
	p := ts[len(ts)-1]
	if !negated {
		c.marks.prefixes = append(c.marks.prefixes, p)
	}
	var qs []query.Query
	for _, f := range textFields {
		if f.analyzer == anLower || c.kind != "" && f.kind != c.kind {
			continue
		}
		q := query.NewPrefixQuery(p)
		q.SetField(f.name)
		qs = append(qs, q)
	}
	return disjunction(qs)
}

// address: a name, a local part or a domain is a word or phrase among the
// names and address parts. A whole address is also an exact term, which
// is what normally matches; the phrase then only adds display names that
// are themselves that address ("bob@x.com" <other@y.com>), as in notmuch.
func (c *compiler) address(whole, parts, v string) query.Query {
	phrase := c.match(parts, anAddr, strings.TrimPrefix(v, "@"))
	if at := strings.IndexByte(v, '@'); at > 0 && at < len(v)-1 && !strings.ContainsAny(v, " \t<>") {
		if phrase == nil {
			return c.exact(whole, v)
		}
		return query.NewDisjunctionQuery([]query.Query{c.exact(whole, v), phrase})
	}
	return orNone(phrase)
}

func (c *compiler) exact(field, v string) query.Query {
	ts := c.tokens(anLower, v)
	if len(ts) != 1 {
		return query.NewMatchNoneQuery()
	}
	return termQ(field, ts[0])
}

func termQ(field, term string) query.Query {
	q := query.NewTermQuery(term)
	q.SetField(field)
	return q
}

func disjunction(qs []query.Query) query.Query {
	switch len(qs) {
	case 0:
		return query.NewMatchNoneQuery()
	case 1:
		return qs[0]
	}
	return query.NewDisjunctionQuery(qs)
}

func orNone(q query.Query) query.Query {
	if q == nil {
		return query.NewMatchNoneQuery()
	}
	return q
}

// filtersOnly reports whether e has no words to rank by: every term is an
// operator that selects (from:, to:, in:, is:, has:, before:, after:, tag:,
// stage:, pipeline:), and excluded words do not rank either.
func filtersOnly(e Expr) bool {
	switch e := e.(type) {
	case *AndExpr:
		return !slices.ContainsFunc(e.Items, notFilter)
	case *OrExpr:
		return !slices.ContainsFunc(e.Items, notFilter)
	case *NotExpr:
		return true
	case *TermExpr:
		return e.Field != "" && e.Field != "subject"
	}
	return false
}

func notFilter(e Expr) bool { return !filtersOnly(e) }
