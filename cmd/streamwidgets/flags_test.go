package main

import (
	"strings"
	"testing"
)

func TestSealKeysFlag(t *testing.T) {
	const key = "k1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=" // 32 bytes
	cases := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"embedded store generates its own", nil, ""},
		{"embedded store with keys", []string{"--seal-keys", key}, ""},
		{"dynamodb needs shared keys", []string{"--store", "dynamodb"}, "--seal-keys (or STREAMWIDGETS_SEAL_KEYS) is required"},
		{"dynamodb with keys", []string{"--store", "dynamodb", "--seal-keys", key}, ""},
		{"malformed keys", []string{"--seal-keys", "k1:short"}, "--seal-keys: seal: key \"k1\""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg, _, err := parseServe(tc.args)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if len(tc.args) > 0 && tc.args[len(tc.args)-1] == key && cfg.SealKeys.Reveal() != key {
					t.Fatal("the keys did not reach the config")
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want %q", err, tc.wantErr)
			}
			if strings.Contains(err.Error(), "short") {
				t.Fatal("the error repeats the key material")
			}
		})
	}
}
