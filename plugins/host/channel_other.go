//go:build !unix

package host

import (
	"errors"
	"net"
	"os"
)

// packetChannel needs Unix socket pairs; plugins run on Unix systems only.
func packetChannel() (net.Conn, *os.File, error) {
	return nil, nil, errors.New("interface plugins need a Unix system")
}
