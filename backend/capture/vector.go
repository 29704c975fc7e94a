package capture

import (
	"bytes"
	"math"
	"slices"
	"strings"
)

// Owner is the mailbox owner a message is scored for: whether a message is
// a lead depends on who receives it. Every field is optional; a signal
// whose input is missing is left out rather than guessed.
type Owner struct {
	// Addresses are the owner's own addresses.
	Addresses []string
	// KnownContact reports whether the owner already corresponds with
	// addr (lower case). Nil means unknown: no contact signal is used.
	KnownContact func(addr string) bool
	// OwnOutreach reports whether any of the Message-IDs (without <>) a
	// message replies to or references is one the owner sent. Nil falls
	// back to matching the ids' domains against the owner's own
	// (non-free-mail) address domains, which most mail clients use.
	OwnOutreach func(msgIDs []string) bool
}

func (o *Owner) isOwn(a string) bool {
	for _, x := range o.Addresses {
		if strings.EqualFold(x, a) {
			return true
		}
	}
	return false
}

func (o *Owner) outreach(ids []string) bool {
	if len(ids) == 0 {
		return false
	}
	if o.OwnOutreach != nil {
		return o.OwnOutreach(ids)
	}
	for _, a := range o.Addresses {
		d := addr{email: strings.ToLower(a)}.domain()
		if d == "" || freeMail[d] {
			continue
		}
		for _, id := range ids {
			if i := strings.LastIndexByte(id, '@'); i >= 0 {
				if r := strings.ToLower(id[i+1:]); r == d || strings.HasSuffix(r, "."+d) {
					return true
				}
			}
		}
	}
	return false
}

// textScale sets the weight of the text against the named features: the
// text of a message has unit-free length textScale, a named feature 1.
var textScale = 3.0

// cueWords is how many opening words (subject included) cue phrases are
// looked for in; longWords is the length from which a message counts as
// long (inquiries rarely are).
const (
	cueWords  = 150
	longWords = 220
)

// sameOrg reports whether domain is one of the owner's own (non-free-mail)
// domains.
func (o *Owner) sameOrg(domain string) bool {
	if domain == "" || freeMail[domain] {
		return false
	}
	for _, a := range o.Addresses {
		if strings.EqualFold(addr{email: a}.domain(), domain) {
			return true
		}
	}
	return false
}

// noFeature marks an absent optional feature; no weight is ever stored
// under it.
const noFeature = ^uint32(0)

// appendWords appends the hashes of the words of the owner's addresses:
// the parts of the local part ("sam.rivera" gives sam and rivera) and the
// first label of each non-free-mail domain (brightpath).
func (o *Owner) appendWords(dst []uint64, buf *[64]byte) []uint64 {
	for _, a := range o.Addresses {
		a := addr{email: strings.ToLower(a)}
		tokenize([]byte(a.local()), buf, func(w []byte, h uint64) {
			if len(w) > 1 {
				dst = append(dst, h)
			}
		})
		if d := a.domain(); d != "" && !freeMail[d] {
			if i := strings.IndexByte(d, '.'); i > 0 {
				d = d[:i]
			}
			tokenize([]byte(d), buf, func(w []byte, h uint64) {
				if len(w) > 1 {
					dst = append(dst, h)
				}
			})
		}
	}
	return dst
}

type feat struct {
	idx uint32
	val float32
}

// word is one distinct word of the text, kept to name it in reasons.
type word struct {
	idx      uint32
	off, end int32 // in vector.words
}

// vector is a message as the model sees it. It is reused between messages
// (see scratchPool) so classification allocates little.
type vector struct {
	env        envelope
	named      [numNamed]bool
	feats      []feat // text features, then the named features that are on
	words      []byte
	wordRef    []word
	sender     [2]uint32 // sender address and domain: for the learned layer only
	capped     bool      // list, automated or internal mail: see leadCap
	active     [4]uint64 // cue phrase prefixes ending at the last word
	nActive    int
	ownerWords []uint64 // hashes of the owner's name and company words
	scratch    []byte
	word       [64]byte // scratch: the word being tokenized
}

// build turns a parsed message into features.
func (x *vector) build(o *Owner) {
	e := &x.env
	x.named = [numNamed]bool{}
	x.feats = x.feats[:0]
	x.words = x.words[:0]
	x.wordRef = x.wordRef[:0]
	on := func(f int) { x.named[f] = true }
	on(fBias)
	if e.listID {
		on(fListID)
	}
	if e.listUnsub {
		on(fListUnsub)
	}
	if e.precedence == "bulk" || e.precedence == "list" || e.precedence == "junk" {
		on(fPrecedenceBulk)
	}
	// A contact-form notification is a machine wrapper around a person's
	// message: its machine-sender signals say nothing about that person.
	form := isContactForm(e, e.text)
	if form {
		on(fContactForm)
	}
	if e.autoSub != "" && !form {
		on(fAutoSubmitted)
	}
	if e.bulkService {
		on(fBulkService)
	}
	local := e.from.local()
	switch {
	case form:
	case isNoReply(local):
		on(fNoReplySender)
	case localMatches(local, marketingLocals):
		on(fMarketingSender)
	}
	if len(e.recipients) >= 6 {
		on(fManyRecipients)
	}
	if !e.hasTo {
		on(fUndisclosed)
	}
	if e.links >= 3 {
		on(fManyLinks)
	}
	if len(o.Addresses) > 0 && len(e.recipients) > 0 {
		toOwner := false
		for _, r := range e.recipients {
			if o.isOwn(r) {
				toOwner = true
				break
			}
		}
		if !toOwner {
			on(fNotToOwner)
		} else if len(e.recipients) == 1 {
			on(fToOwnerOnly)
		}
	}
	outreach := o.outreach(e.inReplyTo)
	if outreach {
		on(fReplyToOutreach)
	}
	// The person behind a form notification is its Reply-To.
	person := e.from
	if form {
		person = e.replyTo
	}
	if o.KnownContact != nil && person.email != "" && !o.isOwn(person.email) {
		if o.KnownContact(person.email) {
			on(fKnownContact)
		} else {
			on(fUnknownSender)
		}
	}
	if o.sameOrg(person.domain()) {
		on(fInternal)
	}
	x.capped = !outreach && (x.named[fListID] || x.named[fListUnsub] || x.named[fPrecedenceBulk] ||
		x.named[fAutoSubmitted] || x.named[fInternal])
	if isReplySubject(e.subject) && !outreach {
		on(fReplySubject)
	}
	if isForwardSubject(e.subject) {
		on(fForwarded)
	}
	if e.htmlOnly {
		on(fHTMLOnly)
	}
	if isShouting(e.subject) {
		on(fShoutingSubject)
	}
	if freeMail[person.domain()] {
		on(fFreeMailSender)
	}
	dom := registrable(person.domain())
	x.sender[0] = bucket(mix(hashString(person.email), nsFrom))
	x.sender[1] = bucket(mix(hashString(dom), nsDomain))
	if dom == "" || freeMail[dom] {
		// Everyone shares a free-mail domain: learn the address only.
		x.sender[1] = noFeature
	}

	// Text: subject words (own namespace and as text), then body words.
	x.scratch = append(x.scratch[:0], e.subject...)
	x.scratch = append(x.scratch, '\n')
	subjectEnd := len(x.scratch)
	x.scratch = append(x.scratch, e.text...)
	blankAddresses(x.scratch)
	var prev uint64
	n := 0
	x.nActive = 0
	x.ownerWords = o.appendWords(x.ownerWords[:0], &x.word)
	tokenize(x.scratch, &x.word, func(w []byte, h uint64) {
		for _, ow := range x.ownerWords {
			if h == ow {
				// The owner's own name and company say nothing general
				// about the mail, and the shipped model serves every owner.
				return
			}
		}
		if n > 0 {
			x.feats = append(x.feats, feat{bucket(mix(chain(prev, h), nsBigram)), 1})
		}
		if !isStopword(h) {
			x.feats = append(x.feats, feat{bucket(mix(h, nsWord)), 1})
			x.wordRef = append(x.wordRef, word{idx: uint32(len(x.feats) - 1), off: int32(len(x.words))})
			x.words = append(x.words, w...)
			x.wordRef[len(x.wordRef)-1].end = int32(len(x.words))
		}
		// Cue phrases ending at this word: follow the word sequences that
		// are still prefixes of some phrase. Only the opening counts: an
		// inquiry states its ask early, while long mail mentions prices
		// and demos in passing.
		if n < cueWords {
			var next [len(x.active)]uint64
			na := 0
			follow := func(p uint64) {
				if f, ok := cueIndex.lookup(p); ok {
					x.named[f] = true
				}
				if na < len(next) && cueIndex.isPrefix(p) {
					next[na] = p
					na++
				}
			}
			for _, a := range x.active[:x.nActive] {
				follow(chain(a, h))
			}
			follow(h)
			x.active, x.nActive = next, na
		}
		n++
		prev = h
	})
	if n >= longWords {
		x.named[fLongText] = true
	}
	// Subject words again in their own namespace: the same word means more
	// in a subject line.
	tokenize(x.scratch[:subjectEnd], &x.word, func(_ []byte, h uint64) {
		if !isStopword(h) && !slices.Contains(x.ownerWords, h) {
			x.feats = append(x.feats, feat{bucket(mix(h, nsSubject)), 1})
		}
	})
	// Scale text so a long message weighs no more than a short one.
	if len(x.feats) > 0 {
		s := float32(textScale / math.Sqrt(float64(len(x.feats))))
		for i := range x.feats {
			x.feats[i].val = s
		}
	}
	// Word references pointed at feature positions; make them buckets.
	for i := range x.wordRef {
		x.wordRef[i].idx = x.feats[x.wordRef[i].idx].idx
	}
	for f := 0; f < numNamed; f++ {
		if x.named[f] {
			x.feats = append(x.feats, feat{uint32(f), 1})
		}
	}
}

// blankAddresses overwrites e-mail addresses and links with spaces: they
// name a particular sender or site, which is the learned layer's business,
// and are not wording. A word (a run between spaces, tabs and line ends)
// is blanked when it holds an @ or starts with http, <http, (http or www.
// The markers are searched for rather than every word tested, because
// most words have none.
func blankAddresses(b []byte) {
	for i := 0; ; {
		k := bytes.IndexByte(b[i:], '@')
		if k < 0 {
			break
		}
		start, end := wordAt(b, i+k)
		blank(b[start:end])
		i = end
	}
	for _, m := range [...]string{"http", "www."} {
		for i := 0; ; {
			k := bytes.Index(b[i:], []byte(m))
			if k < 0 {
				break
			}
			at := i + k
			start, end := wordAt(b, at)
			if at == start || m == "http" && at == start+1 && (b[start] == '<' || b[start] == '(') {
				blank(b[start:end])
			}
			i = end
		}
	}
}

func blank(b []byte) {
	for i := range b {
		b[i] = ' '
	}
}

func isWordSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\t' || c == '\r' }

// wordAt returns the bounds of the word around b[i], which is not a space.
func wordAt(b []byte, i int) (start, end int) {
	start, end = i, i+1
	for start > 0 && !isWordSpace(b[start-1]) {
		start--
	}
	for end < len(b) && !isWordSpace(b[end]) {
		end++
	}
	return start, end
}
