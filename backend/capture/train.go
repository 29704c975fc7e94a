package capture

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Example is one labelled message of a training or evaluation set.
type Example struct {
	Name     string // path relative to the set's directory
	Raw      []byte
	Category Category
}

// Lead reports whether the example is labelled a lead.
func (e Example) Lead() bool { return e.Category == HotLead }

// LoadExamples reads a labelled set: dir/<category>/*.eml, the directory
// naming each message's category. Files are returned in name order so
// training is reproducible.
func LoadExamples(dir string) ([]Example, error) {
	var out []Example
	for _, c := range Categories {
		files, err := filepath.Glob(filepath.Join(dir, string(c), "*.eml"))
		if err != nil {
			return nil, err
		}
		sort.Strings(files)
		for _, f := range files {
			raw, err := os.ReadFile(f)
			if err != nil {
				return nil, err
			}
			rel, _ := filepath.Rel(dir, f)
			out = append(out, Example{Name: filepath.ToSlash(rel), Raw: raw, Category: c})
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("capture: no <category>/*.eml messages under %s", dir)
	}
	return out, nil
}

// OwnerFile is the mailbox owner the training and evaluation sets were
// written for (trainingdata/owner.json).
type OwnerFile struct {
	Addresses []string `json:"addresses"`
	Contacts  []string `json:"contacts"`
}

// LoadOwner reads an owner file into an Owner whose contacts are the
// file's list; own outreach is recognised by Message-ID domain.
func LoadOwner(path string) (Owner, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return Owner{}, err
	}
	var f OwnerFile
	if err := json.Unmarshal(raw, &f); err != nil {
		return Owner{}, fmt.Errorf("%s: %w", path, err)
	}
	known := map[string]bool{}
	for _, c := range f.Contacts {
		known[strings.ToLower(c)] = true
	}
	return Owner{Addresses: f.Addresses, KnownContact: func(a string) bool { return known[a] }}, nil
}

// Training hyper-parameters. Changing any of them changes the shipped
// weights; TestShippedModelIsReproducible notices.
const (
	trainEpochs    = 40
	trainRate      = 0.5
	trainL2        = 0.01
	trainL2Named   = 0.05
	trainSeed      = 7
	trainThreshold = 0.5
	// deployLeadPrior is the share of leads among the mail the model is
	// meant for. The training set holds far more leads than an inbox does
	// (to teach what they look like), so the lead bias is moved from the
	// training share to this one after fitting (a standard prior-shift
	// correction for a discriminative model).
	deployLeadPrior = 0.10
)

// Train fits the base model to examples by stochastic gradient descent on
// the multinomial logistic loss with L2 regularisation. It is
// deterministic: the same examples give the same bytes.
func Train(examples []Example, o Owner) (*Model, error) {
	type sample struct {
		feats []feat
		class int
	}
	samples := make([]sample, len(examples))
	x := new(vector)
	// Some callers know nothing about the owner's contacts (the classify
	// command without a data directory, a fresh install): every third
	// example is seen that way too, so the model does not depend on it.
	noContacts := o
	noContacts.KnownContact = nil
	for i, ex := range examples {
		c, err := categoryIndex(ex.Category)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", ex.Name, err)
		}
		parse(ex.Raw, &x.env)
		if i%3 == 2 {
			x.build(&noContacts)
		} else {
			x.build(&o)
		}
		samples[i] = sample{feats: append([]feat(nil), x.feats...), class: c}
	}
	w := make([]float64, numFeatures*numClasses)
	order := make([]int, len(samples))
	for i := range order {
		order[i] = i
	}
	rng := rand.New(rand.NewPCG(trainSeed, trainSeed))
	var p [numClasses]float64
	for epoch := 0; epoch < trainEpochs; epoch++ {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		rate := trainRate / (1 + 0.1*float64(epoch))
		for _, i := range order {
			s := samples[i]
			for k := range p {
				p[k] = 0
			}
			for _, f := range s.feats {
				row := w[int(f.idx)*numClasses:]
				for k := range p {
					// The conversions round each product, so no platform
					// fuses them into an FMA and the weights stay the same
					// everywhere.
					p[k] += float64(row[k] * float64(f.val))
				}
			}
			softmax(&p)
			for k := range p {
				g := p[k]
				if k == s.class {
					g -= 1
				}
				p[k] = g
			}
			for _, f := range s.feats {
				row := w[int(f.idx)*numClasses:]
				for k := range p {
					row[k] -= float64(rate * float64(p[k]*float64(f.val)))
				}
			}
		}
		// Cue features are regularised harder than the rest: each is one
		// hand-chosen list of phrases, and none should decide a message
		// alone. Header signals are facts about the message and keep the
		// ordinary penalty.
		decay := 1 - rate*trainL2
		decayNamed := 1 - rate*trainL2Named
		for i := numClasses; i < len(w); i++ { // the bias row is not regularised
			if i >= fCuePricing*numClasses && i < numNamed*numClasses {
				w[i] *= decayNamed
			} else {
				w[i] *= decay
			}
		}
	}
	leads := 0
	for _, s := range samples {
		if s.class == 0 {
			leads++
		}
	}
	if leads > 0 && leads < len(samples) {
		trainPrior := float64(leads) / float64(len(samples))
		w[fBias*numClasses+0] += logit(deployLeadPrior) - logit(trainPrior)
	}
	m := &Model{Threshold: trainThreshold, w: make([]float32, len(w))}
	for i, v := range w {
		// Round away the last bits so tiny platform differences in
		// floating point cannot change the file.
		m.w[i] = float32(math.Round(v*1e5) / 1e5)
	}
	m.indexUsed()
	return m, nil
}

func softmax(z *[numClasses]float64) {
	m := math.Inf(-1)
	for _, v := range z {
		m = math.Max(m, v)
	}
	s := 0.0
	for k, v := range z {
		z[k] = math.Exp(v - m)
		s += z[k]
	}
	for k := range z {
		z[k] /= s
	}
}

func logit(p float64) float64 { return math.Log(p / (1 - p)) }
