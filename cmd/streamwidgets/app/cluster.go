package app

import (
	"errors"
	"fmt"
)

// ErrClusterNeedsSharedStore: a cluster of several members moves grains
// between processes, so every member must read and write one shared store;
// the embedded store is one process's file.
var ErrClusterNeedsSharedStore = errors.New("app: a multi-member cluster needs the shared DynamoDB store")

// CheckClusterStore refuses a multi-member cluster provider (etcd,
// kubernetes) with the embedded store.
func CheckClusterStore(cfg Config) error {
	if cfg.Cluster.MultiMember() && (cfg.Store == "" || cfg.Store == "bolt") {
		return fmt.Errorf("%w: --cluster %s with --store bolt would give each member its own widgets; use --store dynamodb (or --cluster single)",
			ErrClusterNeedsSharedStore, cfg.Cluster.Provider)
	}
	return nil
}

// Evicted is closed when the other cluster members dropped this node from
// the topology while it runs: it no longer serves widgets safely and should
// stop, so a supervisor restarts it as a new member (member.Member.Evicted).
func (a *App) Evicted() <-chan struct{} { return a.member.Evicted() }
