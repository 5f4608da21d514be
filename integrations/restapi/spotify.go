package restapi

import (
	"errors"

	"github.com/gofiber/fiber/v2"
	"go.uber.org/zap"

	"github.com/streamwidgets/streamwidgets/integrations/grain"
	"github.com/streamwidgets/streamwidgets/integrations/nowplaying"
	"github.com/streamwidgets/streamwidgets/persistence"
)

// spotifyScopes is what "Connect Spotify" asks for, and why.
var spotifyScopes = []scopeWhy{{Name: nowplaying.SpotifyScope, Why: "the song you are playing, for now-playing widgets"}}

type scopeWhy struct {
	Name string `json:"name"`
	Why  string `json:"why"`
}

func (a *api) spotifyConnect(c *fiber.Ctx) error {
	if !a.d.Spotify.Configured() || a.d.Keys == nil {
		return writeError(c, fiber.StatusConflict, CodeNotConfigured,
			"the server has no Spotify application: the operator sets --spotify-client-id and --spotify-client-secret (README: Spotify)")
	}
	state, err := a.begin(c, spotifyFlow, "")
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"data": fiber.Map{"authorize_url": a.d.Spotify.AuthorizeURL(state), "scopes": spotifyScopes}})
}

// spotifyCallback finishes "Connect Spotify". Outcomes: connected, denied,
// invalid_state, state_mismatch, expired, state_used, exchange_failed,
// unavailable. The poller runs per streamwidgets user (its account id is
// the owner's), so two users may follow one Spotify account.
func (a *api) spotifyCallback(c *fiber.Ctx) error {
	back := spotifyFlow.back
	fs, outcome := a.finish(c, spotifyFlow)
	if outcome != "" {
		return back(c, outcome)
	}
	ctx, cancel := a.ctx(c)
	defer cancel()
	creds, err := a.d.Spotify.Exchange(ctx, c.Query("code"))
	if err != nil {
		a.d.Log.Warn("Spotify refused the authorization code", zap.Error(err))
		return back(c, "exchange_failed")
	}
	creds.AccountID = fs.User
	if _, err := a.d.Creds.PutCredentials(ctx, fs.User, grain.ServiceSpotify, creds, persistence.AnyVersion); err != nil {
		a.d.Log.Error("cannot store the Spotify tokens", zap.Error(err))
		return back(c, "unavailable")
	}
	if _, err := a.d.Connections.Ensure(fs.User, grain.ServiceSpotify, fs.User, true); err != nil {
		a.d.Log.Warn("the Spotify integration did not start yet; the activator retries", zap.Error(err))
	}
	if a.d.AfterConnect != nil {
		a.d.AfterConnect()
	}
	a.d.Log.Info("Spotify connected")
	return back(c, "connected")
}

// spotifyDisconnect stops the poller and deletes the tokens. Spotify has
// no revocation endpoint: the user removes the app's access on Spotify
// (Account → Apps), which the answer says.
func (a *api) spotifyDisconnect(c *fiber.Ctx) error {
	ctx, cancel := a.ctx(c)
	defer cancel()
	user := userOf(c)
	_, err := a.d.Creds.GetCredentials(ctx, user, grain.ServiceSpotify)
	switch {
	case errors.Is(err, persistence.ErrNotFound):
		return c.JSON(fiber.Map{"data": disconnected(grain.ServiceSpotify)})
	case err != nil:
		return writeError(c, fiber.StatusServiceUnavailable, CodeUnavailable, "the store is unavailable; try again")
	}
	if err := a.d.Creds.DeleteCredentials(ctx, user, grain.ServiceSpotify); err != nil {
		return writeError(c, fiber.StatusServiceUnavailable, CodeUnavailable, "the store is unavailable; try again")
	}
	if _, err := a.d.Connections.Stop(user, grain.ServiceSpotify, user); err != nil {
		a.d.Log.Warn("could not stop the Spotify integration; it stops when it finds the tokens gone", zap.Error(err))
	}
	st := disconnected(grain.ServiceSpotify)
	st.Message = "Tokens deleted. Spotify has no way for us to revoke them: remove streamwidgets under Spotify → Account → Manage apps."
	return c.JSON(fiber.Map{"data": st})
}
