// Package grain runs each connected account's supervised parts in a
// cluster grain (kind "Integration", identity "<service>:<account id>"):
// the cluster keeps exactly one activation per identity, so three members
// never open three EventSub sockets for one broadcaster, and when a member
// dies the grain is activated again elsewhere by the next Ensure (every
// member runs an Activator that ensures every stored connection).
package grain

import (
	"strings"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/cluster"
	"github.com/asynkron/protoactor-go/extensions"
	"go.uber.org/zap"

	"github.com/streamwidgets/streamwidgets/actors"
	"github.com/streamwidgets/streamwidgets/integrations"
	"github.com/streamwidgets/streamwidgets/integrations/nowplaying"
	"github.com/streamwidgets/streamwidgets/integrations/supervise"
	"github.com/streamwidgets/streamwidgets/integrations/twitch"
	"github.com/streamwidgets/streamwidgets/integrations/widgetsink"
	"github.com/streamwidgets/streamwidgets/persistence"
)

// Kind is the cluster kind name (the proto service).
const Kind = "Integration"

// Services whose connections run as grains.
const (
	ServiceTwitch  = twitch.Service
	ServiceSpotify = nowplaying.SpotifyService
	ServiceLastfm  = "lastfm"
)

// Services lists them, for the Activator.
var Services = []string{ServiceTwitch, ServiceSpotify, ServiceLastfm}

// Identity is the grain identity of an account of service.
func Identity(service, accountID string) string { return service + ":" + accountID }

// ParseIdentity splits an identity.
func ParseIdentity(id string) (service, account string, ok bool) {
	service, account, ok = strings.Cut(id, ":")
	return service, account, ok && service != "" && account != ""
}

// Config is what members need to run integrations. Zero values are defaults.
type Config struct {
	Twitch          twitch.Config
	TwitchIntervals twitch.Intervals
	// PretzelBase is Pretzel's API base; empty turns Pretzel off. The
	// default (set by the command line) is https://api.pretzel.tv.
	PretzelBase string
	// Spotify's application and endpoints (empty client id: off).
	SpotifyClientID     string
	SpotifyClientSecret persistence.Secret
	SpotifyAPIBase      string
	SpotifyTokenURL     string
	// LastfmAPIKey turns Last.fm on; LastfmBase defaults to https://ws.audioscrobbler.com.
	LastfmAPIKey persistence.Secret
	LastfmBase   string
	// NowPlaying tunes the now-playing polls (default every 15-30 s).
	NowPlaying nowplaying.Poll
	// Policy restarts crashed parts (supervise defaults).
	Policy supervise.Policy
	// CallTimeout bounds grain calls made by integrations. Default 5s.
	CallTimeout time.Duration
}

// Deps is what the integration grains of one member share.
type Deps struct {
	Config
	Creds persistence.CredentialStore
	// Store lists the owners' widgets.
	Store persistence.Store
	Log   *zap.Logger
	// NewSink, when set, replaces the widget sink (tests).
	NewSink func(c *cluster.Cluster, service string) integrations.Sink
}

var depsExtensionID = extensions.NextExtensionID()

type depsExtension struct {
	d *Deps

	mu     sync.Mutex
	client *actors.Client
	sinks  map[string]integrations.Sink
}

func (*depsExtension) ExtensionID() extensions.ExtensionID { return depsExtensionID }

// Install makes d available to the integration grains of system. Without
// it the grains answer not_configured.
func Install(system *actor.ActorSystem, d Deps) {
	if d.Log == nil {
		d.Log = zap.NewNop()
	}
	if d.CallTimeout <= 0 {
		d.CallTimeout = 5 * time.Second
	}
	system.Extensions.Register(&depsExtension{d: &d, sinks: map[string]integrations.Sink{}})
}

func depsOf(system *actor.ActorSystem) *depsExtension {
	ext, _ := system.Extensions.Get(depsExtensionID).(*depsExtension)
	return ext
}

// sink returns the member's sink for service (one widget client per member).
func (e *depsExtension) sink(c *cluster.Cluster, service string) integrations.Sink {
	e.mu.Lock()
	defer e.mu.Unlock()
	if s, ok := e.sinks[service]; ok {
		return s
	}
	var s integrations.Sink
	if e.d.NewSink != nil {
		s = e.d.NewSink(c, service)
	} else {
		if e.client == nil {
			e.client = actors.NewClient(c, e.d.CallTimeout)
		}
		s = widgetsink.New(e.client, e.d.Store, service, e.d.Log)
	}
	e.sinks[service] = s
	return s
}
