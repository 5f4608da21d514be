package protocol_test

import (
	"encoding/json"
	"testing"

	"github.com/streamwidgets/streamwidgets/transport/protocol"
)

// Frame encode and decode, the per-message CPU of the wire format. A state
// update is encoded once per event and member (actors/relay.go), not per
// socket; a client frame is decoded once per message.
//
//	go test -run '^$' -bench . ./transport/protocol/
func BenchmarkDecodeAction(b *testing.B) {
	frame := []byte(`{"type":"WIDGET_ACTION","widgetId":"9ae868bb-e1cd-4e96-8e8d-271017d0ae42","action":"set","payload":{"value":42},"requestId":"r17"}`)
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	for i := 0; i < b.N; i++ {
		if _, err := protocol.Decode(frame); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeStateUpdate(b *testing.B) {
	m := protocol.StateUpdate{Type: protocol.TypeStateUpdate, WidgetID: "9ae868bb-e1cd-4e96-8e8d-271017d0ae42",
		State:     json.RawMessage(`{"duration_left":287.5,"enabled":true,"last_tick_timestamp":"2026-11-23T20:00:12.5Z","finished":false}`),
		Timestamp: "2026-11-23T20:00:12.5Z", Version: 1234, ServerTime: "2026-11-23T20:00:12.5Z"}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := json.Marshal(m); err != nil {
			b.Fatal(err)
		}
	}
}
