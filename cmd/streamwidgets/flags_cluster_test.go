package main

import (
	"strings"
	"testing"
)

func TestClusterFlags(t *testing.T) {
	const key = "k1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
	dynamo := []string{"--store", "dynamodb", "--seal-keys", key}
	cases := []struct {
		name string
		args []string
		env  map[string]string
		want []string // substrings of the error; nil: valid
	}{
		{"single by default", nil, nil, nil},
		{"etcd with the shared store", append([]string{"--cluster", "etcd", "--cluster-bind", "127.0.0.1:7001",
			"--etcd-endpoints", "10.0.0.1:2379, 10.0.0.2:2379"}, dynamo...), nil, nil},
		{"etcd from the environment", dynamo, map[string]string{"STREAMWIDGETS_CLUSTER": "etcd",
			"STREAMWIDGETS_CLUSTER_BIND": "0.0.0.0:7001", "STREAMWIDGETS_CLUSTER_ADVERTISE": "10.1.2.3"}, nil},
		{"etcd on the embedded store is refused", []string{"--cluster", "etcd"}, nil,
			[]string{"multi-member cluster needs the shared DynamoDB store", "use --store dynamodb"}},
		{"every cluster problem at once", []string{"--cluster", "etcd", "--cluster-bind", "0.0.0.0:7001", "--cluster-name", "a b"}, nil,
			[]string{"--cluster-name", "set --cluster-advertise", "--store dynamodb"}},
		{"unknown provider", []string{"--cluster", "zookeeper"}, nil, []string{`--cluster "zookeeper"`}},
		{"empty endpoint list", []string{"--etcd-endpoints", " , "}, nil, []string{"-etcd-endpoints: no endpoint"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			cfg, _, err := parseServe(tc.args)
			if tc.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				if tc.env != nil && (cfg.Cluster.Provider != "etcd" || cfg.Cluster.Advertise != "10.1.2.3") {
					t.Fatalf("environment not applied: %+v", cfg.Cluster)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted %v", tc.args)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}
