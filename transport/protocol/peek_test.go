package protocol

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestPeekReadsOnlyUsableIDs(t *testing.T) {
	cases := []struct {
		name, frame, requestID, widgetID string
	}{
		{"both", `{"type":"WIDGET_ACTION","widgetId":"w-1","action":"start","requestId":"r7"}`, "r7", "w-1"},
		{"request only", `{"type":"AUTH","token":"x","requestId":"r1"}`, "r1", ""},
		{"unknown fields and types are fine", `{"type":"NOPE","extra":[1,2],"requestId":"r2"}`, "r2", ""},
		{"wrong type of one field", `{"requestId":"r3","widgetId":5}`, "r3", ""},
		{"not JSON", `not json {"requestId":"r4"}`, "", ""},
		{"truncated JSON", `{"requestId":"r5","widgetId":"w`, "", ""},
		{"binary", "\x00\x01\x02", "", ""},
		{"request id too long", `{"requestId":"` + strings.Repeat("r", 65) + `","widgetId":"w"}`, "", "w"},
		{"request id not printable", `{"requestId":"a\u0007b"}`, "", ""},
		{"widget id malformed", `{"requestId":"r6","widgetId":"../etc"}`, "r6", ""},
		{"empty", ``, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, w := Peek([]byte(c.frame))
			if r != c.requestID || w != c.widgetID {
				t.Fatalf("Peek = (%q, %q), want (%q, %q)", r, w, c.requestID, c.widgetID)
			}
		})
	}
}

// FuzzPeek: Peek never panics and never returns an id a decoded message
// could not carry.
func FuzzPeek(f *testing.F) {
	f.Add([]byte(`{"type":"WIDGET_ACTION","widgetId":"w1","action":"start","requestId":"r2"}`))
	f.Add([]byte(`{"requestId":5}`))
	f.Add([]byte("\xff\xfe"))
	f.Fuzz(func(t *testing.T, frame []byte) {
		r, w := Peek(frame)
		if len(r) > maxRequestIDLen || !printable(r) || !utf8.ValidString(r) {
			t.Fatalf("unusable requestId %q", r)
		}
		if w != "" && !validWidgetID(w) {
			t.Fatalf("unusable widgetId %q", w)
		}
	})
}

func BenchmarkPeekLargestFrame(b *testing.B) {
	frame := []byte(`{"type":"WIDGET_ACTION","widgetId":"w1","action":"x","requestId":"r1","payload":{"pad":"` +
		strings.Repeat("x", MaxFrameBytes-120) + `"}}`)
	b.SetBytes(int64(len(frame)))
	for b.Loop() {
		Peek(frame)
	}
}
