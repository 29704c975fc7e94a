package capture

import (
	"cmp"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// Result is the verdict on one message.
type Result struct {
	// Score is the lead-signal score in 0..1.
	Score float64 `json:"score"`
	// Label is Lead when Score reaches the model's threshold.
	Label Label `json:"label"`
	// Category is the most likely kind of mail; HotLead exactly when
	// Label is Lead.
	Category Category `json:"category"`
	// Reasons are the signals that moved the score most, strongest first.
	Reasons []Reason `json:"reasons"`
}

// Reason is one signal in words, with its effect on the lead score in
// log-odds: positive pushes towards a lead, negative away from one.
type Reason struct {
	Text   string  `json:"text"`
	Effect float64 `json:"effect"`
}

func (r Reason) String() string { return fmt.Sprintf("%+.1f %s", r.Effect, r.Text) }

// Classifier scores messages with a base model and, optionally, a layer
// learned from the owner's corrections. It is safe for concurrent use;
// the layer can be swapped while messages are being scored.
type Classifier struct {
	model *Model
	layer atomic.Pointer[Layer]
}

// New returns a classifier for m with no learned layer.
func New(m *Model) *Classifier { return &Classifier{model: m} }

// NewShipped returns a classifier for the model built into the binary.
func NewShipped() (*Classifier, error) {
	m, err := Shipped()
	if err != nil {
		return nil, err
	}
	return New(m), nil
}

// SetLayer replaces the learned layer; nil removes it.
func (c *Classifier) SetLayer(l *Layer) { c.layer.Store(l) }

// Model returns the base model.
func (c *Classifier) Model() *Model { return c.model }

// maxMessageBytes bounds how much of a message ClassifyReader reads: the
// header and the opening text are all the model looks at.
const maxMessageBytes = 256 << 10

// ClassifyReader reads one message from r and classifies it. Only a read
// error fails it; malformed mail is scored on what could be parsed.
func (c *Classifier) ClassifyReader(r io.Reader, o Owner) (Result, error) {
	raw, err := io.ReadAll(io.LimitReader(r, maxMessageBytes))
	if err != nil {
		return Result{}, fmt.Errorf("read message: %w", err)
	}
	return c.Classify(raw, o), nil
}

var scratchPool = sync.Pool{New: func() any { return new(vector) }}

// Classify scores one RFC 5322 message for owner o.
func (c *Classifier) Classify(raw []byte, o Owner) Result {
	x := scratchPool.Get().(*vector)
	defer scratchPool.Put(x)
	parse(raw, &x.env)
	x.build(&o)
	return c.score(x, true)
}

// scores computes the per-category logits of the base model.
func (m *Model) logits(x *vector, out *[numClasses]float64) {
	var acc [numClasses]float32
	w := m.w
	for _, f := range x.feats {
		if !m.isUsed(f.idx) {
			continue
		}
		row := w[int(f.idx)*numClasses : int(f.idx)*numClasses+numClasses : int(f.idx)*numClasses+numClasses]
		for k := range acc {
			acc[k] += row[k] * f.val
		}
	}
	for k := range acc {
		out[k] = float64(acc[k])
	}
}

// leadLogit is the log-odds of HotLead against every other category, and
// the most likely other category.
func leadLogit(z *[numClasses]float64) (float64, int) {
	rival, best := 1, math.Inf(-1)
	for k := 1; k < numClasses; k++ {
		if z[k] > best {
			rival, best = k, z[k]
		}
	}
	sum := 0.0
	for k := 1; k < numClasses; k++ {
		sum += math.Exp(z[k] - best)
	}
	return z[0] - (best + math.Log(sum)), rival
}

func sigmoid(v float64) float64 { return 1 / (1 + math.Exp(-v)) }

func round2(v float64) float64 { return math.Round(v*100) / 100 }

func (c *Classifier) score(x *vector, withReasons bool) Result {
	var z [numClasses]float64
	c.model.logits(x, &z)
	ll, rival := leadLogit(&z)
	capped := x.capped && ll > leadCap
	var cut float64
	if capped {
		cut = leadCap - ll
		ll = leadCap
	}
	layer := c.layer.Load()
	if layer != nil {
		ll += layer.delta(x)
	}
	res := Result{Score: sigmoid(ll), Label: NotLead, Category: Categories[rival]}
	if res.Score >= c.model.Threshold {
		res.Label, res.Category = Lead, HotLead
	}
	if withReasons {
		res.Reasons = c.reasons(x, rival, layer)
		if capped {
			res.Reasons = slices.Insert(res.Reasons, 0, Reason{Text: "Mailing-list, automated or internal mail is not treated as a lead", Effect: round2(cut)})
		}
	}
	return res
}

// leadCap caps the base model's lead log-odds for mailing-list and
// automated mail (List-Id, List-Unsubscribe, Precedence: bulk/list,
// Auto-Submitted) and for mail from the owner's own organisation, unless
// it replies to the owner's outreach: people asking to buy write from
// their own mail client, which sets none of these headers, and colleagues
// are not inbound leads. The learned layer still applies on top, so an
// owner who converts such mail teaches the classifier otherwise.
const leadCap = -1.0

// minEffect is the smallest effect, in log-odds, worth telling the user.
const minEffect = 0.35

// reasons explains a score: each named feature's pull towards a lead
// against the most likely other category, the words' pull taken together
// (naming the strongest words), and what the learned layer added.
func (c *Classifier) reasons(x *vector, rival int, layer *Layer) []Reason {
	w := c.model.w
	effect := func(f feat) float64 {
		row := w[int(f.idx)*numClasses:]
		return float64((row[0] - row[rival]) * f.val)
	}
	var out []Reason // nil when there is no reason
	add := func(r Reason) {
		if out == nil {
			// Room for the usual few and the list cap's reason, which
			// score puts in front.
			out = make([]Reason, 0, 8)
		}
		out = append(out, r)
	}
	var text float64
	for _, f := range x.feats {
		if f.idx < numNamed {
			if f.idx == fBias {
				continue
			}
			e := effect(f)
			if layer != nil {
				e += float64(layer.weight(f.idx) * f.val * layerNamedScale)
			}
			if math.Abs(e) >= minEffect {
				add(Reason{Text: namedFeatures[f.idx].reason, Effect: e})
			}
			continue
		}
		if c.model.isUsed(f.idx) {
			text += effect(f)
		}
	}
	if math.Abs(text) >= minEffect {
		add(Reason{Text: c.wordsReason(x, rival, text > 0), Effect: text})
	}
	if layer != nil {
		var lt float64
		for _, f := range x.feats {
			if f.idx >= numNamed {
				lt += float64(layer.weight(f.idx) * f.val)
			}
		}
		if math.Abs(lt) >= minEffect {
			verb := "converted"
			if lt < 0 {
				verb = "dismissed"
			}
			add(Reason{Text: "Worded like mail you " + verb + " before", Effect: lt})
		}
		if s := float64(layer.weight(x.sender[0]) + layer.weight(x.sender[1])); math.Abs(s) >= minEffect {
			verb := "converted"
			if s < 0 {
				verb = "dismissed"
			}
			add(Reason{Text: "You " + verb + " mail from this sender before", Effect: s})
		}
	}
	slices.SortStableFunc(out, func(a, b Reason) int { return cmp.Compare(math.Abs(b.Effect), math.Abs(a.Effect)) })
	if len(out) > 6 {
		out = out[:6]
	}
	for i := range out {
		out[i].Effect = round2(out[i].Effect)
	}
	return out
}

// wordsReason names the three words that pulled hardest in the direction
// the text as a whole pulled.
func (c *Classifier) wordsReason(x *vector, rival int, towardLead bool) string {
	type cand struct {
		ref word
		e   float32
	}
	var top [3]cand
	for _, r := range x.wordRef {
		if !c.model.isUsed(r.idx) {
			continue
		}
		row := c.model.w[int(r.idx)*numClasses:]
		e := row[0] - row[rival]
		if !towardLead {
			e = -e
		}
		if e <= top[2].e || r.end-r.off < 2 {
			continue
		}
		// The same word again has the same bucket and weight.
		if r.idx == top[0].ref.idx || r.idx == top[1].ref.idx || r.idx == top[2].ref.idx {
			continue
		}
		top[2] = cand{r, e}
		for i := 2; i > 0 && top[i].e > top[i-1].e; i-- {
			top[i], top[i-1] = top[i-1], top[i]
		}
	}
	kind := "inbound inquiries"
	if !towardLead {
		kind = categoryPhrase[Categories[rival]]
	}
	// "Wording typical of kind: “w1”, “w2”, “w3”", built in one piece.
	const lead, open, shut = "Wording typical of ", "“", "”"
	size := len(lead) + len(kind)
	for _, t := range top {
		if t.e > 0 {
			size += len(", ") + len(open) + int(t.ref.end-t.ref.off) + len(shut)
		}
	}
	var b strings.Builder
	b.Grow(size)
	b.WriteString(lead)
	b.WriteString(kind)
	sep := ": "
	for _, t := range top {
		if t.e > 0 {
			b.WriteString(sep)
			b.WriteString(open)
			b.Write(x.words[t.ref.off:t.ref.end])
			b.WriteString(shut)
			sep = ", "
		}
	}
	return b.String()
}

var categoryPhrase = map[Category]string{
	HotLead:     "inbound inquiries",
	Customer:    "existing customers",
	VendorPitch: "sales pitches to you",
	Newsletter:  "newsletters and promotions",
	Notify:      "automated notifications",
	Personal:    "personal mail",
	Other:       "other mail",
}
