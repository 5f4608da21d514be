package clustertest

import (
	"go.uber.org/zap"

	"github.com/streamwidgets/streamwidgets/actors"
	"github.com/streamwidgets/streamwidgets/cluster/grains"
	"github.com/streamwidgets/streamwidgets/cluster/member"
)

// StartMember starts one member hosting the service's grains with deps, on
// cfg's provider (default: single, alone in its own cluster). The caller
// stops it (Stop) and closes deps.Store.
func StartMember(cfg member.Config, deps actors.Deps, log *zap.Logger) (*Node, error) {
	deps.Logger = log
	m, err := member.Start(cfg, nil, grains.Kinds(deps), log)
	if err != nil {
		return nil, err
	}
	if err := grains.Joined(m, log); err != nil {
		m.Stop()
		return nil, err
	}
	return &Node{Member: m, Name: "member1", Widgets: actors.NewClient(m.Cluster, cfg.RequestTimeout)}, nil
}
