package main

import (
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"strings"

	"github.com/streamwidgets/streamwidgets/cmd/streamwidgets/app"
	"github.com/streamwidgets/streamwidgets/persistence"
	"github.com/streamwidgets/streamwidgets/persistence/seal"
)

// integrationFlags are the platform integrations' settings (README
// "Connect Twitch"). Secrets come best from the environment or a file.
type integrationFlags struct {
	cfg               *app.IntegrationsConfig
	secretFile        *string
	spotifySecretFile *string
}

func addIntegrationFlags(fs *flag.FlagSet, cfg *app.Config) integrationFlags {
	ic := &cfg.Integrations
	fs.StringVar(&ic.Twitch.ClientID, "twitch-client-id", "", "the Twitch application's client id (dev.twitch.tv/console); with a secret, turns \"Connect Twitch\" on")
	fs.Func("twitch-client-secret", "the Twitch application's client secret; prefer STREAMWIDGETS_TWITCH_CLIENT_SECRET or --twitch-client-secret-file",
		func(v string) error { ic.Twitch.ClientSecret = persistence.Secret(strings.TrimSpace(v)); return nil })
	f := fs.String("twitch-client-secret-file", "", "file holding the Twitch client secret (a mounted secret)")
	fs.StringVar(&ic.Twitch.AuthURL, "twitch-auth-url", "https://id.twitch.tv/oauth2", "Twitch OAuth base URL")
	fs.StringVar(&ic.Twitch.APIURL, "twitch-api-url", "https://api.twitch.tv/helix", "Twitch Helix API base URL")
	fs.StringVar(&ic.Twitch.EventSubURL, "twitch-eventsub-url", "wss://eventsub.wss.twitch.tv/ws", "Twitch EventSub WebSocket URL")
	fs.StringVar(&ic.Twitch.RedirectURL, "twitch-redirect-url", "", "OAuth redirect URL registered with the Twitch application "+
		"(default: the first --public-url, or http://ADDR, + /integrations/twitch/callback)")
	fs.Func("credentials-keys", "keys sealing integration tokens at rest, kid:base64key[,kid:base64key…]: the first seals, later ones still open (rotation); "+
		"required with --store dynamodb when an integration is on, the same on every node; prefer STREAMWIDGETS_CREDENTIALS_KEYS (default with bolt: generated in the data dir)",
		func(v string) error { ic.CredentialsKeys = persistence.Secret(strings.TrimSpace(v)); return nil })
	fs.StringVar(&ic.PretzelBase, "pretzel-url", "https://api.pretzel.tv", "Pretzel API base for now playing of connected Twitch channels (the widgets plan names https://api.pretzel.rocks); \"off\" turns it off")
	fs.StringVar(&ic.Spotify.ClientID, "spotify-client-id", "", "the Spotify application's client id (developer.spotify.com/dashboard); with a secret, turns \"Connect Spotify\" on (now playing)")
	fs.Func("spotify-client-secret", "the Spotify application's client secret; prefer STREAMWIDGETS_SPOTIFY_CLIENT_SECRET or --spotify-client-secret-file",
		func(v string) error { ic.Spotify.ClientSecret = persistence.Secret(strings.TrimSpace(v)); return nil })
	sf := fs.String("spotify-client-secret-file", "", "file holding the Spotify client secret (a mounted secret)")
	fs.StringVar(&ic.Spotify.AccountsURL, "spotify-auth-url", "https://accounts.spotify.com", "Spotify accounts (OAuth) base URL")
	fs.StringVar(&ic.Spotify.APIBase, "spotify-api-url", "https://api.spotify.com/v1", "Spotify Web API base URL")
	fs.StringVar(&ic.Spotify.RedirectURL, "spotify-redirect-url", "", "OAuth redirect URI registered with the Spotify application "+
		"(default: the first --public-url, or http://ADDR, + /integrations/spotify/callback)")
	fs.Func("lastfm-api-key", "Last.fm API key (last.fm/api/account/create); turns the Last.fm now-playing source on; prefer STREAMWIDGETS_LASTFM_API_KEY",
		func(v string) error { ic.LastfmAPIKey = persistence.Secret(strings.TrimSpace(v)); return nil })
	fs.StringVar(&ic.LastfmBase, "lastfm-url", "https://ws.audioscrobbler.com", "Last.fm API base URL")
	return integrationFlags{cfg: ic, secretFile: f, spotifySecretFile: sf}
}

// apply reads the secret file and checks the settings, reporting every problem.
func (f integrationFlags) apply(cfg app.Config) []error {
	ic := f.cfg
	var errs []error
	errs = append(errs, secretFromFile("twitch", *f.secretFile, &ic.Twitch.ClientID, &ic.Twitch.ClientSecret)...)
	errs = append(errs, secretFromFile("spotify", *f.spotifySecretFile, &ic.Spotify.ClientID, &ic.Spotify.ClientSecret)...)
	for _, u := range []struct{ name, value, scheme string }{
		{"twitch-auth-url", ic.Twitch.AuthURL, "http"}, {"twitch-api-url", ic.Twitch.APIURL, "http"},
		{"twitch-eventsub-url", ic.Twitch.EventSubURL, "ws"}, {"twitch-redirect-url", ic.Twitch.RedirectURL, "http"},
		{"lastfm-url", ic.LastfmBase, "http"}, {"spotify-auth-url", ic.Spotify.AccountsURL, "http"},
		{"spotify-api-url", ic.Spotify.APIBase, "http"}, {"spotify-redirect-url", ic.Spotify.RedirectURL, "http"},
	} {
		if u.value == "" && strings.HasSuffix(u.name, "-redirect-url") {
			continue
		}
		if p, err := url.Parse(u.value); err != nil || p.Host == "" || !strings.HasPrefix(p.Scheme, u.scheme) {
			errs = append(errs, fmt.Errorf("--%s: %q is not a %s(s):// URL", u.name, u.value, u.scheme))
		}
	}
	switch ic.PretzelBase {
	case "off", "":
		ic.PretzelBase = ""
	default:
		if p, err := url.Parse(ic.PretzelBase); err != nil || p.Host == "" || !strings.HasPrefix(p.Scheme, "http") {
			errs = append(errs, fmt.Errorf("--pretzel-url: %q is not an http(s):// URL (or \"off\")", ic.PretzelBase))
		}
	}
	if ic.CredentialsKeys != "" {
		if _, err := seal.ParseKeyring(ic.CredentialsKeys.Reveal()); err != nil {
			errs = append(errs, fmt.Errorf("--credentials-keys: %w", err))
		}
	} else if cfg.Store == "dynamodb" && (ic.Twitch.ClientID != "" || ic.Spotify.ClientID != "" || ic.LastfmAPIKey != "") {
		errs = append(errs, errors.New("--credentials-keys (or STREAMWIDGETS_CREDENTIALS_KEYS) is required with --store dynamodb when an integration is on, the same on every node: kid:base64key, e.g. k1:$(openssl rand -base64 32)"))
	}
	return errs
}

// secretFromFile reads a --<provider>-client-secret-file and checks that
// the client id and secret come together.
func secretFromFile(provider, file string, id *string, secret *persistence.Secret) []error {
	var errs []error
	if file != "" {
		b, err := os.ReadFile(file)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("--%s-client-secret-file: %w", provider, err))
		case *secret != "":
			errs = append(errs, fmt.Errorf("--%s-client-secret-file: give the secret once (it is also set by flag or STREAMWIDGETS_%s_CLIENT_SECRET)",
				provider, strings.ToUpper(provider)))
		default:
			*secret = persistence.Secret(strings.TrimSpace(string(b)))
		}
	}
	if (*id == "") != (*secret == "") {
		errs = append(errs, fmt.Errorf("--%s-client-id and --%s-client-secret go together (one is missing)", provider, provider))
	}
	return errs
}
