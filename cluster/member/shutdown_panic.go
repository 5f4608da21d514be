package member

import (
	"fmt"

	"go.uber.org/zap"
)

// withoutLibraryShutdownPanic runs one step of the library's shutdown and
// survives its known race: the remote's endpoint manager, stopping, sends
// on each endpoint reader's channel while a reader whose stream just ended
// (a peer gone, or the gRPC server stopped) has closed it ("send on closed
// channel", seen in CI). The member is stopping either way; the panic would
// only turn a clean exit into a crash.
func (m *Member) withoutLibraryShutdownPanic(step string, fn func()) {
	defer func() {
		if r := recover(); r != nil {
			m.log.Warn("the actor library panicked while stopping; stopping anyway",
				zap.String("step", step), zap.String("panic", fmt.Sprint(r)))
		}
	}()
	fn()
}
