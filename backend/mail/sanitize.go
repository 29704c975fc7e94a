package mail

import (
	"regexp"
	"sync"

	"github.com/microcosm-cc/bluemonday"
)

var (
	policyOnce sync.Once
	policy     *bluemonday.Policy
)

func htmlPolicy() *bluemonday.Policy {
	policyOnce.Do(func() {
		p := bluemonday.UGCPolicy()
		p.AllowURLSchemes("http", "https", "mailto", "cid", "data")
		p.AllowDataURIImages()
		p.RequireNoReferrerOnLinks(true)
		p.AddTargetBlankToFullyQualifiedLinks(true)
		p.AllowAttrs("width", "height", "align", "bgcolor").Globally()
		policy = p
	})
	return policy
}

// remoteImg matches an <img> whose source is fetched from the network. The
// sanitizer has already normalized attributes to double quotes.
var remoteImg = regexp.MustCompile(`(<img\b[^>]*?\s)src="((?:https?:)?//[^"]*)"`)

// SanitizeHTML makes a message's HTML safe to show: scripts, styles,
// forms, event handlers and foreign frames are removed. Unless allowRemote
// is set, remote images (which include tracking pixels) are not loaded:
// their address moves to data-blocked-src, and blocked reports that some
// were found so the UI can offer to load them.
func SanitizeHTML(h string, allowRemote bool) (safe string, blocked bool) {
	safe = htmlPolicy().Sanitize(h)
	if allowRemote {
		return safe, false
	}
	safe = remoteImg.ReplaceAllStringFunc(safe, func(tag string) string {
		blocked = true
		m := remoteImg.FindStringSubmatch(tag)
		return m[1] + `src="" data-blocked-src="` + m[2] + `"`
	})
	return safe, blocked
}
