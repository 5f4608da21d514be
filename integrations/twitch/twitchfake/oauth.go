package twitchfake

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// authCode is an authorization code issued by /authorize, good once.
type authCode struct {
	client, user, redirect string
	scopes                 []string
	challenge, method      string
	expires                time.Time
}

// grant is one user's authorization of one client: the current access and
// refresh tokens.
type grant struct {
	client, user    string
	scopes          []string
	access, refresh string
	expires         time.Time
	revoked         bool
}

// Tokens are what the token endpoint issued.
type Tokens struct {
	Access, Refresh string
	Scopes          []string
}

func (s *Server) routeOAuth(mux *http.ServeMux) {
	mux.HandleFunc("GET /oauth2/authorize", s.authorize)
	mux.HandleFunc("POST /oauth2/token", s.token)
	mux.HandleFunc("GET /oauth2/validate", s.validate)
	mux.HandleFunc("POST /oauth2/revoke", s.revoke)
}

func oauthError(w http.ResponseWriter, status int, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"status": status, "message": message})
}

// authorize approves at once as the approver (there is no login page) and
// redirects to redirect_uri with a code, or with error=access_denied.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.clients[q.Get("client_id")]
	if !ok {
		oauthError(w, http.StatusBadRequest, "invalid client")
		return
	}
	redirect := q.Get("redirect_uri")
	if !slices.Contains(c.RedirectURIs, redirect) {
		oauthError(w, http.StatusBadRequest, "redirect_mismatch")
		return
	}
	if q.Get("response_type") != "code" {
		oauthError(w, http.StatusBadRequest, "unsupported response_type")
		return
	}
	back, _ := url.Parse(redirect)
	v := back.Query()
	v.Set("state", q.Get("state"))
	if s.denyNext || s.approver == "" {
		s.denyNext = false
		v.Set("error", "access_denied")
		v.Set("error_description", "The user denied you access")
	} else {
		code := randomID(15)
		scopes := strings.Fields(q.Get("scope"))
		s.codes[code] = &authCode{client: c.ID, user: s.approver, redirect: redirect, scopes: scopes,
			challenge: q.Get("code_challenge"), method: q.Get("code_challenge_method"), expires: s.now().Add(10 * time.Minute)}
		v.Set("code", code)
		v.Set("scope", strings.Join(scopes, " "))
	}
	back.RawQuery = v.Encode()
	http.Redirect(w, r, back.String(), http.StatusFound)
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "malformed form")
		return
	}
	f := r.PostForm
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.clients[f.Get("client_id")]
	if !ok {
		oauthError(w, http.StatusBadRequest, "invalid client")
		return
	}
	if subtle.ConstantTimeCompare([]byte(c.Secret), []byte(f.Get("client_secret"))) != 1 {
		oauthError(w, http.StatusForbidden, "invalid client secret")
		return
	}
	var g *grant
	switch f.Get("grant_type") {
	case "authorization_code":
		code, ok := s.codes[f.Get("code")]
		delete(s.codes, f.Get("code")) // once, even when the exchange fails
		if !ok || code.client != c.ID || s.now().After(code.expires) {
			oauthError(w, http.StatusBadRequest, "Invalid authorization code")
			return
		}
		if f.Get("redirect_uri") != code.redirect {
			oauthError(w, http.StatusBadRequest, "Parameter redirect_uri does not match registered URI")
			return
		}
		if code.challenge != "" && !pkceMatches(code.challenge, code.method, f.Get("code_verifier")) {
			oauthError(w, http.StatusBadRequest, "invalid code verifier")
			return
		}
		g = &grant{client: c.ID, user: code.user, scopes: code.scopes}
		s.issue(g, true)
	case "refresh_token":
		old, ok := s.refresh[f.Get("refresh_token")]
		if !ok || old.revoked || old.client != c.ID {
			oauthError(w, http.StatusBadRequest, "Invalid refresh token")
			return
		}
		g = old
		delete(s.access, g.access)
		if s.rotate {
			delete(s.refresh, g.refresh)
		}
		s.issue(g, s.rotate)
	default:
		oauthError(w, http.StatusBadRequest, "unsupported grant_type")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"access_token": g.access, "refresh_token": g.refresh, "expires_in": int(s.tokenTTL.Seconds()),
		"scope": g.scopes, "token_type": "bearer",
	})
}

// issue gives g a new access token, and a new refresh token if newRefresh.
func (s *Server) issue(g *grant, newRefresh bool) {
	g.access = randomID(15)
	g.expires = s.now().Add(s.tokenTTL)
	s.access[g.access] = g
	if newRefresh {
		g.refresh = randomID(25)
		s.refresh[g.refresh] = g
	}
}

func pkceMatches(challenge, method, verifier string) bool {
	if method != "S256" || verifier == "" {
		return false // plain is not accepted: the fake insists on S256
	}
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:]) == challenge
}

// bearer finds the grant of a live access token, from "OAuth x" or "Bearer x".
func (s *Server) bearer(r *http.Request) *grant {
	h := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok {
		tok, _ = strings.CutPrefix(h, "OAuth ")
	}
	g, found := s.access[tok]
	if !found || g.revoked || g.access != tok || s.now().After(g.expires) {
		return nil
	}
	return g
}

func (s *Server) validate(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.bearer(r)
	if g == nil {
		oauthError(w, http.StatusUnauthorized, "invalid access token")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"client_id": g.client, "login": s.users[g.user].Login, "scopes": g.scopes, "user_id": g.user,
		"expires_in": int(time.Until(g.expires).Seconds()),
	})
}

func (s *Server) revoke(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "malformed form")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.clients[r.PostForm.Get("client_id")]; !ok {
		oauthError(w, http.StatusNotFound, "client does not exist")
		return
	}
	tok := r.PostForm.Get("token")
	g, ok := s.access[tok]
	if !ok {
		g, ok = s.refresh[tok]
	}
	if !ok || g.revoked {
		oauthError(w, http.StatusBadRequest, "Invalid token")
		return
	}
	g.revoked = true
	w.WriteHeader(http.StatusOK)
}

// Grant authorizes client for userID with scopes without the browser flow
// and returns the tokens, as if the user had connected.
func (s *Server) Grant(clientID, userID string, scopes ...string) Tokens {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := &grant{client: clientID, user: userID, scopes: scopes}
	s.issue(g, true)
	return Tokens{Access: g.access, Refresh: g.refresh, Scopes: scopes}
}

// ExpireAccessTokens makes every access token of userID expire now (Helix
// and validate answer 401); refresh tokens keep working.
func (s *Server) ExpireAccessTokens(userID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, g := range s.access {
		if g.user == userID {
			g.expires = s.now().Add(-time.Second)
		}
	}
}

// RevokeUser is the user disconnecting the application on Twitch: every
// token of userID stops working and each of their EventSub subscriptions is
// revoked with status authorization_revoked.
func (s *Server) RevokeUser(userID string) {
	s.mu.Lock()
	for _, g := range s.refresh {
		if g.user == userID {
			g.revoked = true
		}
	}
	var gone []*subscription
	for _, sub := range s.subs {
		if sub.user == userID {
			gone = append(gone, sub)
		}
	}
	s.mu.Unlock()
	for _, sub := range gone {
		s.revokeSubscription(sub, "authorization_revoked")
	}
}

// Revoked reports whether token (access or refresh) was revoked.
func (s *Server) Revoked(token string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if g, ok := s.access[token]; ok {
		return g.revoked
	}
	if g, ok := s.refresh[token]; ok {
		return g.revoked
	}
	return false
}

// LiveRefreshToken returns userID's current refresh token for client.
func (s *Server) LiveRefreshToken(clientID, userID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for tok, g := range s.refresh {
		if g.client == clientID && g.user == userID && !g.revoked && g.refresh == tok {
			return tok
		}
	}
	return ""
}
