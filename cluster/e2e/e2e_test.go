package e2e

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestLocalCluster runs the README's local cluster (three member processes,
// etcd, DynamoDB Local, nginx) and checks it as clients see it.
func TestLocalCluster(t *testing.T) {
	c := startLocalCluster(t)
	token := c.cli("token", "--user", "alice")
	// REST through the load balancer: any member answers, no sticky sessions.
	created := do(t, "POST", c.url+"/records/stream_widgets", token,
		map[string]any{"type": "goal", "title": "Subs", "config": map[string]any{"target": 1000}, "active": true})
	if created.status != http.StatusCreated {
		t.Fatalf("create through nginx: %d %s", created.status, created.body)
	}
	w := decodeWidget(t, created)

	// A manager on member1, another on member3, an OBS view through nginx.
	sockets := map[string]*socket{}
	for name, base := range map[string]string{"member1": c.members[0], "member3": c.members[2]} {
		s, err := dialSession(t, name, base, token, w.ID)
		if err != nil {
			t.Fatal(err)
		}
		sockets[name] = s
	}
	obs, err := dialSession(t, "obs", c.url, w.AccessToken, w.ID)
	if err != nil {
		t.Fatal(err)
	}
	sockets["obs"] = obs

	t.Run("every client sees every version", func(t *testing.T) {
		var versions []int64
		for i := 0; i < 5; i++ {
			v, err := sockets["member3"].act(w.ID, "increment", msg{"by": 1})
			if err != nil {
				t.Fatal(err)
			}
			versions = append(versions, v)
			for _, s := range sockets {
				if err := s.awaitVersion(v, 5*time.Second); err != nil {
					t.Fatal(err)
				}
			}
		}
		for name, s := range sockets {
			if !strings.HasSuffix(fmt.Sprint(s.seen), strings.Trim(fmt.Sprint(versions), "[]")+"]") {
				t.Errorf("%s saw versions %v, want them to end with %v", name, s.seen, versions)
			}
		}
		for i, u := range c.members {
			got := decodeWidget(t, do(t, "GET", u+"/records/stream_widgets/"+w.ID, token, nil))
			if got.Version != versions[len(versions)-1] {
				t.Errorf("REST on member%d: version %d, want %d", i+1, got.Version, versions[len(versions)-1])
			}
		}
	})

	t.Run("a sign-in link works once across members", func(t *testing.T) {
		link := c.cli("login-link", "--user", "bob")
		_, ticket, ok := strings.Cut(link, "#signin=")
		if !ok {
			t.Fatalf("login-link printed %q", link)
		}
		body := map[string]string{"ticket": ticket}
		if r := do(t, "POST", c.members[0]+"/auth/session", "", body); r.status != http.StatusOK {
			t.Fatalf("redeem on member1: %d %s", r.status, r.body)
		}
		for i, u := range []string{c.members[1], c.members[2], c.url} {
			if r := do(t, "POST", u+"/auth/session", "", body); r.status != http.StatusUnauthorized {
				t.Fatalf("replay %d: %d %s, want 401", i, r.status, r.body)
			}
		}
	})

	t.Run("SIGTERM of the grain's member during a stream of acknowledged actions", func(t *testing.T) {
		sigterm(t, c, token, w, sockets)
	})

	var killed int
	t.Run("kill -9 of the grain's member", func(t *testing.T) {
		killed = failover(t, c, token, w, sockets)
	})

	t.Run("a member paused past its lease exits", func(t *testing.T) {
		evicted(t, c, token, w, killed)
	})
}

// evicted pauses a member that does not host the grain for longer than its
// etcd lease (3 s): the others drop it, and on waking it must see itself
// evicted and exit (a supervisor would restart it as a new member) rather
// than serve next to them.
func evicted(t *testing.T, c *localCluster, token string, w widget, dead int) {
	host := c.hostOf()
	victim := 0
	for i := 1; i <= 3; i++ {
		if i != dead && i != host {
			victim = i
		}
	}
	if victim == 0 {
		t.Skip("no idle member left to pause")
	}
	pid := c.pid(fmt.Sprintf("member%d", victim))
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	time.Sleep(7 * time.Second)
	woke := time.Now()
	if err := syscall.Kill(pid, syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	base := c.members[victim-1]
	for {
		resp, err := httpClient.Get(base + "/healthz")
		if err != nil {
			break // exited: nothing listens any more
		}
		resp.Body.Close()
		if time.Since(woke) > 20*time.Second {
			t.Fatalf("member%d still serves %v after waking from a pause past its lease", victim, time.Since(woke))
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("member%d, paused 7 s, exited %v after waking", victim, time.Since(woke).Round(10*time.Millisecond))
	if !strings.Contains(c.read(fmt.Sprintf("logs/member%d.log", victim)), "evicted from the cluster") {
		t.Error("its log does not say it was evicted")
	}
	if r := do(t, "GET", c.url+"/records/stream_widgets/"+w.ID, token, nil); r.status != http.StatusOK {
		t.Fatalf("the rest of the cluster no longer serves the widget: %d %s", r.status, r.body)
	}
}

// failover kills the member hosting the widget grain and measures how long
// until every client holds the version of the first action acknowledged
// after the kill. Clients of the dead member reconnect through nginx.
func failover(t *testing.T, c *localCluster, token string, w widget, sockets map[string]*socket) (host int) {
	host = c.hostOf()
	if host == 0 {
		t.Fatal("no member reports an active widget grain in /metrics")
	}
	survivor := c.members[host%3] // the next member
	driver, err := dialSession(t, "driver", survivor, token, w.ID)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("the grain is on member%d; killing it", host)
	killed := time.Now()
	c.kill9(host)

	// The first acknowledged action after the kill (retried on errors: an
	// action in flight gets an error, never a silent drop).
	var acked int64
	var errs int
	for acked == 0 {
		if time.Since(killed) > 30*time.Second {
			t.Fatalf("no action acknowledged within 30 s of the kill (%d errors)", errs)
		}
		v, err := driver.act(w.ID, "increment", msg{"by": 1})
		if err != nil {
			errs++
			if strings.Contains(err.Error(), "close") || strings.Contains(err.Error(), "broken pipe") {
				t.Fatalf("the driver's socket on a survivor closed: %v", err)
			}
			time.Sleep(100 * time.Millisecond)
			continue
		}
		acked = v
	}
	firstAck := time.Since(killed)
	t.Logf("first acknowledged action %v after the kill (%d errors before it)", firstAck.Round(10*time.Millisecond), errs)

	// Every client converges: live sockets get the update (their connection
	// re-subscribes when the grain moves); sockets of the dead member
	// reconnect through the load balancer and recover the full state.
	deadline := killed.Add(30 * time.Second)
	var dropped, reconnected []string
	for name, s := range sockets {
		for {
			err := s.awaitVersion(acked, time.Until(deadline))
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s did not converge within 30 s of the kill: %v", name, err)
			}
			if errors.Is(err, errDropped) {
				// Not what issue 9 asks (the server should re-subscribe by
				// itself): counted and reported, and the client recovers.
				dropped = append(dropped, name)
				if err := s.resubscribe(w.ID); err == nil {
					continue
				}
			}
			// The socket died with its member: reconnect through nginx.
			re, derr := dialSession(t, name, c.url, s.token, w.ID)
			if derr != nil {
				time.Sleep(100 * time.Millisecond)
				continue
			}
			reconnected = append(reconnected, name)
			s = re
			sockets[name] = re
		}
	}
	converged := time.Since(killed)
	t.Logf("FAILOVER kill -9 of member%d: first acknowledged action after %v (%d errors before it); every client at version %d after %v "+
		"(target 3 s); reconnected through nginx: %v; subscriptions the server dropped (client re-subscribed): %v",
		host, firstAck.Round(10*time.Millisecond), errs, acked, converged.Round(10*time.Millisecond), reconnected, dropped)
	if newHost := c.hostOf(); newHost == 0 || newHost == host {
		t.Errorf("after failover /metrics shows the grain on member %d", newHost)
	}
	return host
}
