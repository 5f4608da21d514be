package kinds

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// recordBudget is what a kind's config and state together may take: the
// DynamoDB item limit (400 KB) minus the record's other attributes (two
// 200-character titles, ids, the sealed token, timestamps) with room to spare.
// Past it the store refuses the write; when the write is a timer's (an alert
// starting), nobody asked for it and nobody can take it back.
const recordBudget = 390 << 10

// sizer applies actions through the JSON path the grain uses and records
// the largest config + state seen.
type sizer struct {
	t       *testing.T
	def     Definition
	cfg     json.RawMessage
	state   json.RawMessage
	now     time.Time
	largest int
}

func newSizer(t *testing.T, typ string, config string) *sizer {
	t.Helper()
	def, ok := Default().Lookup(typ)
	if !ok {
		t.Fatalf("no kind %q", typ)
	}
	cfg, err := def.MergeConfig(nil, json.RawMessage(config))
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	z := &sizer{t: t, def: def, cfg: cfg, now: time.Date(2026, 3, 1, 20, 0, 0, 0, time.UTC)}
	if z.state, err = def.InitialState(cfg, z.now); err != nil {
		t.Fatal(err)
	}
	z.measure()
	return z
}

func (z *sizer) measure() {
	if n := len(z.cfg) + len(z.state); n > z.largest {
		z.largest = n
	}
}

// act applies an action; a refusal (a full queue) is reported, not fatal.
func (z *sizer) act(name string, payload any) error {
	z.t.Helper()
	raw, _ := json.Marshal(payload)
	if payload == nil {
		raw = nil
	}
	next, _, err := z.def.Apply(z.cfg, z.state, Action{Name: name, Payload: raw, By: By{Role: RoleService, Service: "twitch"}}, z.now)
	if err != nil {
		var ke *Error
		if !errors.As(err, &ke) {
			z.t.Fatalf("%s: %v", name, err)
		}
		return err
	}
	z.state = next
	z.measure()
	return nil
}

// wait lets time pass and settles, as the grain's timer does.
func (z *sizer) wait(d time.Duration) {
	z.t.Helper()
	z.now = z.now.Add(d)
	next, _, changed, err := z.def.Settle(z.cfg, z.state, z.now)
	if err != nil {
		z.t.Fatal(err)
	}
	if changed {
		z.state = next
		z.measure()
	}
}

// An alert box at its worst (every list full, every text at its longest and
// made of characters JSON escapes to six bytes, a variation repeating the
// message as often as its template allows) still fits one store item.
func TestAlertBoxRecordStaysUnderTheStoreLimit(t *testing.T) {
	link := "https://cdn.example.com/a?" + strings.Repeat("&", maxURLLen-26)
	template := strings.Repeat("{message}", maxAlertTemplateLen/len("{message}"))
	rule := fmt.Sprintf(`{"type":"any","template":%q,"image_url":%q,"sound_url":%q,"duration":120}`, template, link, link)
	z := newSizer(t, "alerts", `{"duration":120,"max_hold":600,"image_url":"`+link+`","sound_url":"`+link+`","rules":[`+rule+`],`+
		`"bypass_types":["follow","sub","cheer"]}`)
	text := strings.Repeat("<", maxAlertMessageLen)
	name := strings.Repeat(">", maxAlertNameLen)
	seq := 0
	alert := func(typ string) map[string]any {
		seq++
		id := fmt.Sprintf("%0*d", maxAlertIDLen, seq)
		return map[string]any{"id": id, "type": typ, "name": name, "message": text, "amount": 999999999.99, "tier": 3, "months": 1200, "priority": 100}
	}
	// The log full: alerts queued while paused, then cleared into it.
	if err := z.act("pause", nil); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < maxLoggedAlerts; i++ {
		if err := z.act("enqueue", alert("raid")); err != nil {
			break
		}
	}
	if err := z.act("clear", nil); err != nil {
		t.Fatal(err)
	}
	// Three bypass alerts on screen at once.
	if err := z.act("resume", nil); err != nil {
		t.Fatal(err)
	}
	for _, typ := range []string{"follow", "sub", "cheer"} {
		if err := z.act("enqueue", alert(typ)); err != nil {
			t.Fatal(err)
		}
	}
	// The queue full behind them, and its first alert starting beside them.
	for z.act("enqueue", alert("raid")) == nil {
	}
	z.wait(time.Second)
	if z.largest > recordBudget {
		t.Fatalf("an alert box's config and state reach %d KB, over the %d KB a store item can hold beside the rest of the record",
			z.largest>>10, recordBudget>>10)
	}
	t.Logf("largest alert box record: %d KB of config and state", z.largest>>10)
}

// A chat box at its worst: the most messages, each with every field at its
// longest in six-byte characters, and the longest list of hidden users.
func TestChatRecordStaysUnderTheStoreLimit(t *testing.T) {
	hidden := make([]string, maxHiddenUsers)
	for i := range hidden {
		hidden[i] = fmt.Sprintf("%03d", i) + strings.Repeat("<", 47)
	}
	cfg, _ := json.Marshal(map[string]any{"max_messages": maxChatMessages, "hidden_users": hidden, "hide_commands": false})
	z := newSizer(t, "chat", string(cfg))
	badges := make([]string, 10)
	for i := range badges {
		badges[i] = fmt.Sprintf("%02d", i) + strings.Repeat("a", 30)
	}
	for i := 0; i < 2*maxChatMessages; i++ {
		if err := z.act("append", map[string]any{"id": fmt.Sprintf("%03d", i) + strings.Repeat("&", 97), "user_id": strings.Repeat(">", 100),
			"name": strings.Repeat("<", 50), "color": "#ff4500", "badges": badges, "text": strings.Repeat("<", maxChatText)}); err != nil {
			t.Fatal(err)
		}
	}
	if z.largest > recordBudget {
		t.Fatalf("a chat box's config and state reach %d KB, over %d KB", z.largest>>10, recordBudget>>10)
	}
	t.Logf("largest chat record: %d KB of config and state", z.largest>>10)
}
