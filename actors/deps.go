package actors

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/extensions"
	"go.uber.org/zap"

	"github.com/streamwidgets/streamwidgets/actors/kinds"
	"github.com/streamwidgets/streamwidgets/persistence"
	"github.com/streamwidgets/streamwidgets/telemetry"
)

// Deps is what every widget grain on a node shares. It is installed as an
// actor-system extension so several members in one process (tests) each keep
// their own, although the generated kind keeps its factory in a global.
type Deps struct {
	Store  persistence.Store
	Kinds  *kinds.Registry
	Logger *zap.Logger
	// Clock returns now; default time.Now. Tests pass a controllable clock.
	Clock func() time.Time
	// IdleTimeout passivates a grain unused this long; default 5m. Each grain
	// adds up to 20% jitter so idle grains do not passivate in one storm.
	IdleTimeout time.Duration
	// StoreTimeout bounds every store call; default 5s.
	StoreTimeout time.Duration
	// TickInterval is how often a running timer is checked; default 1s.
	TickInterval time.Duration
	// NewToken makes widget access tokens; default 256 random bits, base64url.
	NewToken func() (string, error)
	// MaxBroadcastRate caps state broadcasts per widget per second; default 10.
	MaxBroadcastRate float64
	// ActionsPerSecond and ActionBurst are each widget's action budget
	// (token bucket); defaults 20 and 40.
	ActionsPerSecond float64
	ActionBurst      int
	// MaxSubscribers caps viewers of one widget; default 1000.
	MaxSubscribers int
	// Metrics counts activations, subscriptions, coalesced broadcasts and
	// relay deliveries for /metrics; nil counts nothing.
	Metrics *telemetry.Widgets

	minBroadcastGap time.Duration
}

var depsExtensionID = extensions.NextExtensionID()

type depsExtension struct{ deps *Deps }

func (depsExtension) ExtensionID() extensions.ExtensionID { return depsExtensionID }

// Install applies defaults to d and makes it available to grains of system.
func Install(system *actor.ActorSystem, d Deps) *Deps {
	if d.Clock == nil {
		d.Clock = time.Now
	}
	if d.Logger == nil {
		d.Logger = zap.NewNop()
	}
	if d.Kinds == nil {
		d.Kinds = kinds.Default()
	}
	if d.IdleTimeout <= 0 {
		d.IdleTimeout = 5 * time.Minute
	}
	if d.StoreTimeout <= 0 {
		d.StoreTimeout = 5 * time.Second
	}
	if d.TickInterval <= 0 {
		d.TickInterval = time.Second
	}
	if d.MaxBroadcastRate <= 0 {
		d.MaxBroadcastRate = 10
	}
	d.minBroadcastGap = time.Duration(float64(time.Second) / d.MaxBroadcastRate)
	if d.ActionsPerSecond <= 0 {
		d.ActionsPerSecond = 20
	}
	if d.ActionBurst <= 0 {
		d.ActionBurst = 40
	}
	if d.MaxSubscribers <= 0 {
		d.MaxSubscribers = 1000
	}
	if d.NewToken == nil {
		d.NewToken = NewAccessToken
	}
	system.Extensions.Register(depsExtension{deps: &d})
	return &d
}

func depsOf(system *actor.ActorSystem) *Deps {
	ext, ok := system.Extensions.Get(depsExtensionID).(depsExtension)
	if !ok {
		return nil
	}
	return ext.deps
}

// NewAccessToken returns a widget access token: 256 random bits, URL-safe.
func NewAccessToken() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("access token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}
