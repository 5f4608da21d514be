package twitch

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/fasthttp/websocket"
	"go.uber.org/zap"

	"github.com/streamwidgets/streamwidgets/integrations"
	"github.com/streamwidgets/streamwidgets/integrations/supervise"
)

// session is the EventSub WebSocket session of one broadcaster.
//
//   - After a fresh welcome it creates the subscriptions (within the
//     welcome's keepalive window, or Twitch closes with 4003).
//   - A watchdog replaces a socket silent for longer than the keepalive
//     window (plus a margin) with a fresh one, and subscribes again.
//   - session_reconnect: it dials reconnect_url and keeps reading the old
//     socket until the new one's welcome; then it drains the old one briefly
//     and closes it. The subscriptions move with the session: no resubscribe.
//   - revocation marks that subscription gone (and, for a revoked
//     authorization, asks the token keeper to check the token).
//   - Every close code is handled as documented (closecodes.go).
//   - It never writes a data frame (Twitch closes such clients with 4001);
//     only the WebSocket library's pongs and a close frame.
//   - Notifications are delivered at least once by Twitch: a persisted
//     window of message ids makes them reach the widgets once, across
//     reconnects and across a move of the whole tree to another node.
//
// All of it happens in Receive; a goroutine per socket only reads frames
// and forwards them as messages.
type session struct {
	s      *shared
	log    *zap.Logger
	timers *supervise.Timers
	self   *actor.PID
	root   *actor.RootContext

	gen                    int
	cur, pending, draining *sock
	sessionID              string
	keepalive              time.Duration
	subs                   map[string]integrations.Subscription
	window                 *integrations.Window
	attempts               int
	lastState              integrations.State
	lastErr                string
	stopAwait              context.CancelFunc // a wait for the token runs
}

// sock is one WebSocket connection.
type sock struct {
	gen      int
	ws       *websocket.Conn
	last     time.Time
	welcomed bool
}

// Session messages (local only).
type (
	frame struct {
		gen  int
		data []byte
	}
	sockClosed struct {
		gen  int
		code int
		err  string
	}
	dialNow struct {
		url       string
		reconnect bool
	}
	watchdogTick    struct{}
	welcomeDeadline struct{ gen int }
	closeDraining   struct{ gen int }
	resubscribe     struct{ session string }
	tokenReady      struct{ url string }
)

func (watchdogTick) NotInfluenceReceiveTimeout()    {}
func (welcomeDeadline) NotInfluenceReceiveTimeout() {}
func (closeDraining) NotInfluenceReceiveTimeout()   {}
func (resubscribe) NotInfluenceReceiveTimeout()     {}

// drainFor is how long the old socket is still read after the new welcome:
// what Twitch wrote to it before switching is delivered, not lost.
const drainFor = 500 * time.Millisecond

func newSession(s *shared, log *zap.Logger) *session {
	return &session{s: s, log: log, subs: map[string]integrations.Subscription{}}
}

func (se *session) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case *actor.Started:
		se.timers, se.self, se.root = supervise.NewTimers(ctx), ctx.Self(), ctx.ActorSystem().Root
		se.window = integrations.NewWindow(se.s.Creds, se.s.Owner, "twitch.eventsub", 0, 0, nil)
		c, cancel := context.WithTimeout(context.Background(), se.s.iv.CallTimeout)
		if err := se.window.Load(c); err != nil {
			se.log.Warn("dedupe window not loaded yet; will retry before the first delivery", zap.Error(err))
		}
		cancel()
		se.report(ctx, integrations.StateConnecting, "connecting", "")
		se.dial(ctx, se.freshURL(), false)
		se.timers.After("watchdog", time.Second, watchdogTick{})
	case *actor.Stopping, *actor.Restarting:
		se.timers.StopAll()
		if se.stopAwait != nil {
			se.stopAwait()
		}
		for _, c := range []*sock{se.cur, se.pending, se.draining} {
			if c != nil {
				se.closeSock(c, websocket.CloseNormalClosure)
			}
		}
	case dialNow:
		se.dial(ctx, msg.url, msg.reconnect)
	case tokenReady:
		se.stopAwait = nil
		if se.cur == nil {
			se.dial(ctx, msg.url, false)
		}
	case frame:
		se.onFrame(ctx, msg)
	case sockClosed:
		se.onClosed(ctx, msg)
	case watchdogTick:
		se.watchdog(ctx)
		se.timers.After("watchdog", time.Second, watchdogTick{})
	case welcomeDeadline:
		if c := se.byGen(msg.gen); c != nil && !c.welcomed {
			se.log.Warn("no welcome within 10 s; closing the socket", zap.Int("gen", msg.gen))
			se.closeSock(c, websocket.CloseNormalClosure)
			se.onClosed(ctx, sockClosed{gen: msg.gen, code: 0, err: "no welcome"})
		}
	case closeDraining:
		if se.draining != nil && se.draining.gen == msg.gen {
			se.closeSock(se.draining, websocket.CloseNormalClosure)
			se.draining = nil
		}
	case resubscribe:
		if msg.session == se.sessionID && se.sessionID != "" {
			se.subscribe(ctx)
		}
	}
}

func (se *session) freshURL() string {
	u, err := url.Parse(se.s.cfg.EventSubURL)
	if err != nil {
		return se.s.cfg.EventSubURL
	}
	q := u.Query()
	q.Set("keepalive_timeout_seconds", strconv.Itoa(se.s.cfg.KeepaliveSeconds))
	u.RawQuery = q.Encode()
	return u.String()
}

func (se *session) byGen(gen int) *sock {
	for _, c := range []*sock{se.cur, se.pending, se.draining} {
		if c != nil && c.gen == gen {
			return c
		}
	}
	return nil
}

func (se *session) report(ctx actor.Context, st integrations.State, detail, errText string) {
	se.lastState, se.lastErr = st, errText
	subs := make([]integrations.Subscription, 0, len(se.subs))
	for _, t := range Subscriptions {
		if sub, ok := se.subs[t.Type]; ok {
			subs = append(subs, sub)
		}
	}
	supervise.Tell(ctx, &supervise.Report{State: st, Detail: detail, Err: errText, Subscriptions: subs})
}

// dial opens a socket: a fresh session, or (reconnect) the reconnect_url
// while the current socket keeps running.
func (se *session) dial(ctx actor.Context, u string, reconnect bool) {
	if !reconnect && se.s.tokens.Token() == "" {
		// Without a token nothing can be subscribed and Twitch would close
		// the socket (4003): wait for the token keeper instead.
		se.report(ctx, integrations.StateConnecting, "waiting for a valid Twitch token", se.lastErr)
		se.awaitToken(u)
		return
	}
	dctx, cancel := context.WithTimeout(context.Background(), se.s.iv.CallTimeout)
	ws, _, err := websocket.DefaultDialer.DialContext(dctx, u, nil)
	cancel()
	if err != nil {
		if reconnect {
			// The old socket still runs; if the session cannot move, Twitch
			// closes it (4004) and we start afresh then.
			se.log.Warn("cannot reach the reconnect URL; staying on the current socket", zap.Error(err))
			return
		}
		se.attempts++
		wait := Backoff(se.attempts)
		se.log.Warn("cannot connect to EventSub; retrying", zap.Error(err), zap.Duration("in", wait))
		se.report(ctx, integrations.StateConnecting, "connecting", fmt.Sprintf("cannot connect to EventSub: %v", err))
		se.timers.After("dial", wait, dialNow{url: se.freshURL()})
		return
	}
	ws.SetReadLimit(1 << 20)
	se.gen++
	c := &sock{gen: se.gen, ws: ws, last: time.Now()}
	if reconnect {
		if se.pending != nil {
			se.closeSock(se.pending, websocket.CloseNormalClosure)
		}
		se.pending = c
	} else {
		se.cur = c
	}
	go se.read(c)
	se.timers.After("welcome-"+strconv.Itoa(c.gen), 10*time.Second, welcomeDeadline{gen: c.gen})
}

// awaitToken dials u once the token keeper has a token (checked again
// every 30 s in case of a missed wake-up), off the actor.
func (se *session) awaitToken(u string) {
	if se.stopAwait != nil {
		return
	}
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	se.stopAwait = cancel
	self, root, tokens := se.self, se.root, se.s.tokens
	go func() {
		defer cancel()
		_, _ = tokens.Await(c, "")
		root.Send(self, tokenReady{url: u})
	}()
}

// read forwards c's frames to the actor until the socket ends. It never
// writes: pongs are the library's, answered while reading.
func (se *session) read(c *sock) {
	defer func() {
		if r := recover(); r != nil { // never let a socket bring the node down
			se.root.Send(se.self, sockClosed{gen: c.gen, err: fmt.Sprint("reader panic: ", r)})
		}
	}()
	for {
		kind, data, err := c.ws.ReadMessage()
		if err != nil {
			code := 0
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				code = ce.Code
			}
			se.root.Send(se.self, sockClosed{gen: c.gen, code: code, err: err.Error()})
			return
		}
		if kind == websocket.TextMessage {
			se.root.Send(se.self, frame{gen: c.gen, data: data})
		}
	}
}

func (se *session) closeSock(c *sock, code int) {
	_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, ""), time.Now().Add(time.Second))
	_ = c.ws.Close()
}

func (se *session) onFrame(ctx actor.Context, f frame) {
	c := se.byGen(f.gen)
	if c == nil {
		return // a socket we closed already
	}
	c.last = time.Now()
	msg, err := DecodeMessage(f.data)
	if err != nil {
		se.log.Warn("ignoring an EventSub message that does not decode", zap.Error(err))
		return
	}
	switch msg.Metadata.MessageType {
	case MsgWelcome:
		se.onWelcome(ctx, c, msg)
	case MsgKeepalive:
	case MsgNotification:
		se.onNotification(ctx, msg)
	case MsgReconnect:
		sess, err := msg.SessionOf()
		if err != nil || sess.ReconnectURL == nil || *sess.ReconnectURL == "" {
			se.log.Warn("session_reconnect without a reconnect_url; ignoring")
			return
		}
		se.log.Info("EventSub asks to reconnect; moving the session to a new socket")
		se.dial(ctx, *sess.ReconnectURL, true)
	case MsgRevocation:
		se.onRevocation(ctx, msg)
	default:
		se.log.Debug("ignoring an EventSub message of an unknown type", zap.String("type", msg.Metadata.MessageType))
	}
}

func (se *session) onWelcome(ctx actor.Context, c *sock, msg Message) {
	sess, err := msg.SessionOf()
	if err != nil {
		se.log.Warn("welcome without a session", zap.Error(err))
		return
	}
	c.welcomed = true
	se.timers.Cancel("welcome-" + strconv.Itoa(c.gen))
	if sess.KeepaliveTimeoutSeconds != nil && *sess.KeepaliveTimeoutSeconds > 0 {
		se.keepalive = time.Duration(*sess.KeepaliveTimeoutSeconds) * time.Second
	}
	if c == se.pending {
		// The handover: the new socket now carries the session. The old one
		// is read a little longer, then closed.
		old := se.cur
		se.cur, se.pending = c, nil
		if old != nil {
			if se.draining != nil {
				se.closeSock(se.draining, websocket.CloseNormalClosure)
			}
			se.draining = old
			se.timers.After("drain", drainFor, closeDraining{gen: old.gen})
		}
		se.sessionID = sess.ID
		se.log.Info("EventSub session moved to the new socket", zap.Int("gen", c.gen))
		se.report(ctx, se.lastState, "connected (moved to a new socket)", se.lastErr)
		return
	}
	if c != se.cur {
		return
	}
	se.sessionID, se.attempts = sess.ID, 0
	se.subs = map[string]integrations.Subscription{}
	se.subscribe(ctx)
}

// subscribe creates every subscription the token's scopes allow, on the
// current session. Already-existing ones (409) count as done.
func (se *session) subscribe(ctx actor.Context) {
	c, cancel := context.WithTimeout(context.Background(), se.s.iv.CallTimeout)
	granted := []string(nil)
	if creds, err := se.s.Creds.GetCredentials(c, se.s.Owner, Service); err == nil {
		granted = creds.Scopes
	}
	cancel()
	var retry time.Duration
	var lastErr string
	for _, t := range Subscriptions {
		if sub, ok := se.subs[t.Type]; ok && sub.Status == "enabled" {
			continue
		}
		if t.Scope != "" && granted != nil && !contains(granted, t.Scope) {
			se.subs[t.Type] = integrations.Subscription{Type: t.Type, Status: "scope_missing", Reason: "needs " + t.Scope}
			continue
		}
		cctx, cancel := context.WithTimeout(context.Background(), se.s.iv.CallTimeout)
		err := se.s.helix.CreateSubscription(cctx, t, se.s.Broadcaster, se.sessionID)
		cancel()
		var rl *RateLimitedError
		switch {
		case err == nil, errors.Is(err, ErrConflict):
			se.subs[t.Type] = integrations.Subscription{Type: t.Type, Status: "enabled"}
		case errors.Is(err, ErrForbidden):
			se.subs[t.Type] = integrations.Subscription{Type: t.Type, Status: "scope_missing", Reason: err.Error()}
		case errors.As(err, &rl):
			se.subs[t.Type] = integrations.Subscription{Type: t.Type, Status: "failed", Reason: err.Error()}
			retry, lastErr = max(retry, time.Until(rl.Until)), err.Error()
		default:
			se.subs[t.Type] = integrations.Subscription{Type: t.Type, Status: "failed", Reason: err.Error()}
			retry, lastErr = max(retry, 5*time.Second), err.Error()
		}
	}
	enabled := 0
	for _, sub := range se.subs {
		if sub.Status == "enabled" {
			enabled++
		}
	}
	detail := fmt.Sprintf("connected; %d of %d subscriptions enabled", enabled, len(Subscriptions))
	switch {
	case retry > 0:
		se.timers.After("resubscribe", retry, resubscribe{session: se.sessionID})
		se.report(ctx, integrations.StateConnecting, detail, "some subscriptions failed, retrying: "+lastErr)
	default:
		se.report(ctx, integrations.StateConnected, detail, "")
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// onNotification delivers a notification once: skip an id already
// delivered, deliver each action (retrying a failed one briefly), then
// record the id.
func (se *session) onNotification(ctx actor.Context, msg Message) {
	id := msg.Metadata.MessageID
	c, cancel := context.WithTimeout(context.Background(), se.s.iv.CallTimeout)
	defer cancel()
	if err := se.window.EnsureLoaded(c); err != nil {
		se.log.Error("dedupe window unavailable; delivering anyway (a redelivery may repeat)", zap.Error(err))
	}
	if se.window.Seen(id) {
		se.log.Debug("duplicate notification skipped", zap.String("message_id", id))
		return
	}
	n, err := msg.NotificationOf()
	if err != nil {
		se.log.Warn("notification does not decode", zap.Error(err))
		return
	}
	at, err := time.Parse(time.RFC3339Nano, msg.Metadata.MessageTimestamp)
	if err != nil {
		at = time.Now()
	}
	acts, err := Map(n.Subscription.Type, id, at, n.Event)
	if err != nil {
		se.log.Warn("notification event does not decode", zap.String("type", n.Subscription.Type), zap.Error(err))
	}
	for _, a := range acts {
		se.deliver(a)
	}
	if t := n.Subscription.Type; t == "stream.online" || t == "stream.offline" {
		se.s.live.set(t == "stream.online", time.Now())
	}
	if err := se.window.Mark(c, id); err != nil {
		se.log.Error("could not record a delivered notification; a redelivery may repeat it", zap.String("message_id", id), zap.Error(err))
	}
	if n.Subscription.Type == "channel.follow" {
		ctx.Send(ctx.Parent(), &supervise.Poke{Child: PartFollowers})
	}
}

// deliver tries an action three times; Deliver itself only reports
// failures that may be retried.
func (se *session) deliver(a integrations.Action) {
	var err error
	for attempt := range 3 {
		if attempt > 0 {
			time.Sleep(time.Duration(attempt) * 300 * time.Millisecond)
		}
		c, cancel := context.WithTimeout(context.Background(), se.s.iv.DeliveryTimeout)
		err = se.s.Sink.Deliver(c, se.s.Owner, a)
		cancel()
		if err == nil {
			return
		}
	}
	se.log.Error("an event did not reach the widgets", zap.String("event", a.Event), zap.String("widget_type", a.WidgetType),
		zap.String("action", a.Name), zap.Error(err))
}

func (se *session) onRevocation(ctx actor.Context, msg Message) {
	n, err := msg.NotificationOf()
	if err != nil {
		se.log.Warn("revocation does not decode", zap.Error(err))
		return
	}
	t := n.Subscription.Type
	se.subs[t] = integrations.Subscription{Type: t, Status: "revoked", Reason: n.Subscription.Status}
	se.log.Warn("Twitch revoked a subscription", zap.String("type", t), zap.String("reason", n.Subscription.Status))
	if n.Subscription.Status == "authorization_revoked" {
		// The token keeper finds out for sure (its refresh is refused).
		se.s.tokens.Rejected(se.s.tokens.Token())
		se.report(ctx, integrations.StateRevoked, "subscriptions revoked", "Twitch revoked the subscriptions: the authorization was revoked")
		return
	}
	se.report(ctx, se.lastState, "a subscription was revoked: "+t+" ("+n.Subscription.Status+")", se.lastErr)
}

// onClosed handles the end of a socket. The current socket's end is the
// session's: the subscriptions are gone, so a fresh session subscribes
// again, at once or after a backoff depending on the close code.
func (se *session) onClosed(ctx actor.Context, m sockClosed) {
	switch c := se.byGen(m.gen); {
	case c == nil:
		return
	case c == se.draining:
		se.draining = nil
		return
	case c == se.pending:
		se.pending = nil
		se.log.Warn("the reconnect socket closed before its welcome; staying on the current one", zap.Int("code", m.code))
		return
	}
	se.cur, se.sessionID = nil, ""
	se.subs = map[string]integrations.Subscription{}
	if se.pending != nil { // its session ended with this socket
		se.closeSock(se.pending, websocket.CloseNormalClosure)
		se.pending = nil
	}
	info := CloseInfo(m.code)
	fields := []zap.Field{zap.Int("code", m.code), zap.String("reason", info.Name), zap.String("meaning", info.Meaning)}
	if info.OurFault {
		se.log.Error("EventSub closed the session because of this client", fields...)
	} else {
		se.log.Warn("EventSub session ended", fields...)
	}
	se.attempts++
	wait := time.Duration(0)
	if info.Rejoin == RejoinBackoff || se.attempts > 3 {
		wait = Backoff(se.attempts)
	}
	se.report(ctx, integrations.StateConnecting, "reconnecting", fmt.Sprintf("EventSub closed the socket: %d %s", m.code, info.Name))
	se.timers.After("dial", wait, dialNow{url: se.freshURL()})
}

// watchdog replaces a socket silent past the keepalive window.
func (se *session) watchdog(ctx actor.Context) {
	c := se.cur
	if c == nil || !c.welcomed || se.keepalive <= 0 {
		return
	}
	margin := max(se.keepalive/5, time.Second)
	if silent := time.Since(c.last); silent > se.keepalive+margin {
		se.log.Warn("no EventSub message within the keepalive window; replacing the socket", zap.Duration("silent", silent))
		se.closeSock(c, websocket.CloseNormalClosure)
		se.onClosed(ctx, sockClosed{gen: c.gen, code: 0, err: "keepalive timeout"})
	}
}
