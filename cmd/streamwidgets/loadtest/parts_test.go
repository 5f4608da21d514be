package loadtest

import (
	"encoding/json"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
	"time"
)

// TestParseFrameFastPathMatchesJSON: the state-update fast path reads what
// encoding/json reads, and falls back to it for anything else.
func TestParseFrameFastPathMatchesJSON(t *testing.T) {
	cases := []string{
		`{"type":"WIDGET_STATE_UPDATE","widgetId":"w-1","state":{"current":17},"timestamp":"2026-11-23T20:00:12.5Z","version":42,"server_time":"2026-11-23T20:00:12.5Z"}`,
		`{"type":"WIDGET_STATE_UPDATE","widgetId":"w-1","state":{"current":17.0,"extra":{"version":3}},"version":42}`,
		`{"type":"WIDGET_STATE_UPDATE","widgetId":"w-1","state":{"current":1e3},"version":42}`,
		`{"type":"WIDGET_INITIAL_STATE","widgetId":"w-1","widget":{"state":{"current":9}},"version":7}`,
		`{"type":"WIDGET_ACTION_RESPONSE","widgetId":"w-1","action":"set","success":false,"code":"rate_limited","requestId":"12"}`,
	}
	wantCurrent := []int64{17, 17, 1000, 9, 0}
	wantVersion := []int64{42, 42, 42, 7, 0}
	for i, c := range cases {
		f, cur, err := parseFrame([]byte(c))
		if err != nil || cur != wantCurrent[i] || f.Version != wantVersion[i] || f.WidgetID != "w-1" {
			t.Errorf("%s: %+v current %d err %v; want version %d current %d", c, f, cur, err, wantVersion[i], wantCurrent[i])
		}
	}
	if _, _, err := parseFrame([]byte(`{"type":`)); err == nil {
		t.Error("a broken frame parsed")
	}
}

// TestHistogramQuantilesWithin2Percent compares the histogram with exact
// percentiles of the same samples.
func TestHistogramQuantilesWithin2Percent(t *testing.T) {
	var h hist
	var all []time.Duration
	for i := 0; i < 20000; i++ {
		d := time.Duration(rand.ExpFloat64() * float64(20*time.Millisecond))
		h.record(d)
		all = append(all, d)
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	qs := []float64{0.5, 0.9, 0.99}
	got, max := h.quantiles(qs...)
	for i, q := range qs {
		exact := all[int(q*float64(len(all)))-1]
		if r := float64(got[i]) / float64(exact); r < 0.97 || r > 1.03 {
			t.Errorf("p%v = %v, exact %v", q*100, got[i], exact)
		}
	}
	if max != all[len(all)-1] {
		t.Errorf("max %v, want %v", max, all[len(all)-1])
	}
}

func TestConfigRefusesUnboundedRuns(t *testing.T) {
	tok := func(string) (string, error) { return "t", nil }
	for name, c := range map[string]Config{
		"no url":        {Token: tok, URL: "localhost"},
		"profile":       {Token: tok, URL: "http://127.0.0.1:1", Profile: "everything"},
		"too many":      {Token: tok, URL: "http://127.0.0.1:1", ViewersPerWidget: 60000},
		"forever":       {Token: tok, URL: "http://127.0.0.1:1", Duration: 24 * time.Hour},
		"storm outside": {Token: tok, URL: "http://127.0.0.1:1", Duration: time.Second, StormAt: 2 * time.Second},
	} {
		if _, err := c.withDefaults(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	c, err := Config{Token: tok, URL: "http://127.0.0.1:1", Profile: "many-small-streams"}.withDefaults()
	if err != nil || c.widgets() != 1000 || c.ManagersPerUser != 2 {
		t.Fatalf("many-small-streams defaults: %d widgets, %d managers/user, %v", c.widgets(), c.ManagersPerUser, err)
	}
	// A short connection storm without --storm-at storms a third of the way in.
	c, err = Config{Token: tok, URL: "http://127.0.0.1:1", Profile: "connection-storm", Duration: 6 * time.Second}.withDefaults()
	if err != nil || c.StormAt != 2*time.Second {
		t.Fatalf("connection-storm --duration 6s: storm at %v, %v", c.StormAt, err)
	}
}

func TestActionFrameIsValidJSON(t *testing.T) {
	var m map[string]any
	if err := json.Unmarshal(actionFrame(nil, "w-1", 123), &m); err != nil || m["requestId"] != "123" ||
		m["payload"].(map[string]any)["value"] != 123.0 || m["action"] != "set" {
		t.Fatalf("%v %v", m, err)
	}
}

func TestReportIsSelfContained(t *testing.T) {
	rows := []secondRow{{T: -1, Connected: -1}, {T: 0, UpdateP50: 3, UpdateP99: 9, Deliveries: 100}, {T: 1, UpdateP50: 4, UpdateP99: 12, Deliveries: 120}}
	html, err := renderHTML(&Summary{Config: Config{Profile: "one-big-stream"}}, rows)
	if err != nil {
		t.Fatal(err)
	}
	s := string(html)
	if strings.Count(s, "<svg") != 6 || strings.Contains(s, "<script") || strings.Contains(s, "https://") {
		t.Fatalf("report: %d charts, scripts %v, external URLs %v", strings.Count(s, "<svg"), strings.Contains(s, "<script"), strings.Contains(s, "https://"))
	}
}
