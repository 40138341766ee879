package transport_test

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/mehr-net/mehr/interfaces/ifacetest"
	"github.com/mehr-net/mehr/rns/announce"
	"github.com/mehr-net/mehr/rns/dest"
	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/ifac"
	"github.com/mehr-net/mehr/rns/transport"
	"github.com/mehr-net/mehr/rns/wire"
)

// seamNode is one transport on a fake clock with mock interfaces.
type seamNode struct {
	t     *transport.Transport
	clock *clock
}

func newSeamNode(tb testing.TB, enabled bool) *seamNode {
	tb.Helper()
	id, err := identity.FromPrivateKey(bytes.Repeat([]byte{7}, 64))
	if err != nil {
		tb.Fatal(err)
	}
	c := newClock()
	tr, err := transport.New(transport.Config{Identity: id, Enabled: enabled, Now: c.Now, NoJobs: true})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { tr.Close() })
	return &seamNode{t: tr, clock: c}
}

func (n *seamNode) mock(tb testing.TB, cfg ifacetest.MockConfig, opts transport.InterfaceOptions) (*ifacetest.Mock, *transport.Iface) {
	tb.Helper()
	m := ifacetest.NewMock(cfg)
	ti, err := n.t.AddInterface(m, opts)
	if err != nil {
		tb.Fatal(err)
	}
	return m, ti
}

// remoteAnnounce builds an announce of a destination of another node.
func remoteAnnounce(tb testing.TB, seed byte, at time.Time) ([]byte, wire.Hash) {
	tb.Helper()
	id, err := identity.FromPrivateKey(bytes.Repeat([]byte{seed}, 64))
	if err != nil {
		tb.Fatal(err)
	}
	d, err := dest.New(id, dest.In, wire.Single, nil, "mehrtest", "seam")
	if err != nil {
		tb.Fatal(err)
	}
	rh := announce.RandomHash([]byte{seed, 1, 2, 3, 4}, at)
	raw, err := announce.Append(nil, &announce.Params{Destination: d, RandomHash: rh})
	if err != nil {
		tb.Fatal(err)
	}
	return raw, d.Hash
}

func TestSeamsAnnounceTableAndForcedJobs(t *testing.T) {
	n := newSeamNode(t, true)
	ma, ia := n.mock(t, ifacetest.MockConfig{Name: "a"}, transport.InterfaceOptions{})
	mb, _ := n.mock(t, ifacetest.MockConfig{Name: "b"}, transport.InterfaceOptions{})
	raw, h := remoteAnnounce(t, 1, n.clock.Now())
	n.t.InboundFrame(append([]byte(nil), raw...), ia)

	pe, ok := n.t.Path(h)
	if !ok || pe.Hops != 1 || pe.Interface != ia {
		t.Fatalf("path after announce: %+v, %v", pe, ok)
	}
	ae, ok := n.t.PendingAnnounce(h)
	if !ok || ae.Retries != 0 || ae.Hops != 1 || ae.ReceivedFrom != h {
		t.Fatalf("pending announce: %+v, %v", ae, ok)
	}
	if ph, _ := wire.PacketHash(raw); ae.PacketHash != ph {
		t.Errorf("announce packet hash %x, want %x", ae.PacketHash, ph)
	}
	if len(n.t.PendingAnnounces()) != 1 {
		t.Errorf("PendingAnnounces has %d entries", len(n.t.PendingAnnounces()))
	}

	// Move the retransmission into the past: a forced job round sends
	// it at once, on both interfaces, without the clock advancing.
	if !n.t.SetAnnounceTimes(h, time.Time{}, n.clock.Now().Add(-time.Second)) {
		t.Fatal("SetAnnounceTimes: no entry")
	}
	n.t.ForceJobs()
	if got := len(mb.Drain()); got != 1 {
		t.Errorf("rebroadcasts on b: %d, want 1", got)
	}
	ma.Drain()
	if ae, _ := n.t.PendingAnnounce(h); ae.Retries != 1 {
		t.Errorf("retries after forced round: %d, want 1", ae.Retries)
	}
	if n.t.SetAnnounceTimes(wire.Hash{1}, n.clock.Now(), time.Time{}) {
		t.Error("SetAnnounceTimes reported an unknown entry")
	}

	// Age the path past its lifetime: the forced cull drops it.
	if !n.t.SetPathTimes(h, n.clock.Now().Add(-transport.DestinationTimeout-time.Minute), time.Time{}) {
		t.Fatal("SetPathTimes: no path")
	}
	n.t.ForceJobs()
	if n.t.HasPath(h) {
		t.Error("aged path survived a forced cull")
	}
}

func TestSeamsDetachCullsPaths(t *testing.T) {
	n := newSeamNode(t, true)
	_, ia := n.mock(t, ifacetest.MockConfig{Name: "a"}, transport.InterfaceOptions{})
	raw, h := remoteAnnounce(t, 2, n.clock.Now())
	n.t.InboundFrame(raw, ia)
	if !n.t.HasPath(h) {
		t.Fatal("no path")
	}
	n.t.Detach(ia)
	if len(n.t.Interfaces()) != 0 {
		t.Error("detached interface still listed")
	}
	n.t.ForceJobs()
	if n.t.HasPath(h) {
		t.Error("path through a detached interface survived the cull")
	}
}

func TestSeamsFilterPacket(t *testing.T) {
	n := newSeamNode(t, true)
	hdr := wire.Header{Destination: wire.Hash{9}}
	raw := append(hdr.Append(nil), []byte("payload")...)
	before := n.t.RememberedCount()
	ok, h, err := n.t.FilterPacket(raw, true)
	if err != nil || !ok {
		t.Fatalf("first FilterPacket: %v, %v", ok, err)
	}
	if !n.t.Remembered(h) || n.t.RememberedCount() != before+1 {
		t.Error("accepted packet not remembered")
	}
	if ok, _, _ := n.t.FilterPacket(raw, true); ok {
		t.Error("replay passed the filter")
	}
	if _, _, err := n.t.FilterPacket([]byte{1}, true); err == nil {
		t.Error("FilterPacket accepted a truncated packet")
	}
	other := append(hdr.Append(nil), []byte("other")...)
	if ok, h2, _ := n.t.FilterPacket(other, false); !ok || n.t.Remembered(h2) {
		t.Error("remember=false packet rejected or remembered")
	}
}

func TestSeamsSeedReverseAndLinkTables(t *testing.T) {
	n := newSeamNode(t, true)
	_, ia := n.mock(t, ifacetest.MockConfig{Name: "a"}, transport.InterfaceOptions{})
	_, ib := n.mock(t, ifacetest.MockConfig{Name: "b"}, transport.InterfaceOptions{})
	now := n.clock.Now()

	n.t.SeedReverse(wire.Hash{1}, transport.ReverseEntry{Received: ia, Outbound: ib, Timestamp: now})
	n.t.SeedReverse(wire.Hash{2}, transport.ReverseEntry{Received: ia, Outbound: ib, Timestamp: now.Add(-transport.ReverseTimeout - time.Second)})
	if re := n.t.ReverseTable()[wire.Hash{1}]; re.Received != ia || re.Outbound != ib || !re.Timestamp.Equal(now) {
		t.Errorf("reverse entry: %+v", re)
	}
	le := transport.LinkEntry{
		Timestamp: now, NextIface: ib, RemainingHops: 2, Received: ia, TakenHops: 3,
		Destination: wire.Hash{5}, Validated: true, ProofTimeout: now.Add(time.Minute),
	}
	n.t.SeedLink(wire.Hash{3}, le)
	stale := le
	stale.Validated, stale.ProofTimeout = false, now.Add(-time.Second)
	n.t.SeedLink(wire.Hash{4}, stale)
	if got := n.t.LinkTable()[wire.Hash{3}]; got != le {
		t.Errorf("link entry: %+v, want %+v", got, le)
	}
	if n.t.LinkCount() != 2 {
		t.Errorf("LinkCount %d", n.t.LinkCount())
	}

	n.t.ForceJobs()
	if rt := n.t.ReverseTable(); len(rt) != 1 || rt[wire.Hash{2}] != (transport.ReverseEntry{}) {
		t.Errorf("reverse table after cull: %v", rt)
	}
	if lt := n.t.LinkTable(); len(lt) != 1 {
		t.Errorf("link table after cull: %v", lt)
	}
}

func TestSeamsTransmitAndInboundFrameIFAC(t *testing.T) {
	n := newSeamNode(t, true)
	f, err := ifac.New("net", "key", 16)
	if err != nil {
		t.Fatal(err)
	}
	m, ia := n.mock(t, ifacetest.MockConfig{Name: "a"}, transport.InterfaceOptions{IFAC: f})
	if !ia.HasIFAC() {
		t.Fatal("HasIFAC false")
	}
	raw, h := remoteAnnounce(t, 3, n.clock.Now())
	n.t.Transmit(ia, raw)
	out := m.Drain()
	if len(out) != 1 || bytes.Equal(out[0], raw) || out[0][0]&0x80 == 0 {
		t.Fatalf("Transmit did not apply the IFAC: %x", out)
	}
	// The unmasked packet is refused on an IFAC interface; the masked one
	// is accepted.
	n.t.InboundFrame(append([]byte(nil), raw...), ia)
	if n.t.HasPath(h) {
		t.Fatal("unmasked announce accepted on an IFAC interface")
	}
	n.t.InboundFrame(out[0], ia)
	if !n.t.HasPath(h) {
		t.Fatal("masked announce refused")
	}
	if s := ia.Stats(); s.RxPackets != 1 || s.Dropped != 1 || s.TxPackets != 1 {
		t.Errorf("stats %+v", s)
	}
}

func TestSeamsRequestPathTag(t *testing.T) {
	n := newSeamNode(t, true)
	m, ia := n.mock(t, ifacetest.MockConfig{Name: "a"}, transport.InterfaceOptions{})
	tag := bytes.Repeat([]byte{0xAB}, 16)
	target := wire.Hash{0x42}
	if err := n.t.RequestPathTag(target, ia, tag); err != nil {
		t.Fatal(err)
	}
	out := m.Drain()
	if len(out) != 1 {
		t.Fatalf("sent %d packets", len(out))
	}
	var p wire.Packet
	if err := p.Decode(out[0]); err != nil {
		t.Fatal(err)
	}
	id := n.t.ID()
	want := append(append(append([]byte(nil), target[:]...), id[:]...), tag...)
	if p.Destination != wire.PathRequestDestination || !bytes.Equal(p.Data, want) {
		t.Errorf("path request %x to %x, want data %x", p.Data, p.Destination, want)
	}
}

func TestSeamsPanickingAnnounceHandlerIsIsolated(t *testing.T) {
	n := newSeamNode(t, false)
	_, ia := n.mock(t, ifacetest.MockConfig{Name: "a"}, transport.InterfaceOptions{})
	var heard int
	n.t.RegisterAnnounceHandler("", false, func(transport.AnnounceInfo) { panic("handler bug") })
	n.t.RegisterAnnounceHandler("", false, func(transport.AnnounceInfo) { heard++ })
	raw, _ := remoteAnnounce(t, 4, n.clock.Now())
	n.t.InboundFrame(raw, ia)
	if heard != 1 {
		t.Errorf("second handler heard %d announces, want 1", heard)
	}
}

func TestTunnelSynthesizeDestination(t *testing.T) {
	h, err := dest.Hash(nil, "rnstransport", "tunnel", "synthesize")
	if err != nil {
		t.Fatal(err)
	}
	if h != transport.TunnelSynthesizeDestination {
		t.Errorf("TunnelSynthesizeDestination %x, want %x", transport.TunnelSynthesizeDestination, h)
	}
}

func TestControlBroadcastsNotRepeatedFromLocalClients(t *testing.T) {
	n := newSeamNode(t, true)
	_, lc := n.mock(t, ifacetest.MockConfig{Name: "lc", LocalClient: true}, transport.InterfaceOptions{})
	up, _ := n.mock(t, ifacetest.MockConfig{Name: "up"}, transport.InterfaceOptions{})
	for _, c := range []struct {
		to       wire.Hash
		repeated bool
	}{{wire.Hash{1, 2, 3}, true}, {transport.TunnelSynthesizeDestination, false}} {
		hdr := wire.Header{DestType: wire.Plain, Destination: c.to}
		n.t.InboundFrame(append(hdr.Append(nil), 1, 2, 3, 4), lc)
		if got := len(up.Drain()); (got == 1) != c.repeated {
			t.Errorf("broadcast to %x repeated %d times, want repeated=%v", c.to, got, c.repeated)
		}
	}
}

func TestForcedAnnounceRoundSendsInHopOrder(t *testing.T) {
	n := newSeamNode(t, true)
	eg, _ := n.mock(t, ifacetest.MockConfig{Name: "egress"}, transport.InterfaceOptions{})
	var dests []wire.Hash
	for k, hops := range []uint8{5, 1, 3} {
		_, rx := n.mock(t, ifacetest.MockConfig{Name: fmt.Sprint("rx", k)}, transport.InterfaceOptions{})
		raw, h := remoteAnnounce(t, byte(10+k), n.clock.Now())
		raw[1] = hops
		n.t.InboundFrame(raw, rx)
		dests = append(dests, h)
	}
	for _, h := range dests {
		n.t.SetAnnounceTimes(h, time.Time{}, n.clock.Now().Add(-time.Second))
	}
	n.t.ForceJobs()
	var order []uint8
	for range 10 {
		for _, b := range eg.Drain() {
			order = append(order, b[1])
		}
		n.clock.Advance(100 * time.Millisecond)
		n.t.RunJobs()
	}
	if fmt.Sprint(order) != "[2 4 6]" {
		t.Errorf("rebroadcast hop order %v, want [2 4 6]", order)
	}
}

func TestSeamsFilterPacketOnSharedInstanceClient(t *testing.T) {
	n := newSeamNode(t, false)
	n.mock(t, ifacetest.MockConfig{Name: "shared", SharedInstance: true}, transport.InterfaceOptions{})
	if !n.t.SharedInstanceClient() {
		t.Fatal("not a shared-instance client")
	}
	hdr := wire.Header{HeaderType: wire.Header2, Propagation: wire.Transport, TransportID: wire.Hash{8}, Destination: wire.Hash{9}}
	raw := append(hdr.Append(nil), []byte("payload")...)
	for range 2 {
		if ok, _, err := n.t.FilterPacket(raw, true); !ok || err != nil {
			t.Fatalf("shared-instance client filtered a packet: %v, %v", ok, err)
		}
	}
	if n.t.RememberedCount() != 0 {
		t.Error("shared-instance client remembered a packet hash")
	}
}

func TestTunnelHandshake(t *testing.T) {
	a := newSeamNode(t, true)
	ma, ia := a.mock(t, ifacetest.MockConfig{Name: "a"}, transport.InterfaceOptions{Descriptor: "MockInterface[a]"})
	if ia.Hash() != identity.FullHash([]byte("MockInterface[a]")) {
		t.Error("interface hash is not the hash of its descriptor")
	}
	id, err := a.t.SynthesizeTunnel(ia)
	if err != nil {
		t.Fatal(err)
	}
	out := ma.Drain()
	if len(out) != 1 {
		t.Fatalf("synthesize sent %d packets", len(out))
	}
	var p wire.Packet
	if err := p.Decode(out[0]); err != nil || p.Destination != transport.TunnelSynthesizeDestination || len(p.Data) != transport.TunnelSynthesizeLen {
		t.Fatalf("synthesize packet %x (%v)", out[0], err)
	}
	pub := a.t.Identity().PublicKey()
	ih := ia.Hash()
	if want := identity.FullHash(append(pub[:], ih[:]...)); id != want {
		t.Errorf("tunnel id %x, want %x", id, want)
	}

	b := newSeamNode(t, true)
	_, ib := b.mock(t, ifacetest.MockConfig{Name: "b"}, transport.InterfaceOptions{})
	// A forged signature and a wrong length are ignored.
	forged := append([]byte(nil), out[0]...)
	forged[len(forged)-1] ^= 1
	b.t.InboundFrame(forged, ib)
	b.t.InboundFrame(append(append([]byte(nil), out[0]...), 0), ib)
	if n := len(b.t.Tunnels()); n != 0 {
		t.Fatalf("%d tunnels from invalid handshakes", n)
	}
	b.t.InboundFrame(append([]byte(nil), out[0]...), ib)
	tn := b.t.Tunnels()
	if len(tn) != 1 || tn[0].ID != id || tn[0].Interface != ib || !tn[0].Expires.Equal(b.clock.Now().Add(transport.TunnelTimeout)) {
		t.Fatalf("tunnels %+v", tn)
	}
	b.clock.Advance(transport.TunnelTimeout + time.Second)
	b.t.ForceJobs()
	if n := len(b.t.Tunnels()); n != 0 {
		t.Errorf("expired tunnel survived the cull")
	}
	if _, err := b.t.SynthesizeTunnel(ia); err == nil {
		t.Error("synthesized a tunnel on another transport's interface")
	}
}

func TestAnnounceRateLimiting(t *testing.T) {
	n := newSeamNode(t, true)
	_, in := n.mock(t, ifacetest.MockConfig{Name: "in"}, transport.InterfaceOptions{
		AnnounceRateTarget: 10 * time.Second, AnnounceRatePenalty: 5 * time.Second,
	})
	id, err := identity.FromPrivateKey(bytes.Repeat([]byte{42}, 64))
	if err != nil {
		t.Fatal(err)
	}
	d, err := dest.New(id, dest.In, wire.Single, nil, "mehrtest", "rate")
	if err != nil {
		t.Fatal(err)
	}
	announceAt := func(k int) {
		rh := announce.RandomHash([]byte{byte(k), 1, 2, 3, 4}, n.clock.Now())
		raw, err := announce.Append(nil, &announce.Params{Destination: d, RandomHash: rh})
		if err != nil {
			t.Fatal(err)
		}
		n.t.InboundFrame(raw, in)
	}
	start := n.clock.Now()
	announceAt(0)
	if _, ok := n.t.PendingAnnounce(d.Hash); !ok {
		t.Fatal("first announce not scheduled for rebroadcast")
	}
	// A second announce one second later violates the 10 s target: with
	// no grace its rebroadcast is blocked, but the path is updated.
	n.clock.Advance(time.Second)
	announceAt(1)
	if ae, _ := n.t.PendingAnnounce(d.Hash); !ae.Timestamp.Equal(start) {
		t.Error("rate-violating announce scheduled for rebroadcast")
	}
	if pe, _ := n.t.Path(d.Hash); !pe.Timestamp.Equal(n.clock.Now()) {
		t.Error("rate-violating announce did not update the path")
	}
	ar, ok := n.t.AnnounceRateOf(d.Hash)
	if !ok || ar.Violations != 1 || !ar.Last.Equal(start) || !ar.BlockedUntil.Equal(start.Add(15*time.Second)) || len(ar.Timestamps) != 2 {
		t.Errorf("rate entry %+v", ar)
	}
	for k := 2; k < 2+transport.MaxRateTimestamps; k++ {
		n.clock.Advance(time.Second)
		announceAt(k)
	}
	if ar, _ := n.t.AnnounceRateOf(d.Hash); len(ar.Timestamps) != transport.MaxRateTimestamps {
		t.Errorf("%d timestamps kept, want %d", len(ar.Timestamps), transport.MaxRateTimestamps)
	}
}

func TestBlackhole(t *testing.T) {
	n := newSeamNode(t, true)
	_, in := n.mock(t, ifacetest.MockConfig{Name: "in"}, transport.InterfaceOptions{})
	raw, h := remoteAnnounce(t, 50, n.clock.Now())
	n.t.InboundFrame(append([]byte(nil), raw...), in)
	if !n.t.HasPath(h) {
		t.Fatal("no path")
	}
	id, err := identity.FromPrivateKey(bytes.Repeat([]byte{50}, 64))
	if err != nil {
		t.Fatal(err)
	}
	ih := wire.Hash(id.Hash())
	until := n.clock.Now().Add(time.Hour)
	if !n.t.Blackhole(ih, until, "spam") || n.t.Blackhole(ih, time.Time{}, "") {
		t.Fatal("Blackhole did not report a new entry once")
	}
	if n.t.HasPath(h) {
		t.Error("path to a blackholed identity's destination kept")
	}
	if e := n.t.Blackholed()[ih]; e.Source != n.t.ID() || !e.Until.Equal(until) || e.Reason != "spam" {
		t.Errorf("entry %+v", e)
	}
	// Its announces are dropped while the blackhole lasts.
	raw2, _ := remoteAnnounce(t, 50, n.clock.Now().Add(time.Second))
	n.t.InboundFrame(append([]byte(nil), raw2...), in)
	if n.t.HasPath(h) {
		t.Error("announce of a blackholed identity accepted")
	}
	n.clock.Advance(2 * time.Hour)
	n.t.ForceJobs()
	if len(n.t.Blackholed()) != 0 {
		t.Fatal("expired blackhole kept")
	}
	raw3, _ := remoteAnnounce(t, 50, n.clock.Now())
	n.t.InboundFrame(raw3, in)
	if !n.t.HasPath(h) {
		t.Error("announce refused after the blackhole expired")
	}
	n.t.Blackhole(ih, time.Time{}, "")
	if !n.t.Unblackhole(ih) || n.t.Unblackhole(ih) {
		t.Error("Unblackhole did not report the entry once")
	}
}
