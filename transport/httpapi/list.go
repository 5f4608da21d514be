package httpapi

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/streamwidgets/streamwidgets/actors"
	"github.com/streamwidgets/streamwidgets/persistence"
)

const (
	defaultPerPage = 25
	maxManyIDs     = 100
)

type listResponse struct {
	Data       []persistence.Record `json:"data"`
	NextCursor *string              `json:"next_cursor"`
}

func (h *handlers) list(c *fiber.Ctx) error {
	return h.listWith(c, "")
}

func (h *handlers) listByType(c *fiber.Ctx) error {
	t := c.Params("type")
	if _, ok := h.d.Kinds.Lookup(t); !ok {
		return writeError(c, fiber.StatusUnprocessableEntity, "unknown_type", "unknown widget type; see /kinds")
	}
	return h.listWith(c, t)
}

// listWith serves the list routes: filter={"active":…,"type":…,"q":…}, q,
// perPage (1-100, default 25) and an opaque cursor from a previous page.
func (h *handlers) listWith(c *fiber.Ctx, pathType string) error {
	q := persistence.ListQuery{UserID: userID(c), Limit: defaultPerPage, TitleContains: c.Query("q")}
	if raw := c.Query("filter"); raw != "" {
		if err := parseFilter([]byte(raw), &q); err != nil {
			return writeError(c, fiber.StatusBadRequest, CodeInvalidQuery, err.Error())
		}
	}
	if pathType != "" {
		if q.Type != "" && q.Type != pathType {
			return c.JSON(listResponse{Data: []persistence.Record{}})
		}
		q.Type = pathType
	}
	if raw := c.Query("perPage"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 || n > persistence.MaxPageSize {
			return writeError(c, fiber.StatusBadRequest, CodeInvalidQuery, "perPage must be an integer from 1 to 100")
		}
		q.Limit = n
	}
	filterID := filterHash(q)
	if cur := c.Query("cursor"); cur != "" {
		pos, err := h.cursors.open(cur, q.UserID, filterID)
		if err != nil {
			return writeError(c, fiber.StatusBadRequest, CodeInvalidCursor, "the cursor is invalid or belongs to another query; start from the first page")
		}
		q.After = pos
	}
	ctx, cancel := h.ctx(c)
	defer cancel()
	page, err := h.d.Store.List(ctx, q)
	if errors.Is(err, persistence.ErrInvalidCursor) {
		return writeError(c, fiber.StatusBadRequest, CodeInvalidCursor, "the cursor is invalid")
	}
	if err != nil {
		return writeError(c, fiber.StatusServiceUnavailable, actors.CodeStoreUnavailable, "widget storage is unavailable; try again")
	}
	out := listResponse{Data: make([]persistence.Record, 0, len(page.Records))}
	for _, r := range page.Records {
		out.Data = append(out.Data, h.view(r))
	}
	if page.Next != "" {
		next := h.cursors.sign(q.UserID, filterID, page.Next)
		out.NextCursor = &next
	}
	return c.JSON(out)
}

// many returns the caller's widgets among ?id=a&id=b, in the order asked;
// ids that are missing or someone else's are simply absent.
func (h *handlers) many(c *fiber.Ctx) error {
	args := c.Context().QueryArgs().PeekMulti("id")
	if len(args) > maxManyIDs {
		return writeError(c, fiber.StatusBadRequest, CodeInvalidQuery, "at most 100 ids per request")
	}
	user := userID(c)
	ctx, cancel := h.ctx(c)
	defer cancel()
	out := make([]persistence.Record, 0, len(args))
	seen := map[string]bool{}
	for _, raw := range args {
		id := string(raw)
		if seen[id] || !actors.ValidID(id) {
			continue
		}
		seen[id] = true
		rec, err := h.d.Store.Get(ctx, id)
		if errors.Is(err, persistence.ErrNotFound) || (err == nil && rec.UserID != user) {
			continue
		}
		if err != nil {
			return writeError(c, fiber.StatusServiceUnavailable, actors.CodeStoreUnavailable, "widget storage is unavailable; try again")
		}
		out = append(out, h.view(rec))
	}
	return c.JSON(envelope{Data: out})
}

func parseFilter(raw []byte, q *persistence.ListQuery) error {
	var f struct {
		Active *bool   `json:"active"`
		Type   *string `json:"type"`
		Q      *string `json:"q"`
	}
	raw = bytes.TrimSpace(raw)
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	// One object and nothing after it: `null`, `{…}{…}` and `{…} junk` are refused.
	if len(raw) == 0 || raw[0] != '{' || dec.Decode(&f) != nil || dec.InputOffset() != int64(len(raw)) {
		return errors.New(`filter must be a JSON object with only "active" (boolean), "type" and "q" (strings)`)
	}
	q.Active = f.Active
	if f.Type != nil {
		q.Type = *f.Type
	}
	if f.Q != nil {
		q.TitleContains = *f.Q
	}
	return nil
}

// filterHash binds a cursor to the query it was issued for.
func filterHash(q persistence.ListQuery) string {
	active := "any"
	if q.Active != nil {
		active = strconv.FormatBool(*q.Active)
	}
	sum := sha256.Sum256([]byte(q.Type + "\x00" + active + "\x00" + q.TitleContains + "\x00" + strconv.Itoa(q.Limit)))
	return hex.EncodeToString(sum[:8])
}
