package actors

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/cluster"
	"go.uber.org/zap"

	"github.com/streamwidgets/streamwidgets/actors/rooms"
	"github.com/streamwidgets/streamwidgets/cluster/roompb"
	"github.com/streamwidgets/streamwidgets/persistence"
)

// The room grain's calls. Each one: begin (identity check), then the room
// transition (actors/rooms), persisted by mutate before the reply.

func (g *roomGrain) Create(req *roompb.CreateRequest, _ cluster.GrainContext) (*roompb.RoomReply, error) {
	if err := g.begin(req.GetRoomId()); err != nil {
		return nil, err
	}
	defer g.forgetIfMissing()
	host := req.GetCaller().GetUserId()
	if host == "" {
		return nil, roomError(&Error{Code: CodeForbidden, Message: "only a signed-in user can create rooms"})
	}
	if err := g.ensureLoaded(); err != nil {
		return nil, roomError(err)
	}
	if g.room != nil {
		return nil, roomError(&Error{Code: CodeConflict, Message: "a room with this id already exists"})
	}
	room, err := rooms.New(g.id, host, rooms.CreateInput{Title: req.GetTitle(), MediaURL: req.GetMediaUrl(),
		Invitees: req.GetInvitees(), Policy: req.GetPolicy(), PasswordHash: req.GetPasswordHash()}, g.now(), g.deps.EmptyAfter)
	if err != nil {
		return nil, roomError(err)
	}
	if _, err := g.save(room, 0); err != nil {
		return nil, roomError(err)
	}
	g.log.Info("room created", zap.String("user_id", host), zap.Int("invitees", len(room.Members)-1),
		zap.Bool("password", room.PasswordHash != ""), zap.String("policy", room.Policy))
	return g.view(req.GetCaller())
}

func (g *roomGrain) Get(req *roompb.GetRequest, _ cluster.GrainContext) (*roompb.RoomReply, error) {
	if err := g.begin(req.GetRoomId()); err != nil {
		return nil, err
	}
	defer g.forgetIfMissing()
	if err := g.ready(); err != nil {
		return nil, roomError(err)
	}
	if c := req.GetCaller(); c.GetUserId() == "" && !g.obsCaller(c) {
		return nil, roomError(&rooms.Error{Code: rooms.CodeNotFound, Message: "room not found"})
	}
	return g.view(req.GetCaller())
}

// Join admits the caller. A password check (Argon2id, ~30 ms) runs off the
// mailbox: the grain keeps serving play, pause and seek meanwhile, and picks
// the join up again when the check is done (ReenterAfter).
func (g *roomGrain) Join(req *roompb.JoinRequest, respond func(*roompb.RoomReply), onError func(error), ctx cluster.GrainContext) error {
	if err := g.begin(req.GetRoomId()); err != nil {
		return err
	}
	defer g.forgetIfMissing()
	user := req.GetCaller().GetUserId()
	if user == "" {
		return roomError(&Error{Code: CodeForbidden, Message: "sign in to join a room"})
	}
	if err := g.ready(); err != nil {
		return roomError(err)
	}
	if rooms.Closed(*g.room, g.now()) {
		return roomError(&rooms.Error{Code: rooms.CodeRoomEnded, Message: "this room has ended"})
	}
	if !rooms.NeedsPassword(*g.room, user) {
		reply, err := g.admit(req.GetCaller())
		if err != nil {
			return err
		}
		respond(reply)
		return nil
	}
	// Every attempt on a room with a password counts, from any account.
	if !g.joins.Allow() {
		g.log.Warn("room join attempts over the limit", zap.String("user_id", user))
		return roomError(&Error{Code: CodeRateLimited, Message: "too many join attempts on this room; wait a minute"})
	}
	password := req.GetPassword()
	if password == "" {
		return roomError(&rooms.Error{Code: rooms.CodePasswordNeeded, Message: "this room needs a password"})
	}
	hash, system := g.room.PasswordHash, ctx.ActorSystem()
	f := actor.NewFuture(system, 30*time.Second)
	go func() { system.Root.Send(f.PID(), passwordChecked{ok: rooms.VerifyPassword(password, hash)}) }()
	ctx.ReenterAfter(f, func(res any, err error) {
		g.lastUsed = time.Now()
		if r, _ := res.(passwordChecked); err != nil || !r.ok {
			g.failedJoins++
			g.log.Info("room join refused: wrong password", zap.String("user_id", user), zap.Int("failed_attempts", g.failedJoins))
			onError(roomError(&rooms.Error{Code: rooms.CodeWrongPassword, Message: "wrong password"}))
			return
		}
		reply, err := g.admit(req.GetCaller())
		if err != nil {
			onError(err)
			return
		}
		respond(reply)
	})
	return nil
}

func (g *roomGrain) admit(c *roompb.Caller) (*roompb.RoomReply, error) {
	user := c.GetUserId()
	if _, err := g.mutate(func(r persistence.Room, now time.Time) (persistence.Room, error) { return rooms.Join(r, user, now) }); err != nil {
		return nil, roomError(err)
	}
	return g.view(c)
}

func (g *roomGrain) Leave(req *roompb.MemberRequest, _ cluster.GrainContext) (*roompb.RoomReply, error) {
	return g.memberOp(req, "leave", rooms.Leave)
}

func (g *roomGrain) Decline(req *roompb.MemberRequest, _ cluster.GrainContext) (*roompb.RoomReply, error) {
	return g.memberOp(req, "decline", rooms.Decline)
}

func (g *roomGrain) End(req *roompb.MemberRequest, _ cluster.GrainContext) (*roompb.RoomReply, error) {
	return g.memberOp(req, "end", rooms.End)
}

func (g *roomGrain) memberOp(req *roompb.MemberRequest, what string, op func(persistence.Room, string, time.Time) (persistence.Room, error)) (*roompb.RoomReply, error) {
	if err := g.begin(req.GetRoomId()); err != nil {
		return nil, err
	}
	defer g.forgetIfMissing()
	user := req.GetCaller().GetUserId()
	if user == "" {
		return nil, roomError(&Error{Code: CodeForbidden, Message: "sign in first"})
	}
	if _, err := g.mutate(func(r persistence.Room, now time.Time) (persistence.Room, error) { return op(r, user, now) }); err != nil {
		return nil, roomError(err)
	}
	g.log.Info("room "+what, zap.String("user_id", user))
	return g.view(req.GetCaller())
}

func (g *roomGrain) Invite(req *roompb.InviteRequest, _ cluster.GrainContext) (*roompb.RoomReply, error) {
	if err := g.begin(req.GetRoomId()); err != nil {
		return nil, err
	}
	defer g.forgetIfMissing()
	by := req.GetCaller().GetUserId()
	if _, err := g.mutate(func(r persistence.Room, now time.Time) (persistence.Room, error) {
		return rooms.Invite(r, by, req.GetUserIds(), now)
	}); err != nil {
		return nil, roomError(err)
	}
	return g.view(req.GetCaller())
}

func (g *roomGrain) SetRole(req *roompb.SetRoleRequest, _ cluster.GrainContext) (*roompb.RoomReply, error) {
	if err := g.begin(req.GetRoomId()); err != nil {
		return nil, err
	}
	defer g.forgetIfMissing()
	by := req.GetCaller().GetUserId()
	if _, err := g.mutate(func(r persistence.Room, now time.Time) (persistence.Room, error) {
		return rooms.SetRole(r, by, req.GetUserId(), req.GetRole(), now)
	}); err != nil {
		return nil, roomError(err)
	}
	return g.view(req.GetCaller())
}

// Control plays, pauses or seeks for a member the policy allows. The new
// playback is persisted before the reply and the broadcast.
func (g *roomGrain) Control(req *roompb.ControlRequest, _ cluster.GrainContext) (*roompb.RoomReply, error) {
	if err := g.begin(req.GetRoomId()); err != nil {
		return nil, err
	}
	defer g.forgetIfMissing()
	by := req.GetCaller().GetUserId()
	if by == "" {
		return nil, roomError(&Error{Code: CodeForbidden, Message: "an OBS view of a room is read-only"})
	}
	if !g.controls.Allow() {
		return nil, roomError(&Error{Code: CodeRateLimited, Message: "too many playback changes in this room; slow down"})
	}
	var at *int64
	if req.GetHasPosition() {
		p := req.GetPositionMs()
		at = &p
	}
	if _, err := g.mutate(func(r persistence.Room, now time.Time) (persistence.Room, error) {
		return rooms.Control(r, by, req.GetAction(), at, now)
	}); err != nil {
		return nil, roomError(err)
	}
	return g.view(req.GetCaller())
}

// SetObsToken replaces the room's read-only OBS token (the host only); OBS
// views that used the old one are closed.
func (g *roomGrain) SetObsToken(req *roompb.ObsTokenRequest, _ cluster.GrainContext) (*roompb.RoomReply, error) {
	if err := g.begin(req.GetRoomId()); err != nil {
		return nil, err
	}
	defer g.forgetIfMissing()
	by, hash := req.GetCaller().GetUserId(), req.GetTokenHash()
	if len(hash) != 64 {
		return nil, roomError(&Error{Code: CodeInternal, Message: "bad token hash"})
	}
	if _, err := g.mutate(func(r persistence.Room, now time.Time) (persistence.Room, error) {
		if i := rooms.Find(r, by); i < 0 || r.Members[i].Role != rooms.RoleHost {
			return r, &rooms.Error{Code: rooms.CodeForbidden, Message: "only the host makes OBS links"}
		}
		if rooms.Closed(r, now) {
			return r, &rooms.Error{Code: rooms.CodeRoomEnded, Message: "this room has ended"}
		}
		r.OBSTokenHash = hash
		return r, nil
	}); err != nil {
		return nil, roomError(err)
	}
	g.revokeOBS()
	return g.view(req.GetCaller())
}

// roomError turns an error inside the room grain into the wire response.
func roomError(err error) error {
	var ge *cluster.GrainErrorResponse
	if errors.As(err, &ge) {
		return ge
	}
	code, msg := roomErrorCode(err)
	return cluster.NewGrainErrorResponse(code, msg)
}

func roomErrorCode(err error) (string, string) {
	var re *rooms.Error
	var we *Error
	switch {
	case errors.As(err, &re):
		return re.Code, re.Message
	case errors.As(err, &we):
		return we.Code, we.Message
	default:
		return CodeInternal, "internal error"
	}
}

func marshal(v any) ([]byte, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("room view: %w", err)
	}
	return data, nil
}
