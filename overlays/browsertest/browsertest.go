// Package browsertest finds and configures the headless browser that the
// browser tests (overlays/e2e, its consoleforms, integrations/e2e) drive.
package browsertest

import (
	"errors"
	"os/exec"

	"github.com/chromedp/chromedp"
)

// Browsers the tests drive, best first. Debian's chromium-headless-shell is
// Chromium's engine without the desktop browser around it: the same Blink
// and V8 that OBS's browser source runs, at about a third of the CPU per
// page of the full browser in headless mode on these 2-core machines (the
// browser suite: 236 → 86 CPU-seconds).
var Browsers = []string{"chromium-headless-shell", "chromium"}

// ErrNoBrowser says how to get one.
var ErrNoBrowser = errors.New("no browser for the browser tests: run `bash .ci/setup` (apt-get install -y chromium-headless-shell)")

// Path is the first of Browsers that is installed.
func Path() (string, error) {
	for _, name := range Browsers {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", ErrNoBrowser
}

// Options are the exec allocator options of every test browser: no
// sandbox (containers), no GPU, nothing that calls out to Google's
// services, its own profile in dir, a window of width × height.
func Options(path, dir string, width, height int) []chromedp.ExecAllocatorOption {
	return append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(dir), chromedp.WindowSize(width, height),
	)
}
