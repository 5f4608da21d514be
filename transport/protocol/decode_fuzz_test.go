package protocol

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// FuzzDecode feeds arbitrary frames to Decode: it must never panic, and what
// it accepts must be a known type with its required fields and must survive a
// re-encode unchanged. CI runs it briefly: go test -fuzz FuzzDecode -fuzztime 20s.
func FuzzDecode(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "client_*.json"))
	for _, name := range files {
		data, _ := os.ReadFile(name)
		f.Add(data)
	}
	for _, s := range []string{`{}`, `{"type":"AUTH","token":""}`, `{"type":"WIDGET_ACTION","widgetId":"w","action":"x","payload":null}`, `[`, `{"type":"\u0000"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, frame []byte) {
		m, err := Decode(frame)
		if err != nil {
			return
		}
		switch m.Type {
		case TypeAuth:
			if m.Token == "" {
				t.Fatal("AUTH accepted without a token")
			}
		case TypeSubscribe, TypeUnsubscribe, TypeAction:
			if !validWidgetID(m.WidgetID) {
				t.Fatalf("accepted widgetId %q", m.WidgetID)
			}
			if m.Type == TypeAction && m.Action == "" {
				t.Fatal("action accepted without a name")
			}
		default:
			t.Fatalf("accepted unknown type %q", m.Type)
		}
		again, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		m2, err := Decode(again)
		if err != nil {
			t.Fatalf("re-encoded message refused: %v (%s)", err, again)
		}
		if m2.Type != m.Type || m2.WidgetID != m.WidgetID || m2.Action != m.Action || m2.Token != m.Token || m2.RequestID != m.RequestID {
			t.Fatalf("round trip changed the message: %+v -> %+v", m, m2)
		}
	})
}
