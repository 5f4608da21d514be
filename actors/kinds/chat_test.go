package kinds

import (
	"fmt"
	"testing"
)

func TestChatTransitions(t *testing.T) {
	def := Erase[ChatConfig, ChatState](Chat{})
	cfg := mustConfig(t, def, `{"max_messages":3,"hide_links":true,"hidden_users":["Nightbot"]}`)
	msg := func(id, user, name, text string) string {
		return fmt.Sprintf(`{"id":%q,"user_id":%q,"name":%q,"text":%q,"color":"#ff4500","badges":["moderator"]}`, id, user, name, text)
	}
	s := mustJSON(t, ChatState{Messages: []ChatMessage{}})
	var st ChatState
	var err error
	for i, m := range []string{msg("1", "u1", "Ann", "hi"), msg("2", "u2", "Bob", "yo"), msg("3", "u1", "Ann", "again"), msg("4", "u3", "Cid", "four")} {
		if st, _, err = step[ChatState](t, def, cfg, s, "append", m, float64(i)); err != nil {
			t.Fatal(err)
		}
		s = mustJSON(t, st)
	}
	if len(st.Messages) != 3 || st.Messages[0].ID != "2" || st.Messages[2].ID != "4" {
		t.Fatalf("the box keeps the newest 3, oldest first: %+v", st.Messages)
	}
	for _, tc := range []struct {
		name, action, payload string
		want                  []string // message ids left
		code                  string
	}{
		{"redelivery ignored", "append", msg("4", "u3", "Cid", "four"), []string{"2", "3", "4"}, ""},
		{"commands hidden", "append", msg("5", "u2", "Bob", "!discord"), []string{"2", "3", "4"}, ""},
		{"links hidden", "append", msg("6", "u2", "Bob", "see https://evil.example"), []string{"2", "3", "4"}, ""},
		{"bots hidden by name", "append", msg("7", "u9", "nightbot", "hello"), []string{"2", "3", "4"}, ""},
		{"delete one", "delete_message", `{"id":"3"}`, []string{"2", "4"}, ""},
		{"timeout removes the user's lines", "clear_user", `{"user_id":"u2"}`, []string{"3", "4"}, ""},
		{"clear", "clear", ``, []string{}, ""},
		{"markup is text", "append", msg("8", "u4", "Eve", "<script>alert(1)</script>{{x}}"), []string{"3", "4", "8"}, ""},
		{"control characters refused", "append", msg("9", "u4", "Eve", "bad\u0007bell"), nil, CodeInvalidPayload},
		{"too long", "append", msg("9", "u4", "Eve", string(make([]byte, 501))), nil, CodeInvalidPayload},
		{"bad colour", "append", `{"id":"9","user_id":"u","name":"n","text":"t","color":"red"}`, nil, CodeInvalidPayload},
		{"bad badge", "append", `{"id":"9","user_id":"u","name":"n","text":"t","badges":["<b>"]}`, nil, CodeInvalidPayload},
		{"missing text", "append", `{"id":"9","user_id":"u","name":"n"}`, nil, CodeInvalidPayload},
		{"delete needs id", "delete_message", `{}`, nil, CodeInvalidPayload},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, _, err := step[ChatState](t, def, cfg, s, tc.action, tc.payload, 10)
			if codeOf(err) != tc.code {
				t.Fatalf("err = %v, want code %q", err, tc.code)
			}
			if tc.code != "" {
				return
			}
			var ids []string
			for _, m := range got.Messages {
				ids = append(ids, m.ID)
			}
			if fmt.Sprint(ids) != fmt.Sprint(tc.want) {
				t.Fatalf("messages %v, want %v", ids, tc.want)
			}
			if tc.name == "markup is text" && got.Messages[2].Text != "<script>alert(1)</script>{{x}}" {
				t.Fatalf("text was changed: %q", got.Messages[2].Text)
			}
		})
	}
}

func TestChatConfigValidation(t *testing.T) {
	def := Erase[ChatConfig, ChatState](Chat{})
	for patch, ok := range map[string]bool{
		`{"max_messages":50}`:             true,
		`{"max_messages":51}`:             false,
		`{"fade_after":-1}`:               false,
		`{"hidden_users":[""]}`:           false,
		`{"text_color":"red"}`:            false,
		`{"align":"justify"}`:             false,
		`{"font_family":"x;}body{color"}`: false,
	} {
		if _, err := def.MergeConfig(nil, []byte(patch)); (err == nil) != ok {
			t.Errorf("%s: err = %v, want ok=%v", patch, err, ok)
		}
	}
}
