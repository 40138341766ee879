package tun

import (
	"bytes"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mehr-net/mehr/interfaces/ifacetest"
	"github.com/mehr-net/mehr/internal/testutil"
	"github.com/mehr-net/mehr/rns"
	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/transport"
	"github.com/mehr-net/mehr/rns/wire"
)

// nullDevice reads nothing until closed and counts what is written.
type nullDevice struct {
	once    sync.Once
	closed  chan struct{}
	written atomic.Uint64
	// check, if set, sees every written packet.
	check func(p []byte)
}

func newNullDevice() *nullDevice { return &nullDevice{closed: make(chan struct{})} }

func (d *nullDevice) Read([]byte) (int, error) {
	<-d.closed
	return 0, net.ErrClosed
}
func (d *nullDevice) Write(p []byte) (int, error) {
	if d.check != nil {
		d.check(p)
	}
	d.written.Add(1)
	return len(p), nil
}
func (d *nullDevice) MTU() int     { return MinMTU }
func (d *nullDevice) Close() error { d.once.Do(func() { close(d.closed) }); return nil }

func newTestAdapter(t testing.TB, cfg Config) (*Adapter, *nullDevice) {
	t.Helper()
	n, err := rns.NewNode(rns.Options{NoJobs: true})
	if err != nil {
		t.Fatal(err)
	}
	dev := newNullDevice()
	cfg.AnnounceInterval = -1
	a, err := New(n, dev, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		a.Close()
		n.Close()
	})
	return a, dev
}

func TestNewRejects(t *testing.T) {
	n, err := rns.NewNode(rns.Options{NoJobs: true})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	for _, cfg := range []Config{
		{Prefix: netip.MustParsePrefix("fd00::/80")},
		{Prefix: netip.MustParsePrefix("2001:db8::/48")},
		{MTU: 1279},
	} {
		if a, err := New(n, newNullDevice(), cfg); err == nil {
			a.Close()
			t.Errorf("New accepted %+v", cfg)
		}
	}
}

// hashWith returns a hash that starts with the first n bytes of h and
// differs from it afterwards.
func hashWith(h wire.Hash, n int, fill byte) wire.Hash {
	out := h
	for i := n; i < len(out); i++ {
		out[i] = fill ^ h[i] ^ 0xff
	}
	return out
}

func TestCollisions(t *testing.T) {
	var mu sync.Mutex
	var logs []string
	a, _ := newTestAdapter(t, Config{Logf: func(f string, args ...any) {
		mu.Lock()
		logs = append(logs, fmt.Sprintf(f, args...))
		mu.Unlock()
	}})
	id1, _ := identity.Generate(nil)
	id2, _ := identity.Generate(nil)
	h1 := wire.Hash{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	// /48 keeps 80 bits = 10 bytes of the hash: h2 shares them.
	h2 := hashWith(h1, 10, 0x55)
	a.handleAnnounce(transport.AnnounceInfo{Destination: h1, Identity: id1})
	a.handleAnnounce(transport.AnnounceInfo{Destination: h2, Identity: id2})
	a.handleAnnounce(transport.AnnounceInfo{Destination: h2, Identity: id2}) // counted, reported once
	// One that collides with this node's own address.
	own := hashWith(a.dest.Hash(), 10, 0x33)
	a.handleAnnounce(transport.AnnounceInfo{Destination: own, Identity: id2})
	// One that does not collide, and h1 again (an update, no collision).
	h3 := hashWith(h1, 9, 0x77)
	a.handleAnnounce(transport.AnnounceInfo{Destination: h3, Identity: id2})
	a.handleAnnounce(transport.AnnounceInfo{Destination: h1, Identity: id1})

	st := a.Status()
	if st.Counters.Collisions != 3 {
		t.Errorf("Collisions = %d", st.Counters.Collisions)
	}
	if len(st.Peers) != 2 {
		t.Fatalf("%d peers", len(st.Peers))
	}
	addr1 := Address(DefaultPrefix, h1)
	for _, p := range st.Peers {
		switch p.Address {
		case addr1:
			if p.Destination != h1 || p.Collisions != 2 {
				t.Errorf("first-seen peer %+v", p)
			}
		case Address(DefaultPrefix, h3):
			if p.Collisions != 0 {
				t.Errorf("peer %+v", p)
			}
		default:
			t.Errorf("unexpected peer %v", p.Address)
		}
	}
	if len(st.Collisions) != 2 {
		t.Fatalf("collision reports %+v", st.Collisions)
	}
	if c := st.Collisions[0]; c.Address != addr1 || c.Kept != h1 || c.Rejected != h2 || c.Count != 2 {
		t.Errorf("report %+v", c)
	}
	if c := st.Collisions[1]; c.Address != a.Address() || c.Kept != a.dest.Hash() || c.Rejected != own {
		t.Errorf("self report %+v", c)
	}
	mu.Lock()
	defer mu.Unlock()
	n := 0
	for _, l := range logs {
		if strings.Contains(l, "address collision") {
			n++
		}
	}
	if n != 2 {
		t.Errorf("%d collision log lines, want 2", n)
	}
}

// inboundFixture is an adapter with one peer and the link state packets
// from it arrive on.
func inboundFixture(t testing.TB) (*Adapter, *nullDevice, *linkState, *peer) {
	a, dev := newTestAdapter(t, Config{})
	id, _ := identity.Generate(nil)
	h := wire.Hash{0xaa, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}
	p := a.learn(h, id, SourceAnnounce)
	ls := &linkState{peer: p, reasm: NewReassembler(a.mtu, 4, time.Second)}
	return a, dev, ls, p
}

// TestReceiveChecks covers the inbound checks without links: frames,
// source, destination.
func TestReceiveChecks(t *testing.T) {
	a, dev, ls, p := inboundFixture(t)
	from := netip.AddrFrom16(p.addr)
	good := echoPacket(from, a.Address(), false, 1, 1, 100)
	a.receive(ls, AppendWhole(nil, good))
	a.receive(ls, AppendWhole(nil, echoPacket(netip.MustParseAddr("fd6d:6568:7200::1"), a.Address(), false, 1, 1, 100)))
	a.receive(ls, AppendWhole(nil, echoPacket(from, from, false, 1, 1, 100)))
	a.receive(ls, []byte{7, 7})
	a.receive(ls, AppendWhole(nil, []byte{0x45, 0, 0}))
	big := echoPacket(from, a.Address(), false, 1, 2, 1232)
	for _, f := range fragmentFrames(big, 3, 431) {
		a.receive(ls, f)
	}
	c := a.Status().Counters
	if dev.written.Load() != 2 || c.Spoofed != 1 || c.NotForUs != 1 || c.BadFrames != 1 || c.BadPackets != 1 || c.Reassembled != 1 {
		t.Errorf("written %d, counters %+v", dev.written.Load(), c)
	}
	if p.rxPackets.Load() != 2 || p.spoofed.Load() != 1 {
		t.Errorf("peer rx %d spoofed %d", p.rxPackets.Load(), p.spoofed.Load())
	}
}

func fragmentFrames(pkt []byte, id uint16, mdu int) [][]byte {
	count, chunk := Fragments(len(pkt), mdu)
	var out [][]byte
	for i := range count {
		out = append(out, AppendFragment(nil, id, uint8(i), uint8(count), pkt[i*chunk:min((i+1)*chunk, len(pkt))]))
	}
	return out
}

func TestReceiveAllocs(t *testing.T) {
	a, _, ls, p := inboundFixture(t)
	from := netip.AddrFrom16(p.addr)
	whole := AppendWhole(nil, echoPacket(from, a.Address(), false, 1, 1, 352))
	pkt := echoPacket(from, a.Address(), false, 1, 1, 1232)
	frags := fragmentFrames(pkt, 5, 431)
	testutil.MaxAllocs(t, 100, 0, func() { a.receive(ls, whole) })
	testutil.MaxAllocs(t, 100, 0, func() {
		for _, f := range frags {
			a.receive(ls, f)
		}
	})
}

// BenchmarkLinkToDevice measures the inbound path of one packet from the
// link's plaintext to Device.Write: frame decode, reassembly, checks.
func BenchmarkLinkToDevice(b *testing.B) {
	a, dev, ls, p := inboundFixture(b)
	for _, size := range []int{400, 1280} {
		pkt := echoPacket(netip.AddrFrom16(p.addr), a.Address(), false, 1, 1, size-48)
		frames := fragmentFrames(pkt, 1, 431)
		if size <= 430 {
			frames = [][]byte{AppendWhole(nil, pkt)}
		}
		b.Run(fmt.Sprint(size), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(size))
			before := dev.written.Load()
			for b.Loop() {
				for _, f := range frames {
					a.receive(ls, f)
				}
			}
			if dev.written.Load() == before {
				b.Fatal("nothing delivered")
			}
		})
	}
}

// BenchmarkRoute measures the outbound checks and lookup for a packet to
// an unknown address answered with ICMPv6 (no link involved).
func BenchmarkRouteUnknown(b *testing.B) {
	a, _ := newTestAdapter(b, Config{ICMPRate: 1 << 30})
	pkt := echoPacket(netip.MustParseAddr("fd6d:6568:7200:1::1"), netip.MustParseAddr("fd6d:6568:7200:2::2"), false, 1, 1, 64)
	b.ReportAllocs()
	for b.Loop() {
		a.handleOutbound(pkt)
	}
}

// TestPendingBoundedAndLinkFailure sends packets to a peer that has no
// path: the first ones wait (bounded), the rest are dropped, and when the
// link cannot be opened the waiting ones are dropped and the failure
// reported.
func TestPendingBoundedAndLinkFailure(t *testing.T) {
	a, _ := newTestAdapter(t, Config{Pending: 3, EstablishTimeout: 200 * time.Millisecond})
	// An interface that sends the path request nowhere keeps the attempt
	// waiting until EstablishTimeout; with none at all it would fail at
	// once, racing the packets below.
	if _, err := a.node.AddInterface(ifacetest.NewMock(ifacetest.MockConfig{Name: "void"}), transport.InterfaceOptions{}); err != nil {
		t.Fatal(err)
	}
	id, _ := identity.Generate(nil)
	h := wire.Hash{0xbb, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}
	a.handleAnnounce(transport.AnnounceInfo{Destination: h, Identity: id})
	dst := Address(a.prefix, h)
	for i := range 5 {
		a.handleOutbound(echoPacket(a.Address(), dst, false, 1, uint16(i), 64))
	}
	st := a.Status()
	if st.Counters.QueueDrops != 2 || st.Peers[0].Dropped < 2 {
		t.Errorf("queue drops %d, peer dropped %d", st.Counters.QueueDrops, st.Peers[0].Dropped)
	}
	deadline := time.Now().Add(10 * time.Second)
	for a.Status().Counters.LinkFailures == 0 {
		if time.Now().After(deadline) {
			t.Fatal("link attempt did not fail")
		}
		time.Sleep(10 * time.Millisecond)
	}
	p := a.Status().Peers[0]
	t.Logf("link attempt: %s", p.LastError)
	if p.Dropped != 5 || p.Pending != 0 || p.Link != "none" || p.LastError == "" || p.Establishments != 0 {
		t.Errorf("peer %+v", p)
	}
}

// FuzzReceive feeds link plaintexts (split at 0xfe 0xfe) from one peer to
// the inbound path: it must never panic, and whatever reaches the device
// is a whole IPv6 packet from the peer's address to this node's, within
// the MTU.
func FuzzReceive(f *testing.F) {
	a, dev, ls, p := inboundFixture(f)
	from := netip.AddrFrom16(p.addr)
	good := echoPacket(from, a.Address(), false, 1, 1, 1232)
	f.Add(AppendWhole(nil, good[:0]))
	f.Add(bytes.Join(fragmentFrames(good, 1, 431), []byte{0xfe, 0xfe}))
	f.Add(AppendWhole(nil, echoPacket(from, a.Address(), false, 1, 1, 10)))
	f.Add(AppendWhole(nil, echoPacket(a.Address(), a.Address(), false, 1, 1, 10)))
	f.Fuzz(func(t *testing.T, in []byte) {
		dev.check = func(pkt []byte) {
			var h Header
			if err := h.Decode(pkt); err != nil || h.Len != len(pkt) || h.Src != p.addr || h.Dst != a.addr || len(pkt) > a.mtu {
				t.Fatalf("device got a packet it should not: %x", pkt)
			}
		}
		for _, b := range bytes.Split(in, []byte{0xfe, 0xfe}) {
			a.receive(ls, b)
		}
	})
}
