package loadtest

import (
	"testing"
	"time"
)

// TestParseCentrifuge: publications are read on the fast path and through
// encoding/json alike (other field orders, a pub with offset and tags),
// pings are told apart, and a publication without a sequence is an error,
// not a delivery of seq 0.
func TestParseCentrifuge(t *testing.T) {
	for _, tc := range []struct {
		name, line string
		kind       int
		channel    string
		seq        int64
		err        bool
	}{
		{"fast path", `{"push":{"channel":"stream","pub":{"data":{"seq":42,"sent":1700000000000000000}}}}`, cfPublication, "stream", 42, false},
		{"offset and tags", `{"push":{"pub":{"offset":7,"data":{"sent":1,"seq":9},"tags":{"a":"b"}},"channel":"s2"}}`, cfPublication, "s2", 9, false},
		{"ping", `{}`, cfPing, "", 0, false},
		{"subscribe reply", `{"id":2,"subscribe":{}}`, cfOther, "", 0, false},
		{"no sequence", `{"push":{"channel":"stream","pub":{"data":{"value":1}}}}`, cfOther, "", 0, true},
		{"not JSON", `{"push":`, cfOther, "", 0, true},
	} {
		kind, ch, seq, _, err := parseCentrifuge([]byte(tc.line))
		if kind != tc.kind || ch != tc.channel || seq != tc.seq || (err != nil) != tc.err {
			t.Errorf("%s: kind %d channel %q seq %d err %v; want %d %q %d err %v", tc.name, kind, ch, seq, err, tc.kind, tc.channel, tc.seq, tc.err)
		}
	}
}

// TestCentrifugeConfig: the centrifuge target runs one-big-stream with an
// API key and nothing else; its defaults count no manager sockets.
func TestCentrifugeConfig(t *testing.T) {
	tok := func(string) (string, error) { return "t", nil }
	ok := Config{Token: tok, URL: "http://127.0.0.1:1", Target: TargetCentrifuge, APIKey: "k", ViewersPerWidget: 5000}
	for name, mod := range map[string]func(*Config){
		"unknown target": func(c *Config) { c.Target = "nats" },
		"no API key":     func(c *Config) { c.APIKey = "" },
		"other profile":  func(c *Config) { c.Profile = "many-small-streams" },
		"two widgets":    func(c *Config) { c.WidgetsPerUser = 2 },
		"storm":          func(c *Config) { c.StormAt = time.Second },
	} {
		c := ok
		mod(&c)
		if _, err := c.withDefaults(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	c, err := ok.withDefaults()
	if err != nil || c.sockets() != 5000 || c.Channel != "stream" {
		t.Fatalf("defaults: %d sockets, channel %q, %v; want 5000 viewers on \"stream\"", c.sockets(), c.Channel, err)
	}
}
