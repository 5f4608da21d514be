package main

import (
	"bytes"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// dirState is every file under dir with its content, for "untouched" checks.
func dirState(t *testing.T, dir string) map[string]string {
	t.Helper()
	state := map[string]string{}
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		state[p] = info.ModTime().String() + "\n" + string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return state
}

// runServe runs serve to its end (it must fail) and returns its output.
func runServe(t *testing.T, bin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve"}, args...)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err == nil {
			t.Fatalf("serve %v exited 0:\n%s", args, out.String())
		}
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("serve %v still running after 30s:\n%s", args, out.String())
	}
	return out.String()
}

// A start that fails leaves no data dir (and so no signing key that the
// running server does not know) and never touches an existing one.
func TestFailedServeLeavesNoTrap(t *testing.T) {
	bin := binary(t)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()

	t.Run("port in use, fresh data dir", func(t *testing.T) {
		data := filepath.Join(t.TempDir(), "data")
		out := runServe(t, bin, "--addr", busy.Addr().String(), "--data", data)
		if !strings.Contains(out, "cannot listen on "+busy.Addr().String()) || !strings.Contains(out, "in use") {
			t.Errorf("the message does not say the address is in use:\n%s", out)
		}
		if _, err := os.Stat(data); !os.IsNotExist(err) {
			t.Fatalf("a failed start created %s (stat: %v)", data, err)
		}
		link, err := exec.Command(bin, "login-link", "--data", data, "--user", "alice", "--wait", "0").CombinedOutput()
		if err == nil || !bytes.Contains(link, []byte("start the server with this --data first")) {
			t.Fatalf("login-link after the failed start: %v %s", err, link)
		}
	})

	t.Run("port in use, existing data dir", func(t *testing.T) {
		data := filepath.Join(t.TempDir(), "data")
		addr := freeAddr(t)
		p := startServe(t, bin, nil, "--addr", addr, "--data", data)
		p.waitReady(t, addr)
		p.stop(t)
		before := dirState(t, data)
		runServe(t, bin, "--addr", busy.Addr().String(), "--data", data)
		if after := dirState(t, data); !sameState(before, after) {
			t.Fatalf("a failed start changed the existing data dir:\nbefore %v\nafter  %v", keys(before), keys(after))
		}
	})

	t.Run("failure after the data dir was made", func(t *testing.T) {
		// The cluster endpoint is bound after the keys are written: its
		// failure must remove them too.
		data := filepath.Join(t.TempDir(), "data")
		out := runServe(t, bin, "--addr", freeAddr(t), "--data", data, "--cluster-bind", busy.Addr().String())
		if _, err := os.Stat(data); !os.IsNotExist(err) {
			t.Fatalf("a start that failed late left %s (stat: %v); output:\n%s", data, err, out)
		}
	})
}

func sameState(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, filepath.Base(k))
	}
	return out
}
