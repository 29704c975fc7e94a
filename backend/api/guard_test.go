package api

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func newGuarded(t *testing.T) (*LoopbackGuard, *int) {
	t.Helper()
	reached := 0
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { reached++ })
	return NewLoopbackGuard(next, "4567"), &reached
}

func TestLoopbackGuard(t *testing.T) {
	g, reached := newGuarded(t)
	bearer := "Bearer " + g.Token()
	cookie := &http.Cookie{Name: SessionCookie, Value: g.Token()}
	cases := []struct {
		name    string
		method  string
		host    string
		headers map[string]string
		cookie  bool
		want    int
	}{
		{"bearer on 127.0.0.1", "GET", "127.0.0.1:4567", map[string]string{"Authorization": bearer}, false, 200},
		{"bearer on localhost", "GET", "localhost:4567", map[string]string{"Authorization": bearer}, false, 200},
		{"bearer on ::1", "GET", "[::1]:4567", map[string]string{"Authorization": bearer}, false, 200},
		{"cookie GET", "GET", "127.0.0.1:4567", nil, true, 200},
		{"cookie POST from own page", "POST", "127.0.0.1:4567", map[string]string{"Origin": "http://127.0.0.1:4567"}, true, 200},
		{"cookie POST same-origin fetch metadata", "POST", "127.0.0.1:4567", map[string]string{"Sec-Fetch-Site": "same-origin"}, true, 200},
		{"no credentials", "GET", "127.0.0.1:4567", nil, false, 401},
		{"wrong bearer", "GET", "127.0.0.1:4567", map[string]string{"Authorization": "Bearer nope"}, false, 401},
		{"wrong cookie", "GET", "127.0.0.1:4567", map[string]string{"Cookie": SessionCookie + "=nope"}, false, 401},
		{"rebinding host", "GET", "attacker.example:4567", map[string]string{"Authorization": bearer}, false, 403},
		{"wrong port", "GET", "127.0.0.1:80", map[string]string{"Authorization": bearer}, false, 403},
		{"foreign origin", "POST", "127.0.0.1:4567", map[string]string{"Origin": "http://evil.example"}, true, 403},
		{"foreign origin with bearer", "GET", "127.0.0.1:4567", map[string]string{"Origin": "https://evil.example", "Authorization": bearer}, false, 403},
		{"cross-site fetch", "GET", "127.0.0.1:4567", map[string]string{"Sec-Fetch-Site": "cross-site"}, true, 403},
		{"cookie POST without origin", "POST", "127.0.0.1:4567", nil, true, 403},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := *reached
			req := httptest.NewRequest(tc.method, "http://"+tc.host+"/api/health", nil)
			req.Host = tc.host
			for k, v := range tc.headers {
				req.Header.Set(k, v)
			}
			if tc.cookie {
				req.AddCookie(cookie)
			}
			rec := httptest.NewRecorder()
			g.ServeHTTP(rec, req)
			if rec.Code != tc.want {
				t.Fatalf("status %d, want %d (%s)", rec.Code, tc.want, rec.Body)
			}
			passed := *reached > before
			if passed != (tc.want == 200) {
				t.Fatalf("request reached the handler: %v; want %v", passed, tc.want == 200)
			}
			if tc.want != 200 {
				decodeAPIError(t, rec.Body.String())
			}
		})
	}
}

func TestLoginLinkWorksOnce(t *testing.T) {
	g, _ := newGuarded(t)
	login := func() *httptest.ResponseRecorder {
		req := httptest.NewRequest("GET", "http://127.0.0.1:4567"+g.LoginPath(), nil)
		rec := httptest.NewRecorder()
		g.ServeHTTP(rec, req)
		return rec
	}
	rec := login()
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/" {
		t.Fatalf("first login: %d to %q", rec.Code, rec.Header().Get("Location"))
	}
	set := rec.Header().Get("Set-Cookie")
	for _, want := range []string{SessionCookie + "=" + g.Token(), "HttpOnly", "SameSite=Strict"} {
		if !strings.Contains(set, want) {
			t.Fatalf("Set-Cookie %q lacks %q", set, want)
		}
	}
	if rec := login(); rec.Code != http.StatusForbidden {
		t.Fatalf("second use of the login link: %d; want 403", rec.Code)
	}
	req := httptest.NewRequest("GET", "http://127.0.0.1:4567/login?code=guess", nil)
	rec = httptest.NewRecorder()
	g.ServeHTTP(rec, req)
	if rec.Code != http.StatusForbidden {
		t.Fatalf("guessed code: %d", rec.Code)
	}
}

func TestWebviewGuard(t *testing.T) {
	h := WebviewGuard(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	for origin, want := range map[string]int{"": 200, "wails://wails": 200, "http://wails.localhost": 200, "http://evil.example": 403, "null": 403} {
		req := httptest.NewRequest("POST", "/api/health", nil)
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != want {
			t.Errorf("origin %q: %d, want %d", origin, rec.Code, want)
		}
	}
}
