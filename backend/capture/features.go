package capture

import (
	"bytes"
	"strings"
	"unicode"
	"unicode/utf8"
)

// A named feature is one mail-structure signal or one intent cue. Its
// weights are learned like any other; its reason is what the user reads
// when the feature moved the score.
type namedFeature struct {
	name   string
	reason string
}

// Named feature indices. The order is part of the model file: changing it
// requires `go generate ./backend/capture` (the model records the names and
// refuses to load against a different list).
const (
	fBias = iota
	fListID
	fListUnsub
	fPrecedenceBulk
	fAutoSubmitted
	fBulkService
	fNoReplySender
	fMarketingSender
	fManyRecipients
	fNotToOwner
	fToOwnerOnly
	fReplyToOutreach
	fKnownContact
	fUnknownSender
	fContactForm
	fReplySubject
	fForwarded
	fHTMLOnly
	fShoutingSubject
	fFreeMailSender
	fUndisclosed
	fManyLinks
	fLongText
	fInternal
	fCuePricing
	fCueDemo
	fCueYourOffer
	fCueNeed
	fCuePitch
	fCueBulk
	fCueAuto
	fCueJob
	numNamed
)

var namedFeatures = [numNamed]namedFeature{
	fBias:            {"bias", ""},
	fListID:          {"list_id", "Sent to a mailing list (List-Id)"},
	fListUnsub:       {"list_unsubscribe", "Has an unsubscribe header (List-Unsubscribe)"},
	fPrecedenceBulk:  {"precedence_bulk", "Marked as bulk or list mail (Precedence)"},
	fAutoSubmitted:   {"auto_submitted", "Sent by a machine (Auto-Submitted)"},
	fBulkService:     {"bulk_service", "Sent through a bulk-mail service"},
	fNoReplySender:   {"noreply_sender", "Sent from a no-reply address"},
	fMarketingSender: {"marketing_sender", "Sent from a newsletter or marketing address"},
	fManyRecipients:  {"many_recipients", "Addressed to many recipients"},
	fNotToOwner:      {"not_to_owner", "You are not in To or Cc"},
	fToOwnerOnly:     {"to_owner_only", "Written to you alone"},
	fReplyToOutreach: {"reply_to_outreach", "Reply to your own outreach"},
	fKnownContact:    {"known_contact", "From someone already in your contacts"},
	fUnknownSender:   {"unknown_sender", "First contact from an unknown sender"},
	fContactForm:     {"contact_form", "Contact form notification; Reply-To is the prospect"},
	fReplySubject:    {"reply_subject_unanswered", "Subject says \"Re:\" but answers none of your mail"},
	fForwarded:       {"forwarded", "Forwarded message"},
	fHTMLOnly:        {"html_only", "HTML-only message"},
	fShoutingSubject: {"shouting_subject", "Subject in capitals or with !!! / $$$"},
	fFreeMailSender:  {"freemail_sender", "Sent from a free mail provider"},
	fUndisclosed:     {"undisclosed_recipients", "Sent to undisclosed recipients"},
	fManyLinks:       {"many_links", "Contains many links"},
	fLongText:        {"long_text", "Long message"},
	fInternal:        {"internal", "From your own organisation"},
	fCuePricing:      {"cue_pricing", "Asks for pricing or a quote"},
	fCueDemo:         {"cue_demo", "Asks for a demo, a trial or a call"},
	fCueYourOffer:    {"cue_your_offer", "Asks about your product or service"},
	fCueNeed:         {"cue_need", "Describes a need or a planned purchase"},
	fCuePitch:        {"cue_pitch", "Pitches their own product or service to you"},
	fCueBulk:         {"cue_bulk", "Newsletter or promotion wording"},
	fCueAuto:         {"cue_auto", "Automated notification wording (order, receipt, password)"},
	fCueJob:          {"cue_job", "Recruiting or job-search wording"},
}

// cues are the phrases behind the cue features, as lower-case words. They
// encode what a salesperson reads first in an inbound message: is the
// writer asking about my offer, or selling theirs? Their weights are
// learned from the training set like everything else.
var cues = map[int][]string{
	fCuePricing: {"your pricing", "your prices", "your price", "your rates", "a quote", "quote for", "quote me",
		"pricing for", "price for", "how much would", "how much is", "how much does", "how much for", "how much will", "price list", "what would it cost", "what does it cost", "what it costs",
		"what would that cost", "cost for", "cost me", "per seat", "per user", "per location", "send pricing",
		"send me pricing", "pricing and", "formal quote", "quotation", "proposal with", "send a proposal",
		"send me a proposal", "commercial details", "price range", "volume pricing", "ballpark",
		"what would we pay", "what do you charge", "how much do you charge", "cost per", "price per", "monthly cost",
		"best price", "starter plan", "cheapest plan", "subscription tiers"},
	fCueDemo: {"demo", "demonstration", "free trial", "a trial", "trial account", "trial period", "walkthrough", "walk through", "see it in action",
		"schedule a call", "set up a call", "hop on a call", "book a call", "a quick call", "proof of concept", "pilot"},
	fCueYourOffer: {"your product", "your service", "your services", "your platform", "your software",
		"your tool", "your solution", "your app", "your offering",
		"your plans", "your enterprise", "interested in your", "interested in using",
		"came across your", "found you", "heard about you", "recommended you", "do you offer", "do you support",
		"can you help", "could you help", "are you able", "would you be able", "does your"},
	fCueNeed: {"we need", "we are looking for", "we're looking for", "we are searching", "we're evaluating",
		"we are evaluating", "our budget", "budget has been approved", "for our team", "our team of", "roll out",
		"purchase order", "procurement", "switch from", "replace our", "move off", "migrate from",
		"we'd like to start", "we would like to start", "ready to sign", "move forward", "get started",
		"up and running", "need something", "need software", "need a tool", "need help with", "we will buy",
		"we'll buy", "ready to buy", "want to buy", "before we purchase", "decided to go with", "send the contract",
		"get it signed", "send the quote", "choosing between", "we're interested", "we are interested",
		"i'm interested", "i am interested"},
	fCuePitch: {"we help", "we helped", "our platform", "our solution", "our clients", "our customers",
		"i'd love to show you", "love to show you", "we specialize", "we specialise", "increase your", "boost your",
		"grow your", "your revenue", "your sales team", "your seo", "your ranking", "your traffic", "leads for you",
		"qualified leads", "outsourcing", "offshore", "we can build", "we offer", "special offer",
		"want me to send", "shall i send", "happy to send", "i can send", "send you", "set you up", "our pricing",
		"our rates", "our prices", "starts at", "starting at", "plans start", "free audit", "free analysis",
		"free sample", "we provide", "we supply", "we deliver", "we design", "we build", "i wanted to introduce",
		"worth a conversation", "worth a chat", "open to a", "i noticed your", "did you get a chance",
		"circling back", "following up on my", "just following up", "bumping this", "i sent over", "our catalogue",
		"our catalog", "media kit", "our clients typically", "my clients", "we are offering", "we're offering",
		"free quote", "free consultation", "shall i reserve", "reserve a spot",
		"i noticed that your", "partnering with companies like", "companies like yours"},
	fCueBulk: {"unsubscribe", "view in browser", "view this email", "newsletter", "this week's", "weekly digest",
		"digest", "read online", "in this issue", "manage preferences", "email preferences", "opt out", "click here",
		"limited time", "% off", "free shipping", "webinar", "register now", "to be removed",
		"remove you", "removed from", "mailing list", "opt-in", "one-time mailing", "this message was sent to"},
	fCueAuto: {"do not reply", "automated message", "automatically generated", "password", "verification code",
		"your order", "order number", "receipt", "invoice", "has shipped", "tracking number", "your account",
		"sign in", "security alert", "notification", "build failed", "pull request", "commented on",
		"payment received", "subscription renewed", "reminder", "calendar", "invitation:"},
	fCueJob: {"job", "position", "candidate", "candidates", "resume", "cv", "hiring", "recruiter", "recruiting",
		"career", "opportunity at", "role at", "interview", "salary", "applicants"},
}

// Token hashing. Every text feature is a 64-bit FNV-1a hash of its words
// folded into textBuckets slots after the named features.
const (
	textBuckets = 1 << 16
	numFeatures = numNamed + textBuckets

	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211

	nsWord    = 0x9e3779b97f4a7c15
	nsBigram  = 0xbf58476d1ce4e5b9
	nsSubject = 0x94d049bb133111eb
	nsFrom    = 0xd6e8feb86659fd93
	nsDomain  = 0xa0761d6478bd642f
)

func mix(h, ns uint64) uint64 {
	h ^= ns
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}

func bucket(h uint64) uint32 { return numNamed + uint32(h%textBuckets) }

func hashString(s string) uint64 {
	h := uint64(fnvOffset)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= fnvPrime
	}
	return h
}

// phrase hashes: a phrase of n words hashes as the chain of its word hashes,
// the same way the tokenizer chains consecutive words.
func chain(prev, w uint64) uint64 { return (prev*fnvPrime ^ w) * 0x9e3779b97f4a7c15 }

// hashTable is a small open-addressing set of 64-bit word hashes with a
// value each: a probe is a mask and a compare, cheaper than a Go map on
// the tokenizer's hot path. Zero marks an empty slot (no real hash is 0
// in practice; a 0 hash is simply never found).
type hashTable struct {
	keys []uint64
	vals []int8
}

func newHashTable(n int) *hashTable {
	size := 64
	for size < 4*n {
		size *= 2
	}
	return &hashTable{keys: make([]uint64, size), vals: make([]int8, size)}
}

func (t *hashTable) put(h uint64, v int8) (old int8, dup bool) {
	mask := uint64(len(t.keys) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		switch t.keys[i] {
		case h:
			old, t.vals[i] = t.vals[i], v
			return old, true
		case 0:
			t.keys[i], t.vals[i] = h, v
			return 0, false
		}
	}
}

func (t *hashTable) get(h uint64) (int8, bool) {
	mask := uint64(len(t.keys) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		switch t.keys[i] {
		case h:
			return t.vals[i], true
		case 0:
			return 0, false
		}
	}
}

// cueTable holds the cue phrases as chained word hashes: complete phrases
// with their feature, and every proper prefix of a phrase, so the
// tokenizer only follows word sequences that can still become a phrase.
type cueTable struct {
	*hashTable
	prefixes *hashTable
}

var cueIndex = buildCues()

func buildCues() *cueTable {
	n := 0
	for _, ps := range cues {
		n += len(ps)
	}
	t := &cueTable{hashTable: newHashTable(n), prefixes: newHashTable(4 * n)}
	for f := 0; f < numNamed; f++ {
		for _, p := range cues[f] {
			var ws []string
			tokenize([]byte(p), new([64]byte), func(w []byte, _ uint64) { ws = append(ws, string(w)) })
			var h uint64
			for i, w := range ws {
				if i == 0 {
					h = hashString(w)
				} else {
					t.prefixes.put(h, 1)
					h = chain(h, hashString(w))
				}
			}
			if g, dup := t.put(h, int8(f)); dup && int(g) != f {
				panic("capture: cue phrase " + p + " is listed under two features")
			}
		}
	}
	return t
}

func (t *cueTable) lookup(h uint64) (int, bool) {
	v, ok := t.get(h)
	return int(v), ok
}

func (t *cueTable) isPrefix(h uint64) bool {
	_, ok := t.prefixes.get(h)
	return ok
}

// tokenize calls fn with each lower-case word of s and its hash
// (hashBytes of the word, computed while the word is read). Words are runs
// of letters and digits; digits-only words become "0" so numbers share one
// feature; $, €, £ and % are words of their own because they mark offers.
// A word is cut at len(buf) bytes. The words are built in buf, and the
// slice passed to fn is valid only during the call.
func tokenize(s []byte, buf *[64]byte, fn func(w []byte, h uint64)) {
	for i := 0; i < len(s); {
		// The word starting at i, up to the byte that ends it.
		n := 0
		digits := true
		h := uint64(fnvOffset)
	word:
		for i < len(s) {
			c := s[i]
			if l := wordByte[c]; l != 0 {
				if n < len(buf) {
					if l > '9' {
						digits = false
					}
					buf[n] = l
					n++
					h = (h ^ uint64(l)) * fnvPrime
				}
				i++
				continue
			}
			if c < utf8.RuneSelf {
				if c != '\'' {
					break
				}
				// keep "we're" as one word, like the cue phrases
				if n > 0 && n < len(buf) {
					buf[n] = c
					n++
					h = (h ^ uint64(c)) * fnvPrime
					digits = false
				}
				i++
				continue
			}
			r, size := utf8.DecodeRune(s[i:])
			switch {
			case unicode.IsLetter(r):
				if n+utf8.UTFMax <= len(buf) {
					k := utf8.EncodeRune(buf[n:], unicode.ToLower(r))
					for _, b := range buf[n : n+k] {
						h = (h ^ uint64(b)) * fnvPrime
					}
					n += k
				}
				digits = false
			case r == '’':
				if n > 0 && n < len(buf) {
					buf[n] = '\''
					n++
					h = (h ^ uint64('\'')) * fnvPrime
					digits = false
				}
			default:
				break word
			}
			i += size
		}
		if n > 0 {
			if digits {
				fn(zeroWord, zeroHash)
			} else {
				fn(buf[:n], h)
			}
		}
		if i == len(s) {
			break
		}
		// s[i] ends the word; $, %, € and £ are words themselves.
		size, sym := 1, false
		if c := s[i]; c < utf8.RuneSelf {
			sym = c == '$' || c == '%'
		} else {
			var r rune
			r, size = utf8.DecodeRune(s[i:])
			sym = r == '€' || r == '£'
		}
		if sym {
			k := copy(buf[:], s[i:i+size])
			fn(buf[:k], hashBytes(buf[:k]))
		}
		i += size
	}
}

var zeroWord = []byte("0")

var zeroHash = hashBytes(zeroWord)

// wordByte maps the ASCII letters and digits to their lower case, and
// every other byte to 0.
var wordByte = func() (t [256]byte) {
	for c := '0'; c <= '9'; c++ {
		t[c] = byte(c)
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = byte(c)
		t[c-'a'+'A'] = byte(c)
	}
	return t
}()

func hashBytes(b []byte) uint64 {
	h := uint64(fnvOffset)
	for _, c := range b {
		h ^= uint64(c)
		h *= fnvPrime
	}
	return h
}

// stopwords carry grammar, not topic: as single words they only tell
// prose from machine text, which says nothing about buying intent. They
// still take part in bigrams ("can you", "we help"), where they matter.
var stopwords = func() *hashTable {
	ws := strings.Fields(`a an the and or but if of to in on at by for with from as is are was were be been
		being it its this that these those there here i me my we us our you your he him his she her they them their
		do does did have has had will would can could should may might must shall not no so than then too very just
		also about into over after before up down out off again further once all any both each few more most other
		some such only own same what which who whom when where why how am hi hello dear thanks thank regards best
		0 s t re ll ve d m der die das und oder ein eine ist sind zu mit von für auf im`)
	t := newHashTable(len(ws))
	for _, w := range ws {
		t.put(hashString(w), 1)
	}
	return t
}()

func isStopword(h uint64) bool {
	_, ok := stopwords.get(h)
	return ok
}

// freeMail are the big consumer mail providers: a prospect may write from
// them, but so does most unsolicited mail.
var freeMail = map[string]bool{
	"gmail.com": true, "googlemail.com": true, "yahoo.com": true, "hotmail.com": true, "outlook.com": true,
	"live.com": true, "aol.com": true, "icloud.com": true, "me.com": true, "gmx.de": true, "gmx.net": true,
	"web.de": true, "mail.com": true, "protonmail.com": true, "proton.me": true, "yandex.ru": true,
	"msn.com": true, "comcast.net": true, "yahoo.co.uk": true, "hotmail.co.uk": true, "t-online.de": true,
}

var noReplyLocals = []string{"noreply", "no-reply", "no_reply", "donotreply", "do-not-reply", "do_not_reply",
	"notifications", "notification", "notify", "alerts", "alert", "mailer-daemon", "postmaster", "bounce",
	"bounces", "automated", "system", "daemon"}

var marketingLocals = []string{"news", "newsletter", "newsletters", "marketing", "promo", "promotions", "offers",
	"deals", "digest", "updates", "update", "info", "hello", "team", "events", "webinars", "campaign", "mailer",
	"email", "mail", "announce", "community", "editor", "editors", "store", "shop"}

// localMatches reports whether local is one of list, alone or followed by
// a separator ("news", "news-us", "news.letter", "news+tag").
func localMatches(local string, list []string) bool {
	for _, l := range list {
		if !strings.HasPrefix(local, l) {
			continue
		}
		if len(local) == len(l) {
			return true
		}
		switch local[len(l)] {
		case '-', '.', '+', '_':
			return true
		}
	}
	return false
}

func isNoReply(local string) bool {
	if localMatches(local, noReplyLocals) {
		return true
	}
	return strings.Contains(local, "noreply") || strings.Contains(local, "no-reply") || strings.Contains(local, "donotreply")
}

// formSenders are the local parts and names web forms send from.
var formWords = []string{"wordpress", "webform", "form", "forms", "contact", "website", "web", "typeform",
	"formspree", "jotform", "hubspot", "wix", "squarespace", "webflow", "gravity", "netlify"}

// isContactForm reports a website contact-form notification: a machine
// (the site, a form service) sends it, the visitor's address is the
// Reply-To, and the subject or body says it came from a form.
func isContactForm(e *envelope, text []byte) bool {
	if e.replyTo.email == "" || e.replyTo.email == e.from.email {
		return false
	}
	subj := strings.ToLower(e.subject)
	mention := containsAny(subj, formSubjectWords)
	if !mention {
		head := text
		if len(head) > 600 {
			head = head[:600]
		}
		head = bytes.ToLower(head)
		for _, w := range formTextWords {
			if bytes.Contains(head, []byte(w)) {
				mention = true
				break
			}
		}
	}
	if !mention {
		return false
	}
	// The visitor's address usually appears in the body as a field value,
	// and the sender is the site or a form service, not a person.
	local := e.from.local()
	machine := isNoReply(local) || localMatches(local, formWords) || containsAny(local, formWords) ||
		containsAny(strings.ToLower(e.from.name), formWords)
	return machine || bytes.Contains(text, []byte(e.replyTo.email))
}

// What a website's form notification says about itself, in its subject
// and in the opening of its text. Sites name their forms after what the
// visitor asked for (a demo, a callback, a quote) as often as "contact".
var (
	formSubjectWords = []string{"form", "submission", "enquiry", "inquiry", "contact", "website", "web site",
		"visitor", "callback", "call back", "demo request", "quote request", "new lead", "new response",
		"talk to sales", "completed \""}
	formTextWords = []string{"form", "submission", "submitted", "visitor", "website", "web site", "new response"}
)

func containsAny(s string, words []string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

func isShouting(s string) bool {
	if strings.Contains(s, "!!") || strings.Contains(s, "$$") {
		return true
	}
	letters, upper := 0, 0
	for _, r := range s {
		if unicode.IsLetter(r) {
			letters++
			if unicode.IsUpper(r) {
				upper++
			}
		}
	}
	return letters >= 8 && upper*10 >= letters*7
}

func isReplySubject(s string) bool {
	s = strings.TrimSpace(s)
	if len(s) < 3 {
		return false
	}
	return lowerEquals(s[:3], "re:") || lowerEquals(s[:3], "aw:") || len(s) >= 4 && lowerEquals(s[:4], "re :")
}

func isForwardSubject(s string) bool {
	s = strings.TrimSpace(s)
	return hasLowerPrefix(s, "fwd:") || hasLowerPrefix(s, "fw:") || hasLowerPrefix(s, "wg:")
}

// hasLowerPrefix reports whether strings.ToLower(s) starts with prefix,
// which is lower-case ASCII, lowering only as much of s as it must.
func hasLowerPrefix(s, prefix string) bool {
	if len(s) < len(prefix) {
		// Lowering can lengthen s.
		return strings.HasPrefix(strings.ToLower(s), prefix)
	}
	for i := 0; i < len(prefix); i++ {
		if s[i] >= utf8.RuneSelf {
			return strings.HasPrefix(strings.ToLower(s), prefix)
		}
	}
	// strings.ToLower lowers ASCII byte by byte.
	return lowerEquals(s[:len(prefix)], prefix)
}

// registrable approximates the organisation part of a domain (the last two
// labels, three under two-letter second levels like co.uk), so mail from
// eu.mail.acme.com and acme.com counts as the same sender for learning.
func registrable(d string) string {
	i := strings.LastIndexByte(d, '.')
	if i <= 0 {
		return d
	}
	j := strings.LastIndexByte(d[:i], '.')
	if j < 0 {
		return d
	}
	if i-j-1 <= 3 && (d[j+1:i] == "co" || d[j+1:i] == "com" || d[j+1:i] == "ac" || d[j+1:i] == "org" || d[j+1:i] == "net") {
		if k := strings.LastIndexByte(d[:j], '.'); k >= 0 {
			return d[k+1:]
		}
		return d
	}
	return d[j+1:]
}
