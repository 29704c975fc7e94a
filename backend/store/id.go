package store

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"sync"
	"time"
)

var idState struct {
	sync.Mutex
	lastMillis uint64
	seq        uint16
}

// NewID returns a 20-character id that sorts by creation time: 12 hex
// digits of milliseconds since the epoch, 4 of a counter within the
// millisecond and 4 random ones. Sorting keys by id therefore lists records
// oldest first without a separate index.
func NewID() string {
	idState.Lock()
	ms := uint64(time.Now().UnixMilli())
	if ms <= idState.lastMillis {
		ms = idState.lastMillis
		idState.seq++
		if idState.seq == 0 {
			ms++
		}
	} else {
		idState.seq = 0
	}
	idState.lastMillis = ms
	seq := idState.seq
	idState.Unlock()

	var millis [8]byte
	binary.BigEndian.PutUint64(millis[:], ms)
	var b [10]byte
	copy(b[:6], millis[2:])
	binary.BigEndian.PutUint16(b[6:8], seq)
	_, _ = rand.Read(b[8:])
	return hex.EncodeToString(b[:])
}
