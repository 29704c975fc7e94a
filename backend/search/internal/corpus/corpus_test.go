package corpus

import (
	"strings"
	"testing"
	"time"
)

func TestParseDate(t *testing.T) {
	cases := map[string]string{
		"Thu, 22 Aug 2002 12:36:23 +0100":               "2002-08-22T11:36:23Z",
		"Wed, 04 Dec 2002 06:07:07":                     "2002-12-04T06:07:07Z",
		"29 Jul 01 11:30:41 PM":                         "2001-07-29T23:30:41Z",
		"Sun, 19 Oct 1980 10:55:16":                     "1980-10-19T10:55:16Z",
		"Mon, 2 Sep 2002 10:00:00 +0000 (GMT)":          "2002-09-02T10:00:00Z",
		"Fri, 30 Aug 02 21:48:08 Eastern Daylight Time": "2002-08-30T21:48:08Z",
		"garbage": "0001-01-01T00:00:00Z",
	}
	for in, want := range cases {
		if got := parseDate(in).UTC().Format(time.RFC3339); got != want {
			t.Errorf("parseDate(%q) = %s; want %s", in, got, want)
		}
	}
}

func TestParseMessage(t *testing.T) {
	raw := "From x  Thu Aug 22 12:36:23 2002\nFrom: =?iso-8859-1?q?Ren=E9?= <rene@example.com>\nTo: a@b.c, \"Bob\" <bob@d.e>\n" +
		"Subject: Hello\nDate: Thu, 22 Aug 2002 12:36:23 +0100\nMessage-ID: <m1@x>\nContent-Type: multipart/mixed; boundary=B\n\n" +
		"--B\nContent-Type: text/plain\n\nplain words\n--B\nContent-Type: text/html\n\n<p>html <b>words</b></p>\n" +
		"--B\nContent-Type: application/pdf; name=\"q.pdf\"\nContent-Disposition: attachment; filename=\"q.pdf\"\n\nxx\n--B--\n"
	d, err := Parse([]byte(raw), "id1", "inbox")
	if err != nil {
		t.Fatal(err)
	}
	if d.From[0].Name != "René" || len(d.To) != 2 || d.Subject != "Hello" || d.ThreadID != "m1@x" {
		t.Errorf("headers: %+v", d)
	}
	if !strings.Contains(d.Body, "plain words") || !strings.Contains(d.Body, "html  words") {
		t.Errorf("body %q", d.Body)
	}
	if !d.HasAttachment || len(d.AttachmentNames) != 1 || d.AttachmentNames[0] != "q.pdf" {
		t.Errorf("attachments: %v %v", d.HasAttachment, d.AttachmentNames)
	}
}
