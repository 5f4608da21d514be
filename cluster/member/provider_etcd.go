package member

import (
	"context"
	"fmt"

	"github.com/asynkron/protoactor-go/cluster"
	"github.com/asynkron/protoactor-go/cluster/clusterproviders/etcd"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

// newEtcdProvider checks that etcd answers first: the library's provider
// calls etcd without a deadline and would hang the start forever.
func newEtcdProvider(cfg Config) (cluster.ClusterProvider, error) {
	conf := clientv3.Config{
		Endpoints:   cfg.EtcdEndpoints,
		DialTimeout: cfg.EtcdDialTimeout,
		// The etcd client logs with a zap logger of its own; keep it quiet.
		Logger: zap.NewNop(),
	}
	if err := pingEtcd(conf, cfg.EtcdPrefix); err != nil {
		return nil, err
	}
	p, err := etcd.NewWithConfig(cfg.EtcdPrefix, conf)
	if err != nil {
		return nil, fmt.Errorf("member: etcd client for %v: %w", cfg.EtcdEndpoints, err)
	}
	return p, nil
}

// pingEtcd reads the member prefix once within the dial timeout.
func pingEtcd(conf clientv3.Config, prefix string) error {
	cli, err := clientv3.New(conf)
	if err != nil {
		return fmt.Errorf("member: etcd client for %v: %w", conf.Endpoints, err)
	}
	defer func() { _ = cli.Close() }()
	ctx, cancel := context.WithTimeout(context.Background(), conf.DialTimeout)
	defer cancel()
	if _, err := cli.Get(ctx, prefix, clientv3.WithPrefix(), clientv3.WithCountOnly()); err != nil {
		return fmt.Errorf("member: etcd at %v does not answer: %w", conf.Endpoints, err)
	}
	return nil
}
