package main

import (
	"fmt"
	"strings"
	"testing"
)

func TestProxyFlags(t *testing.T) {
	cfg, _, err := parseServe([]string{"--proxy-header", "X-Real-IP", "--trusted-proxies", "127.0.0.1, 10.0.0.0/8"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.HTTP.ProxyHeader != "X-Real-IP" || fmt.Sprint(cfg.HTTP.TrustedProxies) != "[127.0.0.1 10.0.0.0/8]" {
		t.Fatalf("proxy settings %q %v", cfg.HTTP.ProxyHeader, cfg.HTTP.TrustedProxies)
	}
	_, _, err = parseServe([]string{"--proxy-header", "X-Real-IP", "--trusted-proxies", "nginx.local"})
	for _, want := range []string{`"nginx.local"`, "--proxy-header needs --trusted-proxies"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not mention %s", err, want)
		}
	}
}

func TestListenAddressIsCheckedWithTheOtherFlags(t *testing.T) {
	for _, bad := range []string{"bad", "127.0.0.1:99999", "127.0.0.1:http", "a b:80"} {
		_, _, err := parseServe([]string{"--addr", bad, "--body-limit", "1"})
		if err == nil || !strings.Contains(err.Error(), "--addr") || !strings.Contains(err.Error(), "--body-limit") {
			t.Errorf("--addr %q: %v, want both errors at once", bad, err)
		}
	}
	for _, good := range []string{"127.0.0.1:0", ":8080", "localhost:9090", "[::1]:8080"} {
		if _, _, err := parseServe([]string{"--addr", good}); err != nil {
			t.Errorf("--addr %q refused: %v", good, err)
		}
	}
}
