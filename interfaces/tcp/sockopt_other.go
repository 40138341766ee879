//go:build !linux

package tcp

import (
	"net"
	"time"
)

// setUserTimeout does nothing: TCP_USER_TIMEOUT is Linux-only, and the
// reference sets it only there.
func setUserTimeout(*net.TCPConn, time.Duration) error { return nil }
