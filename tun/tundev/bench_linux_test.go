package tundev

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/mehr-net/mehr/internal/netns"
	"github.com/mehr-net/mehr/internal/testutil"
)

// pipe is a device in a namespace with a UDP socket on the device's own
// address: writes to the device reach the socket, and datagrams the
// socket sends to peerAddr come out of Read.
type pipe struct {
	d    *Device
	sock *net.UDPConn
	pkt  []byte // a 1280-byte IPv6/UDP packet from peerAddr to sock
	to   *net.UDPAddr
}

func newPipe(tb testing.TB) *pipe {
	ns := netns.New(tb)
	p := &pipe{d: openIn(tb, ns, Config{Name: "mehrb0", Address: tunPrefix})}
	if err := ns.Do(func() (err error) {
		p.sock, err = net.ListenUDP("udp6", &net.UDPAddr{IP: tunAddr.AsSlice()})
		return err
	}); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { p.sock.Close() })
	p.sock.SetDeadline(time.Now().Add(20 * time.Second))
	p.d.rwc.(interface{ SetReadDeadline(time.Time) error }).SetReadDeadline(time.Now().Add(20 * time.Second))
	dst := netip.AddrPortFrom(tunAddr, uint16(p.sock.LocalAddr().(*net.UDPAddr).Port))
	p.pkt = udpPacket(netip.AddrPortFrom(peerAddr, 4242), dst, make([]byte, MinMTU-48))
	p.to = &net.UDPAddr{IP: peerAddr.AsSlice(), Port: 4242}
	return p
}

// write writes one packet to the device and takes it from the socket.
func (p *pipe) write(tb testing.TB, buf []byte) {
	if _, err := p.d.Write(p.pkt); err != nil {
		tb.Fatal(err)
	}
	if _, _, err := p.sock.ReadFromUDPAddrPort(buf); err != nil {
		tb.Fatal(err)
	}
}

// read sends one 1280-byte packet through the device from the socket and
// reads it from the device, skipping anything else the kernel sends.
func (p *pipe) read(tb testing.TB, buf []byte) {
	if _, err := p.sock.WriteToUDPAddrPort(p.pkt[48:], netip.AddrPortFrom(peerAddr, 4242)); err != nil {
		tb.Fatal(err)
	}
	for {
		n, err := p.d.Read(buf)
		if err != nil {
			tb.Fatal(err)
		}
		if n == MinMTU && isIPv6(buf[:n], protoUDP, peerAddr) {
			return
		}
	}
}

// TestNoAllocs: Read and Write allocate nothing per packet.
func TestNoAllocs(t *testing.T) {
	p := newPipe(t)
	buf := make([]byte, 2048)
	p.write(t, buf) // warm up
	p.read(t, buf)
	testutil.MaxAllocs(t, 200, 0, func() { p.d.Write(p.pkt); p.sock.ReadFromUDPAddrPort(buf) })
	testutil.MaxAllocs(t, 200, 0, func() { p.read(t, buf) })
}

// BenchmarkWrite writes 1280-byte packets to the device; each is received
// by a socket in the namespace.
func BenchmarkWrite(b *testing.B) {
	p := newPipe(b)
	buf := make([]byte, 2048)
	b.ReportAllocs()
	b.SetBytes(MinMTU)
	for b.Loop() {
		p.write(b, buf)
	}
}

// BenchmarkRead reads 1280-byte packets a socket in the namespace sends
// through the device.
func BenchmarkRead(b *testing.B) {
	p := newPipe(b)
	buf := make([]byte, 2048)
	b.ReportAllocs()
	b.SetBytes(MinMTU)
	for b.Loop() {
		p.read(b, buf)
	}
}
