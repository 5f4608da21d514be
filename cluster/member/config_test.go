package member

import (
	"strings"
	"testing"
)

func TestValidateReportsEveryProblem(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		want []string // substrings, one per expected error
	}{
		{"defaults", Config{}, nil},
		{"etcd on loopback", Config{Provider: "etcd", Bind: "127.0.0.1:7001"}, nil},
		{"pod: wildcard bind, advertised IP without port", Config{Provider: "etcd", Bind: "0.0.0.0:7001", Advertise: "10.1.2.3"}, nil},
		{"advertised host and port", Config{Provider: "etcd", Bind: "0.0.0.0:0", Advertise: "node1.example:7001"}, nil},
		{"unknown provider", Config{Provider: "consul"}, []string{`--cluster "consul"`}},
		{"kubernetes points to etcd", Config{Provider: "kubernetes"}, []string{"--cluster etcd --cluster-advertise"}},
		{"bad bind", Config{Bind: "localhost"}, []string{"--cluster-bind"}},
		{"wildcard bind needs advertise", Config{Provider: "etcd", Bind: "0.0.0.0:7001"}, []string{"set --cluster-advertise"}},
		{"wildcard is not dialable", Config{Provider: "etcd", Bind: "0.0.0.0:7001", Advertise: "0.0.0.0"}, []string{"wildcard"}},
		{"advertise without port needs fixed bind", Config{Provider: "etcd", Advertise: "10.1.2.3"}, []string{"fixed --cluster-bind port"}},
		{"bad name and endpoint together", Config{Provider: "etcd", Name: "a/b", EtcdEndpoints: []string{" "}},
			[]string{"--cluster-name", "--etcd-endpoints"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			errs := tc.cfg.Validate()
			if len(errs) != len(tc.want) {
				t.Fatalf("got %d errors %v, want %d", len(errs), errs, len(tc.want))
			}
			for i, w := range tc.want {
				if !strings.Contains(errs[i].Error(), w) {
					t.Errorf("error %d = %q, want it to mention %q", i, errs[i], w)
				}
			}
		})
	}
}

func TestAdvertiseAddr(t *testing.T) {
	for _, tc := range []struct{ bind, advertise, want string }{
		{"0.0.0.0:7001", "10.1.2.3", "10.1.2.3:7001"},
		{"0.0.0.0:7001", "10.1.2.3:9000", "10.1.2.3:9000"},
		{"[::]:7001", "[fd00::1]", "[fd00::1]:7001"},
	} {
		if got := (Config{Bind: tc.bind, Advertise: tc.advertise}).advertiseAddr(); got != tc.want {
			t.Errorf("bind %s advertise %s: got %s, want %s", tc.bind, tc.advertise, got, tc.want)
		}
	}
}
