package e2e

import "net"

// listen picks a free loopback port (the redirect URL must be known before
// the node starts, as in production).
func listen() (net.Listener, error) { return net.Listen("tcp", "127.0.0.1:0") }
