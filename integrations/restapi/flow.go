package restapi

import (
	"crypto/subtle"
	"encoding/json"
	"net/url"
	"time"

	"github.com/gofiber/fiber/v2"
	"go.uber.org/zap"
)

// oauthFlow is one service's authorization redirect: connect seals {user,
// PKCE verifier, nonce, expiry} into the state parameter (only this server
// can open it; the verifier never leaves it in clear) and sets the nonce
// in an HttpOnly cookie scoped to the callback. The callback accepts a
// state only with its cookie (the browser that started the flow), once (a
// claim in the shared store, so any node may receive it), before it
// expires.
type oauthFlow struct {
	service  string // in the console's #integrations=<service>:<outcome>
	aad      string // binds a sealed state to this service
	cookie   string
	callback string
}

var (
	twitchFlow  = oauthFlow{service: "twitch", aad: "oauth-state:twitch", cookie: "sw_oauth_twitch", callback: "/integrations/twitch/callback"}
	spotifyFlow = oauthFlow{service: "spotify", aad: "oauth-state:spotify", cookie: "sw_oauth_spotify", callback: "/integrations/spotify/callback"}
)

const flowTTL = 10 * time.Minute

type flowState struct {
	User     string `json:"u"`
	Verifier string `json:"v"`
	Nonce    string `json:"n"`
	Expires  int64  `json:"e"`
}

// begin seals the flow's state for the signed-in user and sets its cookie.
func (a *api) begin(c *fiber.Ctx, f oauthFlow, verifier string) (string, error) {
	fs := flowState{User: userOf(c), Verifier: verifier, Nonce: randomToken(), Expires: time.Now().Add(flowTTL).Unix()}
	plain, _ := json.Marshal(fs)
	state, err := a.d.Keys.Seal(plain, []byte(f.aad))
	if err != nil {
		return "", err
	}
	c.Cookie(&fiber.Cookie{Name: f.cookie, Value: fs.Nonce, Path: f.callback, MaxAge: int(flowTTL.Seconds()),
		HTTPOnly: true, Secure: a.d.SecureCookies, SameSite: fiber.CookieSameSiteLaxMode})
	return state, nil
}

// finish checks the callback's state: its outcome is "" when the flow may
// go on, else one of invalid_state, state_mismatch, expired, state_used,
// unavailable, denied.
func (a *api) finish(c *fiber.Ctx, f oauthFlow) (flowState, string) {
	var fs flowState
	if a.d.Keys == nil {
		return fs, "invalid_state"
	}
	plain, err := a.d.Keys.Open(c.Query("state"), []byte(f.aad))
	if err != nil || json.Unmarshal(plain, &fs) != nil || fs.User == "" {
		return fs, "invalid_state"
	}
	if subtle.ConstantTimeCompare([]byte(c.Cookies(f.cookie)), []byte(fs.Nonce)) != 1 {
		return fs, "state_mismatch"
	}
	expires := time.Unix(fs.Expires, 0)
	if time.Now().After(expires) {
		return fs, "expired"
	}
	ctx, cancel := a.ctx(c)
	defer cancel()
	first, err := a.d.Once.ClaimOnce(ctx, "oauth:"+fs.Nonce, expires)
	if err != nil {
		a.d.Log.Warn("cannot record the OAuth state; refusing the callback", zap.String("service", f.service), zap.Error(err))
		return fs, "unavailable"
	}
	if !first {
		return fs, "state_used"
	}
	if c.Query("error") != "" {
		return fs, "denied"
	}
	return fs, ""
}

// back sends the browser to the console with the flow's outcome in the
// fragment (never sent to a server, never logged). The flow's cookie goes
// once its state was used; a callback with another state (forged, or
// another flow's) leaves it, so it cannot cancel the flow under way.
func (f oauthFlow) back(c *fiber.Ctx, outcome string) error {
	if outcome != "invalid_state" && outcome != "state_mismatch" {
		c.Cookie(&fiber.Cookie{Name: f.cookie, Value: "", Path: f.callback, MaxAge: -1, HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode})
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Redirect("/#integrations="+url.QueryEscape(f.service+":"+outcome), fiber.StatusSeeOther)
}
