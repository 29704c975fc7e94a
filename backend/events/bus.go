// Package events is the in-process bus that carries typed notifications
// (new mail, sync progress, lead changes, reminders) from the parts that
// cause them to the parts that react: the UI push stream, and later
// automation rules.
package events

import (
	"sync"
	"time"
)

// Event is one notification. Type is dotted, e.g. "lead.stage_changed";
// Data must encode to JSON.
type Event struct {
	Type string    `json:"type"`
	Time time.Time `json:"time"`
	Data any       `json:"data,omitempty"`
}

// Bus fans events out to subscribers. Publish never blocks: a subscriber
// that falls more than its buffer behind loses events and is told so with a
// "stream.lagged" event, so a stuck UI cannot stall a sync.
type Bus struct {
	mu     sync.Mutex
	subs   map[*Subscription]struct{}
	closed bool
}

// Subscription receives events on C until Cancel is called or the bus closes.
type Subscription struct {
	C      <-chan Event
	c      chan Event
	bus    *Bus
	lagged bool
}

// NewBus returns an empty bus.
func NewBus() *Bus { return &Bus{subs: map[*Subscription]struct{}{}} }

// Subscribe registers a subscriber with room for buffer pending events.
func (b *Bus) Subscribe(buffer int) *Subscription {
	c := make(chan Event, buffer)
	s := &Subscription{C: c, c: c, bus: b}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		close(c)
		return s
	}
	b.subs[s] = struct{}{}
	return s
}

// Cancel stops delivery and closes C.
func (s *Subscription) Cancel() {
	b := s.bus
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.subs[s]; ok {
		delete(b.subs, s)
		close(s.c)
	}
}

// Publish sends an event of the given type to every subscriber.
func (b *Bus) Publish(typ string, data any) {
	ev := Event{Type: typ, Time: time.Now().UTC(), Data: data}
	b.mu.Lock()
	defer b.mu.Unlock()
	for s := range b.subs {
		if len(s.c) == cap(s.c)-1 && cap(s.c) > 1 {
			// Keep the last slot for the lag notice.
			if !s.lagged {
				s.lagged = true
				s.c <- Event{Type: "stream.lagged", Time: ev.Time}
			}
			continue
		}
		select {
		case s.c <- ev:
			s.lagged = false
		default:
		}
	}
}

// Close ends every subscription; later Subscribe calls get a closed channel.
func (b *Bus) Close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	for s := range b.subs {
		close(s.c)
		delete(b.subs, s)
	}
}
