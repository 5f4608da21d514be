// Package member starts this process's protoactor actor system and cluster
// member. Even a single node runs a real cluster (with a provider that needs
// no external server), so more nodes are configuration, not redesign.
package member

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/cluster"
	"github.com/asynkron/protoactor-go/cluster/clusterproviders/test"
	"github.com/asynkron/protoactor-go/cluster/identitylookup/disthash"
	"github.com/asynkron/protoactor-go/remote"
	"go.uber.org/zap"
	"go.uber.org/zap/exp/zapslog"
	"go.uber.org/zap/zapcore"

	"github.com/streamwidgets/streamwidgets/actors"
)

// Config chooses how this member joins a cluster. Zero values are defaults.
type Config struct {
	// Name is the cluster name; members with the same name form one cluster. Default "streamwidgets".
	Name string
	// Host and Port are where the member's remote endpoint listens. Default 127.0.0.1:0 (any free port).
	Host string
	Port int
	// Provider is the membership provider: "single" (default: this process
	// alone, no external server).
	Provider string
	// RequestTimeout bounds grain calls. Default 5s.
	RequestTimeout time.Duration
}

// Member is a running actor system and cluster member.
type Member struct {
	System  *actor.ActorSystem
	Cluster *cluster.Cluster
	Widgets *actors.Client
	log     *zap.Logger
}

// Start starts the actor system and joins the cluster with the widget kind.
// deps is installed for this member's grains.
func Start(cfg Config, deps actors.Deps, log *zap.Logger) (*Member, error) {
	if cfg.Name == "" {
		cfg.Name = "streamwidgets"
	}
	if cfg.Host == "" {
		cfg.Host = "127.0.0.1"
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = 5 * time.Second
	}
	var provider cluster.ClusterProvider
	switch cfg.Provider {
	case "", "single":
		provider = test.NewTestProvider(test.NewInMemAgent())
	default:
		return nil, fmt.Errorf("member: unknown cluster provider %q (known: single)", cfg.Provider)
	}
	// The library is chatty at info; its warnings and errors are what operators need.
	libLog := log.Named("protoactor").WithOptions(zap.IncreaseLevel(zapcore.WarnLevel))
	system := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return slog.New(zapslog.NewHandler(libLog.Core(), zapslog.WithName("protoactor")))
	}))
	deps.Logger = log
	actors.Install(system, deps)
	conf := cluster.Configure(cfg.Name, provider, disthash.New(), remote.Configure(cfg.Host, cfg.Port),
		cluster.WithKinds(actors.NewWidgetKind(system)),
		cluster.WithRequestTimeout(cfg.RequestTimeout),
	)
	c := cluster.New(system, conf)
	c.StartMember()
	// The relay is spawned after StartMember so remote grains can reach it.
	if _, err := actors.SpawnRelay(system, log); err != nil {
		c.Shutdown(true)
		return nil, fmt.Errorf("member: relay: %w", err)
	}
	return &Member{System: system, Cluster: c, Widgets: actors.NewClient(c, cfg.RequestTimeout), log: log}, nil
}

// Ready reports whether this member has joined its cluster.
func (m *Member) Ready() error {
	if m.Cluster.MemberList == nil || len(m.Cluster.MemberList.Members().Members()) == 0 {
		return fmt.Errorf("member: not in a cluster topology yet")
	}
	return nil
}

// Stop leaves the cluster and stops every actor of this member.
func (m *Member) Stop() {
	m.Cluster.Shutdown(true)
}
