package httpapi

import (
	_ "embed"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

//go:embed openapi.json
var openAPIDoc []byte

// registerOps adds the routes for operators and clients that need no sign-in.
func registerOps(app *fiber.App, d Deps) {
	app.Get("/healthz", func(c *fiber.Ctx) error {
		return c.JSON(fiber.Map{"status": "ok"})
	})
	app.Get("/readyz", func(c *fiber.Ctx) error {
		if err := d.Store.Ping(c.UserContext()); err != nil {
			return writeError(c, fiber.StatusServiceUnavailable, "not_ready", "store unavailable")
		}
		if d.Ready != nil {
			if err := d.Ready(); err != nil {
				return writeError(c, fiber.StatusServiceUnavailable, "not_ready", err.Error())
			}
		}
		return c.JSON(fiber.Map{"status": "ready"})
	})
	app.Get("/metrics", adaptor.HTTPHandler(promhttp.HandlerFor(d.Metrics, promhttp.HandlerOpts{})))
	app.Get("/openapi.json", func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
		return c.Send(openAPIDoc)
	})
	if len(d.JWKS) > 0 {
		app.Get("/.well-known/jwks.json", func(c *fiber.Ctx) error {
			c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
			c.Set(fiber.HeaderCacheControl, "public, max-age=300")
			return c.Send(d.JWKS)
		})
	}
	app.Get("/kinds", func(c *fiber.Ctx) error {
		return c.JSON(fiber.Map{"data": d.Kinds.Infos()})
	})
}
