package app_test

import (
	"bufio"
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
)

// scrapeSums reads /metrics: each series' value summed over its labels.
func (n *node) scrapeSums() map[string]float64 {
	n.t.Helper()
	r := n.do("GET", "/metrics", "", nil)
	if r.Status != 200 {
		n.t.Fatalf("/metrics: %d", r.Status)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(bytes.NewReader(r.Body))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		name := line[:strings.IndexAny(line, "{ ")]
		v, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
		if err == nil {
			out[name] += v
		}
	}
	return out
}

// TestMetricsFollowSocketsGrainsAndDeliveries: /metrics counts the sockets,
// subscriptions, grain activations, relay deliveries, frames written and
// store calls a load test and an operator size a node by, and the gauges
// fall back when the sockets close.
func TestMetricsFollowSocketsGrainsAndDeliveries(t *testing.T) {
	t.Parallel()
	n := startNode(t)
	alice := n.token("alice")
	w := n.create(alice, `{"type":"goal"}`)
	const viewers = 3
	var socks []*wsClient
	for i := 0; i < viewers; i++ {
		c := n.session(w.AccessToken)
		subscribeTo(c, w.ID)
		socks = append(socks, c)
	}
	manager := n.session(alice)
	subscribeTo(manager, w.ID)
	manager.send(msg{"type": "WIDGET_ACTION", "widgetId": w.ID, "action": "set", "payload": msg{"value": 7}})
	manager.awaitType("WIDGET_ACTION_RESPONSE")
	for _, c := range socks {
		c.awaitType("WIDGET_STATE_UPDATE")
	}
	want := map[string]float64{
		"streamwidgets_ws_sockets":                      viewers + 1,
		"streamwidgets_widget_subscriptions":            viewers + 1,
		"streamwidgets_widget_grains_active":            1,
		"streamwidgets_widget_grain_activations_total":  1,
		"streamwidgets_relay_deliveries_total":          viewers + 1,
		"streamwidgets_ws_frames_written_total":         3*viewers + 4, // AUTH_OK, INITIAL_STATE, update each; + the response
		"streamwidgets_store_seconds_count":             2,             // create, set
		"streamwidgets_go_heap_live_bytes":              1,
		"streamwidgets_ws_slow_consumer_closes_total":   0,
		"streamwidgets_widget_grain_passivations_total": 0,
	}
	// A counter is bumped right after its frame left, so the client may read
	// the frame first: poll briefly.
	var problems []string
	for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		m := n.scrapeSums()
		problems = problems[:0]
		for name, w := range want {
			got, ok := m[name]
			switch {
			case !ok:
				problems = append(problems, "/metrics has no "+name)
			case w == 0 && got != 0, w > 0 && got < w:
				problems = append(problems, fmt.Sprintf("%s = %v, want %v", name, got, w))
			}
		}
		if len(problems) == 0 || time.Now().After(deadline) {
			break
		}
	}
	for _, p := range problems {
		t.Error(p)
	}
	var m map[string]float64
	for _, c := range append(socks, manager) {
		_ = c.conn.Close()
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		m = n.scrapeSums()
		if m["streamwidgets_ws_sockets"] == 0 && m["streamwidgets_widget_subscriptions"] == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after every socket closed: sockets %v, subscriptions %v", m["streamwidgets_ws_sockets"], m["streamwidgets_widget_subscriptions"])
		}
		time.Sleep(50 * time.Millisecond)
	}
}
