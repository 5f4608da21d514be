// Package twitch is the Twitch integration: the OAuth, Helix and EventSub
// WebSocket clients, the mapping from EventSub notifications and Helix
// polls to widget actions, and the supervised parts that drive them for one
// connected broadcaster (token keeper, EventSub session, Helix pollers).
package twitch

import (
	"net/http"
	"strings"
	"time"

	"github.com/streamwidgets/streamwidgets/persistence"
)

// Service is the integration's name in credentials, grain identities and
// the service caller.
const Service = "twitch"

// Config is the Twitch application. Zero values are the defaults in the comments.
type Config struct {
	// ClientID and ClientSecret are the registered application's
	// (dev.twitch.tv/console). Without both the integration is off.
	ClientID     string
	ClientSecret persistence.Secret
	// AuthURL is the OAuth base. Default https://id.twitch.tv/oauth2.
	AuthURL string
	// APIURL is the Helix base. Default https://api.twitch.tv/helix.
	APIURL string
	// EventSubURL is the EventSub WebSocket. Default wss://eventsub.wss.twitch.tv/ws.
	EventSubURL string
	// RedirectURL is where Twitch sends the browser back after "Connect
	// Twitch"; it must be registered with the application exactly.
	RedirectURL string
	// KeepaliveSeconds is asked of EventSub (10-600): silence longer than
	// this plus a margin means a dead socket. Default 10.
	KeepaliveSeconds int
	// HTTP makes the HTTP calls. Default: a client with a 10 s timeout.
	HTTP *http.Client
}

// Configured reports whether an application is set.
func (c Config) Configured() bool { return c.ClientID != "" && c.ClientSecret != "" }

// WithDefaults fills the zero fields.
func (c Config) WithDefaults() Config {
	if c.AuthURL == "" {
		c.AuthURL = "https://id.twitch.tv/oauth2"
	}
	if c.APIURL == "" {
		c.APIURL = "https://api.twitch.tv/helix"
	}
	if c.EventSubURL == "" {
		c.EventSubURL = "wss://eventsub.wss.twitch.tv/ws"
	}
	c.AuthURL = strings.TrimRight(c.AuthURL, "/")
	c.APIURL = strings.TrimRight(c.APIURL, "/")
	if c.KeepaliveSeconds == 0 {
		c.KeepaliveSeconds = 10
	}
	c.KeepaliveSeconds = min(max(c.KeepaliveSeconds, 1), 600)
	if c.HTTP == nil {
		c.HTTP = &http.Client{Timeout: 10 * time.Second}
	}
	return c
}
