// Package restapi is the REST side of integrations, for the console:
// list connections with their status, "Connect Twitch" (OAuth authorization
// code with state and PKCE; tokens go straight from Twitch to the sealed
// credentials store, never to a browser), the OAuth callback, disconnect
// (revoke and delete), and the Last.fm user name.
//
//	GET    /integrations                   every service: configured, connected, status, scopes
//	GET    /integrations/twitch            one connection's status
//	POST   /integrations/twitch/connect    → {authorize_url, scopes}; sets the flow's cookie
//	GET    /integrations/twitch/callback   Twitch's redirect (no sign-in: the sealed state says who)
//	DELETE /integrations/twitch            revoke on Twitch, stop, delete
//	GET    /integrations/spotify           one connection's status
//	POST   /integrations/spotify/connect   → {authorize_url, scopes}; sets the flow's cookie
//	GET    /integrations/spotify/callback  Spotify's redirect
//	DELETE /integrations/spotify           stop, delete (Spotify cannot revoke)
//	PUT    /integrations/lastfm            {"username"}
//	DELETE /integrations/lastfm
package restapi

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"go.uber.org/zap"

	"github.com/streamwidgets/streamwidgets/integrations"
	"github.com/streamwidgets/streamwidgets/integrations/grain"
	"github.com/streamwidgets/streamwidgets/integrations/nowplaying"
	"github.com/streamwidgets/streamwidgets/integrations/twitch"
	"github.com/streamwidgets/streamwidgets/persistence"
	"github.com/streamwidgets/streamwidgets/persistence/seal"
)

// Connections starts, reports and stops connections (grain.Client).
type Connections interface {
	Ensure(owner, service, account string, restart bool) (integrations.Status, error)
	Status(owner, service, account string) (integrations.Status, error)
	Stop(owner, service, account string) (integrations.Status, error)
}

var _ Connections = (*grain.Client)(nil)

// Deps is what the routes need.
type Deps struct {
	Twitch  twitch.Config
	Spotify nowplaying.SpotifyApp
	// Verify checks a user JWT and returns the user id.
	Verify func(ctx context.Context, token string) (string, error)
	Creds  persistence.CredentialStore
	Once   persistence.OnceStore
	// Keys seal the OAuth state (the credentials keys).
	Keys        *seal.Keyring
	Connections Connections
	// LastfmEnabled says the server has a Last.fm API key.
	LastfmEnabled bool
	// SecureCookies marks the flow's cookie Secure (the public URL is https).
	SecureCookies bool
	// AfterConnect, when set, runs after a connection was stored (kicks the
	// Activator).
	AfterConnect func()
	Log          *zap.Logger
	Timeout      time.Duration // per request; default 10s
}

// Error codes of these routes (the REST API's error shape).
const (
	CodeUnauthorized  = "unauthorized"
	CodeNotConfigured = "not_configured"
	CodeInvalidField  = "invalid_field"
	CodeMalformedJSON = "malformed_json"
	CodeUnavailable   = "unavailable"
	CodeNotFound      = "not_found"
)

type api struct {
	d Deps
}

// Register adds the routes to app.
func Register(app fiber.Router, d Deps) {
	if d.Log == nil {
		d.Log = zap.NewNop()
	}
	if d.Timeout <= 0 {
		d.Timeout = 10 * time.Second
	}
	d.Log = d.Log.Named("integrations")
	d.Twitch, d.Spotify = d.Twitch.WithDefaults(), d.Spotify.WithDefaults()
	a := &api{d: d}
	app.Get("/integrations/twitch/callback", a.twitchCallback) // the providers' redirects: no bearer token
	app.Get("/integrations/spotify/callback", a.spotifyCallback)
	g := app.Group("/integrations", a.authenticate)
	g.Get("/", a.list)
	g.Get("/twitch", a.twitchStatus)
	g.Post("/twitch/connect", a.twitchConnect)
	g.Delete("/twitch", a.twitchDisconnect)
	g.Get("/spotify", a.spotifyStatus)
	g.Post("/spotify/connect", a.spotifyConnect)
	g.Delete("/spotify", a.spotifyDisconnect)
	g.Put("/lastfm", a.lastfmPut)
	g.Delete("/lastfm", a.lastfmDelete)
}

func writeError(c *fiber.Ctx, status int, code, message string) error {
	return c.Status(status).JSON(fiber.Map{"error": fiber.Map{"code": code, "message": message}})
}

const localUser = "integrations.user"

func (a *api) authenticate(c *fiber.Ctx) error {
	token, ok := strings.CutPrefix(c.Get(fiber.HeaderAuthorization), "Bearer ")
	if !ok || strings.TrimSpace(token) == "" {
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="streamwidgets"`)
		return writeError(c, fiber.StatusUnauthorized, CodeUnauthorized, "sign in: send Authorization: Bearer <token>")
	}
	user, err := a.d.Verify(c.UserContext(), strings.TrimSpace(token))
	if err != nil || user == "" {
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="streamwidgets", error="invalid_token"`)
		return writeError(c, fiber.StatusUnauthorized, CodeUnauthorized, "sign in again: the token is not valid")
	}
	c.Locals(localUser, user)
	return c.Next()
}

func userOf(c *fiber.Ctx) string { s, _ := c.Locals(localUser).(string); return s }

func (a *api) ctx(c *fiber.Ctx) (context.Context, context.CancelFunc) {
	return context.WithTimeout(c.UserContext(), a.d.Timeout)
}

// service is one entry of GET /integrations.
type service struct {
	Service    string              `json:"service"`
	Name       string              `json:"name"`
	Configured bool                `json:"configured"`
	Connected  bool                `json:"connected"`
	Scopes     any                 `json:"scopes,omitempty"`
	Status     integrations.Status `json:"status"`
}

func (a *api) list(c *fiber.Ctx) error {
	tw, err := a.status(c, grain.ServiceTwitch)
	if err != nil {
		return err
	}
	sp, err := a.status(c, grain.ServiceSpotify)
	if err != nil {
		return err
	}
	lf, err := a.status(c, grain.ServiceLastfm)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"data": []service{tw, sp, lf}})
}

func (a *api) twitchStatus(c *fiber.Ctx) error  { return a.oneStatus(c, grain.ServiceTwitch) }
func (a *api) spotifyStatus(c *fiber.Ctx) error { return a.oneStatus(c, grain.ServiceSpotify) }

func (a *api) oneStatus(c *fiber.Ctx, svc string) error {
	s, err := a.status(c, svc)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"data": s})
}

// status reports the user's connection to svc: from its grain when
// connected, from the store otherwise.
func (a *api) status(c *fiber.Ctx, svc string) (service, error) {
	out := service{Service: svc}
	switch svc {
	case grain.ServiceTwitch:
		out.Name, out.Configured, out.Scopes = "Twitch", a.d.Twitch.Configured(), twitch.Scopes
	case grain.ServiceSpotify:
		out.Name, out.Configured, out.Scopes = "Spotify", a.d.Spotify.Configured(), spotifyScopes
	case grain.ServiceLastfm:
		out.Name, out.Configured = "Last.fm", a.d.LastfmEnabled
	}
	ctx, cancel := a.ctx(c)
	defer cancel()
	user := userOf(c)
	creds, err := a.d.Creds.GetCredentials(ctx, user, svc)
	switch {
	case errors.Is(err, persistence.ErrNotFound):
		st := integrations.StateDisconnected
		if !out.Configured {
			st = integrations.StateNotConfigured
		}
		out.Status = integrations.Status{Service: svc, State: st, Advice: integrations.Advice(st), Components: []integrations.Component{}}
		return out, nil
	case err != nil:
		a.d.Log.Warn("cannot read a connection", zap.String("service", svc), zap.Error(err))
		return out, writeError(c, fiber.StatusServiceUnavailable, CodeUnavailable, "the store is unavailable; try again")
	}
	out.Connected = true
	st, err := a.d.Connections.Status(user, svc, creds.AccountID)
	if err != nil {
		a.d.Log.Warn("cannot reach a connection's supervisor", zap.String("service", svc), zap.Error(err))
		st = integrations.Status{Service: svc, State: integrations.StateConnecting, Message: "the integration is starting or moving to another node",
			Advice: integrations.Advice(integrations.StateConnecting), Components: []integrations.Component{}}
	}
	if st.Account == nil || st.Account.Name == "" {
		st.Account = &integrations.Account{ID: creds.AccountID, Name: creds.AccountName}
	}
	if len(st.Scopes) == 0 {
		st.Scopes = creds.Scopes
	}
	out.Status = st
	return out, nil
}
