package app

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/streamwidgets/streamwidgets/cluster/grains"
	"github.com/streamwidgets/streamwidgets/integrations/grain"
	"github.com/streamwidgets/streamwidgets/integrations/nowplaying"
	"github.com/streamwidgets/streamwidgets/integrations/restapi"
	"github.com/streamwidgets/streamwidgets/integrations/supervise"
	"github.com/streamwidgets/streamwidgets/integrations/twitch"
	"github.com/streamwidgets/streamwidgets/persistence"
	"github.com/streamwidgets/streamwidgets/persistence/bolt"
	"github.com/streamwidgets/streamwidgets/persistence/dynamo"
	"github.com/streamwidgets/streamwidgets/persistence/seal"
	"github.com/streamwidgets/streamwidgets/transport/auth"
)

// IntegrationsConfig is the platform integrations' settings. Zero values
// are the defaults in the comments.
type IntegrationsConfig struct {
	// Twitch is the registered Twitch application and Twitch's URLs. Without
	// a client id and secret, "Connect Twitch" says the server is not set up.
	// RedirectURL defaults to the first public URL (or http://Addr) +
	// /integrations/twitch/callback.
	Twitch twitch.Config
	// CredentialsKeys seal integration tokens at rest: "kid:base64key[,…]",
	// the first seals, later ones still open (rotation). Required with the
	// DynamoDB store (the same on every node). Default with bolt: a keyring
	// created in DataDir/keys/credentials.keys.
	CredentialsKeys persistence.Secret
	// PretzelBase is Pretzel's API (now playing for Twitch channels); empty
	// turns Pretzel off.
	PretzelBase string
	// Spotify is the registered Spotify application ("Connect Spotify" for
	// now playing); without a client id and secret it is off. RedirectURL
	// defaults like Twitch's, ending in /integrations/spotify/callback.
	Spotify nowplaying.SpotifyApp
	// LastfmAPIKey turns Last.fm on; LastfmBase defaults to https://ws.audioscrobbler.com.
	LastfmAPIKey persistence.Secret
	LastfmBase   string
	// EnsureEvery is how often each node makes sure every connected account
	// runs somewhere. Default 30s.
	EnsureEvery time.Duration
	// TwitchIntervals, NowPlaying and Policy tune the parts (tests).
	TwitchIntervals twitch.Intervals
	NowPlaying      nowplaying.Poll
	Policy          supervise.Policy
}

// CredentialsKeyFile is where the embedded store's credential keys live.
const CredentialsKeyFile = "keys/credentials.keys"

type integrationsRuntime struct {
	creds     persistence.CredentialStore
	keys      *seal.Keyring
	activator *grain.Activator
}

// openIntegrations opens the credentials store and returns the grains
// option that installs the integration grains' dependencies (none when
// there is nothing to run).
func (a *App) openIntegrations() ([]grains.Option, error) {
	ic := a.cfg.Integrations
	var keys *seal.Keyring
	var err error
	switch {
	case ic.CredentialsKeys != "":
		keys, err = seal.ParseKeyring(ic.CredentialsKeys.Reveal())
	case a.cfg.Store == "dynamodb":
		if ic.Twitch.Configured() || ic.Spotify.Configured() || ic.LastfmAPIKey != "" {
			return nil, errors.New("app: --credentials-keys (STREAMWIDGETS_CREDENTIALS_KEYS) is required with --store dynamodb when an integration is configured, the same on every node: kid:base64key, e.g. k1:$(openssl rand -base64 32)")
		}
		return nil, nil // nothing to run: the grains answer not_configured
	default:
		keys, err = seal.LoadOrCreateFile(filepath.Join(a.cfg.DataDir, filepath.FromSlash(CredentialsKeyFile)))
	}
	if err != nil {
		return nil, fmt.Errorf("app: credentials keys: %w", err)
	}
	var creds persistence.CredentialStore
	switch st := a.store.(type) {
	case *bolt.Store:
		creds = bolt.NewCredentials(st, keys)
	default:
		db, err := dynamo.NewClient(context.Background(), a.cfg.Dynamo)
		if err != nil {
			return nil, fmt.Errorf("app: credentials store: %w", err)
		}
		creds = dynamo.NewCredentials(db, a.cfg.Dynamo, keys)
	}
	a.integ = &integrationsRuntime{creds: creds, keys: keys}
	sp := a.spotifyApp()
	return []grains.Option{grains.WithIntegrations(grain.Deps{
		Config: grain.Config{
			Twitch: a.twitchConfig(), TwitchIntervals: ic.TwitchIntervals, PretzelBase: ic.PretzelBase,
			LastfmAPIKey: ic.LastfmAPIKey, LastfmBase: ic.LastfmBase, NowPlaying: ic.NowPlaying, Policy: ic.Policy,
			SpotifyClientID: sp.ClientID, SpotifyClientSecret: sp.ClientSecret, SpotifyAPIBase: sp.APIBase, SpotifyTokenURL: sp.TokenURL(),
			CallTimeout: a.cfg.Cluster.RequestTimeout,
		},
		Creds: creds, Store: a.store, Log: a.log,
	})}, nil
}

// twitchConfig fills the redirect URL from the public URL.
func (a *App) twitchConfig() twitch.Config {
	tc := a.cfg.Integrations.Twitch
	if tc.RedirectURL == "" {
		tc.RedirectURL = a.publicBase() + "/integrations/twitch/callback"
	}
	return tc
}

// spotifyApp fills Spotify's URLs and the redirect URL.
func (a *App) spotifyApp() nowplaying.SpotifyApp {
	sp := a.cfg.Integrations.Spotify.WithDefaults()
	if sp.RedirectURL == "" {
		sp.RedirectURL = a.publicBase() + "/integrations/spotify/callback"
	}
	return sp
}

// publicBase is where browsers reach this node: the first public URL, or
// http://Addr.
func (a *App) publicBase() string {
	if len(a.cfg.WS.PublicURLs) > 0 {
		return strings.TrimRight(a.cfg.WS.PublicURLs[0], "/")
	}
	return "http://" + a.cfg.Addr
}

// startIntegrations starts the node's Activator and the REST routes; it
// runs after the member joined and the API exists.
func (a *App) startIntegrations(verifier *auth.Verifier) {
	var d restapi.Deps
	d.Twitch, d.Spotify, d.Log, d.Timeout = a.twitchConfig(), a.spotifyApp(), a.log, a.cfg.HTTP.RequestTimeout
	d.Verify = func(ctx context.Context, token string) (string, error) {
		id, err := verifier.Verify(ctx, token)
		return id.UserID, err
	}
	d.Once = a.store
	d.Connections = grain.NewClient(a.member.Cluster, a.cfg.Cluster.RequestTimeout)
	d.SecureCookies = strings.HasPrefix(d.Twitch.RedirectURL, "https://")
	if a.integ == nil {
		// No credentials store (DynamoDB without keys, nothing configured):
		// the routes still answer, saying so.
		d.Creds = noCredentials{}
		d.Twitch.ClientID, d.Twitch.ClientSecret = "", ""
		d.Spotify.ClientID, d.Spotify.ClientSecret = "", ""
		restapi.Register(a.http, d)
		return
	}
	d.Creds, d.Keys, d.LastfmEnabled = a.integ.creds, a.integ.keys, a.cfg.Integrations.LastfmAPIKey != ""
	a.integ.activator = grain.StartActivator(a.member.Cluster, a.integ.creds, a.cfg.Integrations.EnsureEvery, a.log)
	d.AfterConnect = a.integ.activator.Kick
	restapi.Register(a.http, d)
	if d.Twitch.Configured() {
		a.log.Info("Twitch integration on", zap.String("redirect_url", d.Twitch.RedirectURL))
	}
	if d.Spotify.Configured() {
		a.log.Info("Spotify integration on", zap.String("redirect_url", d.Spotify.RedirectURL))
	}
}

// stopIntegrations stops the Activator (the grains stop with the member).
func (a *App) stopIntegrations() {
	if a.integ != nil && a.integ.activator != nil {
		a.integ.activator.Stop()
		a.integ.activator = nil
	}
}

// noCredentials is the credentials store of a node without one: nothing is
// connected and nothing can be.
type noCredentials struct{}

var errNoCredentials = errors.New("app: no credentials store (set --credentials-keys)")

func (noCredentials) PutCredentials(context.Context, string, string, persistence.Credentials, int64) (persistence.Credentials, error) {
	return persistence.Credentials{}, errNoCredentials
}
func (noCredentials) GetCredentials(context.Context, string, string) (persistence.Credentials, error) {
	return persistence.Credentials{}, persistence.ErrNotFound
}
func (noCredentials) DeleteCredentials(context.Context, string, string) error { return nil }
func (noCredentials) ListConnections(context.Context, string) ([]persistence.Connection, error) {
	return nil, nil
}
func (noCredentials) GetState(context.Context, string, string) ([]byte, int64, error) {
	return nil, 0, persistence.ErrNotFound
}
func (noCredentials) PutState(context.Context, string, string, []byte, int64) (int64, error) {
	return 0, errNoCredentials
}
func (noCredentials) DeleteState(context.Context, string, string) error { return nil }
