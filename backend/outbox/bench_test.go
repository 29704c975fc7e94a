package outbox

import (
	"context"
	"testing"
)

func BenchmarkComposeReplyWithAttachment(b *testing.B) {
	parent := &Original{MessageID: "p@x", References: []string{"a@x", "b@x"}, Subject: "Pricing",
		From: []Address{{Name: "Bob", Address: "bob@customer.test"}}, Text: "How much is it?\nThanks", HTML: "<p>How much is it?</p>"}
	d := testDraft()
	d.ReplyTo, d.Quote = parent, true
	d.Attachments = []Attachment{{Filename: "quote.pdf", Data: make([]byte, 200<<10)}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compose(d); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEnqueueAndSend measures one message through the queue and a
// real go-smtp server on loopback, with synced store commits.
func BenchmarkEnqueueAndSend(b *testing.B) {
	srv := startSMTP(b, "")
	st := openStore(b, b.TempDir())
	defer st.Close()
	o := New(st, nil)
	s := &Sender{Outbox: o, Transport: &SMTPTransport{Accounts: staticAccounts{"acct1": loopbackSettings(srv.Port)}}}
	c, err := Compose(testDraft())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		c.MessageID, _ = NewMessageID("example.com")
		if _, err := o.Enqueue(c, Meta{AccountID: "acct1"}); err != nil {
			b.Fatal(err)
		}
		if _, err := s.RunDue(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}
