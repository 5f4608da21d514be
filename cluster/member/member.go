// Package member starts this process's protoactor actor system and cluster
// member. Even a single node runs a real cluster (provider "single", no
// external server), so more nodes are configuration, not redesign: etcd or
// Kubernetes membership is chosen in Config.
package member

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/cluster"
	"github.com/asynkron/protoactor-go/remote"
	"go.uber.org/zap"
	"go.uber.org/zap/exp/zapslog"
	"go.uber.org/zap/zapcore"

	"github.com/streamwidgets/streamwidgets/cluster/lookup"
)

// KindsFunc builds the grain kinds a member hosts on its actor system. It
// runs once, before the member joins, so it may install what its grains
// need on the system (an actor-system extension) before any grain starts.
type KindsFunc func(system *actor.ActorSystem) []*cluster.Kind

// Member is a running actor system and cluster member.
type Member struct {
	// System is the member's actor system.
	System *actor.ActorSystem
	// Cluster is the joined cluster; grains are called through it.
	Cluster *cluster.Cluster

	topology *topology
	log      *zap.Logger
}

// Start starts the actor system, builds the kinds and joins the cluster
// through provider. A nil provider is built from cfg (NewProvider). It
// returns once the member is started; Ready tells when it is in the
// topology.
func Start(cfg Config, provider cluster.ClusterProvider, kinds KindsFunc, log *zap.Logger) (m *Member, err error) {
	cfg = cfg.withDefaults()
	if errs := cfg.Validate(); len(errs) > 0 {
		return nil, fmt.Errorf("member: %w", errs[0])
	}
	if kinds == nil {
		return nil, fmt.Errorf("member: no grain kinds given")
	}
	if provider == nil {
		if provider, err = NewProvider(cfg); err != nil {
			return nil, err
		}
	}
	bindHost, bindPort, _ := splitHostPort(cfg.Bind)
	remoteOpts := []remote.ConfigOption{}
	if cfg.Advertise != "" {
		remoteOpts = append(remoteOpts, remote.WithAdvertisedHost(cfg.advertiseAddr()))
	}
	system := actor.NewActorSystem(actor.WithLoggerFactory(libraryLogger(log)))
	conf := cluster.Configure(cfg.Name, provider, lookup.New(0), remote.Configure(bindHost, bindPort, remoteOpts...),
		cluster.WithKinds(kinds(system)...),
		cluster.WithRequestTimeout(cfg.RequestTimeout),
	)
	c := cluster.New(system, conf)
	m = &Member{System: system, Cluster: c, log: log.Named("cluster")}
	m.topology = watchTopology(system, m.log)
	start := time.Now()
	if err := startMember(c); err != nil {
		system.Shutdown()
		return nil, fmt.Errorf("member: join cluster %q with provider %s: %w", cfg.Name, cfg.Provider, err)
	}
	m.log.Info("cluster member started", zap.String("cluster", cfg.Name), zap.String("provider", cfg.Provider),
		zap.String("address", system.Address()), zap.String("member_id", system.ID), zap.Duration("took", time.Since(start)))
	return m, nil
}

// startMember turns the library's panics (a taken port, an unreachable
// etcd) into an error.
func startMember(c *cluster.Cluster) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	c.StartMember()
	return nil
}

// libraryLogger bridges the library's slog logs to zap. The library is
// chatty at info; its warnings and errors are what operators need.
func libraryLogger(log *zap.Logger) func(*actor.ActorSystem) *slog.Logger {
	libLog := log.Named("protoactor").WithOptions(zap.IncreaseLevel(zapcore.WarnLevel))
	return func(*actor.ActorSystem) *slog.Logger {
		return slog.New(zapslog.NewHandler(libLog.Core(), zapslog.WithName("protoactor")))
	}
}

// Address is where other members reach this one (the advertised address).
func (m *Member) Address() string { return m.System.Address() }

// Ready reports whether this member is in its cluster's topology: joined,
// and not evicted since.
func (m *Member) Ready() error {
	if m.topology.isEvicted() {
		return ErrEvicted
	}
	if !m.topology.self(m.System.Address()) {
		return ErrNotInTopology
	}
	return nil
}

// Evicted is closed when the other members dropped this one from the
// topology while it runs (it was paused past its lease, or cut off). The
// library never lets the same identity back in, and its grains may be
// active elsewhere: the process should stop, and be restarted (a new
// process is a new identity).
func (m *Member) Evicted() <-chan struct{} { return m.topology.evicted }

// Members is how many members this member currently sees, itself included.
func (m *Member) Members() int { return m.topology.size() }

// Stop leaves the cluster (deregistering from the provider) and stops every
// actor of this member.
func (m *Member) Stop() {
	m.topology.leaving()
	m.Cluster.Shutdown(true)
}

// Kill stops the member without leaving the cluster, as a crash would: the
// provider is not told (tests use it to simulate a dead process).
func (m *Member) Kill() {
	m.topology.leaving()
	m.Cluster.Shutdown(false)
}
