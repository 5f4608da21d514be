// Package nowplayingfake serves, on 127.0.0.1, what the now-playing
// sources answer: Pretzel's `GET /playing/twitch/{channel_id}/json`,
// Spotify's currently-playing endpoint (204 when idle, 401 on an expired
// token, 429 with Retry-After) with its token endpoint, and Last.fm's
// user.getrecenttracks (@attr.nowplaying on the playing track).
package nowplayingfake

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// Track is what a fake says is playing.
type Track struct {
	Title, Artist, Album, ArtURL string
	DurationMS                   int
	ProgressMS                   int
	ID                           string
}

// Server is one fake serving all three sources.
type Server struct {
	http *httptest.Server

	mu       sync.Mutex
	pretzel  map[string]*Track // channel id -> track (nil: nothing)
	spotify  map[string]*Track // access token -> track
	lastfm   map[string]*Track // user -> track
	failures map[string][]int  // source -> statuses to answer next
	calls    map[string]int
	spTokens map[string]string // refresh -> access
	apiKey   string

	spClient, spSecret string
	spApprover         SpotifyUser
	spCodes            map[string]spotifyCode
	spUsers            map[string]SpotifyUser // access -> user
}

// New starts the fake and stops it at the end of the test.
func New(t testing.TB) *Server {
	s := &Server{pretzel: map[string]*Track{}, spotify: map[string]*Track{}, lastfm: map[string]*Track{},
		failures: map[string][]int{}, calls: map[string]int{}, spTokens: map[string]string{}, apiKey: "lastfm-key",
		spCodes: map[string]spotifyCode{}, spUsers: map[string]SpotifyUser{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /playing/twitch/{channel}/json", s.servePretzel)
	mux.HandleFunc("GET /v1/me/player/currently-playing", s.serveSpotify)
	mux.HandleFunc("POST /api/token", s.spotifyToken)
	mux.HandleFunc("GET /authorize", s.spotifyAuthorize)
	mux.HandleFunc("GET /v1/me", s.spotifyMe)
	mux.HandleFunc("GET /2.0/", s.serveLastfm)
	s.http = httptest.NewServer(mux)
	t.Cleanup(s.http.Close)
	return s
}

// URL is the base of every source (Pretzel base, Spotify API and accounts
// base, Last.fm base).
func (s *Server) URL() string { return s.http.URL }

// Fail makes the next requests to source ("pretzel", "spotify", "lastfm")
// answer these statuses, one each.
func (s *Server) Fail(source string, statuses ...int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures[source] = append(s.failures[source], statuses...)
}

// Calls counts requests to source.
func (s *Server) Calls(source string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[source]
}

// failure counts the call and pops a queued failure. Caller holds s.mu.
func (s *Server) failure(source string) int {
	s.calls[source]++
	if q := s.failures[source]; len(q) > 0 {
		s.failures[source] = q[1:]
		return q[0]
	}
	return 0
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func copyTrack(t *Track) *Track {
	if t == nil {
		return nil
	}
	c := *t
	return &c
}
