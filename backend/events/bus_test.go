package events

import "testing"

func TestBusFansOut(t *testing.T) {
	b := NewBus()
	a, c := b.Subscribe(4), b.Subscribe(4)
	b.Publish("mail.new", 1)
	for _, s := range []*Subscription{a, c} {
		if ev := <-s.C; ev.Type != "mail.new" || ev.Data != 1 {
			t.Fatalf("got %+v", ev)
		}
	}
	a.Cancel()
	if _, ok := <-a.C; ok {
		t.Fatal("cancelled subscription still open")
	}
	b.Publish("mail.new", 2)
	if ev := <-c.C; ev.Data != 2 {
		t.Fatalf("got %+v after the other subscriber left", ev)
	}
	b.Close()
	if _, ok := <-c.C; ok {
		t.Fatal("Close left a subscription open")
	}
}

func TestSlowSubscriberIsToldItLagged(t *testing.T) {
	b := NewBus()
	s := b.Subscribe(3)
	for i := 0; i < 10; i++ {
		b.Publish("sync.progress", i) // must not block
	}
	var types []string
	for len(s.C) > 0 {
		types = append(types, (<-s.C).Type)
	}
	want := []string{"sync.progress", "sync.progress", "stream.lagged"}
	if len(types) != len(want) {
		t.Fatalf("got %v; want %v", types, want)
	}
	for i := range want {
		if types[i] != want[i] {
			t.Fatalf("got %v; want %v", types, want)
		}
	}
	b.Publish("sync.progress", 99)
	if ev := <-s.C; ev.Data != 99 {
		t.Fatalf("after draining, got %+v", ev)
	}
}
