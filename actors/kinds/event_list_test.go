package kinds

import (
	"fmt"
	"testing"
)

func TestEventListTransitions(t *testing.T) {
	def := Erase[EventListConfig, EventListState](EventList{})
	cfg := mustConfig(t, def, `{"max_events":2,"types":["follow","raid"]}`)
	ev := func(id, typ string) string {
		return fmt.Sprintf(`{"id":%q,"type":%q,"name":"Ann","amount":5}`, id, typ)
	}
	s := mustJSON(t, EventListState{Events: []StreamEvent{}})
	for _, tc := range []struct {
		name, action, payload string
		want                  []string
		code                  string
	}{
		{"first", "record", ev("a", "follow"), []string{"a"}, ""},
		{"newest first", "record", ev("b", "raid"), []string{"b", "a"}, ""},
		{"bounded", "record", ev("c", "follow"), []string{"c", "b"}, ""},
		{"type not shown is ignored", "record", ev("d", "cheer"), []string{"c", "b"}, ""},
		{"redelivery ignored", "record", ev("c", "follow"), []string{"c", "b"}, ""},
		{"unknown type refused", "record", ev("e", "party"), nil, CodeInvalidPayload},
		{"negative amount refused", "record", `{"id":"e","type":"follow","name":"x","amount":-1}`, nil, CodeInvalidPayload},
		{"clear", "clear", ``, []string{}, ""},
	} {
		got, _, err := step[EventListState](t, def, cfg, s, tc.action, tc.payload, 1)
		if codeOf(err) != tc.code {
			t.Fatalf("%s: err = %v, want %q", tc.name, err, tc.code)
		}
		if tc.code != "" {
			continue
		}
		var ids []string
		for _, e := range got.Events {
			ids = append(ids, e.ID)
		}
		if fmt.Sprint(ids) != fmt.Sprint(tc.want) {
			t.Fatalf("%s: events %v, want %v", tc.name, ids, tc.want)
		}
		s = mustJSON(t, got)
	}
	if _, err := def.MergeConfig(nil, []byte(`{"types":["follow","nope"]}`)); codeOf(err) != CodeInvalidConfig {
		t.Fatalf("unknown type in config: %v", err)
	}
}
