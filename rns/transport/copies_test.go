package transport_test

import (
	"bytes"
	"testing"

	"github.com/mehr-net/mehr/interfaces/ifacetest"
	"github.com/mehr-net/mehr/rns/announce"
	"github.com/mehr-net/mehr/rns/dest"
	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/transport"
	"github.com/mehr-net/mehr/rns/wire"
)

// rebroadcastBy returns the announce raw as neighbour tid rebroadcasts it.
func rebroadcastBy(tb testing.TB, raw []byte, tid wire.Hash, hops uint8) []byte {
	tb.Helper()
	var p wire.Packet
	if err := p.Decode(raw); err != nil {
		tb.Fatal(err)
	}
	return announce.AppendRebroadcast(nil, &p, tid, hops, wire.ContextNone)
}

// TestAnnounceCopiesObserved: every valid copy reaches the observers, by
// whichever neighbour and interface it came, while the path table keeps
// Reticulum's single path; invalid copies do not.
func TestAnnounceCopiesObserved(t *testing.T) {
	n := newSeamNode(t, true)
	_, ia := n.mock(t, ifacetest.MockConfig{Name: "a"}, transport.InterfaceOptions{})
	_, ib := n.mock(t, ifacetest.MockConfig{Name: "b"}, transport.InterfaceOptions{})
	var got []transport.AnnounceCopy
	n.t.ObserveAnnounceCopies(func(c *transport.AnnounceCopy) {
		cc := *c
		cc.AppData = append([]byte(nil), c.AppData...)
		got = append(got, cc)
	})
	raw, dst := remoteAnnounce(t, 41, n.clock.Now())
	x, y := wire.Hash{1}, wire.Hash{2}
	n.t.InboundFrame(rebroadcastBy(t, raw, x, 1), ia)
	n.t.InboundFrame(rebroadcastBy(t, raw, y, 2), ib)
	bad := rebroadcastBy(t, raw, y, 1)
	bad[len(bad)-1] ^= 1 // signature no longer verifies
	n.t.InboundFrame(bad, ib)

	if len(got) != 2 {
		t.Fatalf("observed %d copies, want 2: %+v", len(got), got)
	}
	want := []struct {
		nh   wire.Hash
		i    *transport.Iface
		hops uint8
	}{{x, ia, 2}, {y, ib, 3}}
	for k, w := range want {
		c := got[k]
		if c.Destination != dst || c.NextHop != w.nh || c.Interface != w.i || c.Hops != w.hops {
			t.Errorf("copy %d: %+v, want next hop %s on %s with %d hops", k, c, w.nh, w.i.Name(), w.hops)
		}
	}
	pe, ok := n.t.Path(dst)
	if !ok || pe.NextHop != x || pe.Hops != 2 {
		t.Errorf("path %+v %v, want the first copy's", pe, ok)
	}
}

// TestValidatedAnnouncesShared: a transport given the shared set checks
// an announce once for all; a copy whose context flag was flipped (the
// packet hash does not cover it) is checked again and rejected.
func TestValidatedAnnouncesShared(t *testing.T) {
	v := transport.NewValidatedAnnounces()
	c := newClock()
	// With app data longer than a ratchet, a flipped context flag still
	// parses; only the signature check can reject it.
	d, err := dest.New(identityFor(t, 42), dest.In, wire.Single, nil, "mehrtest", "seam")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := announce.Append(nil, &announce.Params{Destination: d, AppData: bytes.Repeat([]byte{'x'}, 40),
		RandomHash: announce.RandomHash([]byte{42}, c.Now())})
	if err != nil {
		t.Fatal(err)
	}
	dst := d.Hash
	var ts []*transport.Transport
	for k := range 2 {
		tr, err := transport.New(transport.Config{Identity: identityFor(t, byte(9+k)), Now: c.Now, NoJobs: true, Validated: v})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { tr.Close() })
		ts = append(ts, tr)
	}
	for _, tr := range ts {
		i, err := tr.AddInterface(ifacetest.NewMock(ifacetest.MockConfig{Name: "m"}), transport.InterfaceOptions{})
		if err != nil {
			t.Fatal(err)
		}
		tr.InboundFrame(append([]byte(nil), raw...), i)
		if _, ok := tr.Path(dst); !ok {
			t.Fatal("valid announce not taken")
		}
	}
	if v.Len() != 1 {
		t.Fatalf("set holds %d announces, want 1", v.Len())
	}
	flipped := append([]byte(nil), raw...)
	flipped[0] |= 0x20 // context flag: a ratchet would now be read from the signature
	tr, err := transport.New(transport.Config{Identity: identityFor(t, 11), Now: c.Now, NoJobs: true, Validated: v})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	i, err := tr.AddInterface(ifacetest.NewMock(ifacetest.MockConfig{Name: "m"}), transport.InterfaceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tr.InboundFrame(flipped, i)
	if _, ok := tr.Path(dst); ok {
		t.Error("announce with a flipped context flag taken from the shared set")
	}
}

func identityFor(tb testing.TB, seed byte) *identity.Identity {
	tb.Helper()
	id, err := identity.FromPrivateKey(bytes.Repeat([]byte{seed}, 64))
	if err != nil {
		tb.Fatal(err)
	}
	return id
}
