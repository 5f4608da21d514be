package member

import (
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

// The library's shutdown race (a send on a reader's closed channel) is
// logged and survived: the member still stops cleanly.
func TestShutdownSurvivesTheLibrarysClosedChannelPanic(t *testing.T) {
	core, logs := observer.New(zap.WarnLevel)
	m := &Member{log: zap.New(core)}
	closed := make(chan bool, 1)
	close(closed)
	m.withoutLibraryShutdownPanic("remote shutdown", func() { closed <- true }) // unrecovered, it ends the test binary
	if logs.FilterMessage("the actor library panicked while stopping; stopping anyway").Len() != 1 {
		t.Fatalf("the panic was not logged once: %v", logs.All())
	}
	if got := logs.All()[0].ContextMap()["panic"]; got != "send on closed channel" {
		t.Fatalf("logged panic %q", got)
	}
}
