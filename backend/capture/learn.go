package capture

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"math"
	"sync"
)

// Layer is the owner's learned adjustment to the lead score: a sparse
// weight per feature (the base model's named and word features plus the
// sender's address and domain), added to the base model's lead log-odds.
// A Layer is immutable once built; learning makes a new one.
type Layer struct {
	w      map[uint32]float32
	filter []uint64 // bitset over feature indexes: most lookups miss
}

// NewLayer builds a layer from stored weights.
func NewLayer(w map[uint32]float32) *Layer {
	l := &Layer{w: w, filter: make([]uint64, (numFeatures+63)/64)}
	for i := range w {
		if i < numFeatures {
			l.filter[i/64] |= 1 << (i % 64)
		}
	}
	return l
}

// Weights returns a copy of the layer's weights.
func (l *Layer) Weights() map[uint32]float32 { return maps.Clone(l.w) }

// Len is the number of features the layer adjusts.
func (l *Layer) Len() int { return len(l.w) }

func (l *Layer) weight(i uint32) float32 {
	if i >= numFeatures || l.filter[i/64]&(1<<(i%64)) == 0 {
		return 0
	}
	return l.w[i]
}

// layerNamedScale damps the structural signals in the layer: a correction
// should mostly teach words and senders, not make "unknown sender" a lead
// signal for every future message.
const layerNamedScale = 0.1

// Sender reputation: each conversion or dismissal moves the weight of the
// sender's address and of its organisation's domain by senderStep in
// log-odds, up to ±senderMax. It is a fixed step rather than part of the
// passive-aggressive update because the owner expects one dismissal to
// quiet that sender noticeably, whatever the words of the next message.
const (
	senderStep = 3.0
	senderMax  = 9.0
)

// delta is the layer's contribution to the lead log-odds of x.
func (l *Layer) delta(x *vector) float64 {
	var s float32
	for _, f := range x.feats {
		v := l.weight(f.idx)
		if v == 0 {
			continue
		}
		if f.idx < numNamed {
			s += v * f.val * layerNamedScale
		} else {
			s += v * f.val
		}
	}
	s += l.weight(x.sender[0]) + l.weight(x.sender[1])
	return float64(s)
}

// LayerStore keeps the learned layer durable. SaveCorrection must write
// the correction record and the changed weights atomically.
type LayerStore interface {
	// LoadLayer returns every stored weight.
	LoadLayer() (map[uint32]float32, error)
	// Correction returns the label last learned for a message key.
	Correction(key string) (lead, ok bool, err error)
	// SaveCorrection records the label for key and the new values of the
	// weights the correction changed.
	SaveCorrection(key string, lead bool, changed map[uint32]float32) error
}

// Learning rate bounds of the passive-aggressive update (Crammer et al.,
// "Online Passive-Aggressive Algorithms", 2006, PA-I): each correction
// moves the layer just enough for the corrected message to sit marginLogit
// on the right side of the threshold, and never by more than maxStep.
const (
	marginLogit = 2.0
	maxStep     = 2.0
)

// Learner turns the owner's corrections (convert: a lead; dismiss or
// "not a lead": not one) into the classifier's layer and persists it.
type Learner struct {
	mu sync.Mutex // serialises corrections; scoring never waits for it
	c  *Classifier
	st LayerStore
}

// NewLearner loads the stored layer into c. A nil store keeps the layer in
// memory only.
func NewLearner(c *Classifier, st LayerStore) (*Learner, error) {
	w := map[uint32]float32{}
	if st != nil {
		var err error
		if w, err = st.LoadLayer(); err != nil {
			return nil, fmt.Errorf("capture: load learned layer: %w", err)
		}
	}
	c.SetLayer(NewLayer(w))
	return &Learner{c: c, st: st}, nil
}

// MessageKey identifies a message for correction records: its Message-ID,
// or a hash of its bytes when it has none.
func MessageKey(raw []byte) string {
	var env envelope
	parse(raw, &env)
	return messageKey(&env, raw)
}

func messageKey(e *envelope, raw []byte) string {
	if e.messageID != "" {
		return "id:" + e.messageID
	}
	sum := sha256.Sum256(raw)
	return "sha256:" + hex.EncodeToString(sum[:16])
}

// Learn records that the message raw, received by o, is (lead) or is not a
// lead, and updates the layer so that it and similar messages score
// accordingly. Learning the same label for the same message again changes
// nothing; the opposite label corrects the earlier one.
func (l *Learner) Learn(raw []byte, o Owner, lead bool) (Result, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	x := new(vector)
	parse(raw, &x.env)
	x.build(&o)
	key := messageKey(&x.env, raw)
	if l.st != nil {
		prev, ok, err := l.st.Correction(key)
		if err != nil {
			return Result{}, fmt.Errorf("capture: read correction: %w", err)
		}
		if ok && prev == lead {
			return l.c.score(x, true), nil
		}
	}
	old := l.c.layer.Load()
	if old == nil {
		old = NewLayer(map[uint32]float32{})
	}
	var z [numClasses]float64
	l.c.model.logits(x, &z)
	ll, _ := leadLogit(&z)
	ll += old.delta(x)
	y := -1.0
	if lead {
		y = 1
	}
	changed := map[uint32]float32{}
	if loss := marginLogit - y*ll; loss > 0 {
		// The layer's input vector: the message's features as delta reads
		// them (the sender features are handled below).
		var norm float64
		for _, f := range x.feats {
			v := float64(f.val)
			if f.idx < numNamed {
				v *= layerNamedScale
			}
			norm += v * v
		}
		tau := math.Min(maxStep, loss/norm)
		add := func(i uint32, v float64) {
			cur, ok := changed[i]
			if !ok {
				cur = old.weight(i)
			}
			changed[i] = cur + float32(tau*y*v)
		}
		for _, f := range x.feats {
			switch {
			case f.idx == fBias:
			case f.idx < numNamed:
				add(f.idx, float64(f.val)*layerNamedScale)
			default:
				add(f.idx, float64(f.val))
			}
		}
	}
	for _, i := range x.sender {
		if i == noFeature {
			continue
		}
		cur, ok := changed[i]
		if !ok {
			cur = old.weight(i)
		}
		changed[i] = float32(math.Max(-senderMax, math.Min(senderMax, float64(cur)+y*senderStep)))
	}
	if l.st != nil {
		if err := l.st.SaveCorrection(key, lead, changed); err != nil {
			return Result{}, fmt.Errorf("capture: save correction: %w", err)
		}
	}
	if len(changed) > 0 {
		w := maps.Clone(old.w)
		maps.Copy(w, changed)
		l.c.SetLayer(NewLayer(w))
	}
	return l.c.score(x, true), nil
}
