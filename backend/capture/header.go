package capture

import (
	"bytes"
	"strings"
)

// hfield is one of the header fields the classifier reads.
type hfield uint8

const (
	hFrom hfield = iota
	hReplyTo
	hTo
	hCc
	hSubject
	hMessageID
	hInReplyTo
	hReferences
	hListID
	hListUnsubscribe
	hPrecedence
	hAutoSubmitted
	hContentType
	hContentTransferEncoding
	// hMIMEVersion is read by nothing, but it counts towards
	// maxHeaderBytes, which bounds the fields read and not the whole
	// header: dropping it would let a different part of an oversize
	// header through.
	hMIMEVersion
	hBulk // any of bulkHeaders
	numHFields
)

// hfieldNames maps the lower-case names of the fields read to their
// hfield.
var hfieldNames = func() map[string]hfield {
	m := map[string]hfield{
		"from": hFrom, "reply-to": hReplyTo, "to": hTo, "cc": hCc, "subject": hSubject,
		"message-id": hMessageID, "in-reply-to": hInReplyTo, "references": hReferences,
		"list-id": hListID, "list-unsubscribe": hListUnsubscribe, "precedence": hPrecedence,
		"auto-submitted": hAutoSubmitted, "content-type": hContentType,
		"content-transfer-encoding": hContentTransferEncoding, "mime-version": hMIMEVersion,
	}
	for _, k := range bulkHeaders {
		m[strings.ToLower(k)] = hBulk
	}
	return m
}()

// maxHFieldName is the longest field name looked up; longer names are
// never read.
const maxHFieldName = 32

// header is the part of a message header the classifier reads: the first
// value of each field in hfieldNames, unfolded, and which fields are
// present. It scans the raw header once and allocates one string for all
// values, instead of parsing every field of a header that real mail fills
// with Received, DKIM and vendor fields.
//
// Its values must equal what go-message's textproto.ReadHeader and
// Header.Get return when given only the lines of these fields, at most
// maxHeaderBytes of them, which is how parse read headers before: the
// model was trained on those values. The TestHeaderMatchesGoMessage tests
// and FuzzHeader hold the two together. In particular:
//   - field names match case-insensitively, but a space before the colon
//     makes a name that is not read;
//   - a line starting with a space or tab continues the field above it;
//   - each line of a value loses its line end (LF or CRLF), then the
//     spaces and tabs around it, and the non-empty lines are joined with
//     one space;
//   - maxHeaderBytes bounds the wanted fields' lines, each counted with
//     one LF line end; a line cut short by the bound keeps its bytes as
//     they are, including a trailing CR.
type header struct {
	value [numHFields]string
	has   [numHFields]bool
	buf   []byte // scratch: the values, before they become one string
}

// get returns the first value of field f, or "".
func (h *header) get(f hfield) string { return h.value[f] }

// read reads the fields of head, the header block of a message (its lines
// up to the empty line, which may be missing).
func (h *header) read(head []byte) {
	*h = header{buf: h.buf[:0]}
	var span [numHFields][2]int32
	budget := maxHeaderBytes
	keep := false   // the field of the current line is read
	record := false // and this is its first occurrence
	var cur hfield
	for len(head) > 0 && budget > 0 {
		line := head
		if i := bytes.IndexByte(head, '\n'); i >= 0 {
			line, head = head[:i], head[i+1:]
		} else {
			head = nil
		}
		cont := len(line) > 0 && (line[0] == ' ' || line[0] == '\t')
		colon := -1
		if !cont {
			keep, record = false, false
			colon = bytes.IndexByte(line[:min(len(line), maxHFieldName+1)], ':')
			if colon <= 0 {
				continue
			}
			var name [maxHFieldName]byte
			for k, b := range line[:colon] {
				if 'A' <= b && b <= 'Z' {
					b += 'a' - 'A'
				}
				name[k] = b
			}
			f, ok := hfieldNames[string(name[:colon])]
			if !ok {
				continue
			}
			keep, cur = true, f
		} else if !keep {
			continue
		}
		// Every line read counts with a line end: go-message was given
		// one where the header had none.
		if len(line)+1 > budget {
			line = line[:budget]
			budget = 0
		} else {
			budget -= len(line) + 1
			if n := len(line); n > 0 && line[n-1] == '\r' {
				line = line[:n-1]
			}
		}
		if !cont {
			if colon >= len(line) {
				// Cut inside the name: the field is not there.
				break
			}
			if h.has[cur] {
				continue
			}
			h.has[cur], record = true, true
			span[cur][0] = int32(len(h.buf))
			line = line[colon+1:]
		}
		if !record {
			continue
		}
		if v := trimSpaceTab(line); len(v) > 0 {
			if len(h.buf) > int(span[cur][0]) {
				h.buf = append(h.buf, ' ')
			}
			h.buf = append(h.buf, v...)
		}
		span[cur][1] = int32(len(h.buf))
	}
	s := string(h.buf)
	for f := range h.value {
		if h.has[f] {
			h.value[f] = s[span[f][0]:span[f][1]]
		}
	}
}

func trimSpaceTab(b []byte) []byte {
	i, j := 0, len(b)
	for i < j && (b[i] == ' ' || b[i] == '\t') {
		i++
	}
	for j > i && (b[j-1] == ' ' || b[j-1] == '\t') {
		j--
	}
	return b[i:j]
}
