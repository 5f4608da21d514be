package httpapi

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"go.uber.org/zap"
)

// Rate is a token bucket: PerSecond requests sustained, Burst at once.
// A zero PerSecond means the default; a negative one turns the limit off.
// A zero Burst means the default burst with the default rate, else twice
// PerSecond (at least 1).
type Rate struct {
	PerSecond float64
	Burst     int
}

// Default limits (see Config). Per user, a console, a Stream Deck polling a
// dozen buttons and a chat bot stay far below them; per address they are
// higher, since a household, an office or a carrier NAT shares one address.
var (
	DefaultUserReads     = Rate{PerSecond: 50, Burst: 100}
	DefaultUserWrites    = Rate{PerSecond: 10, Burst: 50}
	DefaultAddressReads  = Rate{PerSecond: 200, Burst: 400}
	DefaultAddressWrites = Rate{PerSecond: 50, Burst: 100}
	DefaultAddressProbes = Rate{PerSecond: 20, Burst: 100}
)

// DefaultRateLimitKeys is the default of Config.RateLimitKeys.
const DefaultRateLimitKeys = 100_000

// Limit classes: what a request costs, by method and route.
type limitClass int

const (
	classRead  limitClass = iota // GET, HEAD, OPTIONS
	classWrite                   // POST, PUT, PATCH, DELETE
	classProbe                   // /healthz, /readyz, /metrics (address limit only)
	numClasses
)

func (c limitClass) String() string {
	return [...]string{"read", "write", "probe"}[c]
}

// Limit scopes, the "scope" label of the refusal metric.
const (
	scopeUser    = "user"
	scopeAddress = "address"
)

// rateLimits holds the per-user and per-address buckets of one API.
// A nil limiter is a limit turned off.
type rateLimits struct {
	user    [numClasses]*keyedLimiter
	address [numClasses]*keyedLimiter
	m       *metrics
	log     *zap.Logger
}

func newRateLimits(cfg Config, m *metrics, log *zap.Logger) *rateLimits {
	rl := &rateLimits{m: m, log: log}
	mk := func(r Rate) *keyedLimiter {
		if r.PerSecond < 0 {
			return nil
		}
		return newKeyedLimiter(r.PerSecond, r.Burst, cfg.RateLimitKeys, time.Now)
	}
	rl.user[classRead], rl.user[classWrite] = mk(cfg.UserReads), mk(cfg.UserWrites)
	rl.address[classRead], rl.address[classWrite], rl.address[classProbe] = mk(cfg.AddressReads), mk(cfg.AddressWrites), mk(cfg.AddressProbes)
	for cl := classRead; cl < numClasses; cl++ {
		if rl.user[cl] != nil {
			m.rateLimited.WithLabelValues(scopeUser, cl.String())
		}
		if rl.address[cl] != nil {
			m.rateLimited.WithLabelValues(scopeAddress, cl.String())
		}
	}
	return rl
}

// byAddress limits every request by client address, before authentication,
// so it also guards sign-in, the public routes and token verification itself.
// A signed-in request to the /records routes is charged to its user instead
// (byUser), and to its address only if its token fails (chargeAddress): one
// user flooding behind a shared NAT or proxy must not lock out the others.
// While an address's bucket is empty, its signed-in requests wait too, so a
// flood of forged tokens cannot buy signature checks.
func (rl *rateLimits) byAddress(c *fiber.Ctx) error {
	cl := classOf(c, true)
	lim := rl.address[cl]
	if lim == nil {
		return c.Next()
	}
	addr := c.IP()
	d := decision{ok: true}
	if bearerToRecords(c) {
		d = lim.check(addr)
	} else {
		d = lim.take(addr)
	}
	if !d.ok {
		return rl.refuse(c, scopeAddress, cl, d, zap.String("address", addr))
	}
	return c.Next()
}

// chargeAddress spends a token of the address's bucket for a request whose
// sign-in failed, if byAddress only checked it (see byAddress).
func (rl *rateLimits) chargeAddress(c *fiber.Ctx) {
	if lim := rl.address[classOf(c, true)]; lim != nil && bearerToRecords(c) {
		lim.take(c.IP())
	}
}

func bearerToRecords(c *fiber.Ctx) bool {
	return strings.HasPrefix(c.Path(), recordsPath) && strings.HasPrefix(c.Get(fiber.HeaderAuthorization), "Bearer ")
}

// byUser limits a signed-in user's requests, or a control token's; it runs
// after authenticate.
func (rl *rateLimits) byUser(c *fiber.Ctx) error {
	cl := classOf(c, false)
	lim := rl.user[cl]
	if lim == nil {
		return c.Next()
	}
	user := userID(c)
	if user == "" { // a control token (actions.go): its own bucket
		user = "\x00control:" + controlTokenHash(c)
	}
	if d := lim.take(user); !d.ok {
		return rl.refuse(c, scopeUser, cl, d, zap.String("user_id", user))
	}
	return c.Next()
}

// refuse answers 429 rate_limited with Retry-After, counts the refusal and
// logs the first refusal of a flood (the metric counts the rest).
func (rl *rateLimits) refuse(c *fiber.Ctx, scope string, cl limitClass, d decision, who zap.Field) error {
	rl.m.rateLimited.WithLabelValues(scope, cl.String()).Inc()
	secs := retryAfterSeconds(d.retryAfter)
	if d.firstRefusal {
		rl.log.Warn("rate limit reached", zap.String("scope", scope), zap.String("class", cl.String()), who,
			zap.String("request_id", requestID(c)), zap.Int("retry_after_s", secs))
	}
	c.Set(fiber.HeaderRetryAfter, strconv.Itoa(secs))
	return writeError(c, fiber.StatusTooManyRequests, CodeRateLimited,
		"too many requests; retry after "+strconv.Itoa(secs)+" s")
}

// classOf is a request's limit class. Probes have their own bucket only for
// the address limit; the path is compared as routing does (any case, an
// optional trailing slash).
func classOf(c *fiber.Ctx, probes bool) limitClass {
	if probes {
		switch strings.ToLower(strings.TrimSuffix(c.Path(), "/")) {
		case "/healthz", "/readyz", "/metrics":
			return classProbe
		}
	}
	switch c.Method() {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions:
		return classRead
	default:
		return classWrite
	}
}

// withDefault fills a zero Rate from def (see Rate).
func (r Rate) withDefault(def Rate) Rate {
	if r.PerSecond == 0 {
		if r.Burst == 0 {
			return def
		}
		r.PerSecond = def.PerSecond
	}
	if r.Burst <= 0 && r.PerSecond > 0 {
		r.Burst = max(1, int(math.Ceil(2*r.PerSecond)))
	}
	return r
}
