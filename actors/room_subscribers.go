package actors

import (
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/cluster"
	"go.uber.org/zap"

	"github.com/streamwidgets/streamwidgets/actors/rooms"
	"github.com/streamwidgets/streamwidgets/cluster/roompb"
	"github.com/streamwidgets/streamwidgets/persistence"
)

// Subscribe adds a connection actor to the room's sockets: a joined member's
// (that member is then present) or an OBS view's. It returns the room as of
// now; the subscriber watches the grain and subscribes again if it moves.
func (g *roomGrain) Subscribe(req *roompb.SubscribeRequest, ctx cluster.GrainContext) (*roompb.SubscribeReply, error) {
	if err := g.begin(req.GetRoomId()); err != nil {
		return nil, err
	}
	defer g.forgetIfMissing()
	pid := req.GetSubscriber()
	if pid == nil || pid.GetId() == "" {
		return nil, roomError(&Error{Code: CodeInternal, Message: "subscribe without a subscriber"})
	}
	if err := g.ready(); err != nil {
		return nil, roomError(err)
	}
	c := req.GetCaller()
	user := c.GetUserId()
	switch {
	case g.obsCaller(c):
		user = ""
	case user == "":
		return nil, roomError(&rooms.Error{Code: rooms.CodeNotFound, Message: "room not found"})
	case rooms.Joined(*g.room, user):
	case g.room.Ended && rooms.Find(*g.room, user) >= 0:
		// A member may still see how an ended room finished.
	default:
		return nil, roomError(&rooms.Error{Code: rooms.CodeNotMember, Message: "join the room first"})
	}
	reply := &roompb.SubscribeReply{}
	if !rooms.Closed(*g.room, g.now()) {
		key := pidKey(pid)
		if _, ok := g.subs[key]; !ok {
			if len(g.subs) >= g.deps.MaxSubscribers {
				return nil, roomError(&Error{Code: CodeTooManySubscribers, Message: "this room has too many open sockets"})
			}
			ctx.Watch(pid)
			g.addSub(pid, user)
		}
		reply.Grain = ctx.Self() // nil for a closed room: nothing more will come
	}
	data, err := marshal(rooms.Full(*g.room, g.isOnline, g.seq))
	if err != nil {
		return nil, grainError(err)
	}
	reply.ViewJson = data
	return reply, nil
}

func (g *roomGrain) Unsubscribe(req *roompb.UnsubscribeRequest, ctx cluster.GrainContext) (*roompb.RoomReply, error) {
	if err := g.begin(req.GetRoomId()); err != nil {
		return nil, err
	}
	defer g.forgetIfMissing()
	if pid := req.GetSubscriber(); pid != nil {
		if _, ok := g.subs[pidKey(pid)]; ok {
			g.dropSub(pidKey(pid), true)
			ctx.Unwatch(pid)
		}
	}
	return &roompb.RoomReply{}, nil
}

func (g *roomGrain) addSub(pid *actor.PID, user string) {
	g.subs[pidKey(pid)] = roomSub{pid: pid, userID: user}
	g.members[pid.GetAddress()]++
	if user == "" {
		return // an OBS view is not a member: no presence, no occupancy
	}
	g.online[user]++
	if g.online[user] == 1 {
		g.send(&roompb.RoomEvent{Kind: roompb.RoomEvent_PRESENCE, UserId: user, Online: true}, nil)
	}
	g.setOccupied(true)
}

// dropSub forgets a subscriber; with presence, a member whose last socket
// went is announced offline, and a room left empty gets its deadline.
func (g *roomGrain) dropSub(key string, presence bool) {
	s, ok := g.subs[key]
	if !ok {
		return
	}
	delete(g.subs, key)
	addr := s.pid.GetAddress()
	if g.members[addr]--; g.members[addr] <= 0 {
		delete(g.members, addr)
	}
	if s.userID == "" {
		return
	}
	if g.online[s.userID]--; g.online[s.userID] > 0 {
		return
	}
	delete(g.online, s.userID)
	if presence {
		g.send(&roompb.RoomEvent{Kind: roompb.RoomEvent_PRESENCE, UserId: s.userID, Online: false}, nil)
	}
	if len(g.online) == 0 {
		g.setOccupied(false)
	}
}

// setOccupied persists whether anyone is in the room (its empty deadline)
// when that changes, and keeps a timer for the deadline while active.
func (g *roomGrain) setOccupied(occupied bool) {
	if g.room == nil || g.room.Ended || occupied == g.room.EmptyDeadline.IsZero() {
		return
	}
	saved, err := g.mutate(func(r persistence.Room, now time.Time) (persistence.Room, error) {
		return rooms.Occupied(r, occupied, now, g.deps.EmptyAfter), nil
	})
	if err != nil {
		g.log.Warn("could not record the room's presence; the empty deadline is stale", zap.Error(err))
		return
	}
	if g.emptyTimer != nil {
		g.emptyTimer()
		g.emptyTimer = nil
	}
	if !saved.EmptyDeadline.IsZero() && !saved.Ended {
		g.emptyTimer = g.timers.SendOnce(max(time.Until(saved.EmptyDeadline), 0)+10*time.Millisecond, g.ctx.Self(), roomEmptyCheck{})
	}
}

// publishChanges tells subscribers what a saved write changed: who left (so
// their sockets stop), the end, or the new state.
func (g *roomGrain) publishChanges(old, saved persistence.Room) {
	if len(g.subs) == 0 || old.ID == "" {
		return
	}
	for _, m := range old.Members {
		if m.Status != rooms.StatusJoined || rooms.Joined(saved, m.UserID) {
			continue
		}
		g.send(&roompb.RoomEvent{Kind: roompb.RoomEvent_REMOVED, UserId: m.UserID}, func(s roomSub) bool { return s.userID == m.UserID })
		for k, s := range g.subs {
			if s.userID == m.UserID {
				g.dropSub(k, false)
				g.ctx.Unwatch(s.pid)
			}
		}
	}
	if saved.Ended && !old.Ended {
		g.send(g.stateEvent(roompb.RoomEvent_ENDED), nil)
		for k, s := range g.subs {
			g.dropSub(k, false)
			g.ctx.Unwatch(s.pid)
		}
		return
	}
	g.send(g.stateEvent(roompb.RoomEvent_STATE), nil)
}

func (g *roomGrain) stateEvent(kind roompb.RoomEvent_Kind) *roompb.RoomEvent {
	ev := &roompb.RoomEvent{Kind: kind, Version: g.room.Version, Seq: g.nextSeq()}
	data, err := marshal(rooms.Full(*g.room, g.isOnline, ev.Seq))
	if err != nil {
		g.log.Error("encode room view", zap.Error(err))
	}
	ev.ViewJson = data
	return ev
}

// revokeOBS closes the OBS views of a replaced token.
func (g *roomGrain) revokeOBS() {
	isOBS := func(s roomSub) bool { return s.userID == "" }
	g.send(&roompb.RoomEvent{Kind: roompb.RoomEvent_REVOKED}, isOBS)
	for k, s := range g.subs {
		if isOBS(s) {
			g.dropSub(k, false)
			g.ctx.Unwatch(s.pid)
		}
	}
}

// send pushes ev to the relay of every member with subscribers (all, or
// those filter accepts): one message per member, fire-and-forget.
func (g *roomGrain) send(ev *roompb.RoomEvent, filter func(roomSub) bool) {
	ev.RoomId = g.id
	if ev.Seq == 0 {
		ev.Seq = g.nextSeq()
	}
	if g.room != nil && ev.Version == 0 {
		ev.Version = g.room.Version
	}
	sendToRelays(g.ctx, ev, g.members, g.subs, func(s roomSub) *actor.PID { return s.pid }, filter)
}
