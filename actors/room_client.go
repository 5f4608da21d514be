package actors

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/cluster"

	"github.com/streamwidgets/streamwidgets/cluster/roompb"
	"github.com/streamwidgets/streamwidgets/persistence"
)

// RoomClient calls room grains wherever in the cluster they are active.
// Like Client, it is the one boundary where strings enter the cluster, so
// it copies them.
type RoomClient struct {
	cluster    *cluster.Cluster
	timeout    time.Duration
	departures *departures
}

// Rooms returns a client for the room grains of c's cluster.
func (c *Client) Rooms() *RoomClient {
	if c == nil { // a transport built without a cluster (tests): every call answers unavailable
		return &RoomClient{}
	}
	return &RoomClient{cluster: c.cluster, timeout: c.timeout, departures: c.departures}
}

// RoomUserCaller is a signed-in user.
func RoomUserCaller(userID string) *roompb.Caller {
	return &roompb.Caller{UserId: strings.Clone(userID)}
}

// RoomTokenCaller is the holder of a room's OBS token (read-only).
func RoomTokenCaller(token string) *roompb.Caller {
	return &roompb.Caller{TokenHash: persistence.TokenHash(token)}
}

// roomTokenPrefix marks a room's OBS token: "room.<room id>.<secret>". The
// id only routes the check to the room's grain; the grain compares the
// whole token's hash, in constant time, with the one it stored.
const roomTokenPrefix = "room."

// NewRoomToken returns a fresh OBS token for roomID (256 random bits).
func NewRoomToken(roomID string) (string, error) {
	secret, err := NewAccessToken()
	if err != nil {
		return "", err
	}
	return roomTokenPrefix + roomID + "." + secret, nil
}

// RoomOfToken returns the room id a room OBS token names, if it is one.
func RoomOfToken(token string) (string, bool) {
	rest, ok := strings.CutPrefix(token, roomTokenPrefix)
	if !ok {
		return "", false
	}
	id, secret, ok := strings.Cut(rest, ".")
	return id, ok && ValidID(id) && len(secret) >= 32
}

// RoomCreateInput is what a host chooses.
type RoomCreateInput struct {
	Title        string
	MediaURL     string
	Invitees     []string
	Policy       string
	PasswordHash string
}

type roomCall func(g *roompb.RoomGrainClient, caller *roompb.Caller, id string, opts []cluster.GrainCallOption) (*roompb.RoomReply, error)

// Create asks grain id to create its room, hosted by caller.
func (r *RoomClient) Create(ctx context.Context, caller *roompb.Caller, id string, in RoomCreateInput) (json.RawMessage, error) {
	invitees := make([]string, len(in.Invitees))
	for i, u := range in.Invitees {
		invitees[i] = strings.Clone(u)
	}
	return r.call(ctx, caller, id, func(g *roompb.RoomGrainClient, c *roompb.Caller, id string, opts []cluster.GrainCallOption) (*roompb.RoomReply, error) {
		return g.Create(&roompb.CreateRequest{Caller: c, RoomId: id, Title: strings.Clone(in.Title), MediaUrl: strings.Clone(in.MediaURL),
			Invitees: invitees, Policy: strings.Clone(in.Policy), PasswordHash: strings.Clone(in.PasswordHash)}, opts...)
	})
}

// Get returns the room as caller may see it.
func (r *RoomClient) Get(ctx context.Context, caller *roompb.Caller, id string) (json.RawMessage, error) {
	return r.call(ctx, caller, id, func(g *roompb.RoomGrainClient, c *roompb.Caller, id string, opts []cluster.GrainCallOption) (*roompb.RoomReply, error) {
		return g.Get(&roompb.GetRequest{Caller: c, RoomId: id}, opts...)
	})
}

// Join admits caller, with the password if the room asks for one.
func (r *RoomClient) Join(ctx context.Context, caller *roompb.Caller, id, password string) (json.RawMessage, error) {
	password = strings.Clone(password)
	return r.call(ctx, caller, id, func(g *roompb.RoomGrainClient, c *roompb.Caller, id string, opts []cluster.GrainCallOption) (*roompb.RoomReply, error) {
		return g.Join(&roompb.JoinRequest{Caller: c, RoomId: id, Password: password}, opts...)
	})
}

// Leave, Decline and End act on the caller's own entry.
func (r *RoomClient) Leave(ctx context.Context, caller *roompb.Caller, id string) (json.RawMessage, error) {
	return r.call(ctx, caller, id, func(g *roompb.RoomGrainClient, c *roompb.Caller, id string, opts []cluster.GrainCallOption) (*roompb.RoomReply, error) {
		return g.Leave(&roompb.MemberRequest{Caller: c, RoomId: id}, opts...)
	})
}

// Decline turns down the caller's own invite.
func (r *RoomClient) Decline(ctx context.Context, caller *roompb.Caller, id string) (json.RawMessage, error) {
	return r.call(ctx, caller, id, func(g *roompb.RoomGrainClient, c *roompb.Caller, id string, opts []cluster.GrainCallOption) (*roompb.RoomReply, error) {
		return g.Decline(&roompb.MemberRequest{Caller: c, RoomId: id}, opts...)
	})
}

// End ends the room (the host only).
func (r *RoomClient) End(ctx context.Context, caller *roompb.Caller, id string) (json.RawMessage, error) {
	return r.call(ctx, caller, id, func(g *roompb.RoomGrainClient, c *roompb.Caller, id string, opts []cluster.GrainCallOption) (*roompb.RoomReply, error) {
		return g.End(&roompb.MemberRequest{Caller: c, RoomId: id}, opts...)
	})
}

// Invite invites users (the host or a co-host).
func (r *RoomClient) Invite(ctx context.Context, caller *roompb.Caller, id string, users []string) (json.RawMessage, error) {
	ids := make([]string, len(users))
	for i, u := range users {
		ids[i] = strings.Clone(u)
	}
	return r.call(ctx, caller, id, func(g *roompb.RoomGrainClient, c *roompb.Caller, id string, opts []cluster.GrainCallOption) (*roompb.RoomReply, error) {
		return g.Invite(&roompb.InviteRequest{Caller: c, RoomId: id, UserIds: ids}, opts...)
	})
}

// SetRole makes user a co-host or a viewer (the host only).
func (r *RoomClient) SetRole(ctx context.Context, caller *roompb.Caller, id, user, role string) (json.RawMessage, error) {
	user, role = strings.Clone(user), strings.Clone(role)
	return r.call(ctx, caller, id, func(g *roompb.RoomGrainClient, c *roompb.Caller, id string, opts []cluster.GrainCallOption) (*roompb.RoomReply, error) {
		return g.SetRole(&roompb.SetRoleRequest{Caller: c, RoomId: id, UserId: user, Role: role}, opts...)
	})
}

// Control plays, pauses or seeks; at, when set, is the position it happens at.
func (r *RoomClient) Control(ctx context.Context, caller *roompb.Caller, id, action string, at *int64) (json.RawMessage, error) {
	req := &roompb.ControlRequest{Action: strings.Clone(action)}
	if at != nil {
		req.PositionMs, req.HasPosition = *at, true
	}
	return r.call(ctx, caller, id, func(g *roompb.RoomGrainClient, c *roompb.Caller, id string, opts []cluster.GrainCallOption) (*roompb.RoomReply, error) {
		req.Caller, req.RoomId = c, id
		return g.Control(req, opts...)
	})
}

// SetObsToken makes token the room's only OBS token (the host only).
func (r *RoomClient) SetObsToken(ctx context.Context, caller *roompb.Caller, id, token string) (json.RawMessage, error) {
	hash := persistence.TokenHash(token)
	return r.call(ctx, caller, id, func(g *roompb.RoomGrainClient, c *roompb.Caller, id string, opts []cluster.GrainCallOption) (*roompb.RoomReply, error) {
		return g.SetObsToken(&roompb.ObsTokenRequest{Caller: c, RoomId: id, TokenHash: hash}, opts...)
	})
}

// Subscribe adds subscriber (a connection actor) to the room's sockets and
// returns the room as of now and the grain's PID (nil: the room is over and
// nothing more will come).
func (r *RoomClient) Subscribe(ctx context.Context, caller *roompb.Caller, id string, subscriber *actor.PID) (json.RawMessage, *actor.PID, error) {
	var grain *actor.PID
	view, err := r.call(ctx, caller, id, func(g *roompb.RoomGrainClient, c *roompb.Caller, id string, opts []cluster.GrainCallOption) (*roompb.RoomReply, error) {
		reply, err := g.Subscribe(&roompb.SubscribeRequest{Caller: c, RoomId: id, Subscriber: subscriber}, opts...)
		if err != nil {
			return nil, err
		}
		grain = reply.GetGrain()
		return &roompb.RoomReply{ViewJson: reply.GetViewJson()}, nil
	})
	return view, grain, err
}

// Unsubscribe removes subscriber from the room's sockets.
func (r *RoomClient) Unsubscribe(ctx context.Context, id string, subscriber *actor.PID) error {
	_, err := r.call(ctx, nil, id, func(g *roompb.RoomGrainClient, _ *roompb.Caller, id string, opts []cluster.GrainCallOption) (*roompb.RoomReply, error) {
		return g.Unsubscribe(&roompb.UnsubscribeRequest{RoomId: id, Subscriber: subscriber}, opts...)
	})
	return err
}

// call makes one request to room grain id (see Client.call for the copies,
// the timeout and the retries).
func (r *RoomClient) call(ctx context.Context, caller *roompb.Caller, id string, do roomCall) (json.RawMessage, error) {
	if !ValidID(id) {
		return nil, &Error{Code: CodeNotFound, Message: "room not found"}
	}
	if r.cluster == nil {
		return nil, &Error{Code: CodeUnavailable, Message: "the room service is not running"}
	}
	id = strings.Clone(id)
	if caller != nil {
		caller = &roompb.Caller{UserId: strings.Clone(caller.GetUserId()), TokenHash: strings.Clone(caller.GetTokenHash())}
	}
	timeout := r.timeout
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < timeout {
		timeout = time.Until(dl)
	}
	if timeout <= 0 {
		return nil, &Error{Code: CodeUnavailable, Message: "request deadline passed"}
	}
	opts := []cluster.GrainCallOption{cluster.WithTimeout(timeout), cluster.WithRetryCount(retries), cluster.WithRetryAction(retryBackoff)}
	reply, err := r.unlessHostDeparts(id, func() (*roompb.RoomReply, error) {
		return do(roompb.GetRoomGrainClient(r.cluster, id), caller, id, opts)
	})
	if err != nil {
		var ge *cluster.GrainErrorResponse
		var we *Error
		switch {
		case errors.As(err, &ge):
			return nil, &Error{Code: ge.Reason, Message: ge.Message}
		case errors.As(err, &we):
			return nil, we
		default:
			return nil, &Error{Code: CodeUnavailable, Message: "the room service is unreachable; try again"}
		}
	}
	return reply.GetViewJson(), nil
}

// unlessHostDeparts answers "unavailable" as soon as the member holding the
// grain departs, instead of waiting out the timeout (see Client's).
func (r *RoomClient) unlessHostDeparts(id string, call func() (*roompb.RoomReply, error)) (*roompb.RoomReply, error) {
	pid, ok := r.cluster.PidCache.Get(id, RoomKind)
	if !ok || pid.GetAddress() == r.cluster.ActorSystem.Address() {
		return call()
	}
	gone, stop := r.departures.watch(pid.GetAddress())
	defer stop()
	type result struct {
		reply *roompb.RoomReply
		err   error
	}
	done := make(chan result, 1)
	go func() {
		reply, err := call()
		done <- result{reply, err}
	}()
	select {
	case res := <-done:
		return res.reply, res.err
	case <-gone:
		return nil, &Error{Code: CodeUnavailable, Message: "the node holding this room went away during the request; it may not have been applied: check the room and retry"}
	}
}
