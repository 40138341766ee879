package tun_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"net/netip"
	"testing"
	"time"

	"github.com/mehr-net/mehr/interfaces/ifacetest"
	"github.com/mehr-net/mehr/internal/testutil"
	"github.com/mehr-net/mehr/rns"
	"github.com/mehr-net/mehr/rns/link"
	"github.com/mehr-net/mehr/rns/transport"
	"github.com/mehr-net/mehr/rns/wire"
	"github.com/mehr-net/mehr/tun"
	"github.com/mehr-net/mehr/tun/tuntest"
)

// testTimeout bounds every wait in these tests; they normally take well
// under a second each.
const testTimeout = 30 * time.Second

type ipNode struct {
	n   *rns.Node
	dev *tuntest.Device
	a   *tun.Adapter
}

// newIPNode starts a node with an adapter on a fake device. The adapter
// does not announce until the test calls Announce.
func newIPNode(t testing.TB, transportEnabled bool, cfg tun.Config) *ipNode {
	t.Helper()
	n, err := rns.NewNode(rns.Options{TransportEnabled: transportEnabled})
	if err != nil {
		t.Fatal(err)
	}
	dev := tuntest.New(0, 0)
	cfg.AnnounceInterval = -1
	if cfg.Logf == nil {
		cfg.Logf = t.Logf
	}
	a, err := tun.New(n, dev, cfg)
	if err != nil {
		n.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		a.Close()
		n.Close()
	})
	return &ipNode{n: n, dev: dev, a: a}
}

// join connects two nodes with an in-memory pair of the given MTU.
func join(t testing.TB, a, b *rns.Node, mtu int) {
	t.Helper()
	pa, pb := ifacetest.NewPair(ifacetest.Config{Name: "to-b", MTU: mtu}, ifacetest.Config{Name: "to-a", MTU: mtu})
	if _, err := a.AddInterface(pa, transport.InterfaceOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.AddInterface(pb, transport.InterfaceOptions{}); err != nil {
		t.Fatal(err)
	}
}

// waitFor polls cond until it holds or the test timeout passes.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(testTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// knows reports whether x has y as a peer.
func knows(x, y *ipNode) bool {
	for _, p := range x.a.Status().Peers {
		if p.Address == y.a.Address() {
			return true
		}
	}
	return false
}

// announceAll announces every node's IP destination until each knows
// all the others (an announce may be lost to a rate cap or a race with
// interface setup, so it is repeated).
func announceAll(t testing.TB, nodes ...*ipNode) {
	t.Helper()
	deadline := time.Now().Add(testTimeout)
	for {
		all := true
		for _, x := range nodes {
			for _, y := range nodes {
				if x != y && !knows(x, y) {
					all = false
				}
			}
		}
		if all {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("peers not learned from announces")
		}
		for _, x := range nodes {
			if err := x.a.Announce(); err != nil {
				t.Fatal(err)
			}
		}
		for range 100 {
			time.Sleep(10 * time.Millisecond)
			done := true
			for _, x := range nodes {
				for _, y := range nodes {
					if x != y && !knows(x, y) {
						done = false
					}
				}
			}
			if done {
				break
			}
		}
	}
}

// recv returns the next packet the adapter wrote to dev.
func recv(t testing.TB, dev *tuntest.Device, what string) []byte {
	t.Helper()
	select {
	case p := <-dev.Outbound:
		return p
	case <-time.After(testTimeout):
		t.Fatalf("timed out waiting for %s", what)
		return nil
	}
}

// expectNothing checks that dev writes nothing while a marker packet sent
// after it from the same peer does arrive: the adapter handles one link's
// packets in order, so the marker bounds the wait.
func expectNothingBefore(t testing.TB, dev *tuntest.Device, marker []byte) {
	t.Helper()
	got := recv(t, dev, "marker packet")
	if !bytes.Equal(got, marker) {
		t.Fatalf("device got an unexpected packet of %d bytes before the marker", len(got))
	}
}

func TestPeersFromAnnounces(t *testing.T) {
	defer testutil.LeakCheck(t)()
	a := newIPNode(t, false, tun.Config{})
	b := newIPNode(t, false, tun.Config{})
	join(t, a.n, b.n, 0)
	announceAll(t, a, b)
	st := a.a.Status()
	if st.Address != tun.Address(tun.DefaultPrefix, a.a.Destination().Hash()) || st.Prefix != tun.DefaultPrefix {
		t.Errorf("status address %v prefix %v", st.Address, st.Prefix)
	}
	if len(st.Peers) != 1 {
		t.Fatalf("%d peers", len(st.Peers))
	}
	p := st.Peers[0]
	if p.Destination != b.a.Destination().Hash() || p.Address != tun.Address(tun.DefaultPrefix, p.Destination) || p.Source != tun.SourceAnnounce || p.Link != "none" {
		t.Errorf("peer %+v", p)
	}
	if a.a.Address() == b.a.Address() {
		t.Error("two nodes share an address")
	}
	a.a.Close()
	b.a.Close()
	a.n.Close()
	b.n.Close()
}

func TestICMPv6Answers(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	x := newIPNode(t, false, tun.Config{ICMPRate: 3, Now: func() time.Time { return now }})
	own := x.a.Address()
	src := netip.MustParseAddr("fd6d:6568:7200:1::1") // the kernel uses our address; any works
	unknown := netip.MustParseAddr("fd6d:6568:7200:dead::1")
	outside := netip.MustParseAddr("fd00:1::1")
	check := func(t *testing.T, orig []byte, typ, code uint8, param uint32) {
		t.Helper()
		x.dev.Inbound <- orig
		got := recv(t, x.dev, "ICMPv6 error")
		if !tun.ChecksumOK(got) {
			t.Error("bad checksum")
		}
		if got[6] != 58 || !bytes.Equal(got[8:24], own.AsSlice()) || !bytes.Equal(got[24:40], src.AsSlice()) {
			t.Errorf("header % x", got[:40])
		}
		if got[40] != typ || got[41] != code || binary.BigEndian.Uint32(got[44:]) != param {
			t.Errorf("ICMPv6 % x, want type %d code %d param %d", got[40:48], typ, code, param)
		}
		q := got[48:]
		if len(got) > tun.MinMTU || !bytes.Equal(q, orig[:len(q)]) {
			t.Error("quote is not the invoking packet's start")
		}
	}
	t.Run("unknown peer", func(t *testing.T) { check(t, tun.EchoPacket(src, unknown, false, 1, 1, 56), 1, 3, 0) })
	t.Run("outside prefix", func(t *testing.T) { check(t, tun.EchoPacket(src, outside, false, 1, 2, 56), 1, 0, 0) })
	t.Run("too big", func(t *testing.T) { check(t, tun.EchoPacket(src, unknown, false, 1, 3, 1400), 2, 0, 1280) })
	t.Run("rate limit and silent drops", func(t *testing.T) {
		// The bucket is empty after three errors at the same instant.
		ipv4 := []byte{0x45, 0, 0, 20, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2}
		icmpErr := tun.IPv6Packet(src, unknown, 58, []byte{1, 0, 0, 0, 0, 0, 0, 0})
		x.dev.Inbound <- ipv4
		x.dev.Inbound <- []byte{0x60, 1, 2}
		x.dev.Inbound <- icmpErr
		x.dev.Inbound <- tun.EchoPacket(src, netip.MustParseAddr("ff02::1"), false, 1, 1, 8)
		x.dev.Inbound <- tun.EchoPacket(src, unknown, false, 1, 4, 8)
		waitFor(t, "counters", func() bool { return x.a.Status().Counters.Read == 8 })
		c := x.a.Status().Counters
		if c.IPv4 != 1 || c.Malformed != 1 || c.Multicast != 1 || c.ICMPLimited != 1 || c.ICMPSent != 3 || c.Unknown != 3 {
			t.Errorf("counters %+v", c)
		}
		select {
		case p := <-x.dev.Outbound:
			t.Errorf("unexpected packet of %d bytes", len(p))
		default:
		}
		now = now.Add(time.Second)
		check(t, tun.EchoPacket(src, unknown, false, 1, 5, 8), 1, 3, 0)
	})
}

// line builds A — B — C joined by pipes of the given MTU, with transport
// on B only (B runs no adapter), and has A and C learn each other.
func line(t *testing.T, mtu int) (a, c *ipNode) {
	t.Helper()
	b, err := rns.NewNode(rns.Options{TransportEnabled: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	a = newIPNode(t, false, tun.Config{})
	c = newIPNode(t, false, tun.Config{})
	join(t, a.n, b, mtu)
	join(t, b, c.n, mtu)
	announceAll(t, a, c)
	return a, c
}

// ping sends an echo request of the given total size from x to y and
// answers it from y, checking both arrive intact.
func ping(t *testing.T, x, y *ipNode, seq uint16, size int) {
	t.Helper()
	req := tun.EchoPacket(x.a.Address(), y.a.Address(), false, 42, seq, size-48)
	x.dev.Inbound <- req
	if got := recv(t, y.dev, "echo request"); !bytes.Equal(got, req) {
		t.Fatalf("echo request arrived as %d different bytes", len(got))
	}
	rep := tun.EchoPacket(y.a.Address(), x.a.Address(), true, 42, seq, size-48)
	y.dev.Inbound <- rep
	if got := recv(t, x.dev, "echo reply"); !bytes.Equal(got, rep) {
		t.Fatalf("echo reply arrived as %d different bytes", len(got))
	}
}

func TestPingThroughTransport(t *testing.T) {
	defer testutil.LeakCheck(t)()
	t.Run("line", func(t *testing.T) {
		a, c := line(t, 0)
		for seq := range uint16(5) {
			ping(t, a, c, seq, 104)
		}
		// Counters follow the packets' delivery by a moment.
		waitFor(t, "counters", func() bool {
			pa, pc := a.a.Status().Peers[0], c.a.Status().Peers[0]
			return pa.TxPackets == 5 && pa.RxPackets == 5 && pc.TxPackets == 5 && pc.RxPackets == 5
		})
		if p := a.a.Status().Peers[0]; p.Link != "ACTIVE" || !p.Initiator || p.Establishments != 1 {
			t.Errorf("A's peer %+v", p)
		}
		// C answers on the link A opened and identified on.
		if p := c.a.Status().Peers[0]; p.Initiator || p.Establishments != 0 {
			t.Errorf("C's peer %+v", p)
		}
	})
}

// TestFragmentation sends 1280-byte packets across a path of 500-byte
// MTU interfaces (an RNode hop), where a link packet carries 431 bytes.
func TestFragmentation(t *testing.T) {
	a, c := line(t, 500)
	for seq := range uint16(3) {
		ping(t, a, c, seq, 1280)
	}
	ping(t, a, c, 9, 431) // one byte over a whole frame
	ping(t, a, c, 10, 430)
	if m := a.a.Status().Peers[0].LinkMTU; m != 500 {
		t.Errorf("link MTU %d", m)
	}
	waitFor(t, "4 packets fragmented and reassembled each way", func() bool {
		sa, sc := a.a.Status().Counters, c.a.Status().Counters
		return sa.Fragmented == 4 && sc.Reassembled == 4 && sc.Fragmented == 4 && sa.Reassembled == 4
	})
}

func TestSpoofedSourceDropped(t *testing.T) {
	a := newIPNode(t, false, tun.Config{})
	c := newIPNode(t, false, tun.Config{})
	join(t, a.n, c.n, 0)
	announceAll(t, a, c)
	ping(t, c, a, 1, 100) // C opens the link to A
	for i, src := range []netip.Addr{
		netip.MustParseAddr("fd6d:6568:7200:bad::1"), // another address in the prefix
		a.a.Address(), // A's own
		netip.MustParseAddr("fd00::1"),
	} {
		c.dev.Inbound <- tun.EchoPacket(src, a.a.Address(), false, 7, uint16(i), 64)
	}
	// A packet for another node, with C's true source, is dropped too.
	c.dev.Inbound <- tun.EchoPacket(c.a.Address(), netip.MustParseAddr("fd6d:6568:7200:1::1"), false, 7, 9, 64)
	marker := tun.EchoPacket(c.a.Address(), a.a.Address(), false, 7, 99, 64)
	c.dev.Inbound <- marker
	expectNothingBefore(t, a.dev, marker)
	st := a.a.Status()
	if st.Counters.Spoofed != 3 || st.Peers[0].Spoofed != 3 {
		t.Errorf("spoofed: counters %d, peer %d", st.Counters.Spoofed, st.Peers[0].Spoofed)
	}
}

func TestLinkReuseAndReestablish(t *testing.T) {
	a := newIPNode(t, false, tun.Config{})
	c := newIPNode(t, false, tun.Config{})
	join(t, a.n, c.n, 0)
	announceAll(t, a, c)
	for seq := range uint16(3) {
		ping(t, a, c, seq, 200)
	}
	l := a.a.PeerLink(c.a.Address())
	if l == nil {
		t.Fatal("no link")
	}
	if n := a.a.Status().Peers[0].Establishments; n != 1 {
		t.Fatalf("%d links opened for 3 pings", n)
	}
	l.Close()
	select {
	case <-l.Done():
	case <-time.After(testTimeout):
		t.Fatal("link did not close")
	}
	// C saw the close too, or will: its replies must find a link either way.
	waitFor(t, "C to drop the closed link", func() bool { return c.a.PeerLink(a.a.Address()) != l })
	ping(t, a, c, 10, 200)
	if n := a.a.Status().Peers[0].Establishments; n != 2 {
		t.Errorf("%d links opened, want 2", n)
	}
	// The new link becomes the peer's once the packets that waited for
	// it are sent, which may be just after the reply arrived.
	waitFor(t, "the new link", func() bool { l2 := a.a.PeerLink(c.a.Address()); return l2 != nil && l2 != l })
}

// BenchmarkDeviceToLink measures the outbound path of one packet: parse,
// lookup, framing and the link send (encryption, transport) to a directly
// joined peer, whose device drains the packets.
func BenchmarkDeviceToLink(b *testing.B) {
	for _, size := range []int{400, 1280} {
		b.Run(map[int]string{400: "whole", 1280: "fragmented"}[size], func(b *testing.B) {
			a := newIPNode(b, false, tun.Config{Logf: func(string, ...any) {}})
			c := newIPNode(b, false, tun.Config{Logf: func(string, ...any) {}})
			join(b, a.n, c.n, 0)
			announceAll(b, a, c)
			pkt := tun.EchoPacket(a.a.Address(), c.a.Address(), false, 1, 1, size-48)
			a.dev.Inbound <- pkt
			recv(b, c.dev, "first packet")
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go func() {
				for {
					select {
					case <-c.dev.Outbound:
					case <-ctx.Done():
						return
					}
				}
			}()
			b.ReportAllocs()
			b.SetBytes(int64(size))
			for b.Loop() {
				a.a.HandleOutbound(pkt)
			}
		})
	}
}

// TestUnidentifiedLinkDropped opens a link to A's IP destination by hand:
// packets on it reach A's device only after the initiator identified
// itself, and then only with its own address as source.
func TestUnidentifiedLinkDropped(t *testing.T) {
	a := newIPNode(t, false, tun.Config{})
	c := newIPNode(t, false, tun.Config{})
	join(t, a.n, c.n, 0)
	announceAll(t, a, c)
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	l, err := link.Establish(ctx, c.n.Transport(), a.n.Identity(), a.a.Destination().Hash(), link.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	pkt := tun.EchoPacket(c.a.Address(), a.a.Address(), false, 3, 1, 64)
	if _, err := l.SendPacket(wire.Data, wire.ContextNone, tun.AppendWhole(nil, pkt)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the unidentified packet to be counted", func() bool { return a.a.Status().Counters.Unidentified == 1 })
	if err := l.Identify(c.n.Identity()); err != nil {
		t.Fatal(err)
	}
	if _, err := l.SendPacket(wire.Data, wire.ContextNone, tun.AppendWhole(nil, pkt)); err != nil {
		t.Fatal(err)
	}
	if got := recv(t, a.dev, "identified packet"); !bytes.Equal(got, pkt) {
		t.Fatal("identified packet changed")
	}
	select {
	case p := <-a.dev.Outbound:
		t.Fatalf("unidentified packet of %d bytes was delivered", len(p))
	default:
	}
}
