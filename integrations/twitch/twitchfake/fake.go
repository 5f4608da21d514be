// Package twitchfake is an in-process Twitch for tests, built from Twitch's
// documented messages: the OAuth server (authorize, token with the
// authorization-code and refresh grants, validate, revoke), Helix (EventSub
// subscriptions with the WebSocket transport, users, followers, streams,
// schedule; the Ratelimit-* headers and 429s; 401 and 429 injection) and the
// EventSub WebSocket server (welcome, keepalive, notifications with chosen
// message_ids, session_reconnect, revocation and every close code 4000-4007).
//
// Like Twitch it closes a client that sends data (4001) or does not subscribe
// within the welcome's keepalive window (4003); it also records each such
// misbehaviour as a violation, and a test fails at cleanup if any violation
// was not expected (AllowViolations). It listens on 127.0.0.1 only.
package twitchfake

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// User is a Twitch account the fake knows.
type User struct {
	ID          string
	Login       string
	DisplayName string
}

// Client is a registered Twitch application.
type Client struct {
	ID           string
	Secret       string
	RedirectURIs []string
}

// Server is a running fake Twitch. Its zero value is not usable: call New.
type Server struct {
	t    testing.TB
	http *httptest.Server

	mu         sync.Mutex
	now        func() time.Time
	clients    map[string]Client
	users      map[string]User // by id
	approver   string          // user id that approves /authorize
	denyNext   bool
	codes      map[string]*authCode
	access     map[string]*grant // access token -> grant
	refresh    map[string]*grant // refresh token -> grant
	tokenTTL   time.Duration
	rotate     bool // issue a new refresh token on every refresh
	violations []string
	allowed    bool
	calls      map[string]int // "METHOD /path" -> count
	inject     map[string][]Injection
	limits     map[string]*bucket // per client+user
	limit      int
	window     time.Duration
	followers  map[string][]follower
	streams    map[string]*Stream
	schedules  map[string][]Segment

	// EventSub
	sessions       map[string]*session
	subs           map[string]*subscription // id -> subscription
	minKeepalive   int
	keepalives     bool
	reconnectGrace time.Duration
	maxSessions    map[string]int // user id -> most sessions with subscriptions at once
	nextMsgID      int
}

// Option changes a fake's settings.
type Option func(*Server)

// WithTokenTTL sets the lifetime of issued access tokens (default 4h).
func WithTokenTTL(d time.Duration) Option { return func(s *Server) { s.tokenTTL = d } }

// WithRotatingRefreshTokens makes every refresh return a new refresh token and
// invalidate the old one (Twitch may do so; Spotify does).
func WithRotatingRefreshTokens() Option { return func(s *Server) { s.rotate = true } }

// WithMinKeepalive lowers the smallest keepalive_timeout_seconds accepted
// (Twitch: 10), so watchdog tests need not wait 10 s.
func WithMinKeepalive(seconds int) Option { return func(s *Server) { s.minKeepalive = seconds } }

// WithReconnectGrace sets how long a client has to connect to a
// reconnect_url before the old connection closes with 4004 (Twitch: 30 s).
func WithReconnectGrace(d time.Duration) Option { return func(s *Server) { s.reconnectGrace = d } }

// WithRateLimit sets the Helix points per window for each client+user
// bucket (Twitch: 800 per minute).
func WithRateLimit(points int, window time.Duration) Option {
	return func(s *Server) { s.limit, s.window = points, window }
}

// New starts a fake Twitch on 127.0.0.1 and stops it when the test ends.
func New(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s := &Server{
		t: t, now: time.Now, clients: map[string]Client{}, users: map[string]User{},
		codes: map[string]*authCode{}, access: map[string]*grant{}, refresh: map[string]*grant{},
		tokenTTL: 4 * time.Hour, calls: map[string]int{}, inject: map[string][]Injection{},
		limits: map[string]*bucket{}, limit: 800, window: time.Minute,
		followers: map[string][]follower{}, streams: map[string]*Stream{}, schedules: map[string][]Segment{},
		sessions: map[string]*session{}, subs: map[string]*subscription{}, minKeepalive: 10,
		keepalives: true, reconnectGrace: 30 * time.Second, maxSessions: map[string]int{},
	}
	for _, o := range opts {
		o(s)
	}
	mux := http.NewServeMux()
	s.routeOAuth(mux)
	s.routeHelix(mux)
	mux.HandleFunc("GET /ws", s.serveEventSub)
	s.http = httptest.NewServer(s.count(mux)) // httptest binds 127.0.0.1
	t.Cleanup(s.close)
	return s
}

// URL is the fake's base, http://127.0.0.1:PORT.
func (s *Server) URL() string { return s.http.URL }

// AuthURL is the OAuth base (Twitch: https://id.twitch.tv/oauth2).
func (s *Server) AuthURL() string { return s.http.URL + "/oauth2" }

// APIURL is the Helix base (Twitch: https://api.twitch.tv/helix).
func (s *Server) APIURL() string { return s.http.URL + "/helix" }

// EventSubURL is the EventSub WebSocket URL (Twitch: wss://eventsub.wss.twitch.tv/ws).
func (s *Server) EventSubURL() string { return "ws" + strings.TrimPrefix(s.http.URL, "http") + "/ws" }

// AddClient registers an application.
func (s *Server) AddClient(c Client) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clients[c.ID] = c
}

// AddUser adds an account; the first one added approves /authorize until
// SetApprover names another.
func (s *Server) AddUser(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u.DisplayName == "" {
		u.DisplayName = u.Login
	}
	s.users[u.ID] = u
	if s.approver == "" {
		s.approver = u.ID
	}
}

// SetApprover makes userID the account that approves the next /authorize.
func (s *Server) SetApprover(userID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.approver = userID
}

// DenyNext makes the next /authorize redirect with error=access_denied, as
// when the user presses "Cancel" on Twitch.
func (s *Server) DenyNext() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.denyNext = true
}

// AllowViolations stops the fake from failing the test for client
// misbehaviour (tests that provoke it on purpose).
func (s *Server) AllowViolations() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.allowed = true
}

// Violations returns every client misbehaviour seen so far.
func (s *Server) Violations() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.violations...)
}

func (s *Server) violate(format string, args ...any) {
	s.violations = append(s.violations, fmt.Sprintf(format, args...))
}

// Calls counts requests to "METHOD /path" (no query), e.g. "GET /helix/streams".
func (s *Server) Calls(route string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[route]
}

func (s *Server) count(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.calls[r.Method+" "+r.URL.Path]++
		s.mu.Unlock()
		next.ServeHTTP(w, r)
	})
}

func (s *Server) close() {
	s.mu.Lock()
	var conns []*wsConn
	for _, ss := range s.sessions {
		conns = append(conns, ss.conns()...)
	}
	violations, allowed := s.violations, s.allowed
	s.mu.Unlock()
	for _, c := range conns {
		c.kill()
	}
	s.http.CloseClientConnections()
	s.http.Close()
	if len(violations) > 0 && !allowed {
		s.t.Errorf("twitchfake: the client misbehaved: %s", strings.Join(violations, "; "))
	}
}

func randomID(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
