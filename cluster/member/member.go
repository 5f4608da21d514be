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
	"google.golang.org/protobuf/types/known/emptypb"

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
	// alone: the provider is our own single-member agent, so no other
	// member can ever take over this one's grains.
	alone bool
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
	alone := provider == nil && cfg.Provider == ProviderSingle
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
	started := &startedProvider{ClusterProvider: provider, started: make(chan error, 1)}
	conf := cluster.Configure(cfg.Name, started, lookup.New(0), remote.Configure(bindHost, bindPort, remoteOpts...),
		cluster.WithKinds(kinds(system)...),
		cluster.WithRequestTimeout(cfg.RequestTimeout),
	)
	c := cluster.New(system, conf)
	m = &Member{System: system, Cluster: c, log: log.Named("cluster"), alone: alone}
	m.topology = watchTopology(system, m.log)
	start := time.Now()
	if err := startMember(c, started.started); err != nil {
		system.Shutdown()
		return nil, fmt.Errorf("member: join cluster %q with provider %s: %w", cfg.Name, cfg.Provider, err)
	}
	m.log.Info("cluster member started", zap.String("cluster", cfg.Name), zap.String("provider", cfg.Provider),
		zap.String("address", system.Address()), zap.String("member_id", system.ID), zap.Duration("took", time.Since(start)))
	return m, nil
}

// startMember turns the library's panics (a taken port, an unreachable
// etcd) into an error. The library's StartMember ends with a fixed 1 s
// sleep after the provider's StartMember: the member returns as soon as the
// provider has started (Ready tells when it is in the topology) and leaves
// that sleep to a goroutine. Every node start, tests' included, is 1 s faster.
func startMember(c *cluster.Cluster, providerStarted <-chan error) error {
	done := make(chan error, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				done <- fmt.Errorf("%v", r)
			}
		}()
		c.StartMember()
		done <- nil
	}()
	select {
	case err := <-done:
		return err
	case err := <-providerStarted:
		if err != nil {
			return <-done // the library panics with it
		}
		return nil
	}
}

// startedProvider tells when the provider's StartMember has returned.
type startedProvider struct {
	cluster.ClusterProvider
	started chan error
}

func (p *startedProvider) StartMember(c *cluster.Cluster) error {
	err := p.ClusterProvider.StartMember(c)
	p.started <- err
	return err
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
// actor of this member. With other members it then waits the library's 2 s
// for them to take over its grains; a member alone (provider single) has
// no one to hand them to and skips that wait.
func (m *Member) Stop() {
	if m.alone {
		m.StopLast()
		return
	}
	m.topology.leaving()
	m.withoutLibraryShutdownPanic("cluster shutdown", func() { m.Cluster.Shutdown(true) })
}

// StopLast is Stop for a member no other member outlives (alone, or a test
// cluster stopping every member at once): the library's graceful shutdown
// without its fixed 2 s wait for grain ownership to move elsewhere. Grains
// are stopped (and their Stopping handlers run) before it returns.
func (m *Member) StopLast() {
	m.topology.leaving()
	c := m.Cluster
	c.Gossip.SetState(cluster.GracefullyLeftKey, &emptypb.Empty{})
	c.ActorSystem.Shutdown()
	_ = c.Config.ClusterProvider.Shutdown(true)
	c.IdentityLookup.Shutdown() // stops every activation and waits for it
	c.Gossip.Shutdown()
	// The remote's graceful stop waits for its endpoint writers: 10 s for
	// one still dialling a member that died. No one is left to read them.
	done := make(chan struct{})
	go func() {
		defer close(done)
		m.withoutLibraryShutdownPanic("remote shutdown", func() { c.Remote.Shutdown(true) })
	}()
	select {
	case <-done:
	case <-time.After(time.Second):
		c.Remote.Shutdown(false)
	}
}

// Kill stops the member without leaving the cluster, as a crash would: the
// provider is not told (tests use it to simulate a dead process).
func (m *Member) Kill() {
	m.topology.leaving()
	m.Cluster.Shutdown(false)
}
