package twitch

import (
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/zap"

	"github.com/streamwidgets/streamwidgets/integrations"
	"github.com/streamwidgets/streamwidgets/integrations/supervise"
	"github.com/streamwidgets/streamwidgets/persistence"
)

// Intervals are how often the parts act. Zero values are the defaults.
type Intervals struct {
	// Validate: Twitch requires validating tokens at start and hourly. Default 1h.
	Validate time.Duration
	// Followers, Stream and Schedule are the Helix polls. Defaults 60s, 30s, 10m.
	Followers time.Duration
	Stream    time.Duration
	Schedule  time.Duration
	// CallTimeout bounds each platform call. Default 10s.
	CallTimeout time.Duration
	// DeliveryTimeout bounds delivering one action to the widgets. Default 5s.
	DeliveryTimeout time.Duration
	// HelixLag is how long a stream.online/offline from EventSub outweighs a
	// Helix poll that still says otherwise. Default 3m.
	HelixLag time.Duration
}

func (i Intervals) withDefaults() Intervals {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&i.Validate, time.Hour)
	def(&i.Followers, time.Minute)
	def(&i.Stream, 30*time.Second)
	def(&i.Schedule, 10*time.Minute)
	def(&i.CallTimeout, 10*time.Second)
	def(&i.DeliveryTimeout, 5*time.Second)
	def(&i.HelixLag, 3*time.Minute)
	return i
}

// Deps is what one broadcaster's parts need.
type Deps struct {
	Config      Config
	Owner       string // the streamwidgets user who connected the account
	Broadcaster string // the Twitch user id
	Creds       persistence.CredentialStore
	Sink        integrations.Sink
	Log         *zap.Logger
	Intervals   Intervals
}

// shared is Deps plus what the parts share at run time.
type shared struct {
	Deps
	cfg    Config
	iv     Intervals
	tokens *integrations.TokenSource
	helix  *Helix
	oauth  *OAuth
	live   liveMark
}

// Part names, as they appear in the status.
const (
	PartToken     = "token"
	PartEventSub  = "eventsub"
	PartFollowers = "followers"
	PartStream    = "stream"
	PartSchedule  = "schedule"
)

// Parts returns the supervised parts of one broadcaster's connection: the
// token keeper, the EventSub session and the Helix pollers. They share one
// token source and one rate-limit bucket.
func Parts(d Deps) []supervise.Child {
	if d.Log == nil {
		d.Log = zap.NewNop()
	}
	s := &shared{Deps: d, cfg: d.Config.WithDefaults(), iv: d.Intervals.withDefaults(), tokens: integrations.NewTokenSource(nil)}
	s.helix = NewHelix(s.cfg, s.tokens, nil)
	s.oauth = NewOAuth(s.cfg)
	log := d.Log.With(zap.String("service", Service), zap.String("broadcaster_id", d.Broadcaster))
	s.Log = log
	return []supervise.Child{
		{Name: PartToken, Props: actor.PropsFromProducer(func() actor.Actor { return &keeper{s: s, log: log.Named("token")} })},
		{Name: PartEventSub, Props: actor.PropsFromProducer(func() actor.Actor { return newSession(s, log.Named("eventsub")) })},
		{Name: PartFollowers, Props: actor.PropsFromProducer(func() actor.Actor { return newPoller(s, followersJob(s), log.Named("followers")) })},
		{Name: PartStream, Props: actor.PropsFromProducer(func() actor.Actor { return newPoller(s, streamJob(s), log.Named("stream")) })},
		{Name: PartSchedule, Props: actor.PropsFromProducer(func() actor.Actor { return newPoller(s, scheduleJob(s), log.Named("schedule")) })},
	}
}
