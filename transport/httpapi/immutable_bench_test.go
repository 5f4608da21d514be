package httpapi

import (
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"
)

// BenchmarkImmutableCost measures what Immutable: true costs per request on
// a route shaped like ours (a path parameter, the Authorization header, the
// method and path read for logs and metrics), against Fiber's zero-copy mode.
//
//	go test -run '^$' -bench ImmutableCost -benchmem ./transport/httpapi/
func BenchmarkImmutableCost(b *testing.B) {
	for _, immutable := range []bool{false, true} {
		name := "zero-copy"
		if immutable {
			name = "immutable"
		}
		b.Run(name, func(b *testing.B) {
			// zero-copy on purpose: the baseline Immutable is measured against.
			app := fiber.New(fiber.Config{Immutable: immutable, DisableStartupMessage: true})
			var sink int
			app.Get("/records/stream_widgets/:id", func(c *fiber.Ctx) error {
				sink += len(c.Params("id")) + len(c.Get(fiber.HeaderAuthorization)) + len(c.Method()) + len(c.Path())
				return c.SendStatus(fiber.StatusOK)
			})
			h := app.Handler()
			var ctx fasthttp.RequestCtx
			ctx.Request.SetRequestURI("/records/stream_widgets/7b0c2e52-3f5e-4d0e-9a51-6a0f2f3b9c11")
			ctx.Request.Header.SetMethod(fiber.MethodGet)
			ctx.Request.Header.Set(fiber.HeaderAuthorization, "Bearer eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl")
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				h(&ctx)
			}
			_ = sink
		})
	}
}
