package nowplayingfake

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
)

// SpotifyUser is an account the fake's authorize page approves.
type SpotifyUser struct{ ID, DisplayName string }

type spotifyCode struct {
	user        SpotifyUser
	redirectURI string
	clientID    string
}

// SpotifyApp registers the operator's application and the user who
// approves on the authorize page (as if signed in to Spotify).
func (s *Server) SpotifyApp(clientID, secret string, approver SpotifyUser) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.spClient, s.spSecret, s.spApprover = clientID, secret, approver
}

// SpotifyAccessOf is the access token the fake issued to user (tests).
func (s *Server) SpotifyAccessOf(userID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for tok, u := range s.spUsers {
		if u.ID == userID {
			return tok
		}
	}
	return ""
}

func randomID() string {
	b := make([]byte, 18)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// spotifyAuthorize is accounts.spotify.com/authorize: the user approves at
// once and is sent back with a code and the state, as Spotify documents.
func (s *Server) spotifyAuthorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.mu.Lock()
	defer s.mu.Unlock()
	if q.Get("client_id") != s.spClient || s.spClient == "" {
		http.Error(w, "INVALID_CLIENT: Invalid client", http.StatusBadRequest)
		return
	}
	redirect, err := url.Parse(q.Get("redirect_uri"))
	if err != nil || redirect.Host == "" {
		http.Error(w, "INVALID_CLIENT: Invalid redirect URI", http.StatusBadRequest)
		return
	}
	back := redirect.Query()
	back.Set("state", q.Get("state"))
	switch {
	case q.Get("response_type") != "code":
		back.Set("error", "unsupported_response_type")
	case !strings.Contains(" "+q.Get("scope")+" ", " user-read-currently-playing "):
		back.Set("error", "invalid_scope")
	default:
		code := randomID()
		s.spCodes[code] = spotifyCode{user: s.spApprover, redirectURI: q.Get("redirect_uri"), clientID: s.spClient}
		back.Set("code", code)
	}
	redirect.RawQuery = back.Encode()
	http.Redirect(w, r, redirect.String(), http.StatusSeeOther)
}

// spotifyCodeGrant is the token endpoint's authorization_code grant: the
// client's secret in Basic auth, the code once, the same redirect_uri.
// Caller holds s.mu.
func (s *Server) spotifyCodeGrant(w http.ResponseWriter, r *http.Request) {
	id, secret, _ := r.BasicAuth()
	if id != s.spClient || secret != s.spSecret || s.spClient == "" {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": "invalid_client", "error_description": "Invalid client secret"})
		return
	}
	code, ok := s.spCodes[r.PostForm.Get("code")]
	delete(s.spCodes, r.PostForm.Get("code"))
	if !ok || code.redirectURI != r.PostForm.Get("redirect_uri") || code.clientID != id {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": "invalid_grant", "error_description": "Invalid authorization code"})
		return
	}
	access, refresh := randomID(), randomID()
	s.spTokens[refresh] = access
	s.spUsers[access] = code.user
	s.spotify[access] = nil // idle until SetSpotify
	writeJSON(w, http.StatusOK, map[string]any{"access_token": access, "token_type": "Bearer", "expires_in": 3600,
		"refresh_token": refresh, "scope": "user-read-currently-playing"})
}

// spotifyMe is GET /v1/me: the profile of the token's user.
func (s *Server) spotifyMe(w http.ResponseWriter, r *http.Request) {
	tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.spUsers[tok]
	if !ok {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"error": map[string]any{"status": 401, "message": "Invalid access token"}})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": u.ID, "display_name": u.DisplayName, "type": "user"})
}
