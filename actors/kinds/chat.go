package kinds

import (
	"regexp"
	"slices"
	"strings"
	"time"
)

func init() { Register(Erase[ChatConfig, ChatState](Chat{})) }

// ChatConfig is the chat box's config.
type ChatConfig struct {
	Title        string   `json:"title"`
	MaxMessages  int      `json:"max_messages"`
	HideCommands bool     `json:"hide_commands"` // lines starting with "!"
	HideLinks    bool     `json:"hide_links"`
	HiddenUsers  []string `json:"hidden_users"` // bots, by login or display name
	ShowBadges   bool     `json:"show_badges"`
	FadeAfter    int64    `json:"fade_after"` // seconds; 0 keeps messages
	Appearance
}

// ChatMessage is one line of chat.
type ChatMessage struct {
	ID     string    `json:"id"`
	UserID string    `json:"user_id"`
	Name   string    `json:"name"`
	Color  string    `json:"color,omitempty"`
	Badges []string  `json:"badges,omitempty"`
	Text   string    `json:"text"`
	At     time.Time `json:"at"`
}

// ChatState is the last messages, oldest first.
type ChatState struct {
	Messages []ChatMessage `json:"messages"`
}

const (
	maxChatMessages = 50
	maxChatText     = 500
	maxHiddenUsers  = 100
)

var (
	badgePattern = regexp.MustCompile(`^[a-z0-9_-]{1,32}$`)
	linkPattern  = regexp.MustCompile(`(?i)(https?://|www\.)\S+|\b[a-z0-9-]+\.(com|net|org|tv|gg|io|ly|me|co)\b`)
)

// Chat is the chat box kind.
type Chat struct{ Plain[ChatConfig, ChatState] }

// Info implements Kind.
func (Chat) Info() Info {
	message := objectSchema([]string{"id", "user_id", "name", "text"}, map[string]any{
		"id":      stringSchema("Message id", 100),
		"user_id": stringSchema("User id", 100),
		"name":    stringSchema("Name", 50),
		"color":   colorSchema("Name colour"),
		"badges":  listSchema("Badges", 10, stringSchema("Badge", 32)),
		"text":    textSchema("Text", maxChatText),
	}, "name", "text", "color", "badges", "id", "user_id")
	return Info{
		Type: "chat", Name: "Chat Box", Description: "The last chat messages with name colours and badges; deletions and timeouts remove messages.",
		ConfigSchema: withAppearance(objectSchema([]string{}, map[string]any{
			"title":         stringSchema("Title (not shown on stream)", 200),
			"max_messages":  intSchema("Messages shown", 1, maxChatMessages),
			"hide_commands": boolSchema("Hide commands (lines starting with !)"),
			"hide_links":    boolSchema("Hide messages with links"),
			"hidden_users":  described(listSchema("Hidden users (bots)", maxHiddenUsers, stringSchema("Name", 50)), "Messages from these names are not shown (e.g. Nightbot, StreamElements)."),
			"show_badges":   boolSchema("Show badges"),
			"fade_after":    described(intSchema("Fade out after (seconds, 0 = never)", 0, 3600), "Messages disappear this long after they arrive."),
		}, "title", "max_messages", "fade_after", "show_badges", "hide_commands", "hide_links", "hidden_users")),
		Actions: []ActionSpec{
			{Name: "append", Label: "Post a message", PayloadSchema: message, Rate: Rate{PerSecond: 100, Burst: 300}},
			{Name: "delete_message", Label: "Delete a message", Hidden: true, Rate: Rate{PerSecond: 100, Burst: 300},
				PayloadSchema: objectSchema([]string{"id"}, map[string]any{"id": stringSchema("Message id", 100)})},
			{Name: "clear_user", Label: "Remove a user's messages", Rate: Rate{PerSecond: 50, Burst: 100},
				PayloadSchema: objectSchema([]string{"user_id"}, map[string]any{"user_id": stringSchema("User id or name", 100)})},
			{Name: "clear", Label: "Clear chat"},
		},
	}
}

// Defaults implements Kind.
func (Chat) Defaults() ChatConfig {
	a := DefaultAppearance()
	a.FontSize, a.Align = 22, "left"
	return ChatConfig{Title: "Chat", MaxMessages: 10, ShowBadges: true, HideCommands: true,
		HiddenUsers: []string{"Nightbot", "StreamElements", "Streamlabs"}, Appearance: a}
}

// Validate implements Kind.
func (Chat) Validate(c ChatConfig) error {
	switch {
	case c.MaxMessages < 1 || c.MaxMessages > maxChatMessages:
		return InvalidConfig("max_messages must be between 1 and %d", maxChatMessages)
	case c.FadeAfter < 0 || c.FadeAfter > 3600:
		return InvalidConfig("fade_after must be between 0 and 3600 seconds")
	case len(c.HiddenUsers) > maxHiddenUsers:
		return InvalidConfig("hidden_users may list at most %d names", maxHiddenUsers)
	case len([]rune(c.Title)) > 200:
		return InvalidConfig("title must be at most 200 characters")
	}
	for _, u := range c.HiddenUsers {
		if len([]rune(u)) > 50 || strings.TrimSpace(u) == "" {
			return InvalidConfig("each hidden user must be a name of 1 to 50 characters")
		}
	}
	return c.Appearance.Validate()
}

// Initial implements Kind.
func (Chat) Initial(ChatConfig, time.Time) ChatState { return ChatState{Messages: []ChatMessage{}} }

// Apply implements Kind.
func (Chat) Apply(c ChatConfig, s ChatState, a Action, now time.Time) (ChatState, []Event, error) {
	switch a.Name {
	case "append":
		var p struct {
			ID     string   `json:"id"`
			UserID string   `json:"user_id"`
			Name   string   `json:"name"`
			Color  string   `json:"color"`
			Badges []string `json:"badges"`
			Text   string   `json:"text"`
			// TS is the platform's own time, accepted and not used: the
			// server's clock orders and fades messages.
			TS *time.Time `json:"ts"`
		}
		if err := DecodeStrict(orEmpty(a.Payload), &p); err != nil {
			return s, nil, InvalidPayload("append: %v", err)
		}
		m := ChatMessage{ID: p.ID, UserID: p.UserID, Name: p.Name, Color: p.Color, Badges: p.Badges, Text: p.Text}
		if err := checkChatMessage(m); err != nil {
			return s, nil, err
		}
		if hiddenMessage(c, m) || slices.ContainsFunc(s.Messages, func(x ChatMessage) bool { return x.ID == m.ID }) {
			return s, nil, nil // filtered, or a redelivery: nothing changes
		}
		m.At = now.UTC()
		s.Messages = append(slices.Clone(s.Messages), m)
		if over := len(s.Messages) - c.MaxMessages; over > 0 {
			s.Messages = s.Messages[over:]
		}
		return s, nil, nil
	case "delete_message":
		var p struct {
			ID string `json:"id"`
		}
		if err := DecodeStrict(orEmpty(a.Payload), &p); err != nil || p.ID == "" {
			return s, nil, InvalidPayload("delete_message needs the message id")
		}
		s.Messages = slices.DeleteFunc(slices.Clone(s.Messages), func(m ChatMessage) bool { return m.ID == p.ID })
		return s, nil, nil
	case "clear_user":
		var p struct {
			UserID string `json:"user_id"`
		}
		if err := DecodeStrict(orEmpty(a.Payload), &p); err != nil || p.UserID == "" {
			return s, nil, InvalidPayload("clear_user needs user_id (an id or a name)")
		}
		s.Messages = slices.DeleteFunc(slices.Clone(s.Messages), func(m ChatMessage) bool {
			return m.UserID == p.UserID || strings.EqualFold(m.Name, p.UserID)
		})
		return s, nil, nil
	case "clear":
		if err := noPayload(a); err != nil {
			return s, nil, err
		}
		return ChatState{Messages: []ChatMessage{}}, nil, nil
	default:
		return s, nil, UnknownAction("chat", a.Name)
	}
}

// Reconfigure implements Kind: a smaller box keeps the newest messages.
func (Chat) Reconfigure(_, next ChatConfig, s ChatState, _ time.Time) ChatState {
	if over := len(s.Messages) - next.MaxMessages; over > 0 {
		s.Messages = s.Messages[over:]
	}
	return s
}

func checkChatMessage(m ChatMessage) error {
	for _, f := range []struct {
		name, v  string
		max      int
		required bool
	}{{"id", m.ID, 100, true}, {"user_id", m.UserID, 100, true}, {"name", m.Name, 50, true}, {"text", m.Text, maxChatText, true}} {
		if err := textField(f.name, f.v, f.max, f.required); err != nil {
			return err
		}
	}
	if m.Color != "" && !colorPattern.MatchString(m.Color) {
		return InvalidPayload("color must be like #ff4500")
	}
	if len(m.Badges) > 10 {
		return InvalidPayload("at most 10 badges")
	}
	for _, b := range m.Badges {
		if !badgePattern.MatchString(b) {
			return InvalidPayload("badge %q must be 1 to 32 of a-z, 0-9, _ or -", b)
		}
	}
	return nil
}

// hiddenMessage applies the config's filters to a new message.
func hiddenMessage(c ChatConfig, m ChatMessage) bool {
	text := strings.TrimSpace(m.Text)
	switch {
	case c.HideCommands && strings.HasPrefix(text, "!"):
		return true
	case c.HideLinks && linkPattern.MatchString(text):
		return true
	}
	return slices.ContainsFunc(c.HiddenUsers, func(u string) bool { return strings.EqualFold(strings.TrimSpace(u), m.Name) })
}
