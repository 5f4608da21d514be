package restapi

import (
	"crypto/rand"
	"encoding/base64"
	"errors"

	"github.com/gofiber/fiber/v2"
	"go.uber.org/zap"

	"github.com/streamwidgets/streamwidgets/integrations"
	"github.com/streamwidgets/streamwidgets/integrations/grain"
	"github.com/streamwidgets/streamwidgets/integrations/twitch"
	"github.com/streamwidgets/streamwidgets/persistence"
)

func randomToken() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (a *api) twitchConnect(c *fiber.Ctx) error {
	if !a.d.Twitch.Configured() {
		return writeError(c, fiber.StatusConflict, CodeNotConfigured,
			"the server has no Twitch application: the operator sets --twitch-client-id and --twitch-client-secret (README: Connect Twitch)")
	}
	verifier, challenge := twitch.NewPKCE()
	state, err := a.begin(c, twitchFlow, verifier)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"data": fiber.Map{
		"authorize_url": twitch.NewOAuth(a.d.Twitch).AuthorizeURL(state, challenge, twitch.ScopeNames()),
		"scopes":        twitch.Scopes,
	}})
}

// twitchCallback finishes "Connect Twitch". Outcomes: connected, denied,
// invalid_state, state_mismatch, expired, state_used, exchange_failed,
// account_in_use, unavailable.
func (a *api) twitchCallback(c *fiber.Ctx) error {
	back := twitchFlow.back
	log := a.d.Log
	fs, outcome := a.finish(c, twitchFlow)
	if outcome != "" {
		return back(c, outcome)
	}
	ctx, cancel := a.ctx(c)
	defer cancel()
	oauth := twitch.NewOAuth(a.d.Twitch)
	tok, err := oauth.Exchange(ctx, c.Query("code"), fs.Verifier)
	if err != nil {
		log.Warn("Twitch refused the authorization code", zap.Error(err))
		return back(c, "exchange_failed")
	}
	v, err := oauth.Validate(ctx, tok.Access)
	if err != nil || v.UserID == "" {
		log.Warn("the new Twitch token does not validate", zap.Error(err))
		return back(c, "exchange_failed")
	}
	// One Twitch account feeds one streamwidgets user: its grain identity
	// is the account, so a second owner would never be served.
	conns, err := a.d.Creds.ListConnections(ctx, grain.ServiceTwitch)
	if err != nil {
		return back(c, "unavailable")
	}
	for _, cn := range conns {
		if cn.AccountID == v.UserID && cn.UserID != fs.User {
			_ = oauth.Revoke(ctx, tok.Access)
			return back(c, "account_in_use")
		}
	}
	old, oldErr := a.d.Creds.GetCredentials(ctx, fs.User, grain.ServiceTwitch)
	scopes := v.Scopes
	if len(scopes) == 0 {
		scopes = tok.Scopes
	}
	creds := persistence.Credentials{AccessToken: tok.Access, RefreshToken: tok.Refresh, ExpiresAt: tok.ExpiresAt,
		Scopes: scopes, AccountID: v.UserID, AccountName: v.Login}
	if _, err := a.d.Creds.PutCredentials(ctx, fs.User, grain.ServiceTwitch, creds, persistence.AnyVersion); err != nil {
		log.Error("cannot store the Twitch tokens", zap.Error(err))
		_ = oauth.Revoke(ctx, tok.Access)
		return back(c, "unavailable")
	}
	if oldErr == nil && old.AccountID != "" && old.AccountID != v.UserID {
		// The user switched Twitch accounts: the old account's parts stop.
		if _, err := a.d.Connections.Stop(fs.User, grain.ServiceTwitch, old.AccountID); err != nil {
			log.Warn("could not stop the previous Twitch account's integration", zap.Error(err))
		}
		_ = a.d.Creds.DeleteState(ctx, fs.User, "twitch.eventsub")
		_ = oauth.Revoke(ctx, old.RefreshToken)
	}
	if _, err := a.d.Connections.Ensure(fs.User, grain.ServiceTwitch, v.UserID, true); err != nil {
		log.Warn("the Twitch integration did not start yet; the activator retries", zap.Error(err))
	}
	if a.d.AfterConnect != nil {
		a.d.AfterConnect()
	}
	log.Info("Twitch connected", zap.String("account_id", v.UserID), zap.Int("scopes", len(scopes)))
	return back(c, "connected")
}

func (a *api) twitchDisconnect(c *fiber.Ctx) error {
	ctx, cancel := a.ctx(c)
	defer cancel()
	user := userOf(c)
	creds, err := a.d.Creds.GetCredentials(ctx, user, grain.ServiceTwitch)
	switch {
	case errors.Is(err, persistence.ErrNotFound):
		return c.JSON(fiber.Map{"data": disconnected(grain.ServiceTwitch)})
	case err != nil:
		return writeError(c, fiber.StatusServiceUnavailable, CodeUnavailable, "the store is unavailable; try again")
	}
	// Delete first: an Ensure racing with the stop then finds nothing to start.
	if err := a.d.Creds.DeleteCredentials(ctx, user, grain.ServiceTwitch); err != nil {
		return writeError(c, fiber.StatusServiceUnavailable, CodeUnavailable, "the store is unavailable; try again")
	}
	if _, err := a.d.Connections.Stop(user, grain.ServiceTwitch, creds.AccountID); err != nil {
		a.d.Log.Warn("could not stop the Twitch integration; it stops when it finds the tokens gone", zap.Error(err))
	}
	_ = a.d.Creds.DeleteState(ctx, user, "twitch.eventsub")
	// Revoking ends Twitch's side too (its EventSub subscriptions go).
	oauth := twitch.NewOAuth(a.d.Twitch)
	for _, tok := range []persistence.Secret{creds.RefreshToken, creds.AccessToken} {
		if tok == "" {
			continue
		}
		if err := oauth.Revoke(ctx, tok); err != nil {
			a.d.Log.Warn("could not revoke a Twitch token (it expires by itself)", zap.Error(err))
		}
	}
	a.d.Log.Info("Twitch disconnected", zap.String("account_id", creds.AccountID))
	return c.JSON(fiber.Map{"data": disconnected(grain.ServiceTwitch)})
}

func disconnected(svc string) integrations.Status {
	return integrations.Status{Service: svc, State: integrations.StateDisconnected, Advice: integrations.Advice(integrations.StateDisconnected),
		Components: []integrations.Component{}}
}
