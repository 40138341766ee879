package tcp

import (
	"net"
	"syscall"
	"testing"

	"github.com/mehr-net/mehr/internal/testutil"
)

// TestSocketOptions reads back the options the reference sets on Linux,
// on both ends of a loopback connection.
func TestSocketOptions(t *testing.T) {
	defer testutil.LeakCheck(t)()
	for _, i2p := range []bool{false, true} {
		srv, err := Listen(t.Context(), Config{Addr: "127.0.0.1:0", I2PTunneled: i2p})
		if err != nil {
			t.Fatal(err)
		}
		c, err := NewClient(t.Context(), Config{Addr: srv.Addr().String(), I2PTunneled: i2p})
		if err != nil {
			t.Fatal(err)
		}
		sp, err := srv.Accept()
		if err != nil {
			t.Fatal(err)
		}
		want := map[[2]int]int{
			{syscall.IPPROTO_TCP, tcpUserTimeout}:        24000,
			{syscall.SOL_SOCKET, syscall.SO_KEEPALIVE}:   1,
			{syscall.IPPROTO_TCP, syscall.TCP_KEEPIDLE}:  5,
			{syscall.IPPROTO_TCP, syscall.TCP_KEEPINTVL}: 2,
			{syscall.IPPROTO_TCP, syscall.TCP_KEEPCNT}:   12,
			{syscall.IPPROTO_TCP, syscall.TCP_NODELAY}:   1,
		}
		if i2p {
			want[[2]int{syscall.IPPROTO_TCP, tcpUserTimeout}] = 45000
			want[[2]int{syscall.IPPROTO_TCP, syscall.TCP_KEEPIDLE}] = 10
			want[[2]int{syscall.IPPROTO_TCP, syscall.TCP_KEEPINTVL}] = 9
			want[[2]int{syscall.IPPROTO_TCP, syscall.TCP_KEEPCNT}] = 5
		}
		for _, i := range []*Client{c, sp.(*Client)} {
			i.mu.Lock()
			conn := i.conn.(*net.TCPConn)
			i.mu.Unlock()
			rc, err := conn.SyscallConn()
			if err != nil {
				t.Fatal(err)
			}
			for opt, v := range want {
				var got int
				var gerr error
				rc.Control(func(fd uintptr) { got, gerr = syscall.GetsockoptInt(int(fd), opt[0], opt[1]) })
				if gerr != nil || got != v {
					t.Errorf("i2p=%v %s: option %v = %d (%v), want %d", i2p, i.Name(), opt, got, gerr, v)
				}
			}
		}
		sp.Close()
		c.Close()
		srv.Close()
	}
}
