package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/streamwidgets/streamwidgets/actors"
	"github.com/streamwidgets/streamwidgets/actors/rooms"
	"github.com/streamwidgets/streamwidgets/cluster/roompb"
	"github.com/streamwidgets/streamwidgets/persistence"
)

// Watch-party rooms (seed 004): REST for everything that is not real time.
// Every route is signed in and scoped by the grain to the caller's own
// member entry; the password travels only in request bodies, is hashed
// (Argon2id) before it reaches the cluster on create and checked inside the
// room's grain on join.
const (
	roomsPath   = "/watch-party/rooms"
	invitesPath = "/watch-party/invites"
)

// Room limits per signed-in user, on this node (the grain also caps
// password attempts per room for the whole cluster).
var (
	roomJoinsPerUser   = Rate{PerSecond: 10.0 / 60, Burst: 10} // join attempts
	roomCreatesPerUser = Rate{PerSecond: 10.0 / 60, Burst: 10}
)

type roomHandlers struct {
	h       *handlers
	joins   *keyedLimiter
	creates *keyedLimiter
	refused *prometheus.CounterVec
}

func (h *handlers) registerRooms(app *fiber.App) {
	rh := &roomHandlers{
		h:       h,
		joins:   newKeyedLimiter(roomJoinsPerUser.PerSecond, roomJoinsPerUser.Burst, h.cfg.RateLimitKeys, time.Now),
		creates: newKeyedLimiter(roomCreatesPerUser.PerSecond, roomCreatesPerUser.Burst, h.cfg.RateLimitKeys, time.Now),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "streamwidgets_room_joins_refused_total",
			Help: "Room joins refused, by reason (wrong_password, password_required, rate_limited).",
		}, []string{"reason"}),
	}
	if err := h.d.Metrics.Register(rh.refused); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			rh.refused = are.ExistingCollector.(*prometheus.CounterVec)
		}
	}
	perUser := h.limits.byUser
	r := app.Group("/watch-party", h.authenticate)
	r.Get("/rooms", perUser, rh.list)
	r.Post("/rooms", perUser, rh.create)
	r.Get("/rooms/:id", perUser, rh.get)
	r.Post("/rooms/:id/join", perUser, rh.join)
	r.Post("/rooms/:id/leave", perUser, rh.leave)
	r.Post("/rooms/:id/end", perUser, rh.end)
	r.Post("/rooms/:id/invite", perUser, rh.invite)
	r.Put("/rooms/:id/members/:userId", perUser, rh.setRole)
	r.Post("/rooms/:id/obs_token", perUser, rh.obsToken)
	r.Get("/invites", perUser, rh.invites)
	r.Post("/invites/:id/decline", perUser, rh.decline)
}

func (rh *roomHandlers) client() *actors.RoomClient { return rh.h.d.Widgets.Rooms() }

func (rh *roomHandlers) caller(c *fiber.Ctx) (context.Context, context.CancelFunc) {
	return rh.h.ctx(c)
}

// viewEnvelope answers {"data": view} with the grain's view as it is.
func viewEnvelope(c *fiber.Ctx, status int, view json.RawMessage) error {
	c.Status(status)
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Send(append(append([]byte(`{"data":`), view...), '}'))
}

type createRoomBody struct {
	Title    *string  `json:"title"`
	MediaURL *string  `json:"media_url"`
	Invitees []string `json:"invitees"`
	Password *string  `json:"password"`
	Policy   *string  `json:"policy"`
}

func (rh *roomHandlers) create(c *fiber.Ctx) error {
	var b createRoomBody
	if err := parseRoomBody(c.Body(), &b, false); err != nil {
		return badBody(c, err)
	}
	user := userID(c)
	if d := rh.creates.take(user); !d.ok {
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(retryAfterSeconds(d.retryAfter)))
		return writeError(c, fiber.StatusTooManyRequests, CodeRateLimited, "too many rooms created; wait and try again")
	}
	if b.Title == nil || b.MediaURL == nil {
		return writeError(c, fiber.StatusBadRequest, CodeInvalidField, "title and media_url are required")
	}
	if len(b.Invitees) >= persistence.MaxRoomMembers {
		return writeError(c, fiber.StatusBadRequest, CodeInvalidField, "at most "+strconv.Itoa(persistence.MaxRoomMembers-1)+" invitees")
	}
	in := actors.RoomCreateInput{Title: *b.Title, MediaURL: *b.MediaURL, Invitees: b.Invitees}
	if b.Policy != nil {
		in.Policy = *b.Policy
	}
	if b.Password != nil && *b.Password != "" {
		hash, err := rooms.HashPassword(*b.Password)
		if err != nil {
			return roomError(c, err)
		}
		in.PasswordHash = hash
	}
	ctx, cancel := rh.caller(c)
	defer cancel()
	id := uuid.NewString()
	view, err := rh.client().Create(ctx, actors.RoomUserCaller(user), id, in)
	if err != nil {
		return roomError(c, err)
	}
	c.Location(roomsPath + "/" + id)
	return viewEnvelope(c, fiber.StatusCreated, view)
}

func (rh *roomHandlers) get(c *fiber.Ctx) error {
	ctx, cancel := rh.caller(c)
	defer cancel()
	view, err := rh.client().Get(ctx, actors.RoomUserCaller(userID(c)), c.Params("id"))
	if err != nil {
		return roomError(c, err)
	}
	return viewEnvelope(c, fiber.StatusOK, view)
}

type joinBody struct {
	Password *string `json:"password"`
}

// join admits the caller: an invitee (or a former member) as is, anyone else
// with the password. Attempts are limited per user here and per room in
// the grain; refusals are counted by reason.
func (rh *roomHandlers) join(c *fiber.Ctx) error {
	var b joinBody
	if err := parseRoomBody(c.Body(), &b, true); err != nil {
		return badBody(c, err)
	}
	user := userID(c)
	if d := rh.joins.take(user); !d.ok {
		rh.refused.WithLabelValues("rate_limited").Inc()
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(retryAfterSeconds(d.retryAfter)))
		return writeError(c, fiber.StatusTooManyRequests, CodeRateLimited, "too many join attempts; wait and try again")
	}
	password := ""
	if b.Password != nil {
		password = *b.Password
	}
	ctx, cancel := rh.caller(c)
	defer cancel()
	view, err := rh.client().Join(ctx, actors.RoomUserCaller(user), c.Params("id"), password)
	if err != nil {
		var we *actors.Error
		if errors.As(err, &we) {
			switch we.Code {
			case rooms.CodeWrongPassword, rooms.CodePasswordNeeded, actors.CodeRateLimited:
				rh.refused.WithLabelValues(we.Code).Inc()
				rh.h.d.Logger.Info("room join refused", zap.String("request_id", requestID(c)), zap.String("user_id", user),
					zap.String("room_id", c.Params("id")), zap.String("reason", we.Code))
			}
		}
		return roomError(c, err)
	}
	return viewEnvelope(c, fiber.StatusOK, view)
}

func (rh *roomHandlers) leave(c *fiber.Ctx) error {
	return rh.memberOp(c, rh.client().Leave)
}

func (rh *roomHandlers) end(c *fiber.Ctx) error {
	return rh.memberOp(c, rh.client().End)
}

func (rh *roomHandlers) decline(c *fiber.Ctx) error {
	return rh.memberOp(c, rh.client().Decline)
}

func (rh *roomHandlers) memberOp(c *fiber.Ctx, op func(context.Context, *roompb.Caller, string) (json.RawMessage, error)) error {
	if err := parseRoomBody(c.Body(), &struct{}{}, true); err != nil {
		return badBody(c, err)
	}
	ctx, cancel := rh.caller(c)
	defer cancel()
	view, err := op(ctx, actors.RoomUserCaller(userID(c)), c.Params("id"))
	if err != nil {
		return roomError(c, err)
	}
	return viewEnvelope(c, fiber.StatusOK, view)
}

type inviteBody struct {
	UserIDs []string `json:"user_ids"`
}

func (rh *roomHandlers) invite(c *fiber.Ctx) error {
	var b inviteBody
	if err := parseRoomBody(c.Body(), &b, false); err != nil {
		return badBody(c, err)
	}
	if len(b.UserIDs) == 0 || len(b.UserIDs) >= persistence.MaxRoomMembers {
		return writeError(c, fiber.StatusBadRequest, CodeInvalidField, "user_ids must list 1-"+strconv.Itoa(persistence.MaxRoomMembers-1)+" users")
	}
	ctx, cancel := rh.caller(c)
	defer cancel()
	view, err := rh.client().Invite(ctx, actors.RoomUserCaller(userID(c)), c.Params("id"), b.UserIDs)
	if err != nil {
		return roomError(c, err)
	}
	return viewEnvelope(c, fiber.StatusOK, view)
}

type roleBody struct {
	Role *string `json:"role"`
}

func (rh *roomHandlers) setRole(c *fiber.Ctx) error {
	var b roleBody
	if err := parseRoomBody(c.Body(), &b, false); err != nil {
		return badBody(c, err)
	}
	if b.Role == nil {
		return writeError(c, fiber.StatusBadRequest, CodeInvalidField, `role is required ("co_host" or "viewer")`)
	}
	ctx, cancel := rh.caller(c)
	defer cancel()
	view, err := rh.client().SetRole(ctx, actors.RoomUserCaller(userID(c)), c.Params("id"), c.Params("userId"), *b.Role)
	if err != nil {
		return roomError(c, err)
	}
	return viewEnvelope(c, fiber.StatusOK, view)
}

// obsToken makes a new read-only OBS link for the room (the host only);
// the previous one stops working at once. The token is shown this once.
func (rh *roomHandlers) obsToken(c *fiber.Ctx) error {
	id := c.Params("id")
	if !actors.ValidID(id) {
		return writeError(c, fiber.StatusNotFound, CodeNotFound, "room not found")
	}
	token, err := actors.NewRoomToken(id)
	if err != nil {
		return err
	}
	ctx, cancel := rh.caller(c)
	defer cancel()
	if _, err := rh.client().SetObsToken(ctx, actors.RoomUserCaller(userID(c)), id, token); err != nil {
		return roomError(c, err)
	}
	return c.JSON(envelope{Data: fiber.Map{"token": token, "obs_url": "/watch/" + id + "/obs#token=" + token}})
}

// roomListItem is one of a user's rooms, from the store's member index.
type roomListItem struct {
	persistence.RoomMembership
	// Closed: ended, or empty past its deadline (it ends at its next use).
	Closed bool `json:"closed"`
}

func (rh *roomHandlers) memberships(c *fiber.Ctx, keep func(persistence.RoomMembership, time.Time) bool) error {
	store, ok := rh.h.d.Store.(persistence.RoomStore)
	if !ok {
		return writeError(c, fiber.StatusServiceUnavailable, "store_unavailable", "this node's store does not keep rooms")
	}
	ctx, cancel := rh.caller(c)
	defer cancel()
	list, err := store.ListRoomMemberships(ctx, userID(c), persistence.MaxPageSize)
	if err != nil {
		rh.h.d.Logger.Error("list rooms", zap.String("request_id", requestID(c)), zap.Error(err))
		return writeError(c, fiber.StatusServiceUnavailable, "store_unavailable", "room storage is unavailable; try again")
	}
	now := rh.h.d.Clock()
	out := make([]roomListItem, 0, len(list))
	for _, m := range list {
		if keep(m, now) {
			out = append(out, roomListItem{RoomMembership: m, Closed: m.Closed(now)})
		}
	}
	return c.JSON(envelope{Data: out})
}

// list is every room of the caller (any status), newest first, at most 100.
func (rh *roomHandlers) list(c *fiber.Ctx) error {
	return rh.memberships(c, func(persistence.RoomMembership, time.Time) bool { return true })
}

// invites is the caller's inbox: pending invites to rooms still open.
func (rh *roomHandlers) invites(c *fiber.Ctx) error {
	return rh.memberships(c, func(m persistence.RoomMembership, now time.Time) bool {
		return m.Status == rooms.StatusInvited && !m.Closed(now)
	})
}

// roomError maps a room error to its HTTP status, keeping the code.
func roomError(c *fiber.Ctx, err error) error {
	var re *rooms.Error
	var we *actors.Error
	code, msg := "", ""
	switch {
	case errors.As(err, &re):
		code, msg = re.Code, re.Message
	case errors.As(err, &we):
		code, msg = we.Code, we.Message
	default:
		return err
	}
	status := fiber.StatusInternalServerError
	switch code {
	case rooms.CodeNotFound:
		status = fiber.StatusNotFound
	case rooms.CodeForbidden, rooms.CodeNotMember, rooms.CodeWrongPassword, rooms.CodePasswordNeeded:
		status = fiber.StatusForbidden
	case rooms.CodeInvalidField:
		status = fiber.StatusBadRequest
	case rooms.CodeRoomEnded, rooms.CodeRoomFull, actors.CodeConflict:
		status = fiber.StatusConflict
	case actors.CodeRateLimited:
		status = fiber.StatusTooManyRequests
		c.Set(fiber.HeaderRetryAfter, "5")
	case actors.CodeStoreUnavailable, actors.CodeUnavailable:
		status = fiber.StatusServiceUnavailable
	case actors.CodeTooLarge:
		status = fiber.StatusRequestEntityTooLarge
	}
	return writeError(c, status, code, msg)
}

// parseRoomBody decodes a JSON object with known fields only into v; an
// empty body is allowed where optional.
func parseRoomBody(raw []byte, v any, optional bool) error {
	raw = []byte(strings.TrimSpace(string(raw)))
	if len(raw) == 0 && optional {
		return nil
	}
	if len(raw) == 0 || !json.Valid(raw) || !utf8.Valid(raw) {
		return &bodyError{CodeMalformedJSON, "the body is not valid JSON"}
	}
	if raw[0] != '{' {
		return &bodyError{CodeInvalidField, "the body must be one JSON object"}
	}
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		msg := err.Error()
		if name, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
			return &bodyError{CodeUnknownField, "unknown field " + name}
		}
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return &bodyError{CodeInvalidField, te.Field + " has the wrong type"}
		}
		return &bodyError{CodeMalformedJSON, "the body is not valid JSON"}
	}
	return nil
}
