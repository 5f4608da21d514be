package twitch

import "slices"

// Scope is a permission "Connect Twitch" asks for, with why (shown to the
// streamer before they go to Twitch).
type Scope struct {
	Name string `json:"name"`
	Why  string `json:"why"`
}

// Scopes are every permission the widgets need. Raids, stream online and
// offline, stream status and the schedule need none.
var Scopes = []Scope{
	{"moderator:read:followers", "follow alerts, the latest follower and the follower count"},
	{"channel:read:subscriptions", "sub, resub and gift alerts"},
	{"bits:read", "cheer alerts"},
	{"channel:read:polls", "the poll widget follows your Twitch polls"},
	{"channel:read:redemptions", "channel points redemption alerts"},
	{"user:read:chat", "the chat widget shows your chat"},
}

// ScopeNames lists Scopes' names in order.
func ScopeNames() []string {
	out := make([]string, len(Scopes))
	for i, s := range Scopes {
		out[i] = s.Name
	}
	return out
}

// MissingScopes returns the scopes of Scopes not in granted.
func MissingScopes(granted []string) []string {
	var out []string
	for _, s := range Scopes {
		if !slices.Contains(granted, s.Name) {
			out = append(out, s.Name)
		}
	}
	return out
}

// SubscriptionType is an EventSub subscription the session creates.
type SubscriptionType struct {
	Type    string
	Version string
	// Scope is the scope it needs ("" for none).
	Scope string
	// Condition builds its condition for a broadcaster, with the token's
	// user being the broadcaster.
	Condition func(broadcaster string) map[string]string
}

func byBroadcaster(b string) map[string]string { return map[string]string{"broadcaster_user_id": b} }
func asModerator(b string) map[string]string {
	return map[string]string{"broadcaster_user_id": b, "moderator_user_id": b}
}
func asChatReader(b string) map[string]string {
	return map[string]string{"broadcaster_user_id": b, "user_id": b}
}
func raidsInto(b string) map[string]string { return map[string]string{"to_broadcaster_user_id": b} }

// Subscriptions are the EventSub types the session subscribes to.
var Subscriptions = []SubscriptionType{
	{"channel.follow", "2", "moderator:read:followers", asModerator},
	{"channel.subscribe", "1", "channel:read:subscriptions", byBroadcaster},
	{"channel.subscription.gift", "1", "channel:read:subscriptions", byBroadcaster},
	{"channel.subscription.message", "1", "channel:read:subscriptions", byBroadcaster},
	{"channel.cheer", "1", "bits:read", byBroadcaster},
	{"channel.raid", "1", "", raidsInto},
	{"channel.poll.begin", "1", "channel:read:polls", byBroadcaster},
	{"channel.poll.progress", "1", "channel:read:polls", byBroadcaster},
	{"channel.poll.end", "1", "channel:read:polls", byBroadcaster},
	{"stream.online", "1", "", byBroadcaster},
	{"stream.offline", "1", "", byBroadcaster},
	{"channel.chat.message", "1", "user:read:chat", asChatReader},
	{"channel.chat.message_delete", "1", "user:read:chat", asChatReader},
	{"channel.chat.clear_user_messages", "1", "user:read:chat", asChatReader},
	{"channel.chat.clear", "1", "user:read:chat", asChatReader},
	{"channel.channel_points_custom_reward_redemption.add", "1", "channel:read:redemptions", byBroadcaster},
}
