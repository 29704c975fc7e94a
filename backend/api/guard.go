package api

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net"
	"net/http"
	"strings"
	"sync"
)

// SessionCookie is the cookie that carries the session token in a browser.
const SessionCookie = "threadline_session"

// LoopbackGuard protects what `threadline serve` exposes on a loopback
// port. Any local process and any web page the user visits can reach a
// loopback port, so every request must:
//
//   - name a loopback Host with the right port (defeats DNS rebinding:
//     a rebinding attacker's page sends its own host name);
//   - carry no foreign Origin and no cross-site Sec-Fetch-Site (defeats
//     CSRF from other pages; the cookie is also SameSite=Strict);
//   - prove the session: the cookie set by the one-time login URL, or
//     "Authorization: Bearer <token>" for scripts.
type LoopbackGuard struct {
	next  http.Handler
	port  string
	token string

	mu        sync.Mutex
	loginCode string // empty once used
}

// NewLoopbackGuard wraps next for a listener on the given port. It makes a
// fresh session token and a one-time login code.
func NewLoopbackGuard(next http.Handler, port string) *LoopbackGuard {
	return &LoopbackGuard{next: next, port: port, token: randomToken(), loginCode: randomToken()}
}

// Token is the session token for Authorization: Bearer.
func (g *LoopbackGuard) Token() string { return g.token }

// LoginPath is the one-time path that signs a browser in.
func (g *LoopbackGuard) LoginPath() string { return "/login?code=" + g.loginCode }

func randomToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func (g *LoopbackGuard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !g.loopbackHost(r.Host) {
		refuse(w, http.StatusForbidden, "forbidden_host", "Threadline only answers requests addressed to 127.0.0.1 or localhost")
		return
	}
	if origin := r.Header.Get("Origin"); origin != "" && !g.ownOrigin(origin) {
		refuse(w, http.StatusForbidden, "forbidden_origin", "requests from other sites are not allowed")
		return
	}
	if r.Header.Get("Sec-Fetch-Site") == "cross-site" {
		refuse(w, http.StatusForbidden, "forbidden_origin", "requests from other sites are not allowed")
		return
	}
	if r.URL.Path == "/login" {
		g.login(w, r)
		return
	}
	bearer, viaBearer := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	switch {
	case viaBearer:
		if !g.validToken(bearer) {
			refuse(w, http.StatusUnauthorized, "unauthorized", "the bearer token is wrong; use the one `threadline serve` printed")
			return
		}
	case g.validCookie(r):
		// A browser sends Origin on every state-changing request; its
		// absence with a cookie means something is forging the request.
		if !safeMethod(r.Method) && r.Header.Get("Origin") == "" && r.Header.Get("Sec-Fetch-Site") != "same-origin" {
			refuse(w, http.StatusForbidden, "forbidden_origin", "a state-changing request must come from Threadline's own page")
			return
		}
	default:
		refuse(w, http.StatusUnauthorized, "unauthorized", "sign in with the link `threadline serve` printed, or send Authorization: Bearer <token>")
		return
	}
	g.next.ServeHTTP(w, r)
}

func (g *LoopbackGuard) login(w http.ResponseWriter, r *http.Request) {
	code := r.URL.Query().Get("code")
	g.mu.Lock()
	ok := g.loginCode != "" && subtle.ConstantTimeCompare([]byte(code), []byte(g.loginCode)) == 1
	if ok {
		g.loginCode = ""
	}
	g.mu.Unlock()
	if !ok {
		refuse(w, http.StatusForbidden, "login_used", "this sign-in link is wrong or was already used; restart `threadline serve` for a new one")
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: SessionCookie, Value: g.token, Path: "/",
		HttpOnly: true, SameSite: http.SameSiteStrictMode,
	})
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (g *LoopbackGuard) validToken(t string) bool {
	return subtle.ConstantTimeCompare([]byte(t), []byte(g.token)) == 1
}

func (g *LoopbackGuard) validCookie(r *http.Request) bool {
	c, err := r.Cookie(SessionCookie)
	return err == nil && g.validToken(c.Value)
}

func (g *LoopbackGuard) loopbackHost(hostport string) bool {
	host, port, err := net.SplitHostPort(hostport)
	if err != nil || port != g.port {
		return false
	}
	return host == "127.0.0.1" || host == "localhost" || host == "::1"
}

func (g *LoopbackGuard) ownOrigin(origin string) bool {
	rest, ok := strings.CutPrefix(origin, "http://")
	return ok && g.loopbackHost(rest)
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

func refuse(w http.ResponseWriter, status int, code, msg string) {
	WriteJSON(w, status, map[string]*Error{"error": {Code: code, Message: msg}})
}

// WebviewGuard protects the API inside the desktop window. There is no
// listener there: requests arrive from the webview through the Wails asset
// server, and only pages loaded from the app's own scheme can make them.
// What remains is content that a page might load from elsewhere, so any
// request whose Origin is not the app's own is refused.
func WebviewGuard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if origin := r.Header.Get("Origin"); origin != "" && !webviewOrigin(origin) {
			refuse(w, http.StatusForbidden, "forbidden_origin", "requests from other sites are not allowed")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// webviewOrigin lists the origins Wails gives the app's own pages: wails://
// on Linux and macOS, http(s)://wails.localhost on Windows.
func webviewOrigin(origin string) bool {
	switch origin {
	case "wails://wails", "wails://wails.localhost", "http://wails.localhost", "https://wails.localhost":
		return true
	}
	return false
}
