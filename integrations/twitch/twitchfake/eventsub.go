package twitchfake

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/fasthttp/websocket"
)

// The EventSub close codes, with the reasons Twitch sends.
const (
	CloseInternalError    = 4000
	CloseSentInbound      = 4001
	CloseFailedPingPong   = 4002
	CloseConnectionUnused = 4003
	CloseReconnectExpired = 4004
	CloseNetworkTimeout   = 4005
	CloseNetworkError     = 4006
	CloseInvalidReconnect = 4007
)

var closeReasons = map[int]string{
	4000: "internal server error", 4001: "sent inbound traffic", 4002: "failed ping pong",
	4003: "connection unused", 4004: "reconnect grace time expired", 4005: "network timeout",
	4006: "network error", 4007: "invalid reconnect",
}

// session is one EventSub session. A reconnect moves it to a new
// connection: cur receives messages, old is the previous one (the client
// closes it once the new welcome arrived).
type session struct {
	id             string
	user           string
	keepalive      time.Duration
	cur, old       *wsConn
	reconnectToken string
	reconnectTimer *time.Timer
	deadline       *time.Timer
	subscribed     bool
	connectedAt    time.Time
}

func (ss *session) conns() []*wsConn {
	var out []*wsConn
	for _, c := range []*wsConn{ss.cur, ss.old} {
		if c != nil {
			out = append(out, c)
		}
	}
	return out
}

func (ss *session) hasSubs(s *Server) bool {
	for _, sub := range s.subs {
		if sub.session == ss.id {
			return true
		}
	}
	return false
}

// wsConn is one WebSocket connection; writes are serialized.
type wsConn struct {
	ws       *websocket.Conn
	wmu      sync.Mutex
	lastSent time.Time
	done     chan struct{}
	once     sync.Once
	pongs    int
}

func (c *wsConn) send(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.lastSent = time.Now()
	_ = c.ws.SetWriteDeadline(time.Now().Add(5 * time.Second))
	return c.ws.WriteMessage(websocket.TextMessage, b)
}

func (c *wsConn) closeWith(code int) {
	c.wmu.Lock()
	_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, closeReasons[code]), time.Now().Add(time.Second))
	c.wmu.Unlock()
	c.kill()
}

func (c *wsConn) kill() {
	c.once.Do(func() {
		close(c.done)
		_ = c.ws.Close()
	})
}

var upgrader = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}

func (s *Server) serveEventSub(w http.ResponseWriter, r *http.Request) {
	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	c := &wsConn{ws: ws, done: make(chan struct{})}
	ws.SetPongHandler(func(string) error { s.mu.Lock(); c.pongs++; s.mu.Unlock(); return nil })
	s.mu.Lock()
	var ss *session
	if token := r.URL.Query().Get("reconnect"); token != "" {
		ss = s.byReconnectToken(token)
		if ss == nil {
			s.mu.Unlock()
			c.closeWith(CloseInvalidReconnect)
			return
		}
		ss.reconnectToken = ""
		ss.reconnectTimer.Stop()
	} else {
		keep := 10
		if v, err := strconv.Atoi(r.URL.Query().Get("keepalive_timeout_seconds")); err == nil {
			keep = v
		}
		keep = min(max(keep, s.minKeepalive), 600)
		ss = &session{id: newUUID(), keepalive: time.Duration(keep) * time.Second, connectedAt: s.now()}
		s.sessions[ss.id] = ss
		ss.deadline = time.AfterFunc(ss.keepalive, func() { s.unusedDeadline(ss) })
	}
	welcome := s.message("session_welcome", nil, map[string]any{"session": map[string]any{
		"id": ss.id, "status": "connected", "connected_at": ss.connectedAt.UTC().Format(time.RFC3339Nano),
		"keepalive_timeout_seconds": int(ss.keepalive.Seconds()), "reconnect_url": nil, "recovery_url": nil,
	}})
	// The welcome goes out under the lock, so no notification can overtake it
	// and none goes to the old connection after it.
	if err := c.send(welcome); err != nil {
		s.mu.Unlock()
		c.kill()
		return
	}
	if ss.cur != nil {
		ss.old = ss.cur
	}
	ss.cur = c
	s.mu.Unlock()
	go s.keepalive(ss, c)
	s.read(ss, c)
}

// read consumes the client's frames: pongs and a close are fine, any data
// frame is a violation (4001), and the end of the current connection ends
// the session and its subscriptions.
func (s *Server) read(ss *session, c *wsConn) {
	for {
		kind, _, err := c.ws.ReadMessage()
		if err != nil {
			break
		}
		if kind == websocket.TextMessage || kind == websocket.BinaryMessage {
			s.mu.Lock()
			s.violate("session %s: the client sent a data frame", ss.id)
			s.mu.Unlock()
			c.closeWith(CloseSentInbound)
			break
		}
	}
	c.kill()
	s.mu.Lock()
	defer s.mu.Unlock()
	switch c {
	case ss.old:
		ss.old = nil
	case ss.cur:
		s.endSession(ss, nil)
	}
}

// endSession forgets ss and its subscriptions (Twitch deletes WebSocket
// subscriptions when their session ends) and drops its connections but
// keep, which the caller closes with a code. Caller holds s.mu.
func (s *Server) endSession(ss *session, keep *wsConn) {
	if s.sessions[ss.id] != ss {
		return
	}
	delete(s.sessions, ss.id)
	for id, sub := range s.subs {
		if sub.session == ss.id {
			delete(s.subs, id)
		}
	}
	if ss.deadline != nil {
		ss.deadline.Stop()
	}
	if ss.reconnectTimer != nil {
		ss.reconnectTimer.Stop()
	}
	for _, c := range ss.conns() {
		if c != keep {
			go c.kill()
		}
	}
}

func (s *Server) unusedDeadline(ss *session) {
	s.mu.Lock()
	if ss.subscribed || s.sessions[ss.id] != ss {
		s.mu.Unlock()
		return
	}
	s.violate("session %s: no subscription within %s of the welcome", ss.id, ss.keepalive)
	c := ss.cur
	s.endSession(ss, c)
	s.mu.Unlock()
	if c != nil {
		c.closeWith(CloseConnectionUnused)
	}
}

// keepalive sends session_keepalive when the connection has been silent for
// most of the keepalive window, and a ping each window: a client that did not
// answer the previous ping is closed with 4002.
func (s *Server) keepalive(ss *session, c *wsConn) {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	lastPing, pongsAtPing, pinged := time.Now(), 0, false
	for {
		select {
		case <-c.done:
			return
		case <-tick.C:
		}
		s.mu.Lock()
		current, enabled, pongs := ss.cur == c, s.keepalives, c.pongs
		s.mu.Unlock()
		if !current {
			continue
		}
		c.wmu.Lock()
		silent := time.Since(c.lastSent)
		c.wmu.Unlock()
		if enabled && silent >= ss.keepalive*3/4 {
			if err := c.send(s.message("session_keepalive", nil, map[string]any{})); err != nil {
				return
			}
		}
		if time.Since(lastPing) >= ss.keepalive {
			if pinged && pongs == pongsAtPing {
				c.closeWith(CloseFailedPingPong)
				return
			}
			c.wmu.Lock()
			_ = c.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(time.Second))
			c.wmu.Unlock()
			lastPing, pongsAtPing, pinged = time.Now(), pongs, true
		}
	}
}

// PauseKeepalives stops (true) or resumes keepalive messages, to test a
// client's watchdog: a silent connection must be replaced.
func (s *Server) PauseKeepalives(paused bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keepalives = !paused
}

func (s *Server) byReconnectToken(token string) *session {
	for _, ss := range s.sessions {
		if ss.reconnectToken != "" && ss.reconnectToken == token {
			return ss
		}
	}
	return nil
}

// message builds an EventSub message; sub adds the subscription metadata.
// Caller holds s.mu (message ids are counted).
func (s *Server) message(typ string, sub *subscription, payload any) map[string]any {
	s.nextMsgID++
	return s.messageWithID(fmt.Sprintf("msg-%d-%s", s.nextMsgID, randomID(4)), typ, sub, payload)
}

func (s *Server) messageWithID(id, typ string, sub *subscription, payload any) map[string]any {
	meta := map[string]any{"message_id": id, "message_type": typ, "message_timestamp": s.now().UTC().Format(time.RFC3339Nano)}
	if sub != nil {
		meta["subscription_type"], meta["subscription_version"] = sub.typ, sub.version
	}
	return map[string]any{"metadata": meta, "payload": payload}
}

// ErrNoSubscription means no enabled subscription matches a notification.
var ErrNoSubscription = errors.New("twitchfake: no enabled subscription for that type and broadcaster")

// Notify sends a notification of subType about broadcasterID with event as
// its event object, on the session holding the matching subscription, and
// returns its message_id.
func (s *Server) Notify(broadcasterID, subType string, event any) (string, error) {
	s.mu.Lock()
	s.nextMsgID++
	id := fmt.Sprintf("notif-%d-%s", s.nextMsgID, randomID(4))
	s.mu.Unlock()
	return id, s.NotifyWithID(id, broadcasterID, subType, event)
}

// NotifyWithID sends a notification with a chosen message_id: sending one
// twice is Twitch's at-least-once redelivery.
func (s *Server) NotifyWithID(messageID, broadcasterID, subType string, event any) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sub := range s.subs {
		if sub.typ != subType || sub.broadcaster() != broadcasterID || sub.status != "enabled" {
			continue
		}
		ss := s.sessions[sub.session]
		if ss == nil || ss.cur == nil {
			continue
		}
		msg := s.messageWithID(messageID, "notification", sub, map[string]any{"subscription": sub.wire(), "event": event})
		// Sent under the lock so Reconnect's switch of connection cannot
		// interleave: each notification goes to exactly one connection.
		return ss.cur.send(msg)
	}
	return ErrNoSubscription
}

// Reconnect sends session_reconnect on the session's connection and returns
// the reconnect_url. Notifications keep going to the old connection until
// the client's new connection got its welcome; without one within the
// grace period the old connection closes with 4004.
func (s *Server) Reconnect(sessionID string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss := s.sessions[sessionID]
	if ss == nil || ss.cur == nil {
		return "", fmt.Errorf("twitchfake: no session %s", sessionID)
	}
	ss.reconnectToken = randomID(8)
	u := s.EventSubURL() + "?reconnect=" + ss.reconnectToken
	ss.reconnectTimer = time.AfterFunc(s.reconnectGrace, func() {
		s.mu.Lock()
		if s.sessions[ss.id] != ss || ss.reconnectToken == "" {
			s.mu.Unlock()
			return
		}
		c := ss.cur
		s.endSession(ss, c)
		s.mu.Unlock()
		c.closeWith(CloseReconnectExpired)
	})
	msg := s.message("session_reconnect", nil, map[string]any{"session": map[string]any{
		"id": ss.id, "status": "reconnecting", "keepalive_timeout_seconds": nil, "reconnect_url": u,
		"connected_at": ss.connectedAt.UTC().Format(time.RFC3339Nano),
	}})
	return u, ss.cur.send(msg)
}

// InvalidReconnectURL is a reconnect URL that answers 4007.
func (s *Server) InvalidReconnectURL() string { return s.EventSubURL() + "?reconnect=expired" }

// Close closes the session's connection with code (4000-4007), ending it.
func (s *Server) Close(sessionID string, code int) error {
	s.mu.Lock()
	ss := s.sessions[sessionID]
	if ss == nil || ss.cur == nil {
		s.mu.Unlock()
		return fmt.Errorf("twitchfake: no session %s", sessionID)
	}
	c := ss.cur
	s.endSession(ss, c)
	s.mu.Unlock()
	c.closeWith(code)
	return nil
}

// Revoke revokes the subscription of subType about broadcasterID with
// status (authorization_revoked, user_removed, version_removed): a
// revocation message, then the subscription is gone.
func (s *Server) Revoke(broadcasterID, subType, status string) error {
	s.mu.Lock()
	var found *subscription
	for _, sub := range s.subs {
		if sub.typ == subType && sub.broadcaster() == broadcasterID {
			found = sub
		}
	}
	s.mu.Unlock()
	if found == nil {
		return ErrNoSubscription
	}
	s.revokeSubscription(found, status)
	return nil
}

func (s *Server) revokeSubscription(sub *subscription, status string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.subs[sub.id] != sub {
		return
	}
	delete(s.subs, sub.id)
	sub.status = status
	if ss := s.sessions[sub.session]; ss != nil && ss.cur != nil {
		_ = ss.cur.send(s.message("revocation", sub, map[string]any{"subscription": sub.wire()}))
	}
}

// Sessions returns the ids of the live sessions holding userID's subscriptions.
func (s *Server) Sessions(userID string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for id, ss := range s.sessions {
		if ss.user == userID && ss.hasSubs(s) {
			out = append(out, id)
		}
	}
	return out
}

// OpenConnections counts the session's open connections (2 during a handover).
func (s *Server) OpenConnections(sessionID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ss := s.sessions[sessionID]; ss != nil {
		return len(ss.conns())
	}
	return 0
}

func newUUID() string {
	b := randomID(16)
	return b[0:8] + "-" + b[8:12] + "-" + b[12:16] + "-" + b[16:20] + "-" + b[20:32]
}
