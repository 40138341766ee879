package routing_test

import (
	"testing"
	"time"

	"github.com/mehr-net/mehr/interfaces/ifacetest"
	"github.com/mehr-net/mehr/internal/testutil"
	"github.com/mehr-net/mehr/mehr/ext"
	"github.com/mehr-net/mehr/mehr/route"
	"github.com/mehr-net/mehr/mehr/routing"
	"github.com/mehr-net/mehr/rns"
	"github.com/mehr-net/mehr/rns/transport"
)

func node(t *testing.T, transportOn bool) *rns.Node {
	t.Helper()
	n, err := rns.NewNode(rns.Options{TransportEnabled: transportOn})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	return n
}

func join(t *testing.T, a, b *rns.Node, bitrate int64) {
	t.Helper()
	pa, pb := ifacetest.NewPair(ifacetest.Config{Name: "ab", MTU: 500, Bitrate: bitrate}, ifacetest.Config{Name: "ba", MTU: 500, Bitrate: bitrate})
	if _, err := a.AddInterface(pa, transport.InterfaceOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.AddInterface(pb, transport.InterfaceOptions{}); err != nil {
		t.Fatal(err)
	}
}

// TestAnnounceThroughRelay: A's Mehr announce crosses B, a transport node
// that runs no Mehr routing (as a Python relay would), and C's table gets
// a path to A two hops away with the segment through B unknown; a newer
// announce replaces it and a replayed old one is not taken.
func TestAnnounceThroughRelay(t *testing.T) {
	t.Cleanup(testutil.LeakCheck(t))
	a, b, c := node(t, false), node(t, true), node(t, false)
	join(t, a, b, 1_000_000)
	join(t, b, c, 1_000_000)
	ra, err := routing.New(a, routing.Config{Interval: -1, StateDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer ra.Close()
	rc, err := routing.New(c, routing.Config{Interval: -1,
		Unknown: route.UnknownHop{Cost: 10, Latency: 50 * time.Millisecond, Bandwidth: 1200}})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if err := ra.Announce(); err != nil {
		t.Fatal(err)
	}
	h := ra.Destination().Hash()
	var e route.Entry
	deadline := time.Now().Add(10 * time.Second)
	for {
		if e, err = rc.Table().Select(h, route.Cheapest, route.Constraints{}); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no route to A: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if e.Hops != 2 || !e.Unknown || e.MTU > 500 || e.Lamport == 0 {
		t.Fatalf("entry %+v", e)
	}
	first := e.Lamport
	if err := ra.Announce(); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(10 * time.Second)
	for e.Lamport == first {
		if time.Now().After(deadline) {
			t.Fatal("newer announce not taken")
		}
		time.Sleep(10 * time.Millisecond)
		e, _ = rc.Table().Select(h, route.Cheapest, route.Constraints{})
	}
	if e.Lamport <= first {
		t.Fatalf("lamport went from %d to %d", first, e.Lamport)
	}
}

// TestLamportPersists: a restarted router announces above what it
// announced before, even with a clock that went back.
func TestLamportPersists(t *testing.T) {
	dir := t.TempDir()
	n := node(t, false)
	clock := time.Unix(2_000_000, 0)
	r, err := routing.New(n, routing.Config{Interval: -1, StateDir: dir, Now: func() time.Time { return clock }})
	if err != nil {
		t.Fatal(err)
	}
	a1 := r.AppData()
	r.Close()
	n2 := node(t, false)
	clock = time.Unix(1_000, 0) // the clock went back
	r2, err := routing.New(n2, routing.Config{Interval: -1, StateDir: dir, Now: func() time.Time { return clock }})
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Close()
	a2 := r2.AppData()
	var e1, e2 ext.Extension
	if err := e1.Decode(a1); err != nil {
		t.Fatal(err)
	}
	if err := e2.Decode(a2); err != nil {
		t.Fatal(err)
	}
	if !e1.HasLamport || !e2.HasLamport || e2.Lamport <= e1.Lamport {
		t.Fatalf("lamport %d then %d", e1.Lamport, e2.Lamport)
	}
}
