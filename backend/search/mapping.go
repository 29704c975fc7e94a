package search

import (
	"strings"
	"time"

	"github.com/blevesearch/bleve/v2/analysis/analyzer/custom"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/regexp"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/single"
	"github.com/blevesearch/bleve/v2/mapping"
)

// mappingVersion changes whenever the mapping or the way documents are
// turned into fields changes; an index built with another version is
// rebuilt when it is opened.
const mappingVersion = "11"

// Analyzers.
const (
	// anText: Unicode word segmentation (split at '.' and ':' too, see
	// wordsTokenizer), accents folded to ASCII
	// ("Müller" finds "muller"), lower case. No stemming: users search
	// names and companies, where stemming does more harm than good.
	anText = "tl_text"
	// anAddr splits names and addresses at every non-alphanumeric
	// character, so "alice@mail.example.com" yields alice, mail, example,
	// com and from:example.com is the phrase "example com".
	anAddr = "tl_addr"
	// anLower keeps a whole value as one term, folded and lower-cased:
	// addresses, folders, tags, stage and pipeline names.
	anLower = "tl_lower"
)

// Fields. Text fields keep term vectors because phrase queries need
// positions; keyword fields do not.
const (
	fKind     = "kind"      // "mail" | "lead"
	fFacet    = "facet"     // kind␟account␟folder or kind␟stage␟stage name
	fTitle    = "title"     // stored only: subject or lead name
	fThread   = "thread"    // stored only
	fPlace    = "place"     // stored only: folder or stage name
	fDateSort = "date_sort" // keyword, stored, doc values: sort key
	fDate     = "date"      // datetime: before:, after:

	fSubject = "subject"
	fBody    = "body"
	fFrom    = "from"   // whole addresses
	fFromT   = "from_t" // names and address parts
	fTo      = "to"     // To and Cc, whole addresses
	fToT     = "to_t"
	fAttach  = "attach"
	fFlags   = "flags" // "attachment", "unread"
	fAccount = "account"
	fFolder  = "folder" // lower-cased for in:

	fName     = "name"
	fEmail    = "email"
	fEmailT   = "email_t"
	fCompany  = "company"
	fNotes    = "notes"
	fTags     = "tags"
	fStage    = "stage" // id and name, lower-cased
	fPipeline = "pipeline"
	fCustom   = "custom"
)

// facetSep joins the parts of a facet value; it cannot occur in folder or
// stage names typed by people. One facet field serves the counts per kind,
// per folder and per stage: counting reads a doc-values chunk per field
// for every match, so one field costs a third of three.
const facetSep = "\x1f"

// textFields are what free words search, with the analyzer to use.
var textFields = []struct {
	name, analyzer string
	kind           Kind
}{
	{fSubject, anText, KindMail}, {fBody, anText, KindMail}, {fFromT, anAddr, KindMail},
	{fToT, anAddr, KindMail}, {fAttach, anText, KindMail},
	{fName, anText, KindLead}, {fEmailT, anAddr, KindLead}, {fCompany, anText, KindLead},
	{fNotes, anText, KindLead}, {fCustom, anText, KindLead}, {fTags, anLower, KindLead},
}

func newMapping() (*mapping.IndexMappingImpl, error) {
	im := mapping.NewIndexMapping()
	if err := im.AddCustomAnalyzer(anText, map[string]any{
		"type":          custom.Name,
		"char_filters":  []any{foldFilter},
		"tokenizer":     wordsTokenizer,
		"token_filters": []any{lowercase.Name},
	}); err != nil {
		return nil, err
	}
	if err := im.AddCustomTokenizer("tl_alnum", map[string]any{
		"type":   regexp.Name,
		"regexp": `[\p{L}\p{N}]+`,
	}); err != nil {
		return nil, err
	}
	if err := im.AddCustomAnalyzer(anAddr, map[string]any{
		"type":          custom.Name,
		"char_filters":  []any{foldFilter},
		"tokenizer":     "tl_alnum",
		"token_filters": []any{lowercase.Name},
	}); err != nil {
		return nil, err
	}
	if err := im.AddCustomAnalyzer(anLower, map[string]any{
		"type":          custom.Name,
		"char_filters":  []any{foldFilter},
		"tokenizer":     single.Name,
		"token_filters": []any{lowercase.Name},
	}); err != nil {
		return nil, err
	}
	im.DefaultAnalyzer = anText
	im.StoreDynamic = false
	im.IndexDynamic = false
	im.DocValuesDynamic = false

	dm := mapping.NewDocumentStaticMapping()
	text := func(name, analyzer string) {
		f := mapping.NewTextFieldMapping()
		f.Analyzer = analyzer
		f.Store = false
		f.IncludeInAll = false
		f.IncludeTermVectors = true
		f.DocValues = false
		dm.AddFieldMappingsAt(name, f)
	}
	kw := func(name, analyzer string, docValues, store bool) {
		f := mapping.NewTextFieldMapping()
		f.Analyzer = analyzer
		f.Store = store
		f.IncludeInAll = false
		f.IncludeTermVectors = false
		f.DocValues = docValues
		dm.AddFieldMappingsAt(name, f)
	}
	storedOnly := func(name string) {
		f := mapping.NewTextFieldMapping()
		f.Analyzer = keyword.Name
		f.Index = false
		f.Store = true
		f.IncludeInAll = false
		f.IncludeTermVectors = false
		f.DocValues = false
		dm.AddFieldMappingsAt(name, f)
	}

	kw(fKind, keyword.Name, false, false)
	kw(fFacet, keyword.Name, true, false)
	storedOnly(fTitle)
	storedOnly(fThread)
	storedOnly(fPlace)
	kw(fDateSort, keyword.Name, true, true)
	date := mapping.NewDateTimeFieldMapping()
	date.Store = false
	date.IncludeInAll = false
	date.DocValues = false
	dm.AddFieldMappingsAt(fDate, date)

	for _, f := range textFields {
		if f.analyzer == anLower {
			continue
		}
		text(f.name, f.analyzer)
	}
	for _, name := range []string{fFrom, fTo, fFlags, fAccount, fFolder, fEmail, fTags, fStage, fPipeline} {
		kw(name, anLower, false, false)
	}

	// No "_all" composite field: free words search the text fields one by
	// one, and building the composite cost a sixth of indexing time.
	dm.AddSubDocumentMapping("_all", mapping.NewDocumentDisabledMapping())
	im.DefaultMapping = dm
	return im, nil
}

// dateKey is the sort key for a date: fixed-width UTC text, so that byte
// order is time order.
func dateKey(t time.Time) string {
	if t.IsZero() {
		return "0000-00-00T00:00:00Z"
	}
	return t.UTC().Format("2006-01-02T15:04:05Z")
}

// indexableDate: Bleve rejects dates it cannot hold in int64 nanoseconds,
// and a message with a nonsense Date header must still be indexed.
func indexableDate(t time.Time) bool {
	return !t.IsZero() && t.Year() >= minYear && t.Year() <= maxYear
}

// fields turns a document into the values Bleve indexes.
func fields(d Doc) map[string]any {
	switch d := d.(type) {
	case *MessageDoc:
		m := map[string]any{
			fKind:     string(KindMail),
			fTitle:    d.Subject,
			fThread:   d.ThreadID,
			fPlace:    d.Folder,
			fDateSort: dateKey(d.Date),
			fSubject:  d.Subject,
			fBody:     d.Body,
			fAccount:  d.Account,
			fFolder:   nonEmpty(append([]string{d.Folder}, d.Folders...)...),
			fFacet:    string(KindMail) + facetSep + d.Account + facetSep + d.Folder,
		}
		if indexableDate(d.Date) {
			m[fDate] = d.Date
		}
		from, fromT := addrValues(d.From)
		m[fFrom], m[fFromT] = from, fromT
		to, toT := addrValues(append(append([]Address(nil), d.To...), d.Cc...))
		m[fTo], m[fToT] = to, toT
		if len(d.AttachmentNames) > 0 {
			m[fAttach] = d.AttachmentNames
		}
		var flags []string
		if d.HasAttachment || len(d.AttachmentNames) > 0 {
			flags = append(flags, "attachment")
		}
		if d.Unread {
			flags = append(flags, "unread")
		}
		if flags != nil {
			m[fFlags] = flags
		}
		return m
	case *LeadDoc:
		m := map[string]any{
			fKind:     string(KindLead),
			fTitle:    d.Name,
			fPlace:    d.StageName,
			fDateSort: dateKey(d.UpdatedAt),
			fName:     d.Name,
			fEmail:    d.Email,
			fEmailT:   d.Email,
			fCompany:  d.Company,
			fFacet:    string(KindLead) + facetSep + d.Stage + facetSep + d.StageName,
		}
		if indexableDate(d.UpdatedAt) {
			m[fDate] = d.UpdatedAt
		}
		if len(d.Notes) > 0 {
			m[fNotes] = d.Notes
		}
		if len(d.Tags) > 0 {
			m[fTags] = d.Tags
		}
		if len(d.CustomText) > 0 {
			m[fCustom] = d.CustomText
		}
		m[fStage] = nonEmpty(d.Stage, d.StageName)
		m[fPipeline] = nonEmpty(d.Pipeline, d.PipelineName)
		return m
	}
	return nil
}

func addrValues(as []Address) (whole []string, parts []string) {
	for _, a := range as {
		if a.Addr != "" {
			whole = append(whole, strings.ToLower(a.Addr))
		}
		if s := strings.TrimSpace(a.Name + " " + a.Addr); s != "" {
			parts = append(parts, s)
		}
	}
	return whole, parts
}

func nonEmpty(vs ...string) []string {
	var out []string
	for _, v := range vs {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}
