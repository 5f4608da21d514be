package member

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// The membership providers a member can use.
const (
	// ProviderSingle is one member alone, no external server (the default).
	ProviderSingle = "single"
	// ProviderEtcd finds members through etcd (leases and a watch); on
	// Kubernetes too, with etcd run in the cluster (cluster/k8s/).
	ProviderEtcd = "etcd"
	// ProviderKubernetes is refused with a hint: the library's Kubernetes
	// provider would pull client-go's module tree (+18 MB binary) into
	// every build, so Kubernetes deployments use etcd (cluster/k8s/).
	ProviderKubernetes = "kubernetes"
)

// Providers lists the valid Config.Provider values.
var Providers = []string{ProviderSingle, ProviderEtcd}

// Config chooses how this member joins a cluster. Zero values are defaults.
type Config struct {
	// Name is the cluster name; members with the same name (and provider
	// backend) form one cluster. Default "streamwidgets".
	Name string
	// Provider is the membership provider: "single" (default), "etcd" or
	// "kubernetes".
	Provider string
	// Bind is HOST:PORT where the member's remote endpoint listens. Default
	// 127.0.0.1:0 (loopback, any free port: enough for "single").
	Bind string
	// Advertise is HOST[:PORT] other members dial to reach this one: needed
	// when Bind is a wildcard (0.0.0.0) or behind NAT (a pod IP). Without a
	// port, Bind's port is used (it must then be fixed). Default: the bound
	// address.
	Advertise string
	// EtcdEndpoints are the etcd servers (HOST:PORT or URLs) for provider
	// etcd. Default 127.0.0.1:2379.
	EtcdEndpoints []string
	// EtcdPrefix is the etcd key prefix under which members register.
	// Default "/streamwidgets".
	EtcdPrefix string
	// EtcdDialTimeout bounds connecting to etcd. Default 5s.
	EtcdDialTimeout time.Duration
	// RequestTimeout bounds grain calls. Default 5s.
	RequestTimeout time.Duration
}

// MultiMember reports whether the provider lets other processes join, so
// that grains may move between processes (and need a shared store).
func (c Config) MultiMember() bool {
	return c.Provider == ProviderEtcd || c.Provider == ProviderKubernetes
}

func (c Config) withDefaults() Config {
	if c.Name == "" {
		c.Name = "streamwidgets"
	}
	if c.Provider == "" {
		c.Provider = ProviderSingle
	}
	if c.Bind == "" {
		c.Bind = "127.0.0.1:0"
	}
	if len(c.EtcdEndpoints) == 0 {
		c.EtcdEndpoints = []string{"127.0.0.1:2379"}
	}
	if c.EtcdPrefix == "" {
		c.EtcdPrefix = "/streamwidgets"
	}
	if c.EtcdDialTimeout <= 0 {
		c.EtcdDialTimeout = 5 * time.Second
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = 5 * time.Second
	}
	return c
}

// Validate reports every invalid setting at once (defaults applied first).
// Messages name the serve flags that set each field.
func (c Config) Validate() []error {
	c = c.withDefaults()
	var errs []error
	known := false
	for _, p := range Providers {
		known = known || c.Provider == p
	}
	switch {
	case c.Provider == ProviderKubernetes:
		errs = append(errs, errors.New("--cluster kubernetes is not built in: on Kubernetes run etcd in the cluster and use "+
			"--cluster etcd --cluster-advertise $(POD_IP) (manifests in cluster/k8s/)"))
	case !known:
		errs = append(errs, fmt.Errorf("--cluster %q: want one of %s", c.Provider, strings.Join(Providers, ", ")))
	}
	if strings.ContainsAny(c.Name, "/@ ") {
		errs = append(errs, fmt.Errorf("--cluster-name %q: no '/', '@' or spaces", c.Name))
	}
	bindHost, bindPort, err := splitHostPort(c.Bind)
	if err != nil {
		errs = append(errs, fmt.Errorf("--cluster-bind %q: want HOST:PORT: %w", c.Bind, err))
	}
	if c.Advertise != "" {
		host, port, err := splitAdvertise(c.Advertise)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("--cluster-advertise %q: want HOST or HOST:PORT: %w", c.Advertise, err))
		case unspecified(host):
			errs = append(errs, fmt.Errorf("--cluster-advertise %q: other members cannot dial a wildcard address", c.Advertise))
		case port == 0 && bindPort == 0:
			errs = append(errs, errors.New("--cluster-advertise without a port needs a fixed --cluster-bind port"))
		}
	} else if err == nil && c.MultiMember() && unspecified(bindHost) {
		errs = append(errs, fmt.Errorf("--cluster-bind %q listens on every interface: set --cluster-advertise to the address other members dial", c.Bind))
	}
	if c.Provider == ProviderEtcd {
		for _, e := range c.EtcdEndpoints {
			if strings.TrimSpace(e) == "" {
				errs = append(errs, errors.New("--etcd-endpoints: empty endpoint"))
			}
		}
	}
	if c.RequestTimeout < 100*time.Millisecond {
		errs = append(errs, errors.New("cluster request timeout must be at least 100ms"))
	}
	return errs
}

// advertiseAddr is Advertise with Bind's port when it has none.
func (c Config) advertiseAddr() string {
	host, port, _ := splitAdvertise(c.Advertise)
	if port == 0 {
		_, port, _ = splitHostPort(c.Bind)
	}
	return net.JoinHostPort(host, strconv.Itoa(port))
}

func splitHostPort(addr string) (string, int, error) {
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, err
	}
	port, err := strconv.Atoi(p)
	if err != nil || port < 0 || port > 65535 {
		return "", 0, fmt.Errorf("bad port %q", p)
	}
	return host, port, nil
}

// splitAdvertise accepts HOST, [IPv6], or HOST:PORT; port 0 means none.
func splitAdvertise(addr string) (string, int, error) {
	if host, port, err := splitHostPort(addr); err == nil {
		if host == "" {
			return "", 0, errors.New("empty host")
		}
		return host, port, nil
	}
	host := strings.TrimSuffix(strings.TrimPrefix(addr, "["), "]")
	if host == "" || strings.ContainsAny(host, "/ ") || (strings.Contains(host, ":") && net.ParseIP(host) == nil) {
		return "", 0, errors.New("not a host")
	}
	return host, 0, nil
}

func unspecified(host string) bool {
	ip := net.ParseIP(host)
	return host == "" || (ip != nil && ip.IsUnspecified())
}
