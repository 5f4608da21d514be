package httpapi

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/limiter"
	"github.com/google/uuid"
	"go.uber.org/zap"

	"github.com/streamwidgets/streamwidgets/actors"
	"github.com/streamwidgets/streamwidgets/persistence"
)

type handlers struct {
	d       Deps
	cfg     Config
	cursors cursorSigner
	limits  *rateLimits
}

const recordsPath = "/records/stream_widgets"

func (h *handlers) register(app *fiber.App, cfg Config) {
	r := app.Group(recordsPath, h.authenticate)
	var createLimit fiber.Handler = limiter.New(limiter.Config{
		Max: cfg.CreatesPerMinute, Expiration: time.Minute, KeyGenerator: createLimitKey,
		LimitReached: func(c *fiber.Ctx) error {
			// limiter has already set Retry-After.
			return writeError(c, fiber.StatusTooManyRequests, CodeRateLimited, "too many widgets created; wait and try again")
		},
	})
	if h.d.CreateLimit != nil {
		createLimit = h.clusterCreateLimit
	}
	// The per-user limit sits on each route (not the group), so a refusal is
	// counted under its route in streamwidgets_http_requests_total.
	perUser := h.limits.byUser
	r.Get("/", perUser, h.list)
	r.Post("/", perUser, createLimit, h.create)
	// Static routes before "/:id", which would otherwise swallow them.
	r.Get("/many", perUser, h.many)
	r.Get("/type/:type", perUser, h.listByType)
	r.Get("/:id", perUser, h.get)
	r.Put("/:id", perUser, h.update)
	r.Delete("/:id", perUser, h.remove)
	r.Post("/:id/regenerate_token", perUser, h.regenerateToken)
	r.Post("/:id/actions/:action", perUser, h.act)
	r.Post("/:id/control_token", perUser, h.issueControlToken)
	r.Delete("/:id/control_token", perUser, h.revokeControlToken)
}

func (h *handlers) ctx(c *fiber.Ctx) (context.Context, context.CancelFunc) {
	return context.WithTimeout(c.UserContext(), h.cfg.RequestTimeout)
}

type envelope struct {
	Data any `json:"data"`
}

func (h *handlers) create(c *fiber.Ctx) error {
	b, err := parseWidgetBody(c.Body())
	if err != nil {
		return badBody(c, err)
	}
	for k := range b.readOnly {
		return writeError(c, fiber.StatusBadRequest, CodeReadOnlyField, k+" is set by the server and cannot be sent on create")
	}
	if b.Type == nil || *b.Type == "" {
		return writeError(c, fiber.StatusUnprocessableEntity, "unknown_type", "type is required (one of the kinds listed at /kinds)")
	}
	in := actors.CreateInput{Type: *b.Type, Config: b.Config, Active: true}
	if b.Title != nil {
		in.Title = *b.Title
	}
	if b.Active != nil {
		in.Active = *b.Active
	}
	ctx, cancel := h.ctx(c)
	defer cancel()
	rec, err := h.d.Widgets.Create(ctx, actors.UserCaller(userID(c)), uuid.NewString(), in)
	if err != nil {
		return widgetError(c, err)
	}
	c.Location(recordsPath + "/" + rec.ID)
	return c.Status(fiber.StatusCreated).JSON(envelope{Data: rec})
}

func (h *handlers) get(c *fiber.Ctx) error {
	ctx, cancel := h.ctx(c)
	defer cancel()
	rec, err := h.d.Widgets.Get(ctx, actors.UserCaller(userID(c)), c.Params("id"))
	if err != nil {
		return widgetError(c, err)
	}
	return c.JSON(envelope{Data: rec})
}

func (h *handlers) update(c *fiber.Ctx) error {
	id := c.Params("id")
	b, err := parseWidgetBody(c.Body())
	if err != nil {
		return badBody(c, err)
	}
	user := userID(c)
	// Identity fields may be echoed back unchanged, never changed.
	if v, ok := b.readOnly["id"]; ok && !sameJSON(v, id) {
		return writeError(c, fiber.StatusBadRequest, CodeReadOnlyField, "id cannot be changed")
	}
	if v, ok := b.readOnly["user_id"]; ok && !sameJSON(v, user) {
		return writeError(c, fiber.StatusBadRequest, CodeReadOnlyField, "user_id is set by the server from your sign-in")
	}
	ctx, cancel := h.ctx(c)
	defer cancel()
	caller := actors.UserCaller(user)
	if b.Type != nil {
		cur, err := h.d.Widgets.Get(ctx, caller, id)
		if err != nil {
			return widgetError(c, err)
		}
		if *b.Type != cur.Type {
			return writeError(c, fiber.StatusBadRequest, CodeReadOnlyField, "type cannot be changed; create a new widget instead")
		}
	}
	in := actors.UpdateInput{Title: b.Title, Config: b.Config, Active: b.Active}
	if b.Version != nil {
		if *b.Version < 1 {
			return writeError(c, fiber.StatusBadRequest, CodeInvalidField, "version must be a positive integer")
		}
		in.ExpectedVersion = *b.Version
	}
	rec, err := h.d.Widgets.Update(ctx, caller, id, in)
	if err != nil {
		return widgetError(c, err)
	}
	return c.JSON(envelope{Data: rec})
}

func (h *handlers) remove(c *fiber.Ctx) error {
	ctx, cancel := h.ctx(c)
	defer cancel()
	rec, err := h.d.Widgets.Delete(ctx, actors.UserCaller(userID(c)), c.Params("id"))
	if err != nil {
		return widgetError(c, err)
	}
	return c.JSON(envelope{Data: rec})
}

func (h *handlers) regenerateToken(c *fiber.Ctx) error {
	ctx, cancel := h.ctx(c)
	defer cancel()
	rec, err := h.d.Widgets.RegenerateToken(ctx, actors.UserCaller(userID(c)), c.Params("id"))
	if err != nil {
		return widgetError(c, err)
	}
	return c.JSON(envelope{Data: rec})
}

func badBody(c *fiber.Ctx, err error) error {
	var be *bodyError
	if errors.As(err, &be) {
		return writeError(c, fiber.StatusBadRequest, be.code, be.msg)
	}
	return err
}

// view settles time-driven transitions for records read from the store, so a
// list shows a finished countdown as finished even while its grain sleeps.
// An inactive widget waits for no timer (as in its grain), so it is shown
// as stored. It also never shows the control token's hash, only whether one is set.
func (h *handlers) view(rec persistence.Record) persistence.Record {
	if def, ok := h.d.Kinds.Lookup(rec.Type); ok && rec.Active {
		if state, _, changed, err := def.Settle(rec.Config, rec.State, h.d.Clock()); err == nil && changed {
			rec.State = state
		}
	}
	rec.HasControlToken, rec.ControlTokenHash = rec.ControlTokenHash != "", ""
	return rec
}

// clusterCreateLimit applies the create budget kept by the user's grain, so
// it holds across every node behind the load balancer. If the grain cannot
// be reached the create goes ahead: a limit must not take creating down.
func (h *handlers) clusterCreateLimit(c *fiber.Ctx) error {
	ctx, cancel := h.ctx(c)
	defer cancel()
	ok, wait, err := h.d.CreateLimit(ctx, userID(c), h.cfg.CreatesPerMinute)
	if err != nil {
		h.d.Logger.Warn("create limit unavailable; allowing", zap.String("request_id", requestID(c)), zap.Error(err))
		return c.Next()
	}
	if !ok {
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(retryAfterSeconds(wait)))
		return writeError(c, fiber.StatusTooManyRequests, CodeRateLimited, "too many widgets created; wait and try again")
	}
	return c.Next()
}
