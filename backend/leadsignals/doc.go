// Package leadsignals turns synced mail into the board's Signals and keeps
// leads in step with their mail. It is the background job between the
// mail store, the lead-capture model (package capture) and the CRM:
//
//   - every new inbound message on a thread that no lead owns is scored by
//     the classifier for the account's owner; the thread's signal is its
//     best-scoring inbound message;
//   - every new message, inbound or outbound, on a thread linked to a lead
//     is recorded on that lead (crm.RecordMail: last activity, engagement,
//     timeline, no-reply follow-ups);
//   - converting a signal makes a lead and teaches the classifier that the
//     message was one; dismissing it teaches the opposite.
//
// # Exactly once, without slowing the sync
//
// The mail service calls OnStore inside the very transaction that stores
// new messages; the job writes one queue key per message there. So a
// message is stored if and only if it is queued, whatever crashes. The
// job works through the queue on its own goroutine (the sync only pays
// for the queue keys) and removes a queue key in the same transaction that
// writes what processing the message produced (the signal, the sent-to
// index) and the message's done marker, which makes a message that is
// queued twice (backfill) processed once. The one effect outside that transaction, crm.RecordMail, is
// idempotent by Message-ID, so a crash between it and the commit repeats it
// harmlessly. A restart therefore processes exactly the messages whose
// queue keys remain.
//
// # Store layout
//
// First key part "lsig", owned by this package ("/" stands for NUL):
//
//	lsig/queue/{seq}/{message key}   ""      a stored message not processed yet;
//	                                         seq is a store.NewID, so oldest first
//	lsig/thread/{thread id}          Signal  the thread's best inbound message and its score
//	lsig/done/{message key}          ""      the message has been processed
//	lsig/sentto/{address}            ""      an address the owner has written to
//	lsig/backfilled                  ""      mail stored before this job existed is queued
package leadsignals
