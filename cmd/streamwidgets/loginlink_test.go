package main

import (
	"bytes"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/streamwidgets/streamwidgets/transport/auth"
)

// redeem signs in with a login link the way the console does.
func redeem(t *testing.T, base, link string) int {
	t.Helper()
	ticket := strings.TrimSpace(strings.SplitN(link, "#signin=", 2)[1])
	resp, err := http.Post(base+"/auth/session", "application/json", strings.NewReader(`{"ticket":"`+ticket+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// README "First steps" pasted as one block: login-link starts before the
// server is up (even before its data dir exists), waits, and prints a link
// that works.
func TestLoginLinkWaitsForTheServer(t *testing.T) {
	bin := binary(t)
	data := filepath.Join(t.TempDir(), "data")
	addr := freeAddr(t)
	link := exec.Command(bin, "login-link", "--data", data, "--url", "http://"+addr, "--user", "alice")
	var out, errOut bytes.Buffer
	link.Stdout, link.Stderr = &out, &errOut
	if err := link.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- link.Wait() }()
	time.Sleep(time.Second)
	select {
	case err := <-done:
		t.Fatalf("login-link did not wait for the server: %v\n%s%s", err, out.String(), errOut.String())
	default:
	}
	p := startServe(t, bin, nil, "--addr", addr, "--data", data)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("login-link: %v\n%s", err, errOut.String())
		}
	case <-time.After(30 * time.Second):
		_ = link.Process.Kill()
		t.Fatalf("login-link still waiting 30s after the server started; server output:\n%s", p.out)
	}
	if !strings.Contains(errOut.String(), "waiting for the server at http://"+addr) {
		t.Errorf("login-link did not say what it waits for: %q", errOut.String())
	}
	if status := redeem(t, "http://"+addr, out.String()); status != http.StatusOK {
		t.Fatalf("the link printed after waiting is refused: %d", status)
	}
}

func TestLoginLinkRefusals(t *testing.T) {
	bin := binary(t)
	t.Run("no server", func(t *testing.T) {
		start := time.Now()
		out, err := exec.Command(bin, "login-link", "--data", t.TempDir(), "--url", "http://"+freeAddr(t), "--user", "alice", "--wait", "1s").CombinedOutput()
		if err == nil || !bytes.Contains(out, []byte("no streamwidgets server was up at")) || !bytes.Contains(out, []byte("--wait 0")) {
			t.Fatalf("login-link without a server: %v %s", err, out)
		}
		if took := time.Since(start); took > 10*time.Second {
			t.Fatalf("--wait 1s took %v", took)
		}
	})
	t.Run("another server's data dir", func(t *testing.T) {
		// The trap of a failed second start: a data dir whose key the
		// running server does not know. No link is printed.
		data, other := filepath.Join(t.TempDir(), "data"), t.TempDir()
		if _, err := auth.LoadOrCreateLocalIssuer(other); err != nil {
			t.Fatal(err)
		}
		addr := freeAddr(t)
		p := startServe(t, bin, nil, "--addr", addr, "--data", data)
		p.waitReady(t, addr)
		out, err := exec.Command(bin, "login-link", "--data", other, "--url", "http://"+addr, "--user", "alice").CombinedOutput()
		if err == nil || !bytes.Contains(out, []byte("does not use the signing key in "+other)) || bytes.Contains(out, []byte("#signin=")) {
			t.Fatalf("login-link with another server's data dir: %v %s", err, out)
		}
	})
}
