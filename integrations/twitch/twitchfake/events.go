package twitchfake

import "time"

// The event objects of notifications, shaped as Twitch documents them for
// each subscription type. b is the broadcaster, u the user who acted.

func broadcasterFields(b User) map[string]any {
	return map[string]any{"broadcaster_user_id": b.ID, "broadcaster_user_login": b.Login, "broadcaster_user_name": b.DisplayName}
}

func withUser(m map[string]any, u User) map[string]any {
	m["user_id"], m["user_login"], m["user_name"] = u.ID, u.Login, u.DisplayName
	return m
}

// FollowEvent is channel.follow v2.
func FollowEvent(b, u User) map[string]any {
	m := withUser(broadcasterFields(b), u)
	m["followed_at"] = time.Now().UTC().Format(time.RFC3339Nano)
	return m
}

// SubscribeEvent is channel.subscribe; tier is "1000", "2000" or "3000".
func SubscribeEvent(b, u User, tier string, gift bool) map[string]any {
	m := withUser(broadcasterFields(b), u)
	m["tier"], m["is_gift"] = tier, gift
	return m
}

// GiftEvent is channel.subscription.gift; anonymous gifts carry null users.
func GiftEvent(b User, u *User, total int, tier string) map[string]any {
	m := broadcasterFields(b)
	if u == nil {
		m["user_id"], m["user_login"], m["user_name"] = nil, nil, nil
	} else {
		withUser(m, *u)
	}
	m["total"], m["tier"], m["cumulative_total"], m["is_anonymous"] = total, tier, nil, u == nil
	return m
}

// ResubEvent is channel.subscription.message.
func ResubEvent(b, u User, tier string, months int, text string) map[string]any {
	m := withUser(broadcasterFields(b), u)
	m["tier"], m["cumulative_months"], m["streak_months"], m["duration_months"] = tier, months, nil, 1
	m["message"] = map[string]any{"text": text, "emotes": []any{}}
	return m
}

// CheerEvent is channel.cheer; anonymous cheers carry null users.
func CheerEvent(b User, u *User, bits int, message string) map[string]any {
	m := broadcasterFields(b)
	if u == nil {
		m["user_id"], m["user_login"], m["user_name"] = nil, nil, nil
	} else {
		withUser(m, *u)
	}
	m["is_anonymous"], m["bits"], m["message"] = u == nil, bits, message
	return m
}

// RaidEvent is channel.raid from another channel into b.
func RaidEvent(from, b User, viewers int) map[string]any {
	return map[string]any{
		"from_broadcaster_user_id": from.ID, "from_broadcaster_user_login": from.Login, "from_broadcaster_user_name": from.DisplayName,
		"to_broadcaster_user_id": b.ID, "to_broadcaster_user_login": b.Login, "to_broadcaster_user_name": b.DisplayName,
		"viewers": viewers,
	}
}

// PollChoice is a poll option with its votes.
type PollChoice struct {
	ID, Title string
	Votes     int
}

// PollEvent is channel.poll.begin (status ""), .progress (status "") or
// .end (status completed, terminated or archived).
func PollEvent(b User, id, title string, choices []PollChoice, status string, ends time.Time) map[string]any {
	m := broadcasterFields(b)
	cs := []any{}
	for _, c := range choices {
		cs = append(cs, map[string]any{"id": c.ID, "title": c.Title, "bits_votes": 0, "channel_points_votes": 0, "votes": c.Votes})
	}
	m["id"], m["title"], m["choices"] = id, title, cs
	m["bits_voting"] = map[string]any{"is_enabled": false, "amount_per_vote": 0}
	m["channel_points_voting"] = map[string]any{"is_enabled": false, "amount_per_vote": 0}
	m["started_at"] = time.Now().UTC().Format(time.RFC3339Nano)
	if status == "" {
		m["ends_at"] = ends.UTC().Format(time.RFC3339Nano)
	} else {
		m["status"], m["ended_at"] = status, ends.UTC().Format(time.RFC3339Nano)
	}
	return m
}

// StreamOnlineEvent is stream.online.
func StreamOnlineEvent(b User, started time.Time) map[string]any {
	m := broadcasterFields(b)
	m["id"], m["type"], m["started_at"] = "9001", "live", started.UTC().Format(time.RFC3339Nano)
	return m
}

// StreamOfflineEvent is stream.offline.
func StreamOfflineEvent(b User) map[string]any { return broadcasterFields(b) }

// ChatMessageEvent is channel.chat.message from chatter u.
func ChatMessageEvent(b, u User, messageID, text, color string, badges ...string) map[string]any {
	m := broadcasterFields(b)
	m["chatter_user_id"], m["chatter_user_login"], m["chatter_user_name"] = u.ID, u.Login, u.DisplayName
	m["message_id"], m["color"], m["message_type"] = messageID, color, "text"
	m["message"] = map[string]any{"text": text, "fragments": []any{map[string]any{"type": "text", "text": text}}}
	bs := []any{}
	for _, set := range badges {
		bs = append(bs, map[string]any{"set_id": set, "id": "1", "info": ""})
	}
	m["badges"], m["cheer"], m["reply"], m["channel_points_custom_reward_id"] = bs, nil, nil, nil
	return m
}

// ChatDeleteEvent is channel.chat.message_delete.
func ChatDeleteEvent(b, target User, messageID string) map[string]any {
	m := broadcasterFields(b)
	m["target_user_id"], m["target_user_login"], m["target_user_name"], m["message_id"] = target.ID, target.Login, target.DisplayName, messageID
	return m
}

// ChatClearUserEvent is channel.chat.clear_user_messages.
func ChatClearUserEvent(b, target User) map[string]any {
	m := broadcasterFields(b)
	m["target_user_id"], m["target_user_login"], m["target_user_name"] = target.ID, target.Login, target.DisplayName
	return m
}

// RedemptionEvent is channel.channel_points_custom_reward_redemption.add.
func RedemptionEvent(b, u User, id, reward, input string, cost int) map[string]any {
	m := withUser(broadcasterFields(b), u)
	m["id"], m["user_input"], m["status"] = id, input, "unfulfilled"
	m["reward"] = map[string]any{"id": "reward-1", "title": reward, "cost": cost, "prompt": ""}
	m["redeemed_at"] = time.Now().UTC().Format(time.RFC3339Nano)
	return m
}
