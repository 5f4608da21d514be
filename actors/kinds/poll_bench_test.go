package kinds

import (
	"encoding/json"
	"fmt"
	"testing"
)

// BenchmarkPollVote is one vote through the grain's path (decode the stored
// state, apply, encode) with the voter set at 100 and at its bound: what
// 200 votes/s cost a grain's CPU.
func BenchmarkPollVote(b *testing.B) {
	def, _ := Default().Lookup("poll")
	cfg, _ := def.MergeConfig(nil, json.RawMessage(`{"duration_seconds":0}`))
	for _, voters := range []int{100, MaxPollVoters - 1} {
		b.Run(fmt.Sprintf("voters=%d", voters), func(b *testing.B) {
			init, _ := def.InitialState(cfg, t0)
			opened, _, err := def.Apply(cfg, init, Action{Name: "open"}, t0)
			var s PollState
			if err != nil || json.Unmarshal(opened, &s) != nil {
				b.Fatal(err)
			}
			set := voterSet("")
			for i := 0; i < voters; i++ {
				set = set.with(voterKey(fmt.Sprint("user", i)), i%2)
			}
			s.Voters = string(set)
			state, _ := json.Marshal(s)
			b.ReportMetric(float64(len(state)), "state-bytes")
			payloads := [2]json.RawMessage{json.RawMessage(`{"voter":"mover","option":1}`), json.RawMessage(`{"voter":"mover","option":2}`)}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, _, err := def.Apply(cfg, state, Action{Name: "vote", Payload: payloads[i%2]}, t0); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
