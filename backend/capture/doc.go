// Package capture finds inbound leads in mail, on the device: it scores one
// RFC 5322 message for its mailbox owner with a lead-signal score in 0..1,
// a lead/not_lead label, a category (hot_lead, customer, vendor_pitch,
// newsletter, notification, personal, other) and the reasons, in words,
// that moved the score.
//
// The model is a multinomial logistic regression over two kinds of
// features: named features (mail structure such as List-Id,
// List-Unsubscribe, Precedence, Auto-Submitted, no-reply senders, many
// recipients, a reply to the owner's outreach, an unknown first-contact
// sender, a contact-form notification whose Reply-To is the prospect; and
// intent cues such as "asks for pricing" or "pitches their own product")
// and hashed words and word pairs of the subject and the opening of the
// text. It is trained at build time from trainingdata/train by
// `go generate` (internal/train) into model.bin, which is embedded in the
// binary; TestShippedModelIsReproducible keeps the two in step.
//
// Classify needs no store and no network. The classifier core is pure:
// the owner's context comes in as an Owner, and the learned layer (see
// Learner) persists through the small LayerStore interface, implemented
// on the Threadline store by package layerstore under the key prefix
// "capture".
//
// Only the header fields the model reads and the first text part (at most
// maxTextBytes of decoded text, quoted replies removed) are parsed; broken
// MIME yields a score from whatever could be read, never an error.
package capture
