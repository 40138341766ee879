package auto

import (
	"bytes"
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/mehr-net/mehr/internal/testutil"
	"github.com/mehr-net/mehr/rns/iface"
)

func TestSelectNICs(t *testing.T) {
	ll := func(s string) netip.Addr { return netip.MustParseAddr(s) }
	infos := []nicInfo{
		{name: "lo", index: 1, up: true, addrs: []netip.Addr{ll("::1"), ll("127.0.0.1")}},
		{name: "eth0", index: 2, up: true, addrs: []netip.Addr{ll("192.0.2.1"), ll("2001:db8::1"), ll("fe80::1")}},
		{name: "wlan0", index: 3, up: true, addrs: []netip.Addr{ll("fe80::2"), ll("fe80::3")}},
		{name: "down0", index: 4, up: false, addrs: []netip.Addr{ll("fe80::4")}},
		{name: "lo0", index: 5, up: true, addrs: []netip.Addr{ll("fe80::5")}},
		{name: "ula0", index: 6, up: true, addrs: []netip.Addr{ll("fd00::6"), ll("fe81::6")}},
		{name: "eth1", index: 7, up: true, addrs: []netip.Addr{ll("fe80::7")}},
	}
	tests := []struct {
		name             string
		allowed, ignored []string
		want             map[string]string // NIC -> link-local address
	}{
		{"all", nil, nil, map[string]string{"eth0": "fe80::1", "wlan0": "fe80::3", "eth1": "fe80::7"}},
		{"ignored", nil, []string{"wlan0"}, map[string]string{"eth0": "fe80::1", "eth1": "fe80::7"}},
		{"allowed", []string{"eth1", "down0"}, nil, map[string]string{"eth1": "fe80::7"}},
		{"allowed and ignored", []string{"eth1", "eth0"}, []string{"eth0"}, map[string]string{"eth1": "fe80::7"}},
		{"lo0 is always ignored", []string{"lo0"}, nil, map[string]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := selectNICs(infos, tt.allowed, tt.ignored)
			if len(got) != len(tt.want) {
				t.Fatalf("selected %v, want %v", got, tt.want)
			}
			for _, info := range got {
				if w, ok := tt.want[info.name]; !ok || info.addrs[0] != netip.MustParseAddr(w) {
					t.Fatalf("selected %s %v, want %v", info.name, info.addrs, tt.want)
				}
			}
		})
	}
}

func TestDedup(t *testing.T) {
	var d dedup
	t0 := time.Unix(1000, 0)
	a := [32]byte{1}
	if d.seen(a, t0) {
		t.Fatal("empty filter saw a packet")
	}
	d.add(a, t0)
	if !d.seen(a, t0.Add(DedupTTL-time.Millisecond)) {
		t.Fatal("duplicate within the TTL not seen")
	}
	if d.seen(a, t0.Add(DedupTTL)) {
		t.Fatal("duplicate after the TTL seen")
	}
	// DedupLen other packets push it out.
	for i := range DedupLen {
		d.add([32]byte{2, byte(i)}, t0)
	}
	if d.seen(a, t0) {
		t.Fatal("evicted entry still seen")
	}
	if !d.seen([32]byte{2, 0}, t0) {
		t.Fatal("recent entry not seen")
	}
}

// fakeClock is a settable clock for the Listener.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

// testListener returns a Listener without sockets or goroutines, with
// one NIC "test0" whose address is fe80::a, and a fake clock.
func testListener(t *testing.T) (*Listener, *nic, *fakeClock) {
	t.Helper()
	l, err := newListener(Config{GroupID: "unit"})
	if err != nil {
		t.Fatal(err)
	}
	clk := &fakeClock{time.Unix(1_700_000_000, 0)}
	l.now = clk.now
	l.listNICs = func() ([]nicInfo, error) { return nil, nil }
	n := &nic{name: "test0", index: 9, indexStr: "9", ll: netip.MustParseAddr("fe80::a"), lastEcho: clk.t}
	n.token = DiscoveryToken(l.group, n.ll)
	l.nics[n.index] = n
	l.own[n.ll] = n
	return l, n, clk
}

func TestPeerLifecycle(t *testing.T) {
	defer testutil.LeakCheck(t)()
	l, n, clk := testListener(t)
	defer l.Close()
	peerAddr := netip.MustParseAddr("fe80::b")
	src := netip.AddrPortFrom(peerAddr.WithZone("test0"), 1234)
	tok := DiscoveryToken(l.group, peerAddr)

	// Wrong group, short token: ignored.
	other := DiscoveryToken([]byte("other"), peerAddr)
	l.handleDiscovery(other[:], src, n)
	l.handleDiscovery(tok[:10], src, n)
	// Our own token comes back: an echo, not a peer.
	l.handleDiscovery(n.token[:], netip.AddrPortFrom(n.ll.WithZone("test0"), 1), n)
	if ds := l.Devices(); len(ds) != 1 || !ds[0].Echoed || !ds[0].Carrier {
		t.Fatalf("devices after echo: %+v", ds)
	}
	// Data from an unknown address is ignored.
	b := getBuf()
	copy(b[:], "data before discovery")
	l.handleData(b, 21, src, n)
	if l.Stats().Unknown != 1 {
		t.Fatalf("stats %+v", l.Stats())
	}
	l.mu.Lock()
	np := len(l.peers)
	l.mu.Unlock()
	if np != 0 {
		t.Fatalf("%d peers before a valid token", np)
	}

	// A valid token, longer than needed, makes a peer; a second one only
	// refreshes it.
	l.handleDiscovery(append(tok[:], 0xAA), src, n)
	l.handleDiscovery(tok[:], src, n)
	ifc, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	p := ifc.(*Peer)
	if p.Name() != "AutoInterface/test0/fe80::b" || p.MTU() != HWMTU || p.Bitrate() != DefaultBitrate || p.Mode() != iface.ModeFull {
		t.Fatalf("peer %s MTU %d bitrate %d mode %v", p.Name(), p.MTU(), p.Bitrate(), p.Mode())
	}
	if p.Addr() != netip.MustParseAddr("fe80::b%test0") {
		t.Fatalf("peer address %v", p.Addr())
	}
	l.mu.Lock()
	queued := len(l.pending)
	l.mu.Unlock()
	if queued != 0 {
		t.Fatalf("%d peers still queued after a refresh", queued)
	}

	// Data reaches the peer once; a duplicate within the TTL is dropped,
	// after it is accepted again.
	deliver := func(s string) {
		b := getBuf()
		copy(b[:], s)
		l.handleData(b, len(s), src, n)
	}
	buf := make([]byte, HWMTU+MaxIFACSize)
	recv := func() string {
		t.Helper()
		n, err := p.Receive(buf)
		if err != nil {
			t.Fatal(err)
		}
		return string(buf[:n])
	}
	deliver("first packet")
	deliver("first packet")
	deliver("second packet")
	if got := recv(); got != "first packet" {
		t.Fatalf("got %q", got)
	}
	if got := recv(); got != "second packet" {
		t.Fatalf("got %q", got)
	}
	if l.Stats().Duplicates != 1 {
		t.Fatalf("stats %+v", l.Stats())
	}
	clk.t = clk.t.Add(DedupTTL)
	deliver("first packet")
	if got := recv(); got != "first packet" {
		t.Fatalf("got %q", got)
	}
	// A datagram longer than the caller's buffer is dropped.
	deliver(string(bytes.Repeat([]byte{'x'}, 100)))
	deliver("fits")
	if n, err := p.Receive(buf[:50]); err != nil || string(buf[:n]) != "fits" {
		t.Fatalf("Receive = %q, %v", buf[:n], err)
	}
	if c := p.Counters(); c.RxPackets != 4 || c.Dropped != 1 {
		t.Fatalf("counters %+v", c)
	}
	// No socket on the NIC: Send reports it.
	if err := p.Send([]byte("x")); !errors.Is(err, ErrNoDevice) {
		t.Fatalf("Send = %v", err)
	}
	if err := p.Send(make([]byte, HWMTU+MaxIFACSize+1)); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("Send = %v", err)
	}

	// Heard from 20 s ago: kept, and the carrier is lost without echoes.
	clk.t = clk.t.Add(20 * time.Second)
	l.peerJobs()
	if ds := l.Devices(); ds[0].Carrier {
		t.Fatalf("carrier still up after %v without echoes", 20*time.Second)
	}
	select {
	case <-p.done:
		t.Fatal("peer expired early")
	default:
	}
	// After PeeringTimeout of silence, the peer ends.
	clk.t = clk.t.Add(PeeringTimeout - 20*time.Second + time.Second)
	l.peerJobs()
	if _, err := p.Receive(buf); !errors.Is(err, ErrPeerLost) || !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Receive after timeout = %v", err)
	}
	if err := p.Send([]byte("x")); !errors.Is(err, ErrPeerLost) {
		t.Fatalf("Send after timeout = %v", err)
	}

	// Heard again: a new peer.
	l.handleDiscovery(tok[:], src, n)
	ifc2, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	if ifc2 == ifc {
		t.Fatal("the timed-out peer came back instead of a new one")
	}
	// Closing a peer forgets it; rediscovery makes another.
	ifc2.Close()
	ifc2.Close()
	if _, err := ifc2.Receive(buf); !errors.Is(err, net.ErrClosed) || errors.Is(err, ErrPeerLost) {
		t.Fatalf("Receive after Close = %v", err)
	}
	l.handleDiscovery(tok[:], src, n)
	ifc3, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}

	// Closing the listener closes its peers and unblocks Accept.
	rerr := make(chan error, 1)
	go func() {
		_, err := ifc3.Receive(buf[:0:0])
		rerr <- err
	}()
	aerr := make(chan error, 1)
	go func() {
		_, err := l.Accept()
		aerr <- err
	}()
	l.Close()
	l.Close()
	for _, ch := range []chan error{rerr, aerr} {
		select {
		case err := <-ch:
			if !errors.Is(err, net.ErrClosed) {
				t.Fatalf("after Close: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("Close did not unblock")
		}
	}
}

func TestPeerQueueBounded(t *testing.T) {
	l, n, _ := testListener(t)
	defer l.Close()
	peerAddr := netip.MustParseAddr("fe80::c")
	src := netip.AddrPortFrom(peerAddr, 1)
	tok := DiscoveryToken(l.group, peerAddr)
	l.handleDiscovery(tok[:], src, n)
	ifc, _ := l.Accept()
	for i := range peerQueue + 10 {
		b := getBuf()
		b[0], b[1] = byte(i), byte(i>>8)
		l.handleData(b, 2, src, n)
	}
	if d := ifc.(*Peer).Counters().Dropped; d != 10 {
		t.Fatalf("dropped %d, want 10", d)
	}
}

func TestDiscoveryZone(t *testing.T) {
	l, n, _ := testListener(t)
	defer l.Close()
	n2 := &nic{name: "test1", index: 10, indexStr: "10", ll: netip.MustParseAddr("fe80::a2")}
	l.nics[n2.index] = n2
	peerAddr := netip.MustParseAddr("fe80::d")
	tok := DiscoveryToken(l.group, peerAddr)
	// A token received on test0's socket but from test1 (a socket not
	// scoped to one NIC) belongs to test1; one from a NIC we do not use
	// is ignored.
	l.handleDiscovery(tok[:], netip.AddrPortFrom(peerAddr.WithZone("test1"), 1), n)
	l.handleDiscovery(tok[:], netip.AddrPortFrom(peerAddr.WithZone("10"), 1), n)
	l.handleDiscovery(tok[:], netip.AddrPortFrom(peerAddr.WithZone("other"), 1), n)
	ifc, _ := l.Accept()
	if p := ifc.(*Peer); p.index != 10 {
		t.Fatalf("peer on NIC %d", p.index)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.peers) != 1 {
		t.Fatalf("%d peers", len(l.peers))
	}
}

func TestReversePeering(t *testing.T) {
	l, n, clk := testListener(t)
	defer l.Close()
	peerAddr := netip.MustParseAddr("fe80::e")
	tok := DiscoveryToken(l.group, peerAddr)
	l.handleDiscovery(tok[:], netip.AddrPortFrom(peerAddr, 1), n)
	step := func(d time.Duration) jobs {
		clk.t = clk.t.Add(d)
		l.mu.Lock()
		defer l.mu.Unlock()
		return l.peerJobsLocked(clk.t)
	}
	// Jobs run every PeerJobInterval; a reverse token goes out once more
	// than ReversePeeringInterval has passed since the last one.
	if j := step(PeerJobInterval); len(j.reverse) != 0 {
		t.Fatalf("reverse token after %v", PeerJobInterval)
	}
	j := step(PeerJobInterval)
	if len(j.reverse) != 1 {
		t.Fatalf("%d reverse tokens after %v", len(j.reverse), 2*PeerJobInterval)
	}
	r := j.reverse[0]
	want := netip.AddrPortFrom(peerAddr.WithZone("test0"), DefaultDiscoveryPort+1)
	if r.dst != want || r.tok != n.token {
		t.Fatalf("reverse token %x to %v, want our token to %v", r.tok, r.dst, want)
	}
	if j := step(PeerJobInterval); len(j.reverse) != 0 {
		t.Fatal("reverse token repeated too soon")
	}
	if j := step(PeerJobInterval); len(j.reverse) != 1 {
		t.Fatal("no second reverse token")
	}
}

// TestReceiveAllocs checks that the data path from a received datagram to
// Receive does not allocate.
func TestReceiveAllocs(t *testing.T) {
	l, n, clk := testListener(t)
	defer l.Close()
	peerAddr := netip.MustParseAddr("fe80::f")
	src := netip.AddrPortFrom(peerAddr.WithZone("test0"), 1)
	tok := DiscoveryToken(l.group, peerAddr)
	l.handleDiscovery(tok[:], src, n)
	ifc, _ := l.Accept()
	buf := make([]byte, HWMTU)
	var i uint64
	testutil.MaxAllocs(t, 200, 0, func() {
		i++
		b := getBuf()
		b[0], b[1], b[2] = byte(i), byte(i>>8), byte(i>>16)
		l.handleData(b, 500, src, n)
		if _, err := ifc.Receive(buf); err != nil {
			t.Fatal(err)
		}
		clk.t = clk.t.Add(time.Millisecond)
	})
}

func BenchmarkReceive(b *testing.B) {
	l, err := newListener(Config{})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	n := &nic{name: "test0", index: 9, ll: netip.MustParseAddr("fe80::a")}
	l.nics[n.index] = n
	peerAddr := netip.MustParseAddr("fe80::f")
	src := netip.AddrPortFrom(peerAddr, 1)
	tok := DiscoveryToken(l.group, peerAddr)
	l.handleDiscovery(tok[:], src, n)
	ifc, _ := l.Accept()
	buf := make([]byte, HWMTU)
	var i uint64
	b.ReportAllocs()
	b.SetBytes(500)
	for b.Loop() {
		i++
		pb := getBuf()
		pb[0], pb[1], pb[2], pb[3] = byte(i), byte(i>>8), byte(i>>16), byte(i>>24)
		l.handleData(pb, 500, src, n)
		if _, err := ifc.Receive(buf); err != nil {
			b.Fatal(err)
		}
	}
}
