//go:build !unix && !windows

package udp

import "net"

// setBroadcast does nothing where the platform has no socket options.
func setBroadcast(*net.UDPConn) error { return nil }
