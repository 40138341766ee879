//go:build unix

package host

import (
	"fmt"
	"net"
	"os"
	"syscall"
)

// packetChannel returns a connected pair of Unix stream sockets: the
// host's end as a net.Conn, and the end the plugin process inherits.
func packetChannel() (net.Conn, *os.File, error) {
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("socketpair: %w", err)
	}
	syscall.CloseOnExec(fds[0]) // only the plugin's end is inherited
	mine := os.NewFile(uintptr(fds[0]), "packet-channel")
	theirs := os.NewFile(uintptr(fds[1]), "packet-channel-plugin")
	c, err := net.FileConn(mine) // dups; the poller serves the copy
	mine.Close()
	if err != nil {
		theirs.Close()
		return nil, nil, err
	}
	return c, theirs, nil
}
