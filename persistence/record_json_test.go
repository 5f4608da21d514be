package persistence

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

// TestAppendJSONIsJSONMarshal: the hand-written encoder writes what
// json.Marshal writes for every field's edge (omitted fields, escapes,
// non-ASCII, nil config, zero and far times), so clients see no change.
func TestAppendJSONIsJSONMarshal(t *testing.T) {
	at := time.Date(2026, 11, 23, 19, 4, 5, 120000000, time.UTC)
	base := Record{ID: "w1", Title: "Goal", UserID: "u1", Type: "goal", Config: json.RawMessage(`{"target":100}`),
		State: json.RawMessage(`{"current":4}`), Active: true, CreatedAt: at, UpdatedAt: at.Add(time.Second), Version: 7}
	titles := []string{"", "plain title", `quote " and \ backslash`, "<script>&amp;</script>", "tab\tnew\nline\x01\x7f",
		"héllo ✓ 日本 😀", "bad \xff utf-8", "sep \u2028 \u2029", "emoji only 🎉"}
	var cases []Record
	for _, title := range titles {
		r := base
		r.Title = title
		cases = append(cases, r)
	}
	withTokens := base
	withTokens.AccessToken, withTokens.ControlTokenHash, withTokens.HasControlToken, withTokens.ControlToken = "tok_abc", "hash", true, "swc_x"
	nilRaw := base
	nilRaw.Config, nilRaw.State = nil, nil
	zeroTimes := base
	zeroTimes.CreatedAt, zeroTimes.UpdatedAt = time.Time{}, time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("x", 3600))
	cases = append(cases, withTokens, nilRaw, zeroTimes, Record{})
	for _, rec := range cases {
		want, err := json.Marshal(rec)
		if err != nil {
			t.Fatal(err)
		}
		if got := AppendJSON(nil, rec); !bytes.Equal(got, want) {
			t.Errorf("AppendJSON(%q):\n got %s\nwant %s", rec.Title, got, want)
		}
	}
	got := AppendJSON(nil, base, []byte(`,"extra":1`))
	var back map[string]any
	if err := json.Unmarshal(got, &back); err != nil || back["extra"] != 1.0 || back["id"] != "w1" {
		t.Errorf("with extra: %s (%v)", got, err)
	}
}

func BenchmarkRecordJSON(b *testing.B) {
	at := time.Date(2026, 11, 23, 19, 4, 5, 120000000, time.UTC)
	rec := Record{ID: "0123456789abcdef", Title: "Sub goal", UserID: "user-1234", Type: "goal", AccessToken: "abcdefghijklmnopqrstuvwxyz012345",
		Config: json.RawMessage(`{"title":"Goal","target":100,"unit":"","source":"manual","font_family":"Inter, system-ui, sans-serif","font_size":32,"text_color":"#ffffff","accent_color":"#9147ff","align":"center","outline":true}`),
		State:  json.RawMessage(`{"current":42}`), Active: true, CreatedAt: at, UpdatedAt: at, Version: 12}
	b.Run("json.Marshal", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			_, _ = json.Marshal(rec)
		}
	})
	b.Run("AppendJSON", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			_ = AppendJSON(make([]byte, 0, 512), rec)
		}
	})
}
