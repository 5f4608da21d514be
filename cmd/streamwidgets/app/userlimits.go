package app

import (
	"context"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/zap"

	"github.com/streamwidgets/streamwidgets/actors"
)

// defaultConnsPerUser is ws.Config.MaxConnsPerUser's default.
const defaultConnsPerUser = 20

// userConnections admits a user's socket against the cluster-wide cap kept
// by the user's grain. If the grain cannot be reached the socket is
// admitted: a limit must not take the real-time service down.
func userConnections(users *actors.UserLimits, maxConns int, log *zap.Logger) func(context.Context, string, *actor.PID) bool {
	if maxConns <= 0 {
		maxConns = defaultConnsPerUser
	}
	return func(ctx context.Context, user string, conn *actor.PID) bool {
		ok, err := users.Acquire(ctx, user, conn, maxConns)
		if err != nil {
			log.Warn("connection cap unavailable; admitting", zap.String("user_id", user), zap.Error(err))
			return true
		}
		return ok
	}
}
