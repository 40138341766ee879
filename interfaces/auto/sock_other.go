//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package auto

import (
	"net"
	"net/netip"
)

const socketsSupported = false

const msgTrunc = 0

func openUDP6(netip.Addr, uint16, int, bool, netip.Addr) (*net.UDPConn, error) {
	return nil, ErrUnsupported
}
