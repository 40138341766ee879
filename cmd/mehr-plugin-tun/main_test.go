package main

import (
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mehr-net/mehr/internal/netns"
	"github.com/mehr-net/mehr/internal/testutil"
	"github.com/mehr-net/mehr/plugins/host"
	"github.com/mehr-net/mehr/plugins/plugintest"
	"github.com/mehr-net/mehr/tun/tundev"
)

const pkg = "github.com/mehr-net/mehr/cmd/mehr-plugin-tun"

var (
	tunPrefix = netip.MustParsePrefix("fd6d:6568:72::1/48")
	tunAddr   = tunPrefix.Addr()
	peerAddr  = netip.MustParseAddr("fd6d:6568:72::2") // behind the device
)

// bin is the plugin executable, built once by TestMain on Linux as root
// (the only place the tests that use it run).
var bin string

func TestMain(m *testing.M) {
	var dir string
	if os.Geteuid() == 0 && hasIP() {
		var err error
		if dir, err = os.MkdirTemp("", "mehr-plugin-tun"); err == nil {
			var bins map[string]string
			bins, err = plugintest.Build(dir, pkg)
			bin = bins[pkg]
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.RemoveAll(dir)
			os.Exit(1)
		}
	}
	code := m.Run()
	if dir != "" {
		os.RemoveAll(dir)
	}
	os.Exit(code)
}

func hasIP() bool { _, err := exec.LookPath("ip"); return err == nil }

func TestOptions(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    options
		want tundev.Config
		err  string
	}{
		{"empty", options{}, tundev.Config{}, ""},
		{"all", options{Device: "tun7", Address: "fd00::1/64", MTU: 1400},
			tundev.Config{Name: "tun7", MTU: 1400, Address: netip.MustParsePrefix("fd00::1/64")}, ""},
		{"no prefix length", options{Address: "fd00::1"}, tundev.Config{}, "prefix length"},
		{"garbage", options{Address: "mehr"}, tundev.Config{}, "prefix length"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.o.config()
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one mentioning %q", err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

// start runs the plugin in ns through plugins/host with the given TOML
// keys, and closes it at cleanup.
func start(t testing.TB, ns *netns.NS, keys string) (*host.Interface, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	i, err := host.Start(ctx, host.Config{
		Name:   "tun",
		Path:   ns.Wrap(bin),
		Config: []byte("name = \"tun\"\ntype = \"TUNInterface\"\n" + keys),
		Logf:   t.Logf,

		MinBackoff: 50 * time.Millisecond,
	})
	if err == nil {
		t.Cleanup(func() { i.Close() })
	}
	return i, err
}

// socket opens a UDP socket on the device's address in ns.
func socket(t testing.TB, ns *netns.NS) *net.UDPConn {
	t.Helper()
	var c *net.UDPConn
	if err := ns.Do(func() (err error) {
		c, err = net.ListenUDP("udp6", &net.UDPAddr{IP: tunAddr.AsSlice()})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(time.Minute))
	return c
}

// udpPacket builds an IPv6/UDP packet from peerAddr:4242 to dst with a
// valid checksum.
func udpPacket(dst netip.AddrPort, data []byte) []byte {
	p := make([]byte, 48+len(data))
	p[0] = 0x60
	binary.BigEndian.PutUint16(p[4:], uint16(8+len(data)))
	p[6], p[7] = 17, 64
	s, d := peerAddr.As16(), dst.Addr().As16()
	copy(p[8:], s[:])
	copy(p[24:], d[:])
	binary.BigEndian.PutUint16(p[40:], 4242)
	binary.BigEndian.PutUint16(p[42:], dst.Port())
	binary.BigEndian.PutUint16(p[44:], uint16(8+len(data)))
	copy(p[48:], data)
	sum := uint32(17 + 8 + len(data))
	for i := 8; i+1 < len(p); i += 2 {
		sum += uint32(binary.BigEndian.Uint16(p[i:]))
	}
	if len(p)%2 == 1 {
		sum += uint32(p[len(p)-1]) << 8
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	binary.BigEndian.PutUint16(p[46:], ^uint16(sum))
	return p
}

// receiveUDP reads packets from i until an IPv6/UDP packet to peerAddr,
// and returns it; the read is bounded by closing i's Receive via timeout.
func receiveUDP(t testing.TB, i *host.Interface, buf []byte) []byte {
	t.Helper()
	type result struct {
		n   int
		err error
	}
	for range 1000 {
		ch := make(chan result, 1)
		go func() { n, err := i.Receive(buf); ch <- result{n, err} }()
		var r result
		select {
		case r = <-ch:
		case <-time.After(10 * time.Second):
			i.Close() // unblocks the Receive above
			<-ch
			t.Fatal("no packet from the plugin")
		}
		if r.err != nil {
			t.Fatal(r.err)
		}
		p := buf[:r.n]
		if len(p) >= 48 && p[0]>>4 == 6 && p[6] == 17 && netip.AddrFrom16([16]byte(p[24:40])) == peerAddr {
			return p
		}
	}
	t.Fatal("only other packets from the plugin")
	return nil
}

// TestPlugin starts mehr-plugin-tun in a namespace through plugins/host
// and checks the device it creates and packets both ways.
func TestPlugin(t *testing.T) {
	ns := netns.New(t)
	t.Cleanup(testutil.LeakCheck(t))
	i, err := start(t, ns, fmt.Sprintf("device = \"mehrt0\"\naddress = %q\nmtu = 1400\n", tunPrefix))
	if err != nil {
		t.Fatal(err)
	}
	if i.MTU() != 1400 || i.Mode() != 1 || i.DefaultIFACSize() != 0 {
		t.Fatalf("MTU %d mode %v IFAC %d", i.MTU(), i.Mode(), i.DefaultIFACSize())
	}
	if out := ns.IP("-6", "addr", "show", "dev", "mehrt0"); !strings.Contains(out, "inet6 "+tunPrefix.String()) {
		t.Fatalf("address not set:\n%s", out)
	}
	if out := ns.IP("link", "show", "mehrt0"); !strings.Contains(out, "mtu 1400") || !strings.Contains(out, ",UP") {
		t.Fatalf("MTU or state not set:\n%s", out)
	}
	if out, err := exec.Command("ip", "link", "show", "mehrt0").CombinedOutput(); err == nil {
		t.Fatalf("the device appeared in the host namespace:\n%s", out)
	}
	sock := socket(t, ns)
	buf := make([]byte, 2048)

	// Kernel to plugin: a datagram sent in the namespace to an address
	// behind the device arrives through Receive.
	if _, err := sock.WriteToUDPAddrPort([]byte("to the mesh"), netip.AddrPortFrom(peerAddr, 4242)); err != nil {
		t.Fatal(err)
	}
	p := receiveUDP(t, i, buf)
	if string(p[48:]) != "to the mesh" || netip.AddrFrom16([16]byte(p[8:24])) != tunAddr {
		t.Fatalf("received % x", p)
	}

	// Plugin to kernel: a packet sent through the interface reaches the
	// socket.
	dst := netip.AddrPortFrom(tunAddr, uint16(sock.LocalAddr().(*net.UDPAddr).Port))
	data := make([]byte, 1400-48)
	copy(data, "from the mesh")
	if err := i.Send(udpPacket(dst, data)); err != nil {
		t.Fatal(err)
	}
	n, from, err := sock.ReadFromUDPAddrPort(buf)
	if err != nil || n != len(data) || !strings.HasPrefix(string(buf[:n]), "from the mesh") || from.Port() != 4242 {
		t.Fatalf("socket got %d bytes from %v, %v", n, from, err)
	}
	if c := i.Counters(); c.RxPackets == 0 || c.TxPackets == 0 {
		t.Fatalf("counters %+v", c)
	}

	// Closing the interface ends the plugin, which removes the device.
	i.Close()
	netns.WaitFor(t, 10*time.Second, "device removed after Close", func() bool {
		_, err := ns.Exec(0, "ip", "link", "show", "mehrt0")
		return err != nil
	})
}

// TestPluginRestart: a plugin killed with SIGKILL takes its device with
// it; the host restarts it in the namespace and the device comes back,
// configured, carrying packets.
func TestPluginRestart(t *testing.T) {
	ns := netns.New(t)
	i, err := start(t, ns, fmt.Sprintf("device = \"mehrt0\"\naddress = %q\n", tunPrefix))
	if err != nil {
		t.Fatal(err)
	}
	pid := i.Status().PID
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	netns.WaitFor(t, 20*time.Second, "plugin restarted", func() bool {
		s := i.Status()
		return s.Up && s.Restarts >= 1 && s.PID != pid
	})
	if out := ns.IP("-6", "addr", "show", "dev", "mehrt0"); !strings.Contains(out, "inet6 "+tunPrefix.String()) {
		t.Fatalf("address not set after the restart:\n%s", out)
	}
	sock := socket(t, ns)
	dst := netip.AddrPortFrom(tunAddr, uint16(sock.LocalAddr().(*net.UDPAddr).Port))
	if err := i.Send(udpPacket(dst, []byte("after the restart"))); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 2048)
	if n, _, err := sock.ReadFromUDPAddrPort(buf); err != nil || string(buf[:n]) != "after the restart" {
		t.Fatalf("socket got %q, %v", buf[:n], err)
	}
}

// TestPluginErrors: bad keys, and a plugin without CAP_NET_ADMIN, fail to
// start with an error that says why.
func TestPluginErrors(t *testing.T) {
	ns := netns.New(t)
	for _, tc := range []struct{ name, keys, want string }{
		{"bad address", "address = \"fd00::1\"\n", "prefix length"},
		{"small MTU", "mtu = 576\n", "MTU 576"},
		{"IPv4 address", "address = \"10.1.2.3/24\"\n", "not IPv6"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := start(t, ns, tc.keys)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one mentioning %q", err, tc.want)
			}
		})
	}
	t.Run("no CAP_NET_ADMIN", func(t *testing.T) {
		setpriv, err := exec.LookPath("setpriv")
		if err != nil {
			t.Skip("setpriv (util-linux) is not installed")
		}
		// Run the plugin as root without CAP_NET_ADMIN in its bounding set.
		wrapper := ns.Wrap(bin)
		script := fmt.Sprintf("#!/bin/sh\nexec %q --bounding-set=-net_admin --inh-caps=-net_admin %q \"$@\"\n", setpriv, wrapper)
		path := wrapper + "-nocap"
		if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		i, err := host.Start(ctx, host.Config{Name: "tun", Path: path, Config: []byte("device = \"mehrt9\"\n"), Logf: t.Logf})
		if err == nil {
			i.Close()
			t.Fatal("the plugin opened a TUN device without CAP_NET_ADMIN")
		}
		t.Logf("without CAP_NET_ADMIN: %v", err)
		if !strings.Contains(err.Error(), "needs CAP_NET_ADMIN") || !strings.Contains(err.Error(), "mehrt9") {
			t.Fatalf("error %q does not name the device and the capability", err)
		}
	})
}

// BenchmarkPlugin moves 1280-byte packets through the plugin path in both
// directions: Send to a socket in the namespace, and from the socket back
// through Receive.
func BenchmarkPlugin(b *testing.B) {
	ns := netns.New(b)
	i, err := start(b, ns, fmt.Sprintf("device = \"mehrb0\"\naddress = %q\n", tunPrefix))
	if err != nil {
		b.Fatal(err)
	}
	sock := socket(b, ns)
	dst := netip.AddrPortFrom(tunAddr, uint16(sock.LocalAddr().(*net.UDPAddr).Port))
	pkt := udpPacket(dst, make([]byte, tundev.MinMTU-48))
	buf := make([]byte, 2048)
	b.Run("Send", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(tundev.MinMTU)
		for b.Loop() {
			for i.Send(pkt) != nil {
				time.Sleep(time.Millisecond)
			}
			if _, _, err := sock.ReadFromUDPAddrPort(buf); err != nil {
				b.Fatal(err)
			}
		}
	})
	// Bursts of 32 packets measure throughput rather than one round
	// trip between the processes.
	const burst = 32
	sock.SetReadBuffer(4 << 20)
	b.Run("SendBurst", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(burst * tundev.MinMTU)
		for b.Loop() {
			for range burst {
				for i.Send(pkt) != nil {
					time.Sleep(time.Millisecond)
				}
			}
			for range burst {
				if _, _, err := sock.ReadFromUDPAddrPort(buf); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("ReceiveBurst", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(burst * tundev.MinMTU)
		to := netip.AddrPortFrom(peerAddr, 4242)
		for b.Loop() {
			for range burst {
				if _, err := sock.WriteToUDPAddrPort(pkt[48:], to); err != nil {
					b.Fatal(err)
				}
			}
			for got := 0; got < burst; {
				n, err := i.Receive(buf)
				if err != nil {
					b.Fatal(err)
				}
				if n == tundev.MinMTU {
					got++
				}
			}
		}
	})
	b.Run("Receive", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(tundev.MinMTU)
		to := netip.AddrPortFrom(peerAddr, 4242)
		for b.Loop() {
			if _, err := sock.WriteToUDPAddrPort(pkt[48:], to); err != nil {
				b.Fatal(err)
			}
			for {
				n, err := i.Receive(buf)
				if err != nil {
					b.Fatal(err)
				}
				if n == tundev.MinMTU {
					break
				}
			}
		}
	})
}
