package capture

import (
	_ "embed"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"sync"
)

//go:generate go run ./internal/gentrain -out trainingdata/train -owner trainingdata/owner.json
//go:generate go run ./internal/train -data trainingdata/train,trainingdata/handwritten -owner trainingdata/owner.json -out model.bin

// shippedModel is the model trained from trainingdata/train at build time.
//
//go:embed model.bin
var shippedModel []byte

// Model holds the weights of the base classifier: one weight per feature
// and category of a multinomial logistic regression over the named
// features and the hashed words of a message.
type Model struct {
	// Threshold is the lead score at and above which a message is a lead.
	Threshold float64
	w         []float32 // numFeatures × numClasses, row-major
	// used has the bit of each feature whose weights are not all zero:
	// most words of real mail hash to buckets the training set never
	// filled, and scoring skips their rows instead of fetching them from
	// memory. Skipping changes no score: every sum starts at +0, no
	// addition makes it -0, and adding a zero to any other value leaves
	// it as it was.
	used []uint64
}

// indexUsed fills m.used from the weights.
func (m *Model) indexUsed() {
	m.used = make([]uint64, (numFeatures+63)/64)
	for i := 0; i < numFeatures; i++ {
		if !zeroRow(m.w[i*numClasses : (i+1)*numClasses]) {
			m.used[i/64] |= 1 << (i % 64)
		}
	}
}

// isUsed reports whether feature i has a non-zero weight.
func (m *Model) isUsed(i uint32) bool { return m.used[i/64]&(1<<(i%64)) != 0 }

var loadShipped = sync.OnceValues(func() (*Model, error) { return UnmarshalModel(shippedModel) })

// Shipped returns the model built into the binary.
func Shipped() (*Model, error) { return loadShipped() }

const modelMagic = "TLCAPTURE1\n"

// MarshalBinary encodes the model: a magic line, the named-feature names
// (so a model trained for another feature list is refused), the sizes, the
// threshold, then only the non-zero rows as (index, weights). The encoding
// is deterministic, so retraining can be compared byte for byte.
func (m *Model) MarshalBinary() ([]byte, error) {
	b := []byte(modelMagic)
	b = binary.LittleEndian.AppendUint32(b, numNamed)
	for _, f := range namedFeatures {
		b = binary.LittleEndian.AppendUint16(b, uint16(len(f.name)))
		b = append(b, f.name...)
	}
	b = binary.LittleEndian.AppendUint32(b, textBuckets)
	b = binary.LittleEndian.AppendUint32(b, numClasses)
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(m.Threshold))
	rows := 0
	for i := 0; i < numFeatures; i++ {
		if !zeroRow(m.w[i*numClasses : (i+1)*numClasses]) {
			rows++
		}
	}
	b = binary.LittleEndian.AppendUint32(b, uint32(rows))
	for i := 0; i < numFeatures; i++ {
		row := m.w[i*numClasses : (i+1)*numClasses]
		if zeroRow(row) {
			continue
		}
		b = binary.LittleEndian.AppendUint32(b, uint32(i))
		for _, v := range row {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
		}
	}
	return b, nil
}

func zeroRow(r []float32) bool {
	for _, v := range r {
		if v != 0 {
			return false
		}
	}
	return true
}

var errModelFormat = errors.New("capture: model file is damaged or from another version (run go generate ./backend/capture)")

// UnmarshalModel decodes a model written by MarshalBinary.
func UnmarshalModel(b []byte) (*Model, error) {
	if len(b) < len(modelMagic) || string(b[:len(modelMagic)]) != modelMagic {
		return nil, errModelFormat
	}
	b = b[len(modelMagic):]
	u32 := func() (uint32, bool) {
		if len(b) < 4 {
			return 0, false
		}
		v := binary.LittleEndian.Uint32(b)
		b = b[4:]
		return v, true
	}
	n, ok := u32()
	if !ok || n != numNamed {
		return nil, fmt.Errorf("%w: it has %d named features, this build %d", errModelFormat, n, numNamed)
	}
	for _, f := range namedFeatures {
		if len(b) < 2 {
			return nil, errModelFormat
		}
		l := int(binary.LittleEndian.Uint16(b))
		b = b[2:]
		if len(b) < l || string(b[:l]) != f.name {
			return nil, fmt.Errorf("%w: named feature %q differs", errModelFormat, f.name)
		}
		b = b[l:]
	}
	buckets, ok1 := u32()
	classes, ok2 := u32()
	if !ok1 || !ok2 || buckets != textBuckets || classes != numClasses || len(b) < 12 {
		return nil, errModelFormat
	}
	m := &Model{Threshold: math.Float64frombits(binary.LittleEndian.Uint64(b)), w: make([]float32, numFeatures*numClasses)}
	b = b[8:]
	rows, _ := u32()
	for r := uint32(0); r < rows; r++ {
		idx, ok := u32()
		if !ok || idx >= numFeatures || len(b) < 4*numClasses {
			return nil, errModelFormat
		}
		for c := 0; c < numClasses; c++ {
			m.w[int(idx)*numClasses+c] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*c:]))
		}
		b = b[4*numClasses:]
	}
	if len(b) != 0 {
		return nil, errModelFormat
	}
	m.indexUsed()
	return m, nil
}
