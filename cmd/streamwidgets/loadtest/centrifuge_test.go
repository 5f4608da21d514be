package loadtest_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/streamwidgets/streamwidgets/cmd/centrifuge-baseline/baseline"
	"github.com/streamwidgets/streamwidgets/cmd/streamwidgets/loadtest"
)

// startBaseline runs the Centrifugo-like baseline in-process on 127.0.0.1,
// pinging every second (Centrifugo: 25 s) so a viewer that does not answer
// pings is cut (3012 no pong) within the run.
func startBaseline(t *testing.T, secret, apiKey string) *baseline.Server {
	t.Helper()
	srv, err := baseline.Start(baseline.Config{Addr: "127.0.0.1:0", Secret: secret, APIKey: apiKey,
		PingInterval: time.Second, PongTimeout: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Close(ctx)
	})
	return srv
}

func centrifugeConfig(url, secret, apiKey string, viewers int) loadtest.Config {
	return loadtest.Config{URL: url, Target: loadtest.TargetCentrifuge, APIKey: apiKey, ViewersPerWidget: viewers,
		Token: func(user string) (string, error) {
			return jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.RegisteredClaims{Subject: user,
				ExpiresAt: jwt.NewNumericDate(time.Now().Add(time.Hour))}).SignedString([]byte(secret))
		}}
}

// TestCentrifugeTarget drives the baseline as the comparison runs do, with
// 20 viewers and 10 publications/s for 3 s: every viewer must get every
// publication exactly once, in order, each timed, with no error or close;
// the server's figures come from its /metrics. Then a wrong API key: every
// publish refused (401), nothing delivered.
func TestCentrifugeTarget(t *testing.T) {
	const secret, key, viewers = "centrifuge-test-secret", "centrifuge-test-key", 20
	srv := startBaseline(t, secret, key)

	cfg := centrifugeConfig(srv.URL(), secret, key, viewers)
	cfg.ActionRate, cfg.Duration, cfg.RampUp, cfg.Settle = 10, 3*time.Second, 500*time.Millisecond, 5*time.Second
	cfg.Progress = testWriter{t}
	sum, err := loadtest.Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	sum.WriteText(&text)
	t.Log("\n" + text.String())
	if !sum.Passed() || !sum.Settled || sum.Missing != 0 {
		t.Errorf("lost %d, missing %d, duplicate %d, out of order %d, not connected %d, settled %v: want every publication at every viewer once, in order",
			sum.Lost, sum.Missing, sum.Duplicates, sum.OutOfOrder, sum.NotConnected, sum.Settled)
	}
	if len(sum.Closes) > 0 || len(sum.Errors) > 0 {
		t.Errorf("unexpected closes %v, errors %v (%v)", sum.Closes, sum.Errors, sum.ErrorSamples)
	}
	if sum.Sent < 25 || sum.Acked != sum.Sent || sum.Failed != 0 {
		t.Errorf("%d publications sent, %d acknowledged, %d refused: want ~30, all acknowledged", sum.Sent, sum.Acked, sum.Failed)
	}
	if sum.Deliveries != sum.Acked*viewers || sum.Update.N != sum.Deliveries {
		t.Errorf("%d deliveries (%d timed) for %d publications to %d viewers: want each exactly once", sum.Deliveries, sum.Update.N, sum.Acked, viewers)
	}
	if sum.Server.CPUPerDelivery <= 0 || sum.Server.RSSEnd <= 0 {
		t.Errorf("no server figures from the baseline's /metrics: %+v", sum.Server)
	}

	bad := centrifugeConfig(srv.URL(), secret, "not-the-key", 5)
	bad.ActionRate, bad.Duration, bad.RampUp, bad.Settle = 10, time.Second, 200*time.Millisecond, time.Second
	sum, err = loadtest.Run(context.Background(), bad)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Sent == 0 || sum.Acked != 0 || sum.Failed != sum.Sent || sum.Errors["http_401"] != sum.Sent || sum.Deliveries != 0 {
		t.Errorf("wrong API key: %d sent, %d acknowledged, %d refused, errors %v, %d delivered: want every publish refused with 401, nothing delivered",
			sum.Sent, sum.Acked, sum.Failed, sum.Errors, sum.Deliveries)
	}
}
