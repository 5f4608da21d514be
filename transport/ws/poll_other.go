//go:build !linux

package ws

import (
	"net"

	"go.uber.org/zap"
)

// poller is Linux's epoll reader (poll_linux.go); elsewhere every socket
// has a reader goroutine.
type poller struct{}

func newPoller(*zap.Logger) *poller { return nil }

func (p *poller) add(*reader, net.Conn, []byte) bool { return false }

func (p *poller) stop() {}
