package protocol

import (
	"os"
	"strings"
	"testing"
)

// TestProtocolDocCoversRooms keeps the rooms section of docs/protocol.md true.
func TestProtocolDocCoversRooms(t *testing.T) {
	data, err := os.ReadFile("../../docs/protocol.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	for _, n := range []string{TypeRoomSubscribe, TypeRoomUnsubscribe, TypeRoomPlay, TypeRoomPause, TypeRoomSeek,
		TypeRoomState, TypeRoomPresence, TypeRoomRemoved, TypeRoomActionResponse, CodeNotMember, CodeRoomEnded,
		"position_ms", "updated_ts_ms", "server_ts_ms", "seq"} {
		if !strings.Contains(doc, "`"+n+"`") {
			t.Errorf("docs/protocol.md does not document `%s`", n)
		}
	}
}
