// Package mail keeps the user's mail accounts and syncs their IMAP folders
// into the local store, threads the messages, and imports mbox and Maildir
// archives.
//
// # Store layout
//
// All keys are store.Key parts (NUL-joined). The package owns these first
// parts:
//
//	acct    / id                                  Account (no secrets: those are in the OS keychain)
//	mfolder / account / mailbox                   FolderState: UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ, window
//	msg     / key                                 Message: parsed fields, flags, locations, thread id
//	mraw    / key                                 the raw RFC 5322 bytes, exactly as fetched
//	mtext   / key                                 the plain-text body (at most 256 KiB)
//	mloc    / account / mailbox / %08x uidvalidity / %08x uid
//	                                              location → {message key, flags, modseq, internal date}
//	thread  / id                                  thread summary and members, or a merge pointer
//	tref    / Message-ID                          thread that owns (or references) a Message-ID
//	tsubj   / base subject                        thread that last used a base subject
//	tlist   / %016x inverted last date / thread   newest-first thread list
//
// A message key is derived from the Message-ID ("m" + SHA-256 prefix), or
// from the content for mail without one ("h" + SHA-256 of the bytes with
// LF line ends). The same message in several folders, accounts or imports
// is therefore one record with several locations.
//
// Messages the user sends are recorded by RecordSent as soon as the server
// accepts them, under the same key, so the copy the sync later fetches
// from Sent only adds a location. The service also gives the outbox an
// account's SMTP and IMAP settings and identities (outbox.go).
//
// # Atomicity
//
// A batch of fetched messages, their raw bytes, text, locations, thread
// links and thread summaries is committed in one transaction (split in two
// when Badger finds it too large; each part is complete). A folder's state
// (UIDNEXT, HIGHESTMODSEQ) is written only after everything it implies is
// stored. A crash anywhere therefore makes the next sync fetch again, and
// because records are keyed by Message-ID and UID, fetching again never
// duplicates.
//
// Every write or deletion of a message record (putMessage, deleteMessage)
// also records a search change in its transaction, so the search index
// (fed by SearchLoader in the background) can never miss one; the key is
// search␀log␀…, owned by package search.
//
// See docs/architecture.md, section "Mail (backend/mail)", for the sync
// state machine.
package mail
