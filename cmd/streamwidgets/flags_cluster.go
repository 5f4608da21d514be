package main

import (
	"errors"
	"flag"
	"strings"

	"github.com/streamwidgets/streamwidgets/cluster/member"
	"github.com/streamwidgets/streamwidgets/cmd/streamwidgets/app"
)

// clusterFlags are serve's cluster membership flags (README "Run a cluster").
func clusterFlags(fs *flag.FlagSet, c *member.Config) {
	fs.StringVar(&c.Provider, "cluster", member.ProviderSingle, "cluster membership: single (this process alone) or etcd (several processes; on Kubernetes with etcd in the cluster); "+
		"etcd needs --store dynamodb")
	fs.StringVar(&c.Name, "cluster-name", "streamwidgets", "cluster name: members with the same name form one cluster")
	fs.StringVar(&c.Bind, "cluster-bind", "127.0.0.1:0", "HOST:PORT of this member's cluster endpoint (0: any free port)")
	fs.StringVar(&c.Advertise, "cluster-advertise", "", "HOST[:PORT] other members dial to reach this one, when --cluster-bind is a wildcard "+
		"or behind NAT (a pod IP); without a port, --cluster-bind's (default: the bound address)")
	fs.Func("etcd-endpoints", "comma-separated etcd servers for --cluster etcd (default 127.0.0.1:2379)", func(v string) error {
		c.EtcdEndpoints = c.EtcdEndpoints[:0]
		for _, e := range strings.Split(v, ",") {
			if e = strings.TrimSpace(e); e != "" {
				c.EtcdEndpoints = append(c.EtcdEndpoints, e)
			}
		}
		if len(c.EtcdEndpoints) == 0 {
			return errors.New("no endpoint")
		}
		return nil
	})
}

// checkCluster reports every invalid cluster setting, and a multi-member
// cluster on the embedded store.
func checkCluster(cfg app.Config) []error {
	errs := cfg.Cluster.Validate()
	if err := app.CheckClusterStore(cfg); err != nil {
		errs = append(errs, err)
	}
	return errs
}
