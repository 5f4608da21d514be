// Package grains lists the grain kinds a streamwidgets cluster member
// hosts. A new kind (room grains, integration supervisors) is added here,
// and every member (serve, the test fixtures) hosts it.
package grains

import (
	"fmt"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/cluster"
	"go.uber.org/zap"

	"github.com/streamwidgets/streamwidgets/actors"
	"github.com/streamwidgets/streamwidgets/cluster/member"
	"github.com/streamwidgets/streamwidgets/integrations/grain"
)

// Option installs more dependencies on each member's actor system.
type Option func(system *actor.ActorSystem)

// WithIntegrations installs the integration grains' dependencies; without
// it the Integration kind is still hosted (placement is the same on every
// member) and answers not_configured.
func WithIntegrations(d grain.Deps) Option {
	return func(system *actor.ActorSystem) { grain.Install(system, d) }
}

// Kinds returns the member.KindsFunc for every grain kind of the service:
// it installs widgets (the widget grains' dependencies) on the member's
// actor system, then builds the kinds.
func Kinds(widgets actors.Deps, opts ...Option) member.KindsFunc {
	return func(system *actor.ActorSystem) []*cluster.Kind {
		for _, o := range opts {
			o(system)
		}
		d := actors.Install(system, widgets)
		actors.InstallRooms(system, actors.RoomDepsFrom(*d)) // watch-party rooms share the widget store
		return []*cluster.Kind{actors.NewWidgetKind(system), actors.NewUserKind(system), actors.NewRoomKind(system),
			grain.NewKind(system)} // integration supervisors (integrations/grain)
	}
}

// Joined runs once a member has joined, for the well-known per-member actors
// that remote members address by name (they must be spawned after the
// member started): the widget relay (node-level fan-out, actors/relay.go).
func Joined(m *member.Member, log *zap.Logger) error {
	if _, err := actors.SpawnRelay(m.System, log); err != nil {
		return fmt.Errorf("grains: widget relay: %w", err)
	}
	return nil
}
