package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
)

// answerBound is how long an action may wait for its answer: the
// connection's grain call times out at 5 s and then answers with an error.
const answerBound = 10 * time.Second

// mayHaveApplied lists the failure codes of an action whose effect is
// unknown: the grain may have saved it before the call failed. Every other
// refusal (rate_limited, not_found, …) changed nothing.
var mayHaveApplied = map[string]bool{"unavailable": true, "store_unavailable": true, "internal": true}

// streamStats counts the answers to a stream of actions from one socket.
type streamStats struct {
	acked      int            // success: true
	codes      map[string]int // explicit refusals (ERROR or success: false), by code
	ambiguous  int            // refusals with a code in mayHaveApplied
	unanswered []string       // requests with no answer within answerBound
	versions   []int64        // versions of the acknowledged actions, in order
	ackTimes   []time.Time    // when each acknowledgement arrived
	socketErr  error          // the driver's socket failed (it is on a survivor)
}

// stream sends increment-by-1 actions one at a time on s, each waiting for
// its answer, until stop is closed.
func stream(s *socket, id string, stop <-chan struct{}) *streamStats {
	st := &streamStats{codes: map[string]int{}}
	for n := 0; ; n++ {
		select {
		case <-stop:
			return st
		default:
		}
		sent := time.Now()
		reqID := fmt.Sprintf("sig-%d", n)
		if err := s.send(msg{"type": "WIDGET_ACTION", "widgetId": id, "action": "increment",
			"payload": msg{"by": 1}, "requestId": reqID}); err != nil {
			st.socketErr = err
			return st
		}
		for {
			m, err := s.read(time.Until(sent.Add(answerBound)))
			if err != nil {
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() {
					st.unanswered = append(st.unanswered, reqID)
				} else {
					st.socketErr = err
				}
				return st // a read deadline breaks the socket: stop here
			}
			s.record(m)
			if m.str("requestId") != reqID {
				continue // an update, or (a bug) an answer to another request
			}
			if m.str("type") == "WIDGET_ACTION_RESPONSE" && m["success"] == true {
				st.acked++
				st.versions = append(st.versions, int64(m.num("version")))
				st.ackTimes = append(st.ackTimes, time.Now())
			} else {
				code := m.str("code")
				st.codes[code]++
				if mayHaveApplied[code] {
					st.ambiguous++
				}
			}
			break
		}
		// 12 actions/s at most: under the per-connection and per-widget limits.
		time.Sleep(time.Until(sent.Add(80 * time.Millisecond)))
	}
}

// viewer reads an OBS socket in the background, recording the newest
// version and how the socket closed; a closed socket reconnects through the
// load balancer, as an overlay does.
type viewer struct {
	name    string
	newest  atomic.Int64
	mu      sync.Mutex
	cur     *socket
	closes  []int // close codes received
	redials int
	done    chan struct{}
	stopped atomic.Bool
}

func watch(t *testing.T, c *localCluster, s *socket, token, id string) *viewer {
	v := &viewer{name: s.name, cur: s, done: make(chan struct{})}
	v.newest.Store(s.last())
	go func() {
		defer close(v.done)
		for !v.stopped.Load() {
			m, err := s.read(time.Minute)
			if err == nil {
				s.record(m)
				v.newest.Store(max(v.newest.Load(), s.last()))
				continue
			}
			if v.stopped.Load() {
				return
			}
			var ce *websocket.CloseError
			v.mu.Lock()
			if errors.As(err, &ce) {
				v.closes = append(v.closes, ce.Code)
			} else {
				v.closes = append(v.closes, -1) // no close frame
			}
			v.mu.Unlock()
			for !v.stopped.Load() {
				re, err := dialSession(t, s.name, c.url, token, id)
				if err == nil {
					s = re
					v.mu.Lock()
					v.cur, v.redials = re, v.redials+1
					v.mu.Unlock()
					v.newest.Store(max(v.newest.Load(), s.last()))
					break
				}
				time.Sleep(100 * time.Millisecond)
			}
		}
	}()
	return v
}

// stop ends the reader (its socket is closed; the test's cleanup would too).
func (v *viewer) stop() {
	v.stopped.Store(true)
	v.mu.Lock()
	_ = v.cur.conn.Close()
	v.mu.Unlock()
	<-v.done
}

// goalCurrent reads the widget's record through the load balancer.
func goalCurrent(t *testing.T, c *localCluster, token, id string) (current float64, version int64) {
	t.Helper()
	r := do(t, "GET", c.url+"/records/stream_widgets/"+id, token, nil)
	var env struct {
		Data struct {
			Version int64
			State   struct{ Current float64 }
		}
	}
	if err := json.Unmarshal(r.body, &env); err != nil || r.status != 200 {
		t.Fatalf("GET widget: %d %s", r.status, r.body)
	}
	return env.Data.State.Current, env.Data.Version
}

// exited reports whether pid is gone or a zombie (nobody may reap it here).
func exited(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return true
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	// pid (comm) S …: the state follows the last ')'.
	i := bytes.LastIndexByte(stat, ')')
	return i > 0 && len(stat) > i+2 && stat[i+2] == 'Z'
}

// sigterm sends SIGTERM to the member hosting the widget's grain while a
// socket on another member streams acknowledged actions, and checks that no
// acknowledged action is lost, every request is answered, sockets on the
// stopped member close with 1001 and every viewer converges. It restarts the
// member (same command, same ports) so later subtests have three.
func sigterm(t *testing.T, c *localCluster, token string, w widget, sockets map[string]*socket) {
	host := c.hostOf()
	if host == 0 {
		t.Fatal("no member reports an active widget grain in /metrics")
	}
	name := fmt.Sprintf("member%d", host)
	pid := c.pid(name)
	cmdline, err1 := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	environ, err2 := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
	if err := errors.Join(err1, err2); err != nil {
		t.Fatalf("reading %s's command to restart it: %v", name, err)
	}
	driver, err := dialSession(t, "sigterm-driver", c.members[host%3], token, w.ID)
	if err != nil {
		t.Fatal(err)
	}
	onX, err := dialSession(t, "viewer-on-"+name, c.members[host-1], w.AccessToken, w.ID)
	if err != nil {
		t.Fatal(err)
	}
	viaLB, err := dialSession(t, "viewer-via-nginx", c.url, w.AccessToken, w.ID)
	if err != nil {
		t.Fatal(err)
	}
	viewers := []*viewer{watch(t, c, onX, w.AccessToken, w.ID), watch(t, c, viaLB, w.AccessToken, w.ID)}
	startCurrent, startVersion := goalCurrent(t, c, token, w.ID)

	stop := make(chan struct{})
	result := make(chan *streamStats, 1)
	go func() { result <- stream(driver, w.ID, stop) }()
	time.Sleep(1500 * time.Millisecond)

	t.Logf("the grain is on %s, the driver on member%d: SIGTERM to %s", name, host%3+1, name)
	termAt := time.Now()
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for !exited(pid) {
		if time.Since(termAt) > 30*time.Second {
			close(stop)
			t.Fatalf("%s still running 30 s after SIGTERM", name)
		}
		time.Sleep(20 * time.Millisecond)
	}
	exitAfter := time.Since(termAt)
	time.Sleep(4 * time.Second)
	close(stop)
	st := <-result

	// Longest gap between acknowledgements, counting from the first one.
	var gap time.Duration
	var gapEnd time.Time
	for i := 1; i < len(st.ackTimes); i++ {
		if d := st.ackTimes[i].Sub(st.ackTimes[i-1]); d > gap {
			gap, gapEnd = d, st.ackTimes[i]
		}
	}
	endCurrent, endVersion := goalCurrent(t, c, token, w.ID)
	applied := int(endCurrent - startCurrent)
	t.Logf("SIGTERM of %s: exited %v after the signal; %d actions acknowledged, refusals by code %v (%d may have applied), "+
		"%d unanswered; longest gap between acknowledgements %v (ending %v after SIGTERM); current %v -> %v (+%d), version %d -> %d",
		name, exitAfter.Round(10*time.Millisecond), st.acked, st.codes, st.ambiguous, len(st.unanswered),
		gap.Round(10*time.Millisecond), gapEnd.Sub(termAt).Round(10*time.Millisecond),
		startCurrent, endCurrent, applied, startVersion, endVersion)
	if st.socketErr != nil {
		t.Errorf("the driver's socket on member%d failed: %v", host%3+1, st.socketErr)
	}
	if len(st.unanswered) > 0 {
		t.Errorf("requests with no answer within %v: %v (an action must get an answer, never a silent drop)", answerBound, st.unanswered)
	}
	if applied < st.acked {
		t.Errorf("ACKNOWLEDGED ACTIONS LOST: %d acknowledged, the widget went up by %d", st.acked, applied)
	}
	if applied > st.acked+st.ambiguous {
		t.Errorf("the widget went up by %d: more than %d acknowledged + %d that may have applied", applied, st.acked, st.ambiguous)
	}
	if int(endVersion-startVersion) != applied {
		t.Errorf("version went up by %d for %d increments", endVersion-startVersion, applied)
	}
	for i := 1; i < len(st.versions); i++ {
		if st.versions[i] <= st.versions[i-1] {
			t.Errorf("acknowledged versions not increasing: %v", st.versions)
			break
		}
	}
	if st.acked == 0 || st.ackTimes[len(st.ackTimes)-1].Before(termAt.Add(exitAfter)) {
		t.Errorf("no action acknowledged after %s exited", name)
	}

	// Every viewer converges; a socket on the stopped member closed with 1001.
	deadline := time.Now().Add(10 * time.Second)
	for _, v := range viewers {
		for v.newest.Load() < endVersion && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		v.stop()
		v.mu.Lock()
		t.Logf("%s: at version %d (want %d), close codes %v, reconnected through nginx %d times", v.name, v.newest.Load(), endVersion, v.closes, v.redials)
		if v.newest.Load() < endVersion {
			t.Errorf("%s did not converge to version %d within 10 s", v.name, endVersion)
		}
		for _, code := range v.closes {
			if code != 1001 {
				t.Errorf("%s closed with %d, want 1001 (going away)", v.name, code)
			}
		}
		v.mu.Unlock()
	}
	if len(viewers[0].closes) == 0 {
		t.Errorf("the viewer on %s was not closed", name)
	}
	// The test's own sockets on the stopped member: closed with 1001 too.
	for sname, s := range sockets {
		if s.base != c.members[host-1] {
			continue
		}
		var ce *websocket.CloseError
		_, err := s.read(5 * time.Second)
		for err == nil {
			_, err = s.read(5 * time.Second)
		}
		if !errors.As(err, &ce) || ce.Code != 1001 {
			t.Errorf("%s on %s: %v, want close 1001", sname, name, err)
		}
	}

	c.restart(t, host, strings.Split(strings.TrimRight(string(cmdline), "\x00"), "\x00"),
		strings.Split(strings.TrimRight(string(environ), "\x00"), "\x00"))
	for sname, s := range sockets {
		if s.base == c.members[host-1] {
			re, err := dialSession(t, sname, s.base, s.token, w.ID)
			if err != nil {
				t.Fatal(err)
			}
			sockets[sname] = re
		}
	}
	// The restarted member may take the widget's identity back, stopping
	// the activation that replaced it: wait until one is active again (a
	// read activates it), as the next subtest looks for its host.
	deadline = time.Now().Add(15 * time.Second)
	for c.hostOf() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no member hosts the widget's grain 15 s after the restart")
		}
		do(t, "GET", c.url+"/records/stream_widgets/"+w.ID, token, nil)
		time.Sleep(200 * time.Millisecond)
	}
}

// restart starts member i again with the command line and environment it
// had, appending to its log, and waits until it is ready.
func (c *localCluster) restart(t *testing.T, i int, args, env []string) {
	t.Helper()
	name := fmt.Sprintf("member%d", i)
	logf, err := os.OpenFile(filepath.Join(c.dir, "logs", name+".log"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env, cmd.Stdout, cmd.Stderr = env, logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = cmd.Wait() }() // reap it when down.sh stops it
	if err := os.WriteFile(filepath.Join(c.dir, "pids", name+".pid"), []byte(fmt.Sprintln(cmd.Process.Pid)), 0o644); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for {
		resp, err := httpClient.Get(c.members[i-1] + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Since(start) > 60*time.Second {
			t.Fatalf("%s restarted but not ready after 60 s", name)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("%s restarted, ready in %v", name, time.Since(start).Round(10*time.Millisecond))
}
