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
	cfg        *app.IntegrationsConfig
	secretFile *string
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
	fs.Func("lastfm-api-key", "Last.fm API key (last.fm/api/account/create); turns the Last.fm now-playing source on; prefer STREAMWIDGETS_LASTFM_API_KEY",
		func(v string) error { ic.LastfmAPIKey = persistence.Secret(strings.TrimSpace(v)); return nil })
	fs.StringVar(&ic.LastfmBase, "lastfm-url", "https://ws.audioscrobbler.com", "Last.fm API base URL")
	return integrationFlags{cfg: ic, secretFile: f}
}

// apply reads the secret file and checks the settings, reporting every problem.
func (f integrationFlags) apply(cfg app.Config) []error {
	ic := f.cfg
	var errs []error
	if *f.secretFile != "" {
		b, err := os.ReadFile(*f.secretFile)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("--twitch-client-secret-file: %w", err))
		case ic.Twitch.ClientSecret != "":
			errs = append(errs, errors.New("--twitch-client-secret-file: give the secret once (it is also set by flag or STREAMWIDGETS_TWITCH_CLIENT_SECRET)"))
		default:
			ic.Twitch.ClientSecret = persistence.Secret(strings.TrimSpace(string(b)))
		}
	}
	if (ic.Twitch.ClientID == "") != (ic.Twitch.ClientSecret == "") {
		errs = append(errs, errors.New("--twitch-client-id and --twitch-client-secret go together (one is missing)"))
	}
	for _, u := range []struct{ name, value, scheme string }{
		{"twitch-auth-url", ic.Twitch.AuthURL, "http"}, {"twitch-api-url", ic.Twitch.APIURL, "http"},
		{"twitch-eventsub-url", ic.Twitch.EventSubURL, "ws"}, {"twitch-redirect-url", ic.Twitch.RedirectURL, "http"},
		{"lastfm-url", ic.LastfmBase, "http"},
	} {
		if u.value == "" && u.name == "twitch-redirect-url" {
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
	} else if cfg.Store == "dynamodb" && (ic.Twitch.ClientID != "" || ic.LastfmAPIKey != "") {
		errs = append(errs, errors.New("--credentials-keys (or STREAMWIDGETS_CREDENTIALS_KEYS) is required with --store dynamodb when an integration is on, the same on every node: kid:base64key, e.g. k1:$(openssl rand -base64 32)"))
	}
	return errs
}
