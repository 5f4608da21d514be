package main

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"go.uber.org/zap"
)

func TestCapsFlagsReachTheConfig(t *testing.T) {
	cfg, _, err := parseServe([]string{"--max-viewers-per-widget", "12000", "--widget-actions-per-second", "50",
		"--widget-action-burst", "100", "--ws-max-conns-per-address", "20000", "--ws-max-conns-per-user", "64",
		"--ws-messages-per-second", "100", "--ws-message-burst", "200"})
	if err != nil {
		t.Fatal(err)
	}
	w, s := cfg.Widgets, cfg.WS
	if w.MaxSubscribers != 12000 || w.ActionsPerSecond != 50 || w.ActionBurst != 100 ||
		s.MaxConnsPerIP != 20000 || s.MaxConnsPerUser != 64 || s.MessagesPerSecond != 100 || s.MessageBurst != 200 {
		t.Fatalf("caps not applied: widgets %+v, ws %+v", w, s)
	}
	t.Setenv("STREAMWIDGETS_MAX_VIEWERS_PER_WIDGET", "5000")
	if cfg, _, err = parseServe(nil); err != nil || cfg.Widgets.MaxSubscribers != 5000 {
		t.Fatalf("from the environment: %d %v", cfg.Widgets.MaxSubscribers, err)
	}
}

func TestBadCapsAreAllReported(t *testing.T) {
	_, _, err := parseServe([]string{"--max-viewers-per-widget", "0", "--ws-max-conns-per-address", "-1",
		"--widget-actions-per-second", "0", "--pprof-addr", "0.0.0.0:6060"})
	if err == nil {
		t.Fatal("bad caps accepted")
	}
	for _, want := range []string{"--max-viewers-per-widget", "--ws-max-conns-per-address", "--widget-actions-per-second", "--pprof-addr: profiles have no sign-in"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %s: %v", want, err)
		}
	}
}

func TestPprofIsOffByDefaultAndServesWhenAsked(t *testing.T) {
	if _, opts, err := parseServe(nil); err != nil || opts.pprofAddr != "" {
		t.Fatalf("pprof default %q (%v), want off", opts.pprofAddr, err)
	}
	addr, stop, err := startPprof("127.0.0.1:0", zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	resp, err := http.Get("http://" + addr + "/debug/pprof/goroutine?debug=1")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(string(body), "goroutine profile:") {
		t.Fatalf("goroutine profile: %d %.200s", resp.StatusCode, body)
	}
}
