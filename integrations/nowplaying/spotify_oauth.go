package nowplaying

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/streamwidgets/streamwidgets/persistence"
)

// SpotifyScope is the one permission "Connect Spotify" asks for.
const SpotifyScope = "user-read-currently-playing"

// SpotifyApp is the operator's registered Spotify application and
// Spotify's URLs; "Connect Spotify" runs its authorization code flow.
// It is the flow for a server that keeps a client secret (Spotify's
// PKCE flow is for apps that cannot, and its tokens refresh without the
// secret, unlike the poller's). The sealed state, its cookie and the
// one-time claim guard the redirect (restapi).
type SpotifyApp struct {
	ClientID     string
	ClientSecret persistence.Secret
	AccountsURL  string // default https://accounts.spotify.com
	APIBase      string // default https://api.spotify.com/v1
	RedirectURL  string
	HTTP         *http.Client
}

// ErrSpotifyNotConfigured: the server has no Spotify application.
var ErrSpotifyNotConfigured = errors.New("nowplaying: no Spotify application configured")

// Configured says the operator set a client id and secret.
func (a SpotifyApp) Configured() bool { return a.ClientID != "" && a.ClientSecret != "" }

// WithDefaults fills Spotify's public URLs.
func (a SpotifyApp) WithDefaults() SpotifyApp {
	if a.AccountsURL == "" {
		a.AccountsURL = "https://accounts.spotify.com"
	}
	if a.APIBase == "" {
		a.APIBase = "https://api.spotify.com/v1"
	}
	a.AccountsURL, a.APIBase = strings.TrimRight(a.AccountsURL, "/"), strings.TrimRight(a.APIBase, "/")
	return a
}

// TokenURL is the accounts service's token endpoint (refreshes too).
func (a SpotifyApp) TokenURL() string { return a.WithDefaults().AccountsURL + "/api/token" }

// AuthorizeURL is where "Connect Spotify" sends the browser.
func (a SpotifyApp) AuthorizeURL(state string) string {
	q := url.Values{"client_id": {a.ClientID}, "response_type": {"code"}, "redirect_uri": {a.RedirectURL},
		"scope": {SpotifyScope}, "state": {state}, "show_dialog": {"true"}}
	return a.WithDefaults().AccountsURL + "/authorize?" + q.Encode()
}

// Exchange trades an authorization code for tokens, and names the account.
func (a SpotifyApp) Exchange(ctx context.Context, code string) (persistence.Credentials, error) {
	if !a.Configured() {
		return persistence.Credentials{}, ErrSpotifyNotConfigured
	}
	tok, status, err := postSpotifyToken(ctx, a.HTTP, a.TokenURL(), a.ClientID, a.ClientSecret,
		url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {a.RedirectURL}})
	switch {
	case err != nil:
		return persistence.Credentials{}, fmt.Errorf("nowplaying: spotify code exchange: %w", err)
	case status != http.StatusOK || tok.Access == "" || tok.Refresh == "":
		return persistence.Credentials{}, fmt.Errorf("nowplaying: spotify code exchange: HTTP %d", status)
	}
	req, _ := http.NewRequest(http.MethodGet, a.WithDefaults().APIBase+"/me", nil)
	req.Header.Set("Authorization", "Bearer "+tok.Access)
	var me struct {
		ID          string `json:"id"`
		DisplayName string `json:"display_name"`
	}
	status, err = getJSON(ctx, a.HTTP, req, &me)
	switch {
	case err != nil:
		return persistence.Credentials{}, fmt.Errorf("nowplaying: spotify profile: %w", err)
	case status != http.StatusOK || me.ID == "":
		return persistence.Credentials{}, fmt.Errorf("nowplaying: spotify profile: HTTP %d", status)
	}
	name := me.DisplayName
	if name == "" {
		name = me.ID
	}
	return persistence.Credentials{AccessToken: persistence.Secret(tok.Access), RefreshToken: persistence.Secret(tok.Refresh),
		ExpiresAt: time.Now().Add(time.Duration(tok.ExpiresIn) * time.Second), Scopes: strings.Fields(tok.Scope),
		AccountID: me.ID, AccountName: name}, nil
}

// spotifyToken is an answer of Spotify's token endpoint.
type spotifyToken struct {
	Access    string `json:"access_token"`
	Refresh   string `json:"refresh_token"` // absent when a refresh keeps the old one
	ExpiresIn int    `json:"expires_in"`
	Scope     string `json:"scope"`
}

// postSpotifyToken sends a grant to the token endpoint with the
// application's id and secret in Basic auth.
func postSpotifyToken(ctx context.Context, client *http.Client, tokenURL, clientID string, secret persistence.Secret, form url.Values) (spotifyToken, int, error) {
	req, _ := http.NewRequest(http.MethodPost, tokenURL, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(clientID, secret.Reveal())
	var tok spotifyToken
	status, err := getJSON(ctx, client, req, &tok)
	return tok, status, err
}
