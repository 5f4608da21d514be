package twitchfake

import (
	"encoding/json"
	"net/http"
	"sort"
	"time"
)

// subType is what Twitch documents for a subscription type: its version,
// the scopes of which the token needs one, and the condition fields (the
// first names the user the token must belong to).
type subType struct {
	version string
	scopes  []string
	cond    []string
}

var subTypes = map[string]subType{
	"channel.follow":                   {"2", []string{"moderator:read:followers"}, []string{"moderator_user_id", "broadcaster_user_id"}},
	"channel.subscribe":                {"1", []string{"channel:read:subscriptions"}, []string{"broadcaster_user_id"}},
	"channel.subscription.gift":        {"1", []string{"channel:read:subscriptions"}, []string{"broadcaster_user_id"}},
	"channel.subscription.message":     {"1", []string{"channel:read:subscriptions"}, []string{"broadcaster_user_id"}},
	"channel.cheer":                    {"1", []string{"bits:read"}, []string{"broadcaster_user_id"}},
	"channel.raid":                     {"1", nil, []string{"to_broadcaster_user_id"}},
	"channel.poll.begin":               {"1", []string{"channel:read:polls", "channel:manage:polls"}, []string{"broadcaster_user_id"}},
	"channel.poll.progress":            {"1", []string{"channel:read:polls", "channel:manage:polls"}, []string{"broadcaster_user_id"}},
	"channel.poll.end":                 {"1", []string{"channel:read:polls", "channel:manage:polls"}, []string{"broadcaster_user_id"}},
	"stream.online":                    {"1", nil, []string{"broadcaster_user_id"}},
	"stream.offline":                   {"1", nil, []string{"broadcaster_user_id"}},
	"channel.chat.message":             {"1", []string{"user:read:chat"}, []string{"user_id", "broadcaster_user_id"}},
	"channel.chat.message_delete":      {"1", []string{"user:read:chat"}, []string{"user_id", "broadcaster_user_id"}},
	"channel.chat.clear_user_messages": {"1", []string{"user:read:chat"}, []string{"user_id", "broadcaster_user_id"}},
	"channel.chat.clear":               {"1", []string{"user:read:chat"}, []string{"user_id", "broadcaster_user_id"}},
	"channel.channel_points_custom_reward_redemption.add": {"1", []string{"channel:read:redemptions", "channel:manage:redemptions"}, []string{"broadcaster_user_id"}},
}

// subscription is one EventSub subscription on a WebSocket session.
type subscription struct {
	id, typ, version, user string
	condition              map[string]string
	session                string
	created                time.Time
	status                 string
}

// SubscriptionInfo describes a subscription for assertions.
type SubscriptionInfo struct {
	ID, Type, Version, Status, SessionID, UserID string
	Condition                                    map[string]string
}

func (sub *subscription) wire() map[string]any {
	return map[string]any{
		"id": sub.id, "status": sub.status, "type": sub.typ, "version": sub.version, "cost": 0,
		"condition": sub.condition, "created_at": sub.created.UTC().Format(time.RFC3339Nano),
		"transport": map[string]any{"method": "websocket", "session_id": sub.session},
	}
}

// broadcaster is the channel a subscription is about.
func (sub *subscription) broadcaster() string {
	if b := sub.condition["broadcaster_user_id"]; b != "" {
		return b
	}
	return sub.condition["to_broadcaster_user_id"]
}

func (s *Server) createSubscription(w http.ResponseWriter, r *http.Request, g *grant) {
	var req struct {
		Type      string            `json:"type"`
		Version   string            `json:"version"`
		Condition map[string]string `json:"condition"`
		Transport struct {
			Method    string `json:"method"`
			SessionID string `json:"session_id"`
		} `json:"transport"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		helixError(w, http.StatusBadRequest, "malformed JSON body")
		return
	}
	st, ok := subTypes[req.Type]
	if !ok || st.version != req.Version {
		helixError(w, http.StatusBadRequest, "unsupported subscription type or version")
		return
	}
	for _, k := range st.cond {
		if req.Condition[k] == "" {
			helixError(w, http.StatusBadRequest, "condition is missing "+k)
			return
		}
	}
	if req.Transport.Method != "websocket" {
		helixError(w, http.StatusBadRequest, "the fake supports the websocket transport only")
		return
	}
	ss := s.sessions[req.Transport.SessionID]
	if ss == nil || ss.cur == nil {
		helixError(w, http.StatusBadRequest, "websocket transport session does not exist or has already disconnected")
		return
	}
	if !scopeOK(g.scopes, st.scopes) || req.Condition[st.cond[0]] != g.user {
		helixError(w, http.StatusForbidden, "subscription missing proper authorization")
		return
	}
	for _, sub := range s.subs {
		if sub.typ == req.Type && sub.session == ss.id && equalCond(sub.condition, req.Condition) {
			helixError(w, http.StatusConflict, "subscription already exists")
			return
		}
	}
	sub := &subscription{id: newUUID(), typ: req.Type, version: req.Version, user: g.user, condition: req.Condition,
		session: ss.id, created: s.now(), status: "enabled"}
	s.subs[sub.id] = sub
	ss.user, ss.subscribed = g.user, true
	if ss.deadline != nil {
		ss.deadline.Stop()
	}
	n := 0
	for _, other := range s.sessions {
		if other.user == g.user && other.hasSubs(s) {
			n++
		}
	}
	s.maxSessions[g.user] = max(s.maxSessions[g.user], n)
	writeJSON(w, http.StatusAccepted, map[string]any{"data": []any{sub.wire()}, "total": len(s.subs), "total_cost": 0, "max_total_cost": 10000})
}

func (s *Server) listSubscriptions(w http.ResponseWriter, _ *http.Request, g *grant) {
	data := []any{}
	for _, sub := range s.subs {
		if sub.user == g.user {
			data = append(data, sub.wire())
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": data, "total": len(data), "total_cost": 0, "max_total_cost": 10000, "pagination": map[string]any{}})
}

func (s *Server) deleteSubscription(w http.ResponseWriter, r *http.Request, g *grant) {
	sub := s.subs[r.URL.Query().Get("id")]
	if sub == nil || sub.user != g.user {
		helixError(w, http.StatusNotFound, "subscription not found")
		return
	}
	delete(s.subs, sub.id)
	w.WriteHeader(http.StatusNoContent)
}

func equalCond(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// Subscriptions lists the enabled subscriptions of userID's tokens, by type.
func (s *Server) Subscriptions(userID string) []SubscriptionInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []SubscriptionInfo
	for _, sub := range s.subs {
		if sub.user == userID {
			out = append(out, SubscriptionInfo{ID: sub.id, Type: sub.typ, Version: sub.version, Status: sub.status,
				SessionID: sub.session, UserID: sub.user, Condition: sub.condition})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Type < out[j].Type })
	return out
}

// MaxSessions is the most WebSocket sessions with subscriptions userID had
// at once (Twitch allows 3 per client and user; we want 1).
func (s *Server) MaxSessions(userID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.maxSessions[userID]
}

// SubscriptionCreates counts POST /helix/eventsub/subscriptions.
func (s *Server) SubscriptionCreates() int { return s.Calls("POST /helix/eventsub/subscriptions") }
