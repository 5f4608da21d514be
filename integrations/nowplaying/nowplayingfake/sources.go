package nowplayingfake

import (
	"net/http"
	"strconv"
	"strings"
)

// SetPretzel sets what Pretzel says channelID is playing (nil: nothing).
func (s *Server) SetPretzel(channelID string, t *Track) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pretzel[channelID] = copyTrack(t)
}

// servePretzel answers like api.pretzel.rocks: the track with its artist
// string and artwork, and the player's state.
func (s *Server) servePretzel(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st := s.failure("pretzel"); st != 0 {
		writeJSON(w, st, map[string]any{"error": http.StatusText(st)})
		return
	}
	t := s.pretzel[r.PathValue("channel")]
	if t == nil {
		writeJSON(w, http.StatusOK, map[string]any{"player": map[string]any{"playing": false}})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"track": map[string]any{"title": t.Title, "artist": t.Artist, "artistsString": t.Artist, "artworkUrl": t.ArtURL,
			"release": map[string]any{"title": t.Album}, "id": t.ID},
		"player": map[string]any{"playing": true},
		"url":    "https://play.pretzel.rocks/track/" + t.ID,
	})
}

// SpotifyToken registers a refresh token whose refresh yields access.
func (s *Server) SpotifyToken(refresh, access string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.spTokens[refresh] = access
}

// SetSpotify sets what Spotify says the owner of access is playing (nil: idle, 204).
func (s *Server) SetSpotify(access string, t *Track) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.spotify[access] = copyTrack(t)
}

func (s *Server) serveSpotify(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st := s.failure("spotify"); st != 0 {
		if st == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "1")
		}
		writeJSON(w, st, map[string]any{"error": map[string]any{"status": st, "message": http.StatusText(st)}})
		return
	}
	tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	t, known := s.spotify[tok]
	if !known {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"error": map[string]any{"status": 401, "message": "The access token expired"}})
		return
	}
	if t == nil {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"is_playing": true, "progress_ms": t.ProgressMS, "currently_playing_type": "track",
		"item": map[string]any{"id": t.ID, "name": t.Title, "duration_ms": t.DurationMS, "type": "track",
			"artists": []any{map[string]any{"name": t.Artist}},
			"album":   map[string]any{"name": t.Album, "images": []any{map[string]any{"url": t.ArtURL, "width": 640, "height": 640}}}},
	})
}

// spotifyToken is the accounts service's refresh grant (client credentials
// in Basic auth).
func (s *Server) spotifyToken(w http.ResponseWriter, r *http.Request) {
	if _, _, ok := r.BasicAuth(); !ok {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": "invalid_client"})
		return
	}
	_ = r.ParseForm()
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.PostForm.Get("grant_type") == "authorization_code" {
		s.spotifyCodeGrant(w, r)
		return
	}
	access, ok := s.spTokens[r.PostForm.Get("refresh_token")]
	if r.PostForm.Get("grant_type") != "refresh_token" || !ok {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": "invalid_grant", "error_description": "Invalid refresh token"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"access_token": access, "token_type": "Bearer", "expires_in": 3600,
		"scope": "user-read-currently-playing"})
}

// SetLastfm sets what user is scrobbling now (nil: only past tracks).
func (s *Server) SetLastfm(user string, t *Track) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lastfm[user] = copyTrack(t)
}

// LastfmKey is the API key the fake accepts.
func (s *Server) LastfmKey() string { return s.apiKey }

func (s *Server) serveLastfm(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.mu.Lock()
	defer s.mu.Unlock()
	if st := s.failure("lastfm"); st != 0 {
		writeJSON(w, st, map[string]any{"error": 29, "message": "Rate Limit Exceeded"})
		return
	}
	if q.Get("method") != "user.getrecenttracks" || q.Get("format") != "json" {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": 3, "message": "Invalid Method"})
		return
	}
	if q.Get("api_key") != s.apiKey {
		writeJSON(w, http.StatusForbidden, map[string]any{"error": 10, "message": "Invalid API key"})
		return
	}
	user := q.Get("user")
	t, ok := s.lastfm[user]
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]any{"error": 6, "message": "User not found"})
		return
	}
	past := map[string]any{"artist": map[string]any{"#text": "Old Artist", "mbid": ""}, "name": "Played Earlier",
		"album": map[string]any{"#text": "Old Album"}, "image": []any{}, "date": map[string]any{"uts": "1700000000", "#text": "14 Nov 2023, 22:13"}}
	tracks := []any{past}
	if t != nil {
		tracks = []any{map[string]any{"artist": map[string]any{"#text": t.Artist, "mbid": ""}, "name": t.Title,
			"album": map[string]any{"#text": t.Album}, "@attr": map[string]any{"nowplaying": "true"},
			"image": []any{map[string]any{"#text": t.ArtURL + "?s", "size": "small"}, map[string]any{"#text": t.ArtURL, "size": "extralarge"}}}, past}
	}
	writeJSON(w, http.StatusOK, map[string]any{"recenttracks": map[string]any{"track": tracks,
		"@attr": map[string]any{"user": user, "page": "1", "perPage": "1", "totalPages": "1", "total": strconv.Itoa(len(tracks))}}})
}
