package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
)

// binary builds the real command once per test run (each build takes
// tens of seconds on a busy machine); TestMain removes it.
func binary(t *testing.T) string {
	t.Helper()
	build.once.Do(func() {
		build.dir, build.err = os.MkdirTemp("", "streamwidgets-bin-")
		if build.err != nil {
			return
		}
		bin := filepath.Join(build.dir, "streamwidgets")
		out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
		if err != nil {
			build.err = fmt.Errorf("go build: %v\n%s", err, out)
			return
		}
		build.bin = bin
	})
	if build.err != nil {
		t.Fatal(build.err)
	}
	return build.bin
}

var build struct {
	once     sync.Once
	dir, bin string
	err      error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if build.dir != "" {
		_ = os.RemoveAll(build.dir)
	}
	os.Exit(code)
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

type proc struct {
	cmd  *exec.Cmd
	out  *lockedBuffer
	base string
}

// lockedBuffer collects a child's output while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func startServe(t *testing.T, bin string, env []string, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, out: out}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _, _ = cmd.Process.Wait() })
	return p
}

func (p *proc) waitReady(t *testing.T, addr string) {
	t.Helper()
	p.base = "http://" + addr
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if r, err := http.Get(p.base + "/readyz"); err == nil {
			r.Body.Close()
			if r.StatusCode == 200 {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("server not ready; output:\n%s", p.out)
}

// stop sends SIGTERM and returns how long the process took to exit.
func (p *proc) stop(t *testing.T) time.Duration {
	t.Helper()
	start := time.Now()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, p.out)
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("still running 15s after SIGTERM")
	}
	return time.Since(start)
}

// startCountdown starts a countdown the way the manager does: over the socket.
func startCountdown(t *testing.T, addr, token, id string) {
	t.Helper()
	c, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	for _, m := range []map[string]any{{"type": "AUTH", "token": token}, {"type": "WIDGET_ACTION", "widgetId": id, "action": "start"}} {
		if err := c.WriteJSON(m); err != nil {
			t.Fatal(err)
		}
	}
	for {
		var m map[string]any
		if err := c.ReadJSON(&m); err != nil {
			t.Fatalf("start countdown: %v", err)
		}
		if m["type"] == "WIDGET_ACTION_RESPONSE" {
			if m["success"] != true {
				t.Fatalf("start refused: %v", m)
			}
			return
		}
	}
}

func request(t *testing.T, method, url, token, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func TestServeTokenRestartAndSigterm(t *testing.T) {
	bin := binary(t)
	data := filepath.Join(t.TempDir(), "data")
	addr := freeAddr(t)
	p := startServe(t, bin, nil, "--addr", addr, "--data", data)
	p.waitReady(t, addr)
	signIn := "login-link --data " + data + " --url http://" + addr
	// The hint follows the start of serving: /readyz may answer before it is printed.
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(p.out.String(), signIn) && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	if hint := p.out.String(); !strings.Contains(hint, signIn) {
		t.Fatalf("the startup hint does not give this server's sign-in command:\n%s", hint)
	}
	link, err := exec.Command(bin, "login-link", "--data", data, "--url", "http://"+addr, "--user", "alice").Output()
	if err != nil || !strings.HasPrefix(string(link), "http://"+addr+"/#signin=") {
		t.Fatalf("login-link: %v %q", err, link)
	}
	resp, err := http.Post("http://"+addr+"/auth/session", "application/json", strings.NewReader(`{"ticket":"`+strings.TrimSpace(strings.SplitN(string(link), "#signin=", 2)[1])+`"}`))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("the CLI's sign-in link is refused by the server: %v %v", err, resp.StatusCode)
	}
	resp.Body.Close()

	tok, err := exec.Command(bin, "token", "--data", data, "--user", "alice", "--ttl", "1h").Output()
	if err != nil {
		t.Fatalf("token: %v", err)
	}
	token := strings.TrimSpace(string(tok))
	status, created := request(t, "POST", p.base+"/records/stream_widgets", token, `{"type":"countdown","title":"Subs","config":{"duration":300}}`)
	if status != 201 {
		t.Fatalf("create with a CLI token: %d %v", status, created)
	}
	id := created["data"].(map[string]any)["id"].(string)
	startCountdown(t, addr, token, id)
	started := time.Now()
	if took := p.stop(t); took > 10*time.Second {
		t.Fatalf("SIGTERM took %v, want < 10s", took)
	}
	time.Sleep(2 * time.Second) // the node is down; the countdown keeps running

	// Restart on the same data dir, address from the environment this time.
	addr2 := freeAddr(t)
	p2 := startServe(t, bin, []string{"STREAMWIDGETS_ADDR=" + addr2, "STREAMWIDGETS_DATA=" + data})
	p2.waitReady(t, addr2)
	status, got := request(t, "GET", p2.base+"/records/stream_widgets/"+id, token, "")
	if status != 200 || got["data"].(map[string]any)["title"] != "Subs" {
		t.Fatalf("after restart with the same token: %d %v", status, got)
	}
	state := got["data"].(map[string]any)["state"].(map[string]any)
	last, _ := time.Parse(time.RFC3339Nano, state["last_tick_timestamp"].(string))
	left := state["duration_left"].(float64) - time.Since(last).Seconds()
	want := 300 - time.Since(started).Seconds()
	if state["enabled"] != true || left > want+1.5 || left < want-1.5 {
		t.Fatalf("after restart the countdown shows %.1fs left (enabled=%v), want about %.1fs", left, state["enabled"], want)
	}
	p2.stop(t)
	if strings.Contains(p.out.String()+p2.out.String(), token) {
		t.Fatal("the server printed the user token")
	}
}

func TestHelpDocumentsEveryFlagAndBadConfigIsReportedAtOnce(t *testing.T) {
	bin := binary(t)
	out, _ := exec.Command(bin, "serve", "--help").CombinedOutput()
	for _, want := range []string{"-addr", `(default "127.0.0.1:8080")`, "-data", `(default "./data")`, "STREAMWIDGETS_"} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("serve --help lacks %q:\n%s", want, out)
		}
	}
	cmd := exec.Command(bin, "serve", "--idle-timeout", "1ms", "--body-limit", "10", "--oidc-issuer", "https://x")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatal("invalid config started a server")
	}
	for _, want := range []string{"--idle-timeout", "--body-limit", "--oidc-audience"} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("error output does not mention %s (all errors must be reported at once):\n%s", want, out)
		}
	}
	out, err = exec.Command(bin, "token", "--data", t.TempDir()).CombinedOutput()
	if err == nil || !bytes.Contains(out, []byte("--user")) {
		t.Fatalf("token without --user: %v %s", err, out)
	}
	// A data dir no server ever used: refuse, instead of signing with a key the server lacks.
	for _, cmd := range []string{"token", "login-link"} {
		empty := t.TempDir()
		args := []string{cmd, "--data", empty, "--user", "alice"}
		if cmd == "login-link" {
			args = append(args, "--wait", "0") // no server to wait for
		}
		out, err = exec.Command(bin, args...).CombinedOutput()
		if err == nil || !bytes.Contains(out, []byte("start the server with this --data first")) {
			t.Fatalf("%s on an unused data dir: %v %s", cmd, err, out)
		}
		if _, err := os.Stat(filepath.Join(empty, "keys")); err == nil {
			t.Fatalf("%s created a signing key in an unused data dir", cmd)
		}
	}
}
