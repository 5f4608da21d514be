// Package overlays serves the OBS overlay pages and the manager console:
// plain HTML, CSS and ES modules embedded in the binary, so `go run` works on
// a fresh clone with no JavaScript build step.
package overlays

import (
	"embed"
	"io/fs"
	"net/http"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/filesystem"
)

//go:embed static
var files embed.FS

// securityHeaders: scripts and sockets from this origin only (images, such
// as album art, from any web address: kinds accept only http(s) links), no referrer
// (an overlay URL may carry ?token=), framing only by the console itself.
func securityHeaders(c *fiber.Ctx) error {
	c.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https: http:; media-src 'self' https: http:; connect-src 'self'; frame-ancestors 'self'; base-uri 'none'; form-action 'self'")
	c.Set("Referrer-Policy", "no-referrer")
	c.Set("X-Content-Type-Options", "nosniff")
	return c.Next()
}

// Register mounts the console at / and the overlay at /widgets/:widgetId.
func Register(app *fiber.App) {
	static, _ := fs.Sub(files, "static")
	page := func(name string) fiber.Handler {
		data, err := fs.ReadFile(static, name)
		return func(c *fiber.Ctx) error {
			if err != nil {
				return err
			}
			c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
			c.Set(fiber.HeaderCacheControl, "no-store")
			return c.Send(data)
		}
	}
	app.Get("/", securityHeaders, page("console.html"))
	app.Get("/widgets/:widgetId", securityHeaders, page("overlay.html"))
	registerRooms(app, static) // watch-party pages: rooms.go
	// Browsers that ignore the pages' <link rel="icon"> still ask for this.
	app.Get("/favicon.ico", func(c *fiber.Ctx) error { return c.Redirect("/assets/favicon.svg", fiber.StatusMovedPermanently) })
	app.Use("/assets", securityHeaders, filesystem.New(filesystem.Config{
		Root: http.FS(static), PathPrefix: "", MaxAge: 60,
	}))
}
