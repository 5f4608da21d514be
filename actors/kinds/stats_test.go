package kinds

import "testing"

func TestStatsTransitions(t *testing.T) {
	def := Erase[StatsConfig, StatsState](Stats{})
	cfg := mustConfig(t, def, `{}`)
	s := mustJSON(t, StatsState{})
	st, _, err := step[StatsState](t, def, cfg, s, "set", `{"viewers":12,"followers":340}`, 0)
	if err != nil || st.Viewers != 12 || st.Followers != 340 || st.Live {
		t.Fatalf("set: %+v %v", st, err)
	}
	st, _, err = step[StatsState](t, def, cfg, mustJSON(t, st), "go_live", ``, 10)
	if err != nil || !st.Live || st.StartedAt == nil || !st.StartedAt.Equal(at(10)) {
		t.Fatalf("go_live: %+v %v", st, err)
	}
	again, _, _ := step[StatsState](t, def, cfg, mustJSON(t, st), "set", `{"live":true,"viewers":20}`, 50)
	if !again.StartedAt.Equal(at(10)) || again.Viewers != 20 {
		t.Fatalf("live again restarted the uptime: %+v", again)
	}
	off, _, _ := step[StatsState](t, def, cfg, mustJSON(t, again), "go_offline", ``, 60)
	if off.Live || off.StartedAt != nil || off.Followers != 340 {
		t.Fatalf("offline: %+v", off)
	}
	for payload, code := range map[string]string{
		`{"viewers":-1}`:                        CodeInvalidPayload,
		`{"viewers":"12"}`:                      CodeInvalidPayload,
		`{"started_at":"2099-01-01T00:00:00Z"}`: CodeInvalidPayload,
		`{"followers":1000000001}`:              CodeInvalidPayload,
		`{"subscribers":3,"live":false}`:        "",
	} {
		if _, _, err := step[StatsState](t, def, cfg, s, "set", payload, 0); codeOf(err) != code {
			t.Errorf("set %s: %v, want %q", payload, err, code)
		}
	}
}
