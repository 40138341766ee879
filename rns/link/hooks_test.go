package link_test

import (
	"context"
	"crypto/rand"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/mehr-net/mehr/internal/testutil"
	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/link"
	"github.com/mehr-net/mehr/rns/transport"
	"github.com/mehr-net/mehr/rns/wire"
)

// contexts counts the contexts of the packets a link sent (Config.OnSend).
type contexts struct {
	mu sync.Mutex
	n  map[wire.Context]int
}

func (c *contexts) record(_ *link.Link, raw []byte) {
	var p wire.Packet
	if p.Decode(raw) != nil {
		return
	}
	c.mu.Lock()
	if c.n == nil {
		c.n = map[wire.Context]int{}
	}
	c.n[p.Context]++
	c.mu.Unlock()
}

func (c *contexts) count(ctx wire.Context) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[ctx]
}

func rx(t *testing.T, raw []byte, ifc *transport.Iface) *transport.Packet {
	t.Helper()
	p := &transport.Packet{Interface: ifc}
	if err := p.Packet.Decode(raw); err != nil {
		t.Fatal(err)
	}
	p.Hash, _ = wire.PacketHash(raw)
	return p
}

func genID(t *testing.T) *identity.Identity {
	t.Helper()
	id, err := identity.Generate(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestPrepare(t *testing.T) {
	t.Cleanup(testutil.LeakCheck(t))
	a, b := newPair(t)
	for _, typ := range []wire.DestType{wire.Plain, wire.Group} {
		if _, err := link.Prepare(a.t, link.Remote{Identity: b.id, Hash: b.hash, Type: typ}, link.Config{}); !errors.Is(err, link.ErrDestType) {
			t.Errorf("%v: err %v, want ErrDestType", typ, err)
		}
	}
	var sent contexts
	l, err := link.Prepare(a.t, link.Remote{Identity: b.id, Hash: b.hash, Type: wire.Single}, link.Config{OnSend: sent.record})
	if err != nil {
		t.Fatal(err)
	}
	if l.Status() != link.StatusPending || !l.Initiator() || l.Mode() != link.ModeDefault {
		t.Fatalf("status %v initiator %v mode %v", l.Status(), l.Initiator(), l.Mode())
	}
	var p wire.Packet
	if err := p.Decode(l.Request()); err != nil || p.PacketType != wire.LinkRequest || p.Destination != b.hash {
		t.Fatalf("request %+v: %v", p.Header, err)
	}
	req, err := link.ParseRequest(p.Data)
	if err != nil {
		t.Fatal(err)
	}
	x, ed, ok := l.LocalKeys()
	if !ok || x != req.X25519 || ed != req.Ed25519 || req.MTU != wire.MTU || len(p.Data) != wire.LinkKeysLen+wire.SignallingLen {
		t.Errorf("request %+v, local keys %x %x", req, x, ed)
	}
	if k := l.Keys(); !k.Private || !k.Public || k.Shared || k.Derived {
		t.Errorf("pending link keys %+v", k)
	}
	// No path: the first hop's timeout is the per-hop timeout alone, and
	// the hop count is unknown (PATHFINDER_M).
	if want := link.EstablishmentTimeoutPerHop * time.Duration(1+max(1, a.t.HopsTo(b.hash))); l.EstablishmentTimeout() != want {
		t.Errorf("establishment timeout %v, want %v", l.EstablishmentTimeout(), want)
	}
	// Identify on a pending link sends nothing.
	if err := l.Identify(genID(t)); !errors.Is(err, link.ErrNotActive) {
		t.Errorf("identify on pending link: %v", err)
	}
	// A pending link closes silently.
	l.Close()
	l.Wait()
	if sent.count(wire.ContextLinkClose) != 0 || sent.count(wire.ContextLinkIdentify) != 0 || sent.count(wire.ContextNone) != 0 {
		t.Errorf("pending link sent %v", sent.n)
	}
	if k := l.Keys(); k.Private || k.Public {
		t.Errorf("closed link keys %+v", k)
	}
}

func TestLinkProofGates(t *testing.T) {
	t.Cleanup(testutil.LeakCheck(t))
	a, _ := newPair(t)
	dst := genID(t)
	eph := genID(t).X25519Public()
	legacy := func(l *link.Link, signer *identity.Identity, signed []byte) []byte {
		sig, err := signer.Sign(signed)
		if err != nil {
			t.Fatal(err)
		}
		return link.AppendProofPacket(nil, l.ID(), append(sig[:], eph[:]...))
	}
	for _, tc := range []struct {
		name  string
		proof func(l *link.Link) []byte
		close bool // close the link first
		want  link.Status
	}{
		{"valid", func(l *link.Link) []byte {
			return legacy(l, dst, link.AppendProofSignedData(nil, l.ID(), eph, dst.Ed25519Public(), nil))
		}, false, link.StatusActive},
		{"forged signature", func(l *link.Link) []byte {
			return legacy(l, genID(t), link.AppendProofSignedData(nil, l.ID(), eph, dst.Ed25519Public(), nil))
		}, false, link.StatusPending},
		{"wrong signed data", func(l *link.Link) []byte {
			return legacy(l, dst, []byte("unrelated"))
		}, false, link.StatusPending},
		{"wrong size", func(l *link.Link) []byte {
			raw := legacy(l, dst, link.AppendProofSignedData(nil, l.ID(), eph, dst.Ed25519Public(), nil))
			return raw[:len(raw)-1]
		}, false, link.StatusPending},
		{"mode mismatch", func(l *link.Link) []byte {
			data, err := link.AppendProof(nil, l.ID(), eph, dst, wire.MTU, link.ModeDefault)
			if err != nil {
				t.Fatal(err)
			}
			data[wire.LinkProofLen] = data[wire.LinkProofLen]&^link.ModeByteMask | byte(link.ModeAES256GCM)<<5
			return link.AppendProofPacket(nil, l.ID(), data)
		}, false, link.StatusClosed},
		{"not pending", func(l *link.Link) []byte {
			return legacy(l, dst, link.AppendProofSignedData(nil, l.ID(), eph, dst.Ed25519Public(), nil))
		}, true, link.StatusClosed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, err := link.Prepare(a.t, link.Remote{Identity: dst, Hash: wire.Hash{1}, Type: wire.Single}, link.Config{})
			if err != nil {
				t.Fatal(err)
			}
			defer l.Wait()
			defer l.Close()
			if tc.close {
				l.Close()
			}
			l.Receive(rx(t, tc.proof(l), nil))
			if got := l.Status(); got != tc.want {
				t.Fatalf("status %v, want %v", got, tc.want)
			}
			if tc.want == link.StatusActive {
				if l.MTU() != wire.MTU {
					t.Errorf("legacy proof: mtu %d, want %d", l.MTU(), wire.MTU)
				}
				if k := l.Keys(); !k.Shared || !k.Derived {
					t.Errorf("active link keys %+v", k)
				}
			}
		})
	}
}

// establishPair opens a link from a to b and returns both ends.
func establishPair(t *testing.T, a, b *testNode, icfg, rcfg link.Config) (ini, resp *link.Link) {
	t.Helper()
	ln, err := link.Listen(b.t, b.id, b.hash, rcfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if ini, err = link.Establish(ctx, a.t, b.id, b.hash, icfg); err != nil {
		t.Fatal(err)
	}
	if resp, err = ln.Accept(ctx); err != nil {
		t.Fatal(err)
	}
	return ini, resp
}

func TestLinkReceiveGates(t *testing.T) {
	t.Cleanup(testutil.LeakCheck(t))
	a, b := newPair(t)
	got := make(chan []byte, 8)
	var sent contexts
	ini, resp := establishPair(t, a, b, link.Config{OnSend: sent.record}, link.Config{
		OnPacket: func(_ *link.Link, pt []byte) { got <- append([]byte(nil), pt...) },
	})
	defer ini.Wait()
	defer resp.Wait()
	defer ini.Close()
	defer resp.Close()
	delivered := func() bool {
		select {
		case <-got:
			return true
		default:
			return false
		}
	}

	for _, l := range []*link.Link{ini, resp} {
		if k := l.Keys(); k != (link.KeyState{Private: true, Public: true, Shared: true, Derived: true}) {
			t.Errorf("active link keys %+v", k)
		}
	}
	attached := resp.AttachedInterface()
	raw, err := resp.BuildPacket(wire.Data, wire.ContextNone, []byte("bound"))
	if err != nil {
		t.Fatal(err)
	}
	// Interface binding: only the attached interface is heard.
	resp.Receive(rx(t, raw, nil))
	if delivered() {
		t.Error("packet on a foreign interface delivered")
	}
	resp.Receive(rx(t, raw, attached))
	if !delivered() {
		t.Error("packet on the attached interface not delivered")
	}
	// Tampered tokens are dropped.
	bad := append([]byte(nil), raw...)
	bad[len(bad)-1]++
	resp.Receive(rx(t, bad, attached))
	if delivered() || resp.Status() != link.StatusActive {
		t.Errorf("tampered packet delivered or link %v", resp.Status())
	}

	// Identify: the responder adopts only a valid one, the initiator none.
	claimed := genID(t)
	forged, err := link.AppendIdentify(nil, resp.ID(), claimed)
	if err != nil {
		t.Fatal(err)
	}
	sig, _ := genID(t).Sign(link.AppendIdentifySignedData(nil, resp.ID(), claimed.PublicKey()))
	copy(forged[identity.KeySize:], sig[:])
	for _, pt := range [][]byte{forged, forged[:96]} {
		pk, err := resp.BuildPacket(wire.Data, wire.ContextLinkIdentify, pt)
		if err != nil {
			t.Fatal(err)
		}
		resp.Receive(rx(t, pk, attached))
		if resp.RemoteIdentity() != nil {
			t.Fatal("forged identify adopted")
		}
	}
	valid, _ := link.AppendIdentify(nil, resp.ID(), claimed)
	pk, _ := ini.BuildPacket(wire.Data, wire.ContextLinkIdentify, valid)
	ini.Receive(rx(t, pk, ini.AttachedInterface()))
	if r := ini.RemoteIdentity(); r == nil || r.Hash() == claimed.Hash() {
		t.Error("initiator adopted an identify")
	}
	pk, _ = resp.BuildPacket(wire.Data, wire.ContextLinkIdentify, valid)
	resp.Receive(rx(t, pk, attached))
	if r := resp.RemoteIdentity(); r == nil || r.Hash() != claimed.Hash() {
		t.Error("valid identify not adopted")
	}

	// Keepalive: the initiator ignores its own 0xFF; it advances the
	// responder's last inbound time but not its last data time.
	ka, _ := ini.BuildPacket(wire.Data, wire.ContextKeepalive, []byte{link.KeepaliveRequest})
	in0, _, _ := ini.Activity()
	ini.Receive(rx(t, ka, ini.AttachedInterface()))
	if in1, _, _ := ini.Activity(); !in1.Equal(in0) || sent.count(wire.ContextKeepalive) != 0 {
		t.Error("initiator reacted to its own keepalive")
	}
	data0 := resp.LastData()
	rin0, _, _ := resp.Activity()
	time.Sleep(time.Millisecond) // let the clock move
	resp.Receive(rx(t, ka, attached))
	if rin1, _, _ := resp.Activity(); !rin1.After(rin0) || !resp.LastData().Equal(data0) {
		t.Error("keepalive: last inbound not advanced or last data advanced")
	}

	// LINKCLOSE: a wrong link ID is ignored, the right one closes.
	closeFor := func(id []byte) *transport.Packet {
		pk, err := ini.BuildPacket(wire.Data, wire.ContextLinkClose, id)
		if err != nil {
			t.Fatal(err)
		}
		return rx(t, pk, ini.AttachedInterface())
	}
	ini.Receive(closeFor(make([]byte, wire.HashLen)))
	if ini.Status() != link.StatusActive {
		t.Fatalf("forged LINKCLOSE: status %v", ini.Status())
	}
	id := ini.ID()
	ini.Receive(closeFor(id[:]))
	if ini.Status() != link.StatusClosed || ini.TeardownReason() != link.ReasonDestinationClose {
		t.Fatalf("LINKCLOSE: status %v reason %v", ini.Status(), ini.TeardownReason())
	}
	if k := ini.Keys(); k != (link.KeyState{}) {
		t.Errorf("closed link keys %+v", k)
	}

	// A closed link drops everything.
	resp.Close()
	resp.Receive(rx(t, raw, attached))
	if delivered() {
		t.Error("closed link delivered a packet")
	}
	if _, err := resp.BuildPacket(wire.Data, wire.ContextNone, nil); !errors.Is(err, link.ErrClosed) {
		t.Errorf("BuildPacket on closed link: %v", err)
	}
}

func TestListenerAcceptGate(t *testing.T) {
	t.Cleanup(testutil.LeakCheck(t))
	a, b := newPair(t)
	base, err := link.Prepare(a.t, link.Remote{Identity: b.id, Hash: b.hash, Type: wire.Single}, link.Config{})
	if err != nil {
		t.Fatal(err)
	}
	base.Close()
	var req wire.Packet
	if err := req.Decode(base.Request()); err != nil {
		t.Fatal(err)
	}
	request := func(data []byte, hops uint8) *transport.Packet {
		p := rx(t, link.AppendRequestPacket(nil, b.hash, data), nil)
		p.Hops = hops
		return p
	}
	ln := link.NewListener(b.t, b.id, b.hash, link.Config{})
	defer ln.Close()
	if !ln.Accepting() {
		t.Fatal("a new listener does not accept links")
	}
	ln.SetAccepting(false)
	ln.Receive(request(req.Data, 0))
	if _, err := ln.HandleRequest(request(req.Data, 0)); !errors.Is(err, link.ErrNotAccepting) || len(ln.Links()) != 0 {
		t.Fatalf("gate off: %v, %d links", err, len(ln.Links()))
	}
	ln.SetAccepting(true)

	bad := append([]byte(nil), req.Data...)
	bad[wire.LinkKeysLen] = bad[wire.LinkKeysLen]&^link.ModeByteMask | 3<<5
	for _, tc := range []struct {
		name string
		data []byte
		hops uint8
		ok   bool
	}{
		{"64 bytes", req.Data[:wire.LinkKeysLen], 0, true},
		{"67 bytes 3 hops", req.Data, 3, true},
		{"63 bytes", req.Data[:63], 0, false},
		{"66 bytes", req.Data[:66], 0, false},
		{"empty", nil, 0, false},
		{"reserved mode", bad, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, err := ln.HandleRequest(request(tc.data, tc.hops))
			if (err == nil) != tc.ok {
				t.Fatalf("err %v", err)
			}
			if !tc.ok {
				return
			}
			defer l.Wait()
			if want := link.EstablishmentTimeoutPerHop*time.Duration(max(1, tc.hops)) + link.KeepaliveMax; l.EstablishmentTimeout() != want {
				t.Errorf("establishment timeout %v, want %v", l.EstablishmentTimeout(), want)
			}
			if l.MTU() != wire.MTU || l.Mode() != link.ModeDefault || l.Status() != link.StatusHandshake {
				t.Errorf("mtu %d mode %v status %v", l.MTU(), l.Mode(), l.Status())
			}
			if n := len(ln.Links()); n != 1 {
				t.Errorf("%d links", n)
			}
			l.Close()
			if n := len(ln.Links()); n != 0 {
				t.Errorf("%d links after close", n)
			}
		})
	}
}

func TestPhyStatsGate(t *testing.T) {
	a, b := newPair(t)
	l, err := link.Prepare(a.t, link.Remote{Identity: b.id, Hash: b.hash, Type: wire.Single}, link.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	s := link.PhyStats{RSSI: -42, SNR: 7, Q: 83, Valid: true}
	l.RecordPhyStats(s)
	if _, ok := l.PhyStats(); ok {
		t.Error("phy stats readable while tracking is off")
	}
	l.TrackPhyStats(true)
	if got, ok := l.PhyStats(); !ok || got != s {
		t.Errorf("tracking on: %+v %v", got, ok)
	}
	l.TrackPhyStats(false)
	if _, ok := l.PhyStats(); ok {
		t.Error("phy stats readable after tracking was turned off")
	}
}
