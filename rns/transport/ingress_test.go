package transport_test

import (
	"testing"
	"time"

	"github.com/mehr-net/mehr/interfaces/ifacetest"
	"github.com/mehr-net/mehr/rns/transport"
	"github.com/mehr-net/mehr/rns/wire"
)

// TestIngressControlBurst: announces of unknown destinations arriving
// faster than the burst frequency of a new interface are held; once the
// burst has passed they are released one per interval, and their paths
// learned. With ingress control off nothing is held.
func TestIngressControlBurst(t *testing.T) {
	for _, off := range []bool{false, true} {
		n := newSeamNode(t, true)
		_, ia := n.mock(t, ifacetest.MockConfig{Name: "a"}, transport.InterfaceOptions{Ingress: transport.IngressControl{Off: off}})
		var hashes []wire.Hash
		for i := range 10 {
			raw, h := remoteAnnounce(t, byte(10+i), n.clock.Now())
			hashes = append(hashes, h)
			n.t.InboundFrame(raw, ia)
			n.clock.Advance(100 * time.Millisecond) // 10 Hz, over the 3 Hz of a new interface
		}
		held := ia.HeldAnnounces()
		if off {
			if len(held) != 0 || ia.BurstActive() {
				t.Fatalf("ingress control off: %d held", len(held))
			}
			for _, h := range hashes {
				if !n.t.HasPath(h) {
					t.Fatalf("ingress control off: no path to %x", h)
				}
			}
			continue
		}
		if !ia.BurstActive() || len(held) == 0 || len(held) >= len(hashes) {
			t.Fatalf("burst %v, %d held of %d", ia.BurstActive(), len(held), len(hashes))
		}
		for h := range held {
			if n.t.HasPath(h) {
				t.Fatalf("held announce %x installed a path", h)
			}
		}
		// Nothing is released while the burst lasts.
		n.clock.Advance(5 * time.Second)
		n.t.RunJobs()
		if len(ia.HeldAnnounces()) != len(held) {
			t.Fatal("announce released during the burst hold")
		}
		// After the hold, one announce per release interval.
		n.clock.Advance(11 * time.Second)
		n.t.RunJobs()
		if got := len(ia.HeldAnnounces()); got != len(held)-1 {
			t.Fatalf("after the burst: %d held, want %d", got, len(held)-1)
		}
		for range len(held) - 1 {
			n.clock.Advance(transport.DefaultICHeldReleaseInterval + time.Millisecond)
			n.t.RunJobs()
		}
		if got := len(ia.HeldAnnounces()); got != 0 {
			t.Fatalf("%d announces still held", got)
		}
		for _, h := range hashes {
			if !n.t.HasPath(h) {
				t.Fatalf("no path to %x after release", h)
			}
		}
	}
}

// TestIngressReleaseLowestHopsFirst: held announces are released fewest
// hops first; an announce at the hop limit is not held.
func TestIngressReleaseLowestHopsFirst(t *testing.T) {
	n := newSeamNode(t, true)
	_, ia := n.mock(t, ifacetest.MockConfig{Name: "a"}, transport.InterfaceOptions{})
	var want []wire.Hash
	for _, c := range []struct {
		seed byte
		hops uint8
	}{{5, 5}, {2, 2}, {8, 8}, {9, 127}} {
		raw, h := remoteAnnounce(t, c.seed, n.clock.Now())
		if err := wire.SetHops(raw, c.hops); err != nil {
			t.Fatal(err)
		}
		if err := ia.HoldAnnounce(raw); err != nil {
			t.Fatal(err)
		}
		if c.hops < 127 {
			want = append(want, h)
		}
	}
	held := ia.HeldAnnounces()
	if len(held) != 3 {
		t.Fatalf("held %v; an announce at the hop limit must not be held", held)
	}
	for _, i := range []int{1, 0, 2} { // hops 2, 5, 8
		h, ok := ia.ReleaseHeldAnnounce()
		if !ok || h != want[i] {
			t.Fatalf("released %x, want %x", h, want[i])
		}
		if !n.t.HasPath(h) {
			t.Fatalf("released announce %x installed no path", h)
		}
	}
	if _, ok := ia.ReleaseHeldAnnounce(); ok {
		t.Fatal("released from an empty queue")
	}
	if err := ia.HoldAnnounce([]byte{0, 0}); err == nil {
		t.Fatal("a malformed packet was held")
	}
}
