package outbox

import (
	"context"
	"errors"
	"fmt"
)

// ThreadRecorder puts a sent message into the mail store and its thread
// at once, without waiting for the next sync of Sent. The mail package
// implements it; it must be idempotent by Message-ID, since the sync will
// later see the same message in Sent.
type ThreadRecorder interface {
	RecordSent(ctx context.Context, it Item, raw []byte) error
}

// FollowUpCreator creates the "no reply" follow-up after a send in a
// thread linked to a lead, when the lead's pipeline has followup_after_send
// and no follow-up is pending for the thread. The CRM package implements
// it; it must be idempotent (a second call for the same item does nothing).
type FollowUpCreator interface {
	AfterSend(ctx context.Context, it Item) error
}

// AfterSend is the usual SentHook: record the message in its thread, then
// create the follow-up, then append the copy to Sent. Any field may be nil.
// The first two are local and quick, so the thread view and the follow-up
// update at once; the APPEND needs the network and may be retried.
type AfterSend struct {
	Threads   ThreadRecorder
	FollowUps FollowUpCreator
	Sent      Appender
}

// Hook returns the SentHook. Each step runs even if an earlier one failed;
// the hook fails if any did, and the Sender then reruns the whole hook,
// which the idempotent steps allow.
func (a AfterSend) Hook() SentHook {
	return func(ctx context.Context, it Item, raw []byte) error {
		var errs []error
		if a.Threads != nil {
			if err := a.Threads.RecordSent(ctx, it, raw); err != nil {
				errs = append(errs, fmt.Errorf("add the sent message to its thread: %w", err))
			}
		}
		if a.FollowUps != nil {
			if err := a.FollowUps.AfterSend(ctx, it); err != nil {
				errs = append(errs, fmt.Errorf("create the follow-up: %w", err))
			}
		}
		if a.Sent != nil {
			if err := a.Sent.AppendSent(ctx, it.AccountID, WithBcc(raw, it.Bcc), it.SentAt); err != nil {
				errs = append(errs, fmt.Errorf("copy the message to Sent: %w", err))
			}
		}
		return errors.Join(errs...)
	}
}
