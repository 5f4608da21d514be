package twitchfake

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"time"
)

// Stream is a live stream as Get Streams reports it.
type Stream struct {
	ID        string
	Title     string
	GameName  string
	Viewers   int
	StartedAt time.Time
}

// Segment is one broadcast of a channel's schedule.
type Segment struct {
	ID       string
	Title    string
	Start    time.Time
	End      time.Time
	Category string
}

type follower struct {
	user       User
	followedAt time.Time
}

// Injection makes the next Times requests to Route ("GET /helix/streams";
// "" for every Helix route) fail with Status. A 429 says the bucket is empty
// and resets after ResetIn (default 1 s).
type Injection struct {
	Route   string
	Status  int
	Times   int
	ResetIn time.Duration
}

// Inject queues a failure.
func (s *Server) Inject(in Injection) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inject[in.Route] = append(s.inject[in.Route], in)
}

// bucket is Helix's points bucket for one client and user: Limit points per
// window, refilled at Reset (a Unix time in the Ratelimit-Reset header).
type bucket struct {
	used  int
	reset time.Time
}

func (s *Server) routeHelix(mux *http.ServeMux) {
	mux.HandleFunc("POST /helix/eventsub/subscriptions", s.helix(s.createSubscription))
	mux.HandleFunc("GET /helix/eventsub/subscriptions", s.helix(s.listSubscriptions))
	mux.HandleFunc("DELETE /helix/eventsub/subscriptions", s.helix(s.deleteSubscription))
	mux.HandleFunc("GET /helix/users", s.helix(s.getUsers))
	mux.HandleFunc("GET /helix/channels/followers", s.helix(s.getFollowers))
	mux.HandleFunc("GET /helix/streams", s.helix(s.getStreams))
	mux.HandleFunc("GET /helix/schedule", s.helix(s.getSchedule))
}

func helixError(w http.ResponseWriter, status int, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": http.StatusText(status), "status": status, "message": message})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// helix wraps a Helix handler: injected failures, authentication (a live
// user token whose client matches Client-Id), then the rate-limit bucket and
// its headers. The handler runs with s.mu held.
func (s *Server) helix(h func(w http.ResponseWriter, r *http.Request, g *grant)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		route := r.Method + " " + r.URL.Path
		for _, key := range []string{route, ""} {
			if q := s.inject[key]; len(q) > 0 {
				in := q[0]
				if in.Times--; in.Times <= 0 {
					s.inject[key] = q[1:]
				} else {
					q[0] = in
				}
				if in.Status == http.StatusTooManyRequests {
					reset := in.ResetIn
					if reset <= 0 {
						reset = time.Second
					}
					s.rateHeaders(w, 0, s.now().Add(reset))
					helixError(w, in.Status, "Too Many Requests")
					return
				}
				helixError(w, in.Status, "injected failure")
				return
			}
		}
		g := s.bearer(r)
		if g == nil || r.Header.Get("Client-Id") != g.client {
			helixError(w, http.StatusUnauthorized, "Invalid OAuth token")
			return
		}
		b := s.limits[g.client+"/"+g.user]
		now := s.now()
		if b == nil || !now.Before(b.reset) {
			b = &bucket{reset: now.Add(s.window)}
			s.limits[g.client+"/"+g.user] = b
		}
		if b.used >= s.limit {
			s.rateHeaders(w, 0, b.reset)
			helixError(w, http.StatusTooManyRequests, "Too Many Requests")
			return
		}
		b.used++
		s.rateHeaders(w, s.limit-b.used, b.reset)
		h(w, r, g)
	}
}

func (s *Server) rateHeaders(w http.ResponseWriter, remaining int, reset time.Time) {
	w.Header().Set("Ratelimit-Limit", strconv.Itoa(s.limit))
	w.Header().Set("Ratelimit-Remaining", strconv.Itoa(remaining))
	// A Unix time in whole seconds, as Twitch sends it: round up so a client
	// waiting until then is never early.
	w.Header().Set("Ratelimit-Reset", strconv.FormatInt(reset.Add(time.Second-1).Unix(), 10))
}

// Used returns the points spent in the current window of client+user.
func (s *Server) Used(clientID, userID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if b := s.limits[clientID+"/"+userID]; b != nil && s.now().Before(b.reset) {
		return b.used
	}
	return 0
}

func (s *Server) getUsers(w http.ResponseWriter, r *http.Request, g *grant) {
	ids := r.URL.Query()["id"]
	logins := r.URL.Query()["login"]
	if len(ids) == 0 && len(logins) == 0 {
		ids = []string{g.user}
	}
	data := []map[string]any{}
	for _, u := range s.users {
		if slices.Contains(ids, u.ID) || slices.Contains(logins, u.Login) {
			data = append(data, map[string]any{"id": u.ID, "login": u.Login, "display_name": u.DisplayName,
				"type": "", "broadcaster_type": "affiliate", "description": "", "profile_image_url": "",
				"offline_image_url": "", "view_count": 0, "created_at": "2016-12-14T20:32:28Z"})
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": data})
}

// getFollowers needs moderator:read:followers and the broadcaster's own (or
// a moderator's) token; first=1 is what a total costs.
func (s *Server) getFollowers(w http.ResponseWriter, r *http.Request, g *grant) {
	b := r.URL.Query().Get("broadcaster_id")
	if b == "" {
		helixError(w, http.StatusBadRequest, "Missing required parameter \"broadcaster_id\"")
		return
	}
	if !slices.Contains(g.scopes, "moderator:read:followers") || g.user != b {
		// Twitch answers without data (total only) when the token may not list.
		writeJSON(w, http.StatusOK, map[string]any{"total": len(s.followers[b]), "data": []any{}, "pagination": map[string]any{}})
		return
	}
	first := 20
	if n, err := strconv.Atoi(r.URL.Query().Get("first")); err == nil && n >= 1 && n <= 100 {
		first = n
	}
	fs := s.followers[b]
	data := []map[string]any{}
	for i := len(fs) - 1; i >= 0 && len(data) < first; i-- {
		f := fs[i]
		data = append(data, map[string]any{"user_id": f.user.ID, "user_login": f.user.Login, "user_name": f.user.DisplayName,
			"followed_at": f.followedAt.UTC().Format(time.RFC3339)})
	}
	writeJSON(w, http.StatusOK, map[string]any{"total": len(fs), "data": data, "pagination": map[string]any{}})
}

func (s *Server) getStreams(w http.ResponseWriter, r *http.Request, _ *grant) {
	data := []map[string]any{}
	for _, id := range r.URL.Query()["user_id"] {
		st := s.streams[id]
		if st == nil {
			continue
		}
		u := s.users[id]
		data = append(data, map[string]any{"id": st.ID, "user_id": id, "user_login": u.Login, "user_name": u.DisplayName,
			"game_id": "509658", "game_name": st.GameName, "type": "live", "title": st.Title, "tags": []string{},
			"viewer_count": st.Viewers, "started_at": st.StartedAt.UTC().Format(time.RFC3339), "language": "en",
			"thumbnail_url": "", "tag_ids": []string{}, "is_mature": false})
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": data, "pagination": map[string]any{}})
}

// getSchedule answers 404 for a channel without a schedule, as Twitch does.
func (s *Server) getSchedule(w http.ResponseWriter, r *http.Request, _ *grant) {
	b := r.URL.Query().Get("broadcaster_id")
	segs, ok := s.schedules[b]
	if !ok {
		helixError(w, http.StatusNotFound, "segments were either all deleted or none were found")
		return
	}
	u := s.users[b]
	out := []map[string]any{}
	for _, sg := range segs {
		var cat any
		if sg.Category != "" {
			cat = map[string]any{"id": "509658", "name": sg.Category}
		}
		var end any
		if !sg.End.IsZero() {
			end = sg.End.UTC().Format(time.RFC3339)
		}
		out = append(out, map[string]any{"id": sg.ID, "start_time": sg.Start.UTC().Format(time.RFC3339), "end_time": end,
			"title": sg.Title, "canceled_until": nil, "category": cat, "is_recurring": false})
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": map[string]any{"segments": out, "broadcaster_id": b,
		"broadcaster_name": u.DisplayName, "broadcaster_login": u.Login, "vacation": nil}, "pagination": map[string]any{}})
}

// AddFollower records a follow in Helix (it sends no notification: see Notify).
func (s *Server) AddFollower(broadcasterID string, u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.followers[broadcasterID] = append(s.followers[broadcasterID], follower{user: u, followedAt: s.now()})
}

// SetStream makes the broadcaster live (st non-nil) or offline (nil).
func (s *Server) SetStream(broadcasterID string, st *Stream) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st == nil {
		delete(s.streams, broadcasterID)
		return
	}
	cp := *st
	s.streams[broadcasterID] = &cp
}

// SetSchedule replaces the broadcaster's schedule.
func (s *Server) SetSchedule(broadcasterID string, segs []Segment) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.schedules[broadcasterID] = append([]Segment(nil), segs...)
}

// scopeOK reports whether scopes include one of any (any empty: no scope needed).
func scopeOK(scopes []string, any []string) bool {
	if len(any) == 0 {
		return true
	}
	for _, a := range any {
		if slices.Contains(scopes, a) {
			return true
		}
	}
	return false
}
