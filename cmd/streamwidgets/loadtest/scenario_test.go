package loadtest_test

import (
	"bufio"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/streamwidgets/streamwidgets/cmd/streamwidgets/loadtest"
	"github.com/streamwidgets/streamwidgets/transport/auth"
)

// server is `streamwidgets serve` as a real process on 127.0.0.1.
type server struct {
	url, data string
}

// startServe builds the command and runs serve on a free loopback port
// until the test ends (SIGTERM, then a wait).
func startServe(t *testing.T, args ...string) server {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "streamwidgets")
	if out, err := exec.Command("go", "build", "-o", bin, "..").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	data := filepath.Join(dir, "data")
	cmd := exec.Command(bin, append([]string{"serve", "--addr", "127.0.0.1:0", "--data", data, "--log-level", "warn"}, args...)...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	up := regexp.MustCompile(`streamwidgets is up at (http://\S+)`)
	found := make(chan string, 1)
	go func() {
		defer close(exited)
		sc := bufio.NewScanner(stderr)
		var log strings.Builder
		for sc.Scan() {
			if m := up.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			} else if log.Len() < 8<<10 {
				log.WriteString(sc.Text() + "\n")
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
		_ = cmd.Wait()
		if log.Len() > 0 && t.Failed() {
			t.Logf("serve's log:\n%s", log.String())
		}
	}()
	select {
	case u := <-found:
		return server{url: u, data: data}
	case <-exited:
		t.Fatal("serve exited before it was up")
	case <-time.After(60 * time.Second):
		t.Fatal("serve not up within 60s")
	}
	return server{}
}

func (s server) config(t *testing.T) loadtest.Config {
	t.Helper()
	iss, err := auth.LoadLocalIssuer(s.data)
	if err != nil {
		t.Fatal(err)
	}
	return loadtest.Config{URL: s.url, Token: func(u string) (string, error) { return iss.Mint(u, time.Hour) }}
}

// TestBoundedScenarioLosesNothing is the CI load scenario: 200 OBS views of
// one widget and 10 actions/s for 10 s against a real node on loopback.
// Every view must see the final value; no update may repeat or go back;
// every action is answered; the node's /metrics must have counted the
// deliveries. Then a connection storm: every view cut at once mid-run.
func TestBoundedScenarioLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("load scenario: ~40 s")
	}
	srv := startServe(t)
	out := t.TempDir()
	cfg := srv.config(t)
	cfg.Profile, cfg.ViewersPerWidget, cfg.ActionRate = "one-big-stream", 200, 10
	cfg.Duration, cfg.RampUp, cfg.Out = 10*time.Second, 2*time.Second, out
	cfg.Settle = 15 * time.Second // ends as soon as every view shows the final value
	cfg.Progress = testWriter{t}
	sum, err := loadtest.Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	sum.WriteText(&text)
	t.Log("\n" + text.String())
	checkClean(t, sum)
	if sum.Acked < 90 || sum.Failed != 0 {
		t.Errorf("%d of %d actions acknowledged, %d refused: want ~100, none refused", sum.Acked, sum.Sent, sum.Failed)
	}
	if want := sum.Acked * 200; sum.Deliveries+sum.Coalesced < want*9/10 {
		t.Errorf("%d deliveries (+%d coalesced) for %d acknowledged actions to 200 views", sum.Deliveries, sum.Coalesced, sum.Acked)
	}
	if sum.Server.CPUPerDelivery <= 0 || sum.Server.RSSEnd <= 0 {
		t.Errorf("no server figures from /metrics: %+v", sum.Server)
	}
	for _, f := range []string{"samples.csv", "seconds.csv", "report.html"} {
		if st, err := os.Stat(filepath.Join(out, f)); err != nil || st.Size() < 100 {
			t.Errorf("--out %s: %v", f, err)
		}
	}

	storm := srv.config(t)
	storm.Profile, storm.Users, storm.WidgetsPerUser, storm.ViewersPerWidget = "connection-storm", 4, 5, 10
	storm.Duration, storm.StormAt, storm.RampUp, storm.Settle = 8*time.Second, 3*time.Second, time.Second, 15*time.Second
	sum, err = loadtest.Run(context.Background(), storm)
	if err != nil {
		t.Fatal(err)
	}
	text.Reset()
	sum.WriteText(&text)
	t.Log("\n" + text.String())
	checkClean(t, sum)
	if sum.Storm == nil || !sum.Storm.AllBack || sum.Storm.Sockets != 200 {
		t.Errorf("connection storm: %+v, want all 200 views back", sum.Storm)
	}
}

func checkClean(t *testing.T, sum *loadtest.Summary) {
	t.Helper()
	if !sum.Passed() || !sum.Settled {
		t.Errorf("lost %d, duplicate %d, out of order %d, not connected %d, settled %v: want none lost, duplicated or out of order",
			sum.Lost, sum.Duplicates, sum.OutOfOrder, sum.NotConnected, sum.Settled)
	}
	if len(sum.Closes) > 0 || len(sum.Errors) > 0 {
		t.Errorf("unexpected closes %v, errors %v (%v)", sum.Closes, sum.Errors, sum.ErrorSamples)
	}
	if sum.Update.N == 0 {
		t.Error("no state update latency measured")
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
