package twitch

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/streamwidgets/streamwidgets/integrations"
)

// Goal sources: a goal widget whose config has "source" set to one of these
// counts that Twitch event (a goal without it is only moved by hand).
const (
	GoalFollows = "twitch_follows"
	GoalSubs    = "twitch_subs"
	GoalBits    = "twitch_bits"
)

// Map turns an EventSub notification into widget actions. msgID (the
// EventSub message id) becomes the alert and event-list id, so the kinds'
// own dedupe agrees with ours; at is the message's timestamp.
func Map(subType, msgID string, at time.Time, event json.RawMessage) ([]integrations.Action, error) {
	var e ev
	if err := json.Unmarshal(event, &e); err != nil {
		return nil, fmt.Errorf("%w: %s event: %v", ErrMalformed, subType, err)
	}
	var acts []integrations.Action
	add := func(widget, name string, payload any) {
		a := integrations.NewAction(widget, name, payload)
		a.Event = subType
		acts = append(acts, a)
	}
	goal := func(source string, by float64) {
		a := integrations.NewAction("goal", "increment", map[string]any{"by": by})
		a.ConfigMatch, a.Event = map[string]string{"source": source}, subType
		acts = append(acts, a)
	}
	switch subType {
	case "channel.follow":
		name := e.name()
		add("alerts", "enqueue", map[string]any{"id": msgID, "type": "follow", "name": name})
		add("recent_follower", "record", map[string]any{"event_type": "follow", "name": name})
		add("event_list", "record", map[string]any{"id": msgID, "type": "follow", "name": name})
		goal(GoalFollows, 1)
	case "channel.subscribe":
		name := e.name()
		if e.IsGift {
			// The gifter's alert is channel.subscription.gift; each recipient
			// still counts toward a subs goal.
			goal(GoalSubs, 1)
			break
		}
		add("alerts", "enqueue", map[string]any{"id": msgID, "type": "sub", "name": name, "tier": tier(e.Tier)})
		add("recent_follower", "record", map[string]any{"event_type": "sub", "name": name})
		add("event_list", "record", map[string]any{"id": msgID, "type": "sub", "name": name})
		goal(GoalSubs, 1)
	case "channel.subscription.message":
		name := e.name()
		p := map[string]any{"id": msgID, "type": "resub", "name": name, "tier": tier(e.Tier), "months": e.CumulativeMonths}
		if e.Message != nil && e.Message.Text != "" {
			p["message"] = clip(e.Message.Text, 500)
		}
		add("alerts", "enqueue", p)
		add("event_list", "record", map[string]any{"id": msgID, "type": "resub", "name": name, "amount": e.CumulativeMonths})
	case "channel.subscription.gift":
		name := e.name()
		add("alerts", "enqueue", map[string]any{"id": msgID, "type": "gift_sub", "name": name, "amount": e.Total, "tier": tier(e.Tier)})
		add("event_list", "record", map[string]any{"id": msgID, "type": "gift_sub", "name": name, "amount": e.Total})
	case "channel.cheer":
		name := e.name()
		p := map[string]any{"id": msgID, "type": "cheer", "name": name, "amount": e.Bits}
		if msg := e.text(); msg != "" {
			p["message"] = clip(msg, 500)
		}
		add("alerts", "enqueue", p)
		add("recent_follower", "record", map[string]any{"event_type": "cheer", "name": name, "amount": e.Bits})
		add("event_list", "record", map[string]any{"id": msgID, "type": "cheer", "name": name, "amount": e.Bits})
		goal(GoalBits, float64(e.Bits))
	case "channel.raid":
		add("alerts", "enqueue", map[string]any{"id": msgID, "type": "raid", "name": e.FromName, "amount": e.Viewers})
		add("event_list", "record", map[string]any{"id": msgID, "type": "raid", "name": e.FromName, "amount": e.Viewers})
	case "channel.channel_points_custom_reward_redemption.add":
		p := map[string]any{"id": msgID, "type": "redemption", "name": e.name()}
		msg := e.Reward.Title
		if e.UserInput != "" {
			msg += ": " + e.UserInput
		}
		msg = clip(msg, 500) // the alerts and event list limits
		p["message"] = msg
		add("alerts", "enqueue", p)
		add("event_list", "record", map[string]any{"id": msgID, "type": "redemption", "name": e.name(), "message": msg})
	case "channel.poll.begin", "channel.poll.progress", "channel.poll.end":
		opts := make([]map[string]any, 0, len(e.Choices))
		for _, c := range e.Choices {
			opts = append(opts, map[string]any{"id": c.ID, "title": c.Title, "votes": c.Votes})
		}
		p := map[string]any{"id": e.ID, "question": e.Title, "options": opts, "status": "open"}
		if subType == "channel.poll.end" {
			p["status"] = "closed"
		} else if e.EndsAt != "" {
			p["ends_at"] = e.EndsAt
		}
		add("poll", "sync", p)
	case "stream.online":
		p := map[string]any{"live": true}
		if e.StartedAt != "" {
			p["started_at"] = e.StartedAt
		}
		add("stats", "set", p)
	case "stream.offline":
		add("stats", "set", map[string]any{"live": false, "viewers": 0})
	case "channel.chat.message":
		badges := make([]string, 0, len(e.Badges))
		for _, b := range e.Badges {
			badges = append(badges, b.SetID)
		}
		p := map[string]any{"id": e.MessageID, "user_id": e.ChatterID, "name": e.ChatterName, "badges": badges,
			"text": clip(e.text(), 500), "ts": at.UTC().Format(time.RFC3339Nano)}
		if e.Color != "" {
			p["color"] = e.Color
		}
		add("chat", "append", p)
	case "channel.chat.message_delete":
		add("chat", "delete_message", map[string]any{"id": e.MessageID})
	case "channel.chat.clear_user_messages":
		add("chat", "clear_user", map[string]any{"user_id": e.TargetUserID})
	case "channel.chat.clear":
		add("chat", "clear", map[string]any{})
	default:
		return nil, nil // a type we did not subscribe to: nothing to do
	}
	return acts, nil
}

// ev holds the fields of every event type we map (each uses a few).
type ev struct {
	UserName         *string `json:"user_name"`
	UserLogin        *string `json:"user_login"`
	IsAnonymous      bool    `json:"is_anonymous"`
	IsGift           bool    `json:"is_gift"`
	Tier             string  `json:"tier"`
	Total            int     `json:"total"`
	CumulativeMonths int     `json:"cumulative_months"`
	Bits             int     `json:"bits"`
	Message          *struct {
		Text string `json:"text"`
	} `json:"-"`
	RawMessage json.RawMessage `json:"message"`
	FromName   string          `json:"from_broadcaster_user_name"`
	Viewers    int             `json:"viewers"`
	UserInput  string          `json:"user_input"`
	Reward     struct {
		Title string `json:"title"`
	} `json:"reward"`
	ID      string `json:"id"`
	Title   string `json:"title"`
	Choices []struct {
		ID    string `json:"id"`
		Title string `json:"title"`
		Votes int    `json:"votes"`
	} `json:"choices"`
	EndsAt       string `json:"ends_at"`
	StartedAt    string `json:"started_at"`
	MessageID    string `json:"message_id"`
	ChatterID    string `json:"chatter_user_id"`
	ChatterName  string `json:"chatter_user_name"`
	Color        string `json:"color"`
	TargetUserID string `json:"target_user_id"`
	Badges       []struct {
		SetID string `json:"set_id"`
	} `json:"badges"`
}

// UnmarshalJSON decodes ev; "message" is a string in cheers and an object
// ({text, emotes} or {text, fragments}) elsewhere.
func (e *ev) UnmarshalJSON(b []byte) error {
	type plain ev
	if err := json.Unmarshal(b, (*plain)(e)); err != nil {
		return err
	}
	if len(e.RawMessage) > 0 && e.RawMessage[0] == '{' {
		var m struct {
			Text string `json:"text"`
		}
		if err := json.Unmarshal(e.RawMessage, &m); err == nil {
			e.Message = &m
		}
	}
	return nil
}

func (e *ev) name() string {
	switch {
	case e.IsAnonymous || e.UserName == nil || *e.UserName == "":
		return "Anonymous"
	default:
		return *e.UserName
	}
}

// text is the message as plain text, whichever shape it came in.
func (e *ev) text() string {
	if e.Message != nil {
		return e.Message.Text
	}
	var s string
	if json.Unmarshal(e.RawMessage, &s) == nil {
		return s
	}
	return ""
}

// tier turns Twitch's "1000"/"2000"/"3000" into 1/2/3.
func tier(t string) int {
	n, err := strconv.Atoi(t)
	if err != nil || n < 1000 {
		return 1
	}
	return n / 1000
}

// clip cuts s to n characters (the widgets' limits: a longer text would be
// refused whole).
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}
