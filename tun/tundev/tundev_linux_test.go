package tundev

import (
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"os/exec"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/mehr-net/mehr/internal/netns"
	"github.com/mehr-net/mehr/internal/testutil"
)

var (
	tunPrefix = netip.MustParsePrefix("fd6d:6568:72::1/48")
	tunAddr   = tunPrefix.Addr()
	peerAddr  = netip.MustParseAddr("fd6d:6568:72::2") // in the prefix, behind the device
)

const (
	protoUDP    = 17
	protoICMPv6 = 58
	icmpEchoReq = 128
	icmpEchoRep = 129
)

// openIn opens a device in n and closes it at cleanup.
func openIn(t testing.TB, n *netns.NS, cfg Config) *Device {
	t.Helper()
	var d *Device
	if err := n.Do(func() (err error) {
		d, err = Open(cfg)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// reader reads packets from d into a channel until d closes, and reports
// the error that ended it.
func reader(d *Device) (<-chan []byte, <-chan error) {
	pkts := make(chan []byte, 64)
	done := make(chan error, 1)
	go func() {
		buf := make([]byte, d.MTU()+64)
		for {
			n, err := d.Read(buf)
			if err != nil {
				done <- err
				return
			}
			select {
			case pkts <- append([]byte(nil), buf[:n]...):
			default:
			}
		}
	}()
	return pkts, done
}

// await returns the first packet from pkts that match accepts, failing
// the test after 10 s.
func await(t *testing.T, pkts <-chan []byte, what string, match func(p []byte) bool) []byte {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case p := <-pkts:
			if match(p) {
				return p
			}
		case <-timeout:
			t.Fatalf("no %s on the device", what)
		}
	}
}

// isIPv6 reports whether p is an IPv6 packet with next header proto to dst.
func isIPv6(p []byte, proto byte, dst netip.Addr) bool {
	return len(p) >= 40 && p[0]>>4 == 6 && p[6] == proto && netip.AddrFrom16([16]byte(p[24:40])) == dst
}

// ipv6Packet builds an IPv6 packet around an upper-layer payload, filling
// in the payload's checksum at csumOff.
func ipv6Packet(src, dst netip.Addr, proto byte, payload []byte, csumOff int) []byte {
	p := make([]byte, 40+len(payload))
	p[0] = 0x60
	binary.BigEndian.PutUint16(p[4:], uint16(len(payload)))
	p[6] = proto
	p[7] = 64
	s, d := src.As16(), dst.As16()
	copy(p[8:], s[:])
	copy(p[24:], d[:])
	copy(p[40:], payload)
	// Pseudo-header (RFC 8200 section 8.1) plus payload.
	var sum uint32
	add := func(b []byte) {
		for i := 0; i+1 < len(b); i += 2 {
			sum += uint32(binary.BigEndian.Uint16(b[i:]))
		}
		if len(b)%2 == 1 {
			sum += uint32(b[len(b)-1]) << 8
		}
	}
	add(p[8:40])
	sum += uint32(len(payload)) + uint32(proto)
	add(p[40:])
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	binary.BigEndian.PutUint16(p[40+csumOff:], ^uint16(sum))
	return p
}

func udpPacket(src netip.AddrPort, dst netip.AddrPort, data []byte) []byte {
	u := make([]byte, 8+len(data))
	binary.BigEndian.PutUint16(u[0:], src.Port())
	binary.BigEndian.PutUint16(u[2:], dst.Port())
	binary.BigEndian.PutUint16(u[4:], uint16(len(u)))
	copy(u[8:], data)
	return ipv6Packet(src.Addr(), dst.Addr(), protoUDP, u, 6)
}

func echoReply(req []byte) []byte {
	icmp := append([]byte(nil), req[40:]...)
	icmp[0], icmp[2], icmp[3] = icmpEchoRep, 0, 0
	return ipv6Packet(netip.AddrFrom16([16]byte(req[24:40])), netip.AddrFrom16([16]byte(req[8:24])), protoICMPv6, icmp, 2)
}

// TestDevice opens a device in a fresh namespace and checks its
// configuration, both directions of traffic, and that Close removes it.
func TestDevice(t *testing.T) {
	ns := netns.New(t)
	t.Cleanup(testutil.LeakCheck(t))
	d := openIn(t, ns, Config{Name: "mehrt0", MTU: 1400, Address: tunPrefix})
	if d.Name() != "mehrt0" || d.MTU() != 1400 || d.Address() != tunPrefix {
		t.Fatalf("device %s mtu %d address %v", d.Name(), d.MTU(), d.Address())
	}
	if out := ns.IP("-6", "addr", "show", "dev", "mehrt0"); !strings.Contains(out, "inet6 "+tunPrefix.String()) || strings.Contains(out, "tentative") {
		t.Fatalf("address not set, or tentative:\n%s", out)
	}
	if out := ns.IP("link", "show", "mehrt0"); !strings.Contains(out, "mtu 1400") || !strings.Contains(out, ",UP") {
		t.Fatalf("MTU or state not set:\n%s", out)
	}

	// Sockets in the namespace: an ICMPv6 socket and a UDP listener on
	// the device's own address.
	var icmp, udp net.PacketConn
	if err := ns.Do(func() (err error) {
		if icmp, err = net.ListenPacket("ip6:ipv6-icmp", tunAddr.String()); err != nil {
			return err
		}
		udp, err = net.ListenPacket("udp6", net.JoinHostPort(tunAddr.String(), "0"))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer icmp.Close()
	defer udp.Close()
	deadline := time.Now().Add(10 * time.Second)
	icmp.SetDeadline(deadline)
	udp.SetDeadline(deadline)

	pkts, readErr := reader(d)

	t.Run("echo request reaches Read", func(t *testing.T) {
		req := []byte{icmpEchoReq, 0, 0, 0, 0x12, 0x34, 0, 1, 'm', 'e', 'h', 'r'}
		if _, err := icmp.WriteTo(req, &net.IPAddr{IP: peerAddr.AsSlice()}); err != nil {
			t.Fatal(err)
		}
		p := await(t, pkts, "echo request", func(p []byte) bool {
			return isIPv6(p, protoICMPv6, peerAddr) && len(p) >= 48 && p[40] == icmpEchoReq
		})
		if src := netip.AddrFrom16([16]byte(p[8:24])); src != tunAddr {
			t.Fatalf("echo request from %v, want %v", src, tunAddr)
		}
		if id := binary.BigEndian.Uint16(p[44:]); id != 0x1234 && len(p) != 52 {
			t.Fatalf("echo request id %#x, length %d", id, len(p))
		}
		if string(p[48:]) != "mehr" {
			t.Fatalf("echo payload %q", p[48:])
		}

		// The reply written to the device reaches the socket.
		if _, err := d.Write(echoReply(p)); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 1500)
		for {
			n, from, err := icmp.ReadFrom(buf)
			if err != nil {
				t.Fatalf("no echo reply: %v", err)
			}
			if n >= 8 && buf[0] == icmpEchoRep && from.(*net.IPAddr).IP.Equal(peerAddr.AsSlice()) {
				break
			}
		}
	})

	t.Run("written datagram reaches a socket", func(t *testing.T) {
		dst := netip.AddrPortFrom(tunAddr, uint16(udp.LocalAddr().(*net.UDPAddr).Port))
		data := make([]byte, 1400-48) // a packet of exactly the MTU
		copy(data, "over the TUN")
		if _, err := d.Write(udpPacket(netip.AddrPortFrom(peerAddr, 4242), dst, data)); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 2000)
		n, from, err := udp.ReadFrom(buf)
		if err != nil {
			t.Fatal(err)
		}
		if n != len(data) || !strings.HasPrefix(string(buf[:n]), "over the TUN") || from.(*net.UDPAddr).Port != 4242 {
			t.Fatalf("got %d bytes %q from %v", n, buf[:min(n, 12)], from)
		}
	})

	t.Run("ping", func(t *testing.T) {
		if _, err := exec.LookPath("ping"); err != nil {
			t.Skip("ping is not installed")
		}
		target := netip.MustParseAddr("fd6d:6568:72::3")
		p := ns.Start("ping", "-6", "-c1", "-W5", target.String())
		req := await(t, pkts, "echo request from ping", func(p []byte) bool {
			return isIPv6(p, protoICMPv6, target) && len(p) >= 48 && p[40] == icmpEchoReq
		})
		if _, err := d.Write(echoReply(req)); err != nil {
			t.Fatal(err)
		}
		if err := p.Wait(10 * time.Second); err != nil {
			t.Fatalf("ping: %v\n%s", err, p.Output())
		}
	})

	t.Run("bad packet", func(t *testing.T) {
		if _, err := d.Write([]byte{0x00, 1, 2, 3}); err == nil {
			t.Fatal("the kernel accepted a packet that is not IP")
		}
	})

	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	select {
	case err := <-readErr:
		if !errors.Is(err, net.ErrClosed) {
			t.Fatalf("Read after Close: %v, want net.ErrClosed", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Read still blocks after Close")
	}
	if _, err := d.Write(make([]byte, 40)); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Write after Close: %v, want net.ErrClosed", err)
	}
	netns.WaitFor(t, 10*time.Second, "device removed at Close", func() bool {
		_, err := ns.Exec(0, "ip", "link", "show", "mehrt0")
		return err != nil
	})
}

// TestDropTruncated: a packet longer than the reader's buffer is dropped
// and counted, and the next one that fits is returned.
func TestDropTruncated(t *testing.T) {
	ns := netns.New(t)
	d := openIn(t, ns, Config{Name: "mehrt1", Address: tunPrefix})
	var c net.PacketConn
	if err := ns.Do(func() (err error) {
		c, err = net.ListenPacket("udp6", "["+tunAddr.String()+"]:0")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	to := &net.UDPAddr{IP: peerAddr.AsSlice(), Port: 9}
	for _, n := range []int{1000, 10} {
		if _, err := c.WriteTo(make([]byte, n), to); err != nil {
			t.Fatal(err)
		}
	}
	buf := make([]byte, 200)
	d.rwc.(interface{ SetReadDeadline(time.Time) error }).SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		n, err := d.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		if isIPv6(buf[:n], protoUDP, peerAddr) {
			if n != 40+8+10 {
				t.Fatalf("read %d bytes, want the 58-byte packet", n)
			}
			break
		}
	}
	if d.Dropped() == 0 {
		t.Fatal("the 1048-byte packet was not counted")
	}
}

// TestDefaultName opens a device with the zero Config but an address.
func TestDefaultName(t *testing.T) {
	ns := netns.New(t)
	d := openIn(t, ns, Config{})
	if d.Name() != DefaultName || d.MTU() != DefaultMTU {
		t.Fatalf("device %s mtu %d", d.Name(), d.MTU())
	}
	if out := ns.IP("link", "show", DefaultName); !strings.Contains(out, "mtu 1280") {
		t.Fatalf("%s", out)
	}
	// A second device of the same name in the same namespace is refused,
	// and the error names the step and the device.
	err := ns.Do(func() error {
		d2, err := Open(Config{})
		if err == nil {
			d2.Close()
		}
		return err
	})
	if err == nil || !strings.Contains(err.Error(), DefaultName) {
		t.Fatalf("second device: %v", err)
	}
}

// TestPermissionError: an error for lack of privileges names the step,
// the device and the capability.
func TestPermissionError(t *testing.T) {
	err := opErr("set MTU of", "mehr0", unix.EPERM)
	if got, want := err.Error(), "set MTU of mehr0: operation not permitted: needs CAP_NET_ADMIN"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	if !errors.Is(err, unix.EPERM) {
		t.Fatal("the errno is not wrapped")
	}
	if err := opErr("bring up", "mehr0", unix.ENODEV); strings.Contains(err.Error(), "CAP_NET_ADMIN") {
		t.Fatalf("%v blames a capability", err)
	}
}

// FuzzAck: the netlink answer parser never panics and never reads past
// its input, whatever the kernel (or a bug) puts in the buffer.
func FuzzAck(f *testing.F) {
	okAck := make([]byte, unix.NLMSG_HDRLEN+4+unix.NLMSG_HDRLEN)
	binary.NativeEndian.PutUint32(okAck[0:], uint32(len(okAck)))
	binary.NativeEndian.PutUint16(okAck[4:], unix.NLMSG_ERROR)
	binary.NativeEndian.PutUint32(okAck[8:], 1)
	f.Add(okAck, uint32(1))
	f.Add(okAck[:10], uint32(1))
	f.Add([]byte{}, uint32(0))
	f.Fuzz(func(t *testing.T, b []byte, seq uint32) {
		ack(b, seq, nil)
		ack(b, seq, func(m []byte) bool { return len(m) >= unix.NLMSG_HDRLEN && m[len(m)-1] == 0 })
	})
}
