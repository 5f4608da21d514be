package overlays

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
)

// The pages name a favicon that is served (a tab shows it, and no browser
// request for /favicon.ico ends in a 404).
func TestFavicon(t *testing.T) {
	app := fiber.New(fiber.Config{Immutable: true})
	Register(app)
	get := func(path string) (int, string, string) {
		resp, err := app.Test(httptest.NewRequest("GET", path, nil))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Content-Type") + resp.Header.Get("Location"), string(body)
	}
	for _, page := range []string{"/", "/widgets/w1"} {
		if _, _, body := get(page); !strings.Contains(body, `<link rel="icon" href="/assets/favicon.svg"`) {
			t.Errorf("%s does not link the favicon", page)
		}
	}
	status, typ, body := get("/assets/favicon.svg")
	if status != 200 || !strings.HasPrefix(typ, "image/svg+xml") || !strings.HasPrefix(body, "<svg") {
		t.Fatalf("/assets/favicon.svg: %d %q %.40q", status, typ, body)
	}
	if status, loc, _ := get("/favicon.ico"); status != 301 || loc != "/assets/favicon.svg" {
		t.Fatalf("/favicon.ico: %d %q", status, loc)
	}
}
