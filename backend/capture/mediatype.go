package capture

import (
	"mime"
	"strings"
)

// contentType reads a Content-Type value as go-message's
// Header.ContentType does: no value is text/plain, a value that does not
// parse is returned whole as the type, and parameters may be encoded
// words.
func contentType(v string) (t, charset, boundary string) {
	if v == "" {
		return "text/plain", "", ""
	}
	t, charset, boundary, ok := parseSimpleMediaType(v)
	if !ok {
		var params map[string]string
		var err error
		if t, params, err = mime.ParseMediaType(v); err != nil {
			return v, "", ""
		}
		charset, boundary = params["charset"], params["boundary"]
	}
	return t, decodeWords(charset), decodeWords(boundary)
}

// dispositionType reads the type of a Content-Disposition value as
// go-message's Header.ContentDisposition does.
func dispositionType(v string) string {
	if v == "" {
		return ""
	}
	d, _, err := mime.ParseMediaType(v)
	if err != nil {
		return v
	}
	return d
}

// maxSimpleParams is the most parameters parseSimpleMediaType reads.
const maxSimpleParams = 4

// parseSimpleMediaType reads the values nearly all mail has, such as
// `text/plain; charset="us-ascii"`, without the allocations of
// mime.ParseMediaType: ASCII, a lower-case type, and at most
// maxSimpleParams parameters whose names have no '*' and whose values are
// tokens or quoted strings without escapes. For those it must return
// exactly what mime.ParseMediaType returns (TestSimpleMediaType and
// FuzzSimpleMediaType hold the two together); for anything else, valid or
// not, it returns ok false.
func parseSimpleMediaType(v string) (t, charset, boundary string, ok bool) {
	end := len(v)
	for i := len(v) - 1; i >= 0; i-- {
		if v[i] >= 0x80 {
			return "", "", "", false
		}
		if v[i] == ';' {
			end = i
		}
	}
	for i := 0; i < end; i++ {
		if 'A' <= v[i] && v[i] <= 'Z' {
			// The type would have to be lowered into a new string.
			return "", "", "", false
		}
	}
	t = trimASCIISpace(v[:end])
	typ, rest := consumeToken(t)
	if typ == "" {
		return "", "", "", false
	}
	if rest != "" {
		if rest[0] != '/' {
			return "", "", "", false
		}
		if sub, rest := consumeToken(rest[1:]); sub == "" || rest != "" {
			return "", "", "", false
		}
	}
	var names, values [maxSimpleParams]string
	n := 0
	for rest := v[end:]; ; {
		rest = trimLeftASCIISpace(rest)
		if rest == "" {
			break
		}
		if rest[0] != ';' {
			return "", "", "", false
		}
		param := trimLeftASCIISpace(rest[1:])
		name, after := consumeToken(param)
		if name == "" {
			// Only a trailing ';' ends the list without a parameter.
			if trimASCIISpace(rest) == ";" {
				break
			}
			return "", "", "", false
		}
		after = trimLeftASCIISpace(after)
		if after == "" || after[0] != '=' {
			return "", "", "", false
		}
		after = trimLeftASCIISpace(after[1:])
		var value string
		if after != "" && after[0] == '"' {
			j := 1
			for j < len(after) && after[j] != '"' {
				if c := after[j]; c == '\\' || c == '\r' || c == '\n' {
					return "", "", "", false
				}
				j++
			}
			if j == len(after) {
				return "", "", "", false
			}
			value, rest = after[1:j], after[j+1:]
		} else if value, rest = consumeToken(after); value == "" {
			return "", "", "", false
		}
		if strings.IndexByte(name, '*') >= 0 {
			// RFC 2231 continuations and charsets
			return "", "", "", false
		}
		for i := 0; i < n; i++ {
			if strings.EqualFold(names[i], name) && values[i] != value {
				// mime.ParseMediaType refuses the value.
				return "", "", "", false
			}
		}
		if n == maxSimpleParams {
			return "", "", "", false
		}
		names[n], values[n] = name, value
		n++
		switch {
		case strings.EqualFold(name, "charset"):
			charset = value
		case strings.EqualFold(name, "boundary"):
			boundary = value
		}
	}
	return t, charset, boundary, true
}

// consumeToken splits v after its leading token, as mime does.
func consumeToken(v string) (token, rest string) {
	for i := 0; i < len(v); i++ {
		if !tokenByte[v[i]] {
			return v[:i], v[i:]
		}
	}
	return v, ""
}

// tokenByte marks the bytes of a MIME token (RFC 2045): ASCII but not
// space, controls or tspecials.
var tokenByte = func() (t [256]bool) {
	for c := '!'; c <= '~'; c++ {
		t[c] = !strings.ContainsRune(`()<>@,;:\"/[]?=`, c)
	}
	return t
}()

// isASCIISpace reports the bytes strings.TrimSpace and unicode.IsSpace
// take for space among ASCII.
func isASCIISpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

func trimLeftASCIISpace(s string) string {
	for len(s) > 0 && isASCIISpace(s[0]) {
		s = s[1:]
	}
	return s
}

func trimASCIISpace(s string) string {
	s = trimLeftASCIISpace(s)
	for len(s) > 0 && isASCIISpace(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return s
}
