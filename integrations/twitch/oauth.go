package twitch

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/streamwidgets/streamwidgets/persistence"
)

// OAuth is the client of Twitch's OAuth server (authorization code grant).
type OAuth struct{ cfg Config }

// NewOAuth returns the OAuth client of cfg's application.
func NewOAuth(cfg Config) *OAuth { return &OAuth{cfg: cfg.WithDefaults()} }

// Token is what the token endpoint issues.
type Token struct {
	Access    persistence.Secret
	Refresh   persistence.Secret
	ExpiresAt time.Time
	Scopes    []string
}

// Validation is what /validate says about an access token.
type Validation struct {
	ClientID  string   `json:"client_id"`
	Login     string   `json:"login"`
	UserID    string   `json:"user_id"`
	Scopes    []string `json:"scopes"`
	ExpiresIn int      `json:"expires_in"`
}

// NewPKCE returns a fresh PKCE verifier and its S256 challenge (RFC 7636).
// Twitch does not document PKCE; it is sent anyway so an intercepted code is
// useless to a provider that checks it, and the fake does.
func NewPKCE() (verifier, challenge string) {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	verifier = base64.RawURLEncoding.EncodeToString(b)
	sum := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(sum[:])
}

// AuthorizeURL is where "Connect Twitch" sends the browser.
func (o *OAuth) AuthorizeURL(state, challenge string, scopes []string) string {
	q := url.Values{
		"client_id": {o.cfg.ClientID}, "redirect_uri": {o.cfg.RedirectURL}, "response_type": {"code"},
		"scope": {strings.Join(scopes, " ")}, "state": {state},
		"code_challenge": {challenge}, "code_challenge_method": {"S256"},
		// Show Twitch's consent page even to a user who approved before, so
		// they see the permissions (and may pick another account).
		"force_verify": {"true"},
	}
	return o.cfg.AuthURL + "/authorize?" + q.Encode()
}

// Exchange trades an authorization code for tokens.
func (o *OAuth) Exchange(ctx context.Context, code, verifier string) (Token, error) {
	return o.token(ctx, url.Values{"grant_type": {"authorization_code"}, "code": {code},
		"redirect_uri": {o.cfg.RedirectURL}, "code_verifier": {verifier}})
}

// Refresh trades a refresh token for new tokens; ErrInvalidRefresh means
// the user must connect again.
func (o *OAuth) Refresh(ctx context.Context, refresh persistence.Secret) (Token, error) {
	t, err := o.token(ctx, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh.Reveal()}})
	if err != nil {
		return t, err
	}
	if t.Refresh == "" { // providers may keep the refresh token as it was
		t.Refresh = refresh
	}
	return t, nil
}

func (o *OAuth) token(ctx context.Context, form url.Values) (Token, error) {
	if !o.cfg.Configured() {
		return Token{}, ErrNotConfigured
	}
	form.Set("client_id", o.cfg.ClientID)
	form.Set("client_secret", o.cfg.ClientSecret.Reveal())
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, o.cfg.AuthURL+"/token", strings.NewReader(form.Encode()))
	if err != nil {
		return Token{}, fmt.Errorf("twitch: token request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	var out struct {
		Access    string   `json:"access_token"`
		Refresh   string   `json:"refresh_token"`
		ExpiresIn int      `json:"expires_in"`
		Scope     []string `json:"scope"`
	}
	status, msg, err := o.do(req, &out)
	switch {
	case err != nil:
		return Token{}, err
	case status == http.StatusBadRequest && form.Get("grant_type") == "refresh_token":
		return Token{}, fmt.Errorf("%w: %s", ErrInvalidRefresh, msg)
	case status != http.StatusOK:
		return Token{}, &APIError{Status: status, Message: msg}
	case out.Access == "":
		return Token{}, &APIError{Status: status, Message: "token response without access_token"}
	}
	exp := time.Time{}
	if out.ExpiresIn > 0 {
		exp = time.Now().Add(time.Duration(out.ExpiresIn) * time.Second)
	}
	return Token{Access: persistence.Secret(out.Access), Refresh: persistence.Secret(out.Refresh), ExpiresAt: exp, Scopes: out.Scope}, nil
}

// Validate asks Twitch about an access token (required at start and hourly).
func (o *OAuth) Validate(ctx context.Context, access persistence.Secret) (Validation, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, o.cfg.AuthURL+"/validate", nil)
	if err != nil {
		return Validation{}, fmt.Errorf("twitch: validate request: %w", err)
	}
	req.Header.Set("Authorization", "OAuth "+access.Reveal())
	var v Validation
	status, msg, err := o.do(req, &v)
	switch {
	case err != nil:
		return v, err
	case status == http.StatusUnauthorized:
		return v, fmt.Errorf("%w: %s", ErrUnauthorized, msg)
	case status != http.StatusOK:
		return v, &APIError{Status: status, Message: msg}
	}
	return v, nil
}

// Revoke revokes a token (disconnect). A token Twitch no longer knows is
// not an error: it is as revoked as it gets.
func (o *OAuth) Revoke(ctx context.Context, token persistence.Secret) error {
	form := url.Values{"client_id": {o.cfg.ClientID}, "token": {token.Reveal()}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, o.cfg.AuthURL+"/revoke", strings.NewReader(form.Encode()))
	if err != nil {
		return fmt.Errorf("twitch: revoke request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	status, msg, err := o.do(req, nil)
	switch {
	case err != nil:
		return err
	case status == http.StatusOK, status == http.StatusBadRequest:
		return nil
	}
	return &APIError{Status: status, Message: msg}
}

// do sends req and decodes a 200 body into out; other statuses return
// Twitch's message. Transport errors name the endpoint, never a token
// (tokens travel in bodies and headers only).
func (o *OAuth) do(req *http.Request, out any) (int, string, error) {
	resp, err := o.cfg.HTTP.Do(req)
	if err != nil {
		return 0, "", fmt.Errorf("twitch: %s %s: %w", req.Method, req.URL.Path, unwrapURL(err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return 0, "", fmt.Errorf("twitch: %s %s: read: %w", req.Method, req.URL.Path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, twitchMessage(body), nil
	}
	if out != nil {
		if err := json.Unmarshal(body, out); err != nil {
			return resp.StatusCode, "", fmt.Errorf("twitch: %s %s: decode: %w", req.Method, req.URL.Path, err)
		}
	}
	return resp.StatusCode, "", nil
}

// twitchMessage extracts "message" from an error body, bounded.
func twitchMessage(body []byte) string {
	var e struct {
		Message string `json:"message"`
		Error   string `json:"error"`
	}
	_ = json.Unmarshal(body, &e)
	m := e.Message
	if m == "" {
		m = e.Error
	}
	if len(m) > 200 {
		m = m[:200]
	}
	return m
}

// unwrapURL drops *url.Error's URL (ours carry no secrets, but a query
// string might one day) and keeps the cause.
func unwrapURL(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}
