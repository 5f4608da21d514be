package main

import (
	"fmt"
	"strings"
	"testing"
)

func TestPublicURLFlagRepeatsCommasAndEnv(t *testing.T) {
	cfg, _, err := parseServe([]string{"--public-url", "https://a.example.com", "--public-url", "https://b.example.com, http://127.0.0.1:8080"})
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(cfg.WS.PublicURLs); got != "[https://a.example.com https://b.example.com http://127.0.0.1:8080]" {
		t.Fatalf("public URLs %s", got)
	}
	t.Setenv("STREAMWIDGETS_PUBLIC_URL", "https://env.example.com,https://env2.example.com")
	if cfg, _, err = parseServe(nil); err != nil || len(cfg.WS.PublicURLs) != 2 || cfg.WS.PublicURLs[1] != "https://env2.example.com" {
		t.Fatalf("from the environment: %v %v", cfg.WS.PublicURLs, err)
	}
	if cfg, _, err = parseServe([]string{"--public-url", "https://flag.example.com"}); err != nil || fmt.Sprint(cfg.WS.PublicURLs) != "[https://flag.example.com]" {
		t.Fatalf("a flag must win over the environment: %v %v", cfg.WS.PublicURLs, err)
	}
}

func TestPublicURLFlagRefusesNonURLs(t *testing.T) {
	_, _, err := parseServe([]string{"--public-url", "widgets.example.com,ws://x.example.com", "--body-limit", "1"})
	for _, want := range []string{`"widgets.example.com"`, `"ws://x.example.com"`, "--body-limit"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not mention %s (all errors at once)", err, want)
		}
	}
}
