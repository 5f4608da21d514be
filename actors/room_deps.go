package actors

import (
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/extensions"
	"go.uber.org/zap"

	"github.com/streamwidgets/streamwidgets/persistence"
)

// RoomDeps is what every room grain on a node shares, installed as an
// actor-system extension (like Deps for widgets).
type RoomDeps struct {
	// Store keeps the rooms; nil: every room call answers store_unavailable.
	Store  persistence.RoomStore
	Logger *zap.Logger
	// Clock returns now; default time.Now.
	Clock func() time.Time
	// IdleTimeout passivates a room grain nobody uses (no subscriber, no
	// call) this long, plus up to 20% jitter; default 5m.
	IdleTimeout time.Duration
	// StoreTimeout bounds every store call; default 5s.
	StoreTimeout time.Duration
	// EmptyAfter ends a room nobody has open for this long; default 30m.
	EmptyAfter time.Duration
	// ControlsPerSecond and ControlBurst are each room's play/pause/seek
	// budget (token bucket); defaults 10 and 20.
	ControlsPerSecond float64
	ControlBurst      int
	// JoinAttemptsPerMinute and JoinAttemptBurst bound password attempts on
	// one room, whoever makes them (brute force from many accounts);
	// defaults 30 per minute, burst 10.
	JoinAttemptsPerMinute float64
	JoinAttemptBurst      int
	// MaxSubscribers caps the sockets watching one room; default 200.
	MaxSubscribers int
}

// RoomDepsFrom derives room settings from the widget grains': the same
// store (when it keeps rooms), logger, clock and timeouts.
func RoomDepsFrom(d Deps) RoomDeps {
	rooms, _ := d.Store.(persistence.RoomStore)
	return RoomDeps{Store: rooms, Logger: d.Logger, Clock: d.Clock, IdleTimeout: d.IdleTimeout, StoreTimeout: d.StoreTimeout}
}

var roomDepsExtensionID = extensions.NextExtensionID()

type roomDepsExtension struct{ deps *RoomDeps }

func (roomDepsExtension) ExtensionID() extensions.ExtensionID { return roomDepsExtensionID }

// InstallRooms applies defaults to d and makes it available to room grains of system.
func InstallRooms(system *actor.ActorSystem, d RoomDeps) *RoomDeps {
	if d.Clock == nil {
		d.Clock = time.Now
	}
	if d.Logger == nil {
		d.Logger = zap.NewNop()
	}
	def := func(v *time.Duration, def time.Duration) {
		if *v <= 0 {
			*v = def
		}
	}
	def(&d.IdleTimeout, 5*time.Minute)
	def(&d.StoreTimeout, 5*time.Second)
	def(&d.EmptyAfter, 30*time.Minute)
	if d.ControlsPerSecond <= 0 {
		d.ControlsPerSecond = 10
	}
	if d.ControlBurst <= 0 {
		d.ControlBurst = 20
	}
	if d.JoinAttemptsPerMinute <= 0 {
		d.JoinAttemptsPerMinute = 30
	}
	if d.JoinAttemptBurst <= 0 {
		d.JoinAttemptBurst = 10
	}
	if d.MaxSubscribers <= 0 {
		d.MaxSubscribers = 200
	}
	system.Extensions.Register(roomDepsExtension{deps: &d})
	return &d
}

func roomDepsOf(system *actor.ActorSystem) *RoomDeps {
	ext, ok := system.Extensions.Get(roomDepsExtensionID).(roomDepsExtension)
	if !ok {
		return nil
	}
	return ext.deps
}
