package overlays

import (
	"io/fs"

	"github.com/gofiber/fiber/v2"
)

// roomHeaders are securityHeaders plus media from anywhere on the web: a
// room's media_url is an http(s) URL the host chose (or a path here).
func roomHeaders(c *fiber.Ctx) error {
	c.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self' https: http: blob:; connect-src 'self'; frame-ancestors 'self'; base-uri 'none'; form-action 'self'")
	c.Set("Referrer-Policy", "no-referrer")
	c.Set("X-Content-Type-Options", "nosniff")
	return c.Next()
}

// registerRooms mounts the watch-party pages: /watch/:roomId, a member's
// room, and /watch/:roomId/obs, the room's OBS view (its read-only token in
// the URL fragment).
func registerRooms(app *fiber.App, static fs.FS) {
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
	app.Get("/watch/:roomId", roomHeaders, page("room.html"))
	app.Get("/watch/:roomId/obs", roomHeaders, page("room-obs.html"))
}
