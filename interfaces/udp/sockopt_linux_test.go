package udp

import (
	"syscall"
	"testing"

	"github.com/mehr-net/mehr/internal/testutil"
)

// TestSOBroadcast checks that the send socket may broadcast when the
// forward address is a broadcast address. Nothing is sent. (Go's net
// package enables SO_BROADCAST on every datagram socket anyway, so a
// unicast forward address gets it too, as in the reference.)
func TestSOBroadcast(t *testing.T) {
	defer testutil.LeakCheck(t)()
	for fwd, want := range map[string]int{"255.255.255.255:4242": 1, "127.0.0.1:4242": 1} {
		u, err := New(Config{ForwardAddr: fwd})
		if err != nil {
			t.Fatal(err)
		}
		rc, err := u.tx.SyscallConn()
		if err != nil {
			t.Fatal(err)
		}
		var got int
		var gerr error
		rc.Control(func(fd uintptr) { got, gerr = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_BROADCAST) })
		if gerr != nil || got != want {
			t.Errorf("forward %s: SO_BROADCAST = %d (%v), want %d", fwd, got, gerr, want)
		}
		u.Close()
	}
}
