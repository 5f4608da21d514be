package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestIntegrationFlags(t *testing.T) {
	const key = "k1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
	secretFile := filepath.Join(t.TempDir(), "twitch-secret")
	if err := os.WriteFile(secretFile, []byte("file-S3CR3T\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"off by default", nil, ""},
		{"id and secret", []string{"--twitch-client-id", "abc", "--twitch-client-secret", "flag-S3CR3T"}, ""},
		{"secret from a file", []string{"--twitch-client-id", "abc", "--twitch-client-secret-file", secretFile}, ""},
		{"id without secret", []string{"--twitch-client-id", "abc"}, "go together"},
		{"secret twice", []string{"--twitch-client-id", "abc", "--twitch-client-secret", "flag-S3CR3T", "--twitch-client-secret-file", secretFile}, "give the secret once"},
		{"missing file", []string{"--twitch-client-id", "abc", "--twitch-client-secret-file", "/nonexistent/s"}, "--twitch-client-secret-file"},
		{"bad eventsub url", []string{"--twitch-eventsub-url", "http://x/ws"}, "--twitch-eventsub-url"},
		{"spotify secret from a file", []string{"--spotify-client-id", "sp", "--spotify-client-secret-file", secretFile}, ""},
		{"spotify id without secret", []string{"--spotify-client-id", "sp"}, "--spotify-client-id and --spotify-client-secret go together"},
		{"spotify secret twice", []string{"--spotify-client-id", "sp", "--spotify-client-secret", "flag-S3CR3T", "--spotify-client-secret-file", secretFile}, "--spotify-client-secret-file: give the secret once"},
		{"bad spotify auth url", []string{"--spotify-auth-url", "accounts.spotify.com"}, "--spotify-auth-url"},
		{"dynamodb with spotify needs credential keys", []string{"--store", "dynamodb", "--seal-keys", key, "--spotify-client-id", "sp", "--spotify-client-secret", "s"}, "--credentials-keys (or STREAMWIDGETS_CREDENTIALS_KEYS) is required"},
		{"pretzel off", []string{"--pretzel-url", "off"}, ""},
		{"bad pretzel url", []string{"--pretzel-url", "pretzel"}, "--pretzel-url"},
		{"bad credential keys", []string{"--credentials-keys", "k1:short-S3CR3T"}, "--credentials-keys"},
		{"dynamodb needs credential keys", []string{"--store", "dynamodb", "--seal-keys", key, "--twitch-client-id", "abc", "--twitch-client-secret", "s"}, "--credentials-keys (or STREAMWIDGETS_CREDENTIALS_KEYS) is required"},
		{"dynamodb with credential keys", []string{"--store", "dynamodb", "--seal-keys", key, "--credentials-keys", key, "--twitch-client-id", "abc", "--twitch-client-secret", "s"}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg, _, err := parseServe(tc.args)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if tc.name == "secret from a file" && cfg.Integrations.Twitch.ClientSecret.Reveal() != "file-S3CR3T" {
					t.Fatal("the file's secret did not reach the config")
				}
				if tc.name == "spotify secret from a file" && cfg.Integrations.Spotify.ClientSecret.Reveal() != "file-S3CR3T" {
					t.Fatal("the file's Spotify secret did not reach the config")
				}
				if tc.name == "pretzel off" && cfg.Integrations.PretzelBase != "" {
					t.Fatal("pretzel is still on")
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want %q", err, tc.wantErr)
			}
			if strings.Contains(err.Error(), "S3CR3T") {
				t.Fatalf("the error repeats a secret: %v", err)
			}
		})
	}
}
