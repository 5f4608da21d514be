package member

import (
	"fmt"
	"strings"

	"github.com/asynkron/protoactor-go/cluster"
	"github.com/asynkron/protoactor-go/cluster/clusterproviders/test"
)

// NewProvider builds the membership provider cfg names:
//   - single: an in-memory agent of its own (this process alone);
//   - etcd: members register under EtcdPrefix/Name with a 3 s lease kept
//     alive, and watch the prefix (a member whose lease lapses is dropped).
func NewProvider(cfg Config) (cluster.ClusterProvider, error) {
	cfg = cfg.withDefaults()
	switch cfg.Provider {
	case ProviderSingle:
		return test.NewTestProvider(test.NewInMemAgent()), nil
	case ProviderEtcd:
		return newEtcdProvider(cfg)
	default:
		return nil, fmt.Errorf("%w %q (known: %s)", ErrUnknownProvider, cfg.Provider, strings.Join(Providers, ", "))
	}
}
