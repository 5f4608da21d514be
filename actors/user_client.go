package actors

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/cluster"

	"github.com/streamwidgets/streamwidgets/cluster/userpb"
)

// UserLimits reaches user grains: per-user limits that hold for the whole
// cluster, not per node.
type UserLimits struct {
	cluster *cluster.Cluster
	timeout time.Duration
}

// NewUserLimits returns a client whose calls wait at most timeout (default 2 s).
func NewUserLimits(c *cluster.Cluster, timeout time.Duration) *UserLimits {
	if timeout <= 0 {
		timeout = 2 * time.Second
	}
	return &UserLimits{cluster: c, timeout: timeout}
}

func (u *UserLimits) opts(ctx context.Context) []cluster.GrainCallOption {
	t := u.timeout
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < t {
		t = max(time.Until(dl), time.Millisecond)
	}
	return []cluster.GrainCallOption{cluster.WithTimeout(t), cluster.WithRetryCount(retries), cluster.WithRetryAction(retryBackoff)}
}

// TakeCreate spends one of the user's perMinute creates; when refused it
// says how long until the next one fits.
func (u *UserLimits) TakeCreate(ctx context.Context, userID string, perMinute int) (bool, time.Duration, error) {
	userID = strings.Clone(userID)
	r, err := userpb.GetUserLimitsGrainClient(u.cluster, userID).TakeCreate(
		&userpb.TakeCreateRequest{UserId: userID, PerMinute: int32(perMinute)}, u.opts(ctx)...)
	if err != nil {
		return false, 0, fmt.Errorf("user limits: take create: %w", err)
	}
	return r.GetOk(), time.Duration(r.GetRetryAfterMs()) * time.Millisecond, nil
}

// Acquire admits conn as one of the user's at most maxConns connections.
func (u *UserLimits) Acquire(ctx context.Context, userID string, conn *actor.PID, maxConns int) (bool, error) {
	userID = strings.Clone(userID)
	r, err := userpb.GetUserLimitsGrainClient(u.cluster, userID).AcquireConnection(
		&userpb.AcquireConnectionRequest{UserId: userID, Connection: conn, Max: int32(maxConns)}, u.opts(ctx)...)
	if err != nil {
		return false, fmt.Errorf("user limits: acquire: %w", err)
	}
	return r.GetOk(), nil
}

// Release frees conn's slot. The grain also watches conn, so a lost
// release only delays the slot until the connection actor is gone.
func (u *UserLimits) Release(ctx context.Context, userID string, conn *actor.PID) error {
	userID = strings.Clone(userID)
	_, err := userpb.GetUserLimitsGrainClient(u.cluster, userID).ReleaseConnection(
		&userpb.ReleaseConnectionRequest{UserId: userID, Connection: conn}, u.opts(ctx)...)
	if err != nil {
		return fmt.Errorf("user limits: release: %w", err)
	}
	return nil
}
