package protocol

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func golden(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSpace(data)
}

func sameJSON(t *testing.T, got, want []byte) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatal(err)
	}
	gj, _ := json.Marshal(g)
	wj, _ := json.Marshal(w)
	if !bytes.Equal(gj, wj) {
		t.Fatalf("JSON differs from the golden example:\n got %s\nwant %s", gj, wj)
	}
}

// TestServerMessagesMatchGoldenExamples: the structs produce exactly the
// documented JSON, so a client written from docs/protocol.md works.
func TestServerMessagesMatchGoldenExamples(t *testing.T) {
	widget := golden(t, "server_initial_state.json")
	var initial struct{ Widget json.RawMessage }
	_ = json.Unmarshal(widget, &initial)
	cases := map[string]any{
		"server_auth_ok.json": AuthOK{Type: TypeAuthOK, ServerTime: "2026-11-23T20:00:00.123Z", Session: Session{Mode: "widget", WidgetID: "w1", ReadOnly: true}},
		"server_initial_state.json": InitialState{Type: TypeInitialState, WidgetID: "w1", Widget: initial.Widget, Version: 1,
			ServerTime: "2026-11-23T20:00:00.123Z", RequestID: "r1"},
		"server_state_update.json": StateUpdate{Type: TypeStateUpdate, WidgetID: "w1",
			State:     json.RawMessage(`{"duration_left":287.5,"enabled":true,"last_tick_timestamp":"2026-11-23T20:00:12.5Z","finished":false}`),
			Timestamp: "2026-11-23T20:00:12.5Z", Version: 2, ServerTime: "2026-11-23T20:00:12.5Z"},
		"server_config_update.json": ConfigUpdate{Type: TypeConfigUpdate, WidgetID: "w1",
			Config: json.RawMessage(`{"title":"Be right back","text":"","duration":600}`), Title: "BRB timer", Active: true, Version: 3},
		"server_action_ok.json":      ActionResponse{Type: TypeActionResponse, WidgetID: "w1", Action: "start", Success: true, Version: 2, RequestID: "r2"},
		"server_action_refused.json": ActionResponse{Type: TypeActionResponse, WidgetID: "w1", Action: "start", Error: "a widget token is read-only", Code: CodeForbidden, RequestID: "r3"},
		"server_deleted.json":        Deleted{Type: TypeDeleted, WidgetID: "w1", Version: 4},
		"server_error.json":          Error{Type: TypeError, Code: CodeRateLimited, Message: "too many messages; slow down"},
	}
	for name, msg := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := json.Marshal(msg)
			if err != nil {
				t.Fatal(err)
			}
			sameJSON(t, got, golden(t, name))
		})
	}
}

func TestClientGoldenExamplesDecode(t *testing.T) {
	want := map[string]ClientMessage{
		"client_auth.json":        {Type: TypeAuth, Token: "eyJhbGciOiJFUzI1NiJ9.e30.sig", RequestID: "r1"},
		"client_subscribe.json":   {Type: TypeSubscribe, WidgetID: "9ae868bb-e1cd-4e96-8e8d-271017d0ae42"},
		"client_unsubscribe.json": {Type: TypeUnsubscribe, WidgetID: "9ae868bb-e1cd-4e96-8e8d-271017d0ae42"},
		"client_action.json": {Type: TypeAction, WidgetID: "9ae868bb-e1cd-4e96-8e8d-271017d0ae42", Action: "add_time",
			Payload: json.RawMessage(`{"seconds":60}`), RequestID: "r2"},
	}
	for name, w := range want {
		m, err := Decode(golden(t, name))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if m.Type != w.Type || m.Token != w.Token || m.WidgetID != w.WidgetID || m.Action != w.Action ||
			m.RequestID != w.RequestID || string(m.Payload) != string(w.Payload) {
			t.Fatalf("%s decoded to %+v, want %+v", name, m, w)
		}
	}
}

func TestDecodeRefusesBadFrames(t *testing.T) {
	cases := map[string]string{
		"not JSON":                   `hello`,
		"array":                      `[{"type":"AUTH"}]`,
		"no type":                    `{"widgetId":"w1"}`,
		"unknown type":               `{"type":"DROP_TABLE"}`,
		"seed's legacy subscribe":    `{"event":"subscribe"}`,
		"auth without token":         `{"type":"AUTH"}`,
		"subscribe without widget":   `{"type":"WIDGET_SUBSCRIBE"}`,
		"widget id with a slash":     `{"type":"WIDGET_SUBSCRIBE","widgetId":"../etc"}`,
		"widget id too long":         `{"type":"WIDGET_SUBSCRIBE","widgetId":"` + strings.Repeat("a", 65) + `"}`,
		"action without name":        `{"type":"WIDGET_ACTION","widgetId":"w1"}`,
		"payload not an object":      `{"type":"WIDGET_ACTION","widgetId":"w1","action":"set","payload":[1]}`,
		"widgetId of the wrong type": `{"type":"WIDGET_SUBSCRIBE","widgetId":7}`,
		"unknown field":              `{"type":"WIDGET_SUBSCRIBE","widgetId":"w1","user_id":"bob"}`,
		"token on a subscribe":       `{"type":"WIDGET_SUBSCRIBE","widgetId":"w1","token":"x"}`,
		"two objects":                `{"type":"AUTH","token":"a"}{"type":"AUTH","token":"b"}`,
		"control chars in requestId": `{"type":"WIDGET_SUBSCRIBE","widgetId":"w1","requestId":"a\u0000b"}`,
	}
	for name, frame := range cases {
		t.Run(name, func(t *testing.T) {
			if m, err := Decode([]byte(frame)); err == nil {
				t.Fatalf("accepted as %+v", m)
			}
		})
	}
}

func TestRefusalEchoesTheRequestID(t *testing.T) {
	_, err := Decode([]byte(`{"type":"WIDGET_ACTION","widgetId":"w1","requestId":"abc"}`))
	if de, ok := err.(*DecodeError); !ok || de.RequestID != "abc" {
		t.Fatalf("err = %#v, want the requestId echoed", err)
	}
}
