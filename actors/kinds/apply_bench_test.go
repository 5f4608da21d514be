package kinds_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/streamwidgets/streamwidgets/actors/kinds"
)

// BenchmarkApply is one action through a kind's pure transition, as the
// grain runs it (JSON config and state in, JSON state out): the CPU an
// action costs before it is persisted and broadcast.
//
//	go test -run '^$' -bench Apply ./actors/kinds/
func BenchmarkApply(b *testing.B) {
	cases := []struct {
		kind, action, payload string
	}{
		{"goal", "set", `{"value":42}`},
		{"goal", "increment", `{"by":1}`},
		{"countdown", "add_time", `{"seconds":30}`},
	}
	reg := kinds.Default()
	now := time.Date(2026, 11, 23, 20, 0, 0, 0, time.UTC)
	for _, c := range cases {
		b.Run(c.kind+"/"+c.action, func(b *testing.B) {
			def, ok := reg.Lookup(c.kind)
			if !ok {
				b.Skipf("no kind %s", c.kind)
			}
			config := def.DefaultConfig()
			state, err := def.InitialState(config, now)
			if err != nil {
				b.Fatal(err)
			}
			a := kinds.Action{Name: c.action, Payload: json.RawMessage(c.payload)}
			if _, _, err := def.Apply(config, state, a, now); err != nil {
				b.Fatalf("%s %s: %v", c.kind, c.action, err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, _, err := def.Apply(config, state, a, now); err != nil {
					b.Fatal(err)
				}
			}
		})
		// Step is what the grain runs: Apply plus the new state's timer and view.
		b.Run(c.kind+"/"+c.action+"/step", func(b *testing.B) {
			def, _ := reg.Lookup(c.kind)
			config := def.DefaultConfig()
			state, _ := def.InitialState(config, now)
			a := kinds.Action{Name: c.action, Payload: json.RawMessage(c.payload)}
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := def.Step(config, state, a, now); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
