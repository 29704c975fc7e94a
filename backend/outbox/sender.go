package outbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/emersion/go-smtp"

	"threadline/backend/store"
)

// SentChecker looks for a sent message on the server, to settle an attempt
// that a crash cut off after the point of no return. The mail package
// implements it with an IMAP SEARCH for the Message-ID in the \Sent folder
// (IMAPSentChecker here is a ready implementation).
//
// Found reports whether a message with messageID is there. Conclusive
// reports whether "not found" can be trusted, which is true only for
// accounts whose server files every submitted message in Sent itself
// (Gmail, Outlook.com); for the others our own APPEND had not run yet, so
// absence proves nothing.
type SentChecker interface {
	CheckSent(ctx context.Context, accountID, messageID string) (found, conclusive bool, err error)
}

// SentHook runs after the server accepted a message: the wiring appends a
// copy to Sent (unless the server files it itself), adds the message to its
// thread and creates the no-reply follow-up. It runs at least once per sent
// item, so it must be idempotent. raw is the message as sent.
type SentHook func(ctx context.Context, it Item, raw []byte) error

// Backoff is the delay before attempt n+1 after n failed attempts:
// Base·2^(n-1), capped at Max.
type Backoff struct {
	Base time.Duration
	Max  time.Duration
}

// Delay returns the wait after the given number of failed attempts.
func (b Backoff) Delay(attempts int) time.Duration {
	d := b.Base
	for i := 1; i < attempts && d < b.Max; i++ {
		d *= 2
	}
	return min(d, b.Max)
}

// DefaultBackoff waits 30 s, 1 min, 2 min, … up to 30 min between tries.
var DefaultBackoff = Backoff{Base: 30 * time.Second, Max: 30 * time.Minute}

// Sender is the worker that sends due items. One Sender runs per store;
// the store's directory lock guarantees there is no second process.
type Sender struct {
	Outbox    *Outbox
	Transport Transport
	Checker   SentChecker // may be nil: interrupted sends become "unconfirmed"
	OnSent    SentHook    // may be nil
	Logger    *slog.Logger
	Backoff   Backoff // DefaultBackoff when zero
	// MaxAttempts turns an item failed after that many temporary failures
	// (0 means 200, about four days at the default backoff).
	MaxAttempts int
	// Poll is how often the worker looks for due items without being
	// kicked (default 15 s); it also bounds how late a retry starts.
	Poll time.Duration

	kick      chan struct{}
	lastPrune time.Time
	stop      context.CancelFunc
	done      chan struct{}
	runOnce   sync.Mutex
}

// afterTransmitHook, when set, runs after the server accepted a message and
// before its bookkeeping: the crash test kills the process there.
var afterTransmitHook func(it Item)

// beforeCommitHook, when set, runs when the whole message but not the final
// dot has been written: the crash test kills the process there too.
var beforeCommitHook func(it Item)

func (s *Sender) log() *slog.Logger {
	if s.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Logger
}

// Start sends due items in the background until Stop, beginning with the
// items a previous process left in state sending.
func (s *Sender) Start(ctx context.Context) error {
	if s.Backoff == (Backoff{}) {
		s.Backoff = DefaultBackoff
	}
	if s.MaxAttempts == 0 {
		s.MaxAttempts = 200
	}
	if s.Poll == 0 {
		s.Poll = 15 * time.Second
	}
	s.kick = make(chan struct{}, 1)
	s.Outbox.setKick(s.Kick)
	// The first pass settles what a previous process left unfinished;
	// it runs in the background because it may need the network.
	ctx, s.stop = context.WithCancel(ctx)
	s.done = make(chan struct{})
	go s.loop(ctx)
	return nil
}

// Stop ends the worker and waits for the attempt in progress.
func (s *Sender) Stop() {
	if s.stop == nil {
		return
	}
	s.stop()
	<-s.done
	s.Outbox.setKick(nil)
}

// Kick makes the worker look for due items now (a new message, a retry, or
// a sign that the network is back).
func (s *Sender) Kick() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

func (s *Sender) loop(ctx context.Context) {
	defer close(s.done)
	for {
		next, err := s.RunDue(ctx)
		if err != nil && ctx.Err() == nil {
			s.log().Error("outbox: sending failed", "err", err)
		}
		wait := s.Poll
		if !next.IsZero() {
			wait = min(wait, max(time.Until(next), 10*time.Millisecond))
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-s.kick:
		case <-t.C:
		}
		t.Stop()
	}
}

// Recover settles items left in state sending by a process that died; see
// the package documentation. Start calls it; call it directly only when
// the Sender is not running.
func (s *Sender) Recover(ctx context.Context) error {
	s.runOnce.Lock()
	defer s.runOnce.Unlock()
	return s.recoverAll(ctx)
}

func (s *Sender) recoverAll(ctx context.Context) error {
	items, err := s.Outbox.List(StateSending)
	if err != nil {
		return err
	}
	for _, it := range items {
		if err := s.recoverItem(ctx, it); err != nil {
			return err
		}
	}
	return nil
}

func (s *Sender) recoverItem(ctx context.Context, it Item) error {
	o := s.Outbox
	if it.Phase != phaseCommitting {
		s.log().Info("outbox: resending an attempt cut off before the server could accept it", "id", it.ID)
		_, err := o.transition(it.ID, it.Token, func(it *Item) (string, error) {
			it.State, it.Phase = StateQueued, ""
			it.NextAttempt = o.now().UTC()
			it.LastError = "Threadline stopped while connecting; the message was not sent and will be sent now."
			return "", nil
		})
		return err
	}
	if ctx.Err() != nil {
		// Shutting down: leave it for the next start to settle.
		return nil
	}
	found, conclusive := false, false
	var checkErr error
	if s.Checker != nil {
		cctx, cancel := context.WithTimeout(ctx, checkTimeout)
		found, conclusive, checkErr = s.Checker.CheckSent(cctx, it.AccountID, it.MessageID)
		cancel()
	}
	switch {
	case checkErr == nil && found:
		s.log().Info("outbox: an interrupted send had reached the server", "id", it.ID, "message_id", it.MessageID)
		_, err := o.transition(it.ID, it.Token, func(it *Item) (string, error) {
			it.State, it.Phase, it.LastError = StateSent, "", ""
			it.SentAt = o.now().UTC()
			return "", nil
		})
		return err
	case checkErr == nil && conclusive:
		s.log().Info("outbox: an interrupted send had not reached the server; sending again", "id", it.ID)
		_, err := o.transition(it.ID, it.Token, func(it *Item) (string, error) {
			it.State, it.Phase = StateQueued, ""
			it.NextAttempt = o.now().UTC()
			it.LastError = ""
			return "", nil
		})
		return err
	case checkErr != nil && ctx.Err() == nil && isTemporaryCheck(checkErr):
		// Try again on the next start or Recover; leave it as sending so
		// nothing sends it in the meantime.
		s.log().Warn("outbox: could not check the Sent folder for an interrupted send", "id", it.ID, "err", checkErr)
		_, err := o.transition(it.ID, it.Token, func(it *Item) (string, error) {
			it.LastError = "Threadline stopped while the server was taking this message. " +
				"Checking the Sent folder failed (" + checkErr.Error() + "); it will check again."
			return it.Token, nil
		})
		return err
	}
	reason := "Unconfirmed: Threadline stopped while the server was taking this message, so it may or may not have been sent. " +
		"Look in your Sent folder; if it is not there, press Retry."
	if checkErr != nil {
		reason += " (Checking the Sent folder failed: " + checkErr.Error() + ".)"
	}
	_, err := o.transition(it.ID, it.Token, func(it *Item) (string, error) {
		it.State, it.Phase, it.LastError = StateFailed, "", reason
		return "", nil
	})
	return err
}

// isTemporaryCheck reports whether a failed Sent-folder check is worth
// repeating later (the server was unreachable) rather than giving up.
func isTemporaryCheck(err error) bool { return !IsPermanent(err) }

// RunDue sends every item that is due, one at a time, and reruns OnSent for
// sent items whose hook has not completed. It returns when the next queued
// item falls due (zero if none).
func (s *Sender) RunDue(ctx context.Context) (next time.Time, err error) {
	s.runOnce.Lock()
	defer s.runOnce.Unlock()
	if s.Backoff == (Backoff{}) {
		s.Backoff = DefaultBackoff
	}
	if s.MaxAttempts == 0 {
		s.MaxAttempts = 200
	}
	// Under runOnce no attempt of this process is in flight, so any item
	// still in state sending was cut off: by a crash before this process
	// started, or by a Sent-folder check that could not be made yet.
	if err := s.recoverAll(ctx); err != nil {
		return time.Time{}, err
	}
	queued, err := s.Outbox.List(StateQueued)
	if err != nil {
		return time.Time{}, err
	}
	now := s.Outbox.now()
	for _, it := range queued {
		if ctx.Err() != nil {
			return time.Time{}, ctx.Err()
		}
		if it.NextAttempt.After(now) {
			if next.IsZero() || it.NextAttempt.Before(next) {
				next = it.NextAttempt
			}
			continue
		}
		after, err := s.attempt(ctx, it.ID)
		if err != nil {
			return time.Time{}, err
		}
		if !after.IsZero() && (next.IsZero() || after.Before(next)) {
			next = after
		}
	}
	if err := s.runHooks(ctx); err != nil {
		return next, err
	}
	if now.Sub(s.lastPrune) > time.Hour {
		s.lastPrune = now
		if _, err := s.Outbox.PruneSent(now.Add(-KeepSent)); err != nil {
			return next, err
		}
	}
	return next, nil
}

// attempt sends one item. It returns the item's next attempt time if it
// stays queued, and an error only when the store fails.
func (s *Sender) attempt(ctx context.Context, id string) (time.Time, error) {
	o := s.Outbox
	token := newAttemptToken()
	it, err := o.transition(id, "", func(it *Item) (string, error) {
		if it.State != StateQueued {
			return "", errSkip
		}
		it.State, it.Phase = StateSending, phaseConnecting
		it.Attempts++
		return token, nil
	})
	if errors.Is(err, errSkip) || errors.Is(err, ErrNotFound) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, err
	}
	raw, err := o.Raw(id)
	if err != nil {
		return time.Time{}, err
	}
	committed := false
	commit := func() error {
		if beforeCommitHook != nil {
			beforeCommitHook(*it)
		}
		_, err := o.transition(id, token, func(it *Item) (string, error) {
			it.Phase = phaseCommitting
			return token, nil
		})
		if err == nil {
			committed = true
		}
		return err
	}
	sendErr := s.Transport.Send(ctx, it.AccountID, it.Envelope, raw, commit)
	if sendErr == nil {
		if afterTransmitHook != nil {
			afterTransmitHook(*it)
		}
		sent, err := o.transition(id, token, func(it *Item) (string, error) {
			it.State, it.Phase, it.LastError = StateSent, "", ""
			it.SentAt = o.now().UTC()
			it.NextAttempt = time.Time{}
			return "", nil
		})
		if err != nil {
			// Left in sending/committing: the next start settles it
			// through the SentChecker instead of sending it twice.
			return time.Time{}, fmt.Errorf("record that message <%s> was sent: %w", it.MessageID, err)
		}
		s.log().Info("outbox: sent", "id", id, "message_id", sent.MessageID, "attempts", sent.Attempts)
		return time.Time{}, nil
	}
	if committed && !isRejection(sendErr) {
		// The connection broke after the final dot went out: the server
		// may have taken the message. Settle it as after a crash.
		cur, err := o.Get(id)
		if err != nil {
			return time.Time{}, err
		}
		s.log().Warn("outbox: connection lost while the server was taking a message", "id", id, "err", sendErr)
		return time.Time{}, s.recoverItem(ctx, *cur)
	}
	var nextAttempt time.Time
	permanent := IsPermanent(sendErr)
	_, err = o.transition(id, token, func(it *Item) (string, error) {
		it.Phase = ""
		it.LastError = Explain(sendErr)
		switch {
		case permanent:
			it.State = StateFailed
		case it.Attempts >= s.MaxAttempts:
			it.State = StateFailed
			it.LastError = fmt.Sprintf("Gave up after %d attempts. Last error: %s", it.Attempts, it.LastError)
		default:
			it.State = StateQueued
			it.NextAttempt = o.now().UTC().Add(s.Backoff.Delay(it.Attempts))
			nextAttempt = it.NextAttempt
		}
		return "", nil
	})
	if err != nil {
		return time.Time{}, err
	}
	s.log().Info("outbox: send failed", "id", id, "permanent", permanent, "err", sendErr)
	return nextAttempt, nil
}

// isRejection reports whether err is the server's answer to the final dot,
// which settles the outcome: the server refused the message.
func isRejection(err error) bool {
	var pe *permanentError
	if errors.As(err, &pe) {
		return false
	}
	return IsPermanent(err) || isSMTPReply(err)
}

var errSkip = errors.New("skip")

func newAttemptToken() string { return store.NewID() }

func isSMTPReply(err error) bool {
	var se *smtp.SMTPError
	return errors.As(err, &se)
}

// checkTimeout bounds one Sent-folder check.
const checkTimeout = time.Minute

// hookTimeout bounds one run of the after-send hook, so a hanging IMAP
// server cannot stall sending.
const hookTimeout = 2 * time.Minute

// runHooks runs OnSent for sent items that have not completed it.
func (s *Sender) runHooks(ctx context.Context) error {
	if s.OnSent == nil {
		return nil
	}
	sent, err := s.Outbox.hookPending()
	if err != nil {
		return err
	}
	for _, it := range sent {
		raw, err := s.Outbox.Raw(it.ID)
		if err != nil {
			return err
		}
		hctx, cancel := context.WithTimeout(ctx, hookTimeout)
		err = s.OnSent(hctx, it, raw)
		cancel()
		if err != nil {
			// Not fatal for sending; retried on the next pass.
			s.log().Warn("outbox: after-send step failed; will retry", "id", it.ID, "err", err)
			continue
		}
		if _, err := s.Outbox.transition(it.ID, "", func(it *Item) (string, error) {
			it.PostSentDone = true
			return it.Token, nil
		}); err != nil {
			return err
		}
	}
	return nil
}
