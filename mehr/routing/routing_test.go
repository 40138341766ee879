package routing_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mehr-net/mehr/interfaces/ifacetest"
	"github.com/mehr-net/mehr/internal/testutil"
	"github.com/mehr-net/mehr/mehr/ext"
	"github.com/mehr-net/mehr/mehr/pathcost"
	"github.com/mehr-net/mehr/mehr/route"
	"github.com/mehr-net/mehr/mehr/routing"
	"github.com/mehr-net/mehr/rns"
	"github.com/mehr-net/mehr/rns/dest"
	"github.com/mehr-net/mehr/rns/transport"
	"github.com/mehr-net/mehr/rns/wire"
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

// routers starts a router with cfg on each node, closed when the test
// ends (before the nodes).
func routers(t *testing.T, cfg routing.Config, ns ...*rns.Node) []*routing.Router {
	t.Helper()
	var rs []*routing.Router
	for _, n := range ns {
		r, err := routing.New(n, cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(r.Close)
		rs = append(rs, r)
	}
	return rs
}

var joins int // names interfaces apart

func join(t *testing.T, a, b *rns.Node, bitrate int64) {
	t.Helper()
	joins++
	pa, pb := ifacetest.NewPair(ifacetest.Config{Name: fmt.Sprint("ab", joins), MTU: 500, Bitrate: bitrate},
		ifacetest.Config{Name: fmt.Sprint("ba", joins), MTU: 500, Bitrate: bitrate})
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

// TestMultipathWithAnnotations: D hears A's announce from two Mehr relays,
// B (cheap, slow) and C (expensive, fast), and keeps one entry per next
// hop with the relays' annotations added to its own last hop, so
// Cheapest and Fastest pick different neighbours and neither path is
// unknown.
func TestMultipathWithAnnotations(t *testing.T) {
	t.Cleanup(testutil.LeakCheck(t))
	a, b, c, d := node(t, false), node(t, true), node(t, true), node(t, false)
	join(t, a, b, 1_000_000)
	join(t, a, c, 1_000_000)
	join(t, b, d, 1_000_000)
	join(t, c, d, 1_000_000)
	// Each relay's hops are priced by who it is: through B cheap and slow,
	// through C dear and fast.
	// A direct neighbour's copy names the announced destination as next
	// hop, a relayed one the relay's transport ID.
	aid := wire.Hash(a.Identity().Hash())
	ah, err := dest.Hash(&aid, routing.AppName, routing.Aspect)
	if err != nil {
		t.Fatal(err)
	}
	price := map[wire.Hash]pathcost.Hop{
		ah:                             {Cost: 1, Latency: time.Millisecond, Bandwidth: 1_000_000, MTU: 500},
		wire.Hash(b.Identity().Hash()): {Cost: 1, Latency: 200 * time.Millisecond, Bandwidth: 1_000_000, MTU: 500},
		wire.Hash(c.Identity().Hash()): {Cost: 100, Latency: 2 * time.Millisecond, Bandwidth: 1_000_000, MTU: 500},
	}
	byID := map[wire.Hash]*routing.Router{}
	cfg := routing.Config{Interval: -1,
		LastHop: func(_ *transport.Iface, nb wire.Hash) pathcost.Hop {
			if h, ok := price[nb]; ok {
				return h
			}
			return pathcost.Hop{Cost: 1000, Latency: time.Second, Bandwidth: 1000, MTU: 500}
		},
		Annotation: func(_ *transport.Iface, nb, dst wire.Hash, rh [route.RandomHashLen]byte) (route.Annotation, bool) {
			r := byID[nb]
			if r == nil {
				return route.Annotation{}, false
			}
			return r.Annotation(wire.Hash(d.Identity().Hash()), dst, rh)
		},
	}
	rs := routers(t, cfg, a, b, c, d)
	for k, n := range []*rns.Node{a, b, c, d} {
		byID[wire.Hash(n.Identity().Hash())] = rs[k]
	}
	// The map is complete before any announce is heard.
	if err := rs[0].Announce(); err != nil {
		t.Fatal(err)
	}
	h := rs[0].Destination().Hash()
	deadline := time.Now().Add(10 * time.Second)
	var es []route.Entry
	for {
		es = rs[3].Table().Lookup(h, es[:0])
		if len(es) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("D has %d entries for A, want 2: %+v", len(es), es)
		}
		time.Sleep(10 * time.Millisecond)
	}
	cheap, err := rs[3].Table().Select(h, route.Cheapest, route.Constraints{})
	if err != nil {
		t.Fatal(err)
	}
	fast, err := rs[3].Table().Select(h, route.Fastest, route.Constraints{})
	if err != nil {
		t.Fatal(err)
	}
	bh, ch := wire.Hash(b.Identity().Hash()), wire.Hash(c.Identity().Hash())
	if cheap.NextHop.Transport != bh || fast.NextHop.Transport != ch {
		t.Errorf("cheapest via %s, fastest via %s; want B %s and C %s", cheap.NextHop.Transport, fast.NextHop.Transport, bh, ch)
	}
	for _, e := range []route.Entry{cheap, fast} {
		if e.Unknown || e.Hops != 2 {
			t.Errorf("entry %+v: want a known 2-hop path", e)
		}
	}
}

// TestReannounceTriggers: the router announces at start, again when an
// interface comes, and when its own cost moves by more than 25 %; a small
// change is not announced before the refresh.
func TestReannounceTriggers(t *testing.T) {
	t.Cleanup(testutil.LeakCheck(t))
	n := node(t, false)
	if _, err := n.AddInterface(ifacetest.NewMock(ifacetest.MockConfig{Name: "first"}), transport.InterfaceOptions{}); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var lines []string
	logf := func(f string, a ...any) {
		mu.Lock()
		lines = append(lines, fmt.Sprintf(f, a...))
		mu.Unlock()
	}
	count := func(s string) int {
		mu.Lock()
		defer mu.Unlock()
		k := 0
		for _, l := range lines {
			if strings.Contains(l, s) {
				k++
			}
		}
		return k
	}
	wait := func(s string, want int) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for count(s) < want {
			if time.Now().After(deadline) {
				mu.Lock()
				t.Fatalf("no %q in %d log lines", s, len(lines))
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	origin := pathcost.Origin()
	origin.Cost = pathcost.EncodeCost(1000)
	r, err := routing.New(n, routing.Config{Interval: time.Hour, Check: 10 * time.Millisecond, Origin: &origin, Logf: logf})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	wait("announced (first)", 1)
	if _, err := n.AddInterface(ifacetest.NewMock(ifacetest.MockConfig{Name: "new"}), transport.InterfaceOptions{}); err != nil {
		t.Fatal(err)
	}
	wait("announced (interface-change)", 1)
	small := origin
	small.Cost = pathcost.EncodeCost(1100)
	r.SetOrigin(small)
	time.Sleep(50 * time.Millisecond)
	if k := count("announced (cost-change)"); k != 0 {
		t.Fatalf("a 10 %% cost change was announced")
	}
	big := origin
	big.Cost = pathcost.EncodeCost(2000)
	r.SetOrigin(big)
	wait("announced (cost-change)", 1)
	if k := count("announced ("); k != 3 {
		t.Errorf("%d announces, want 3: %q", k, lines)
	}
}

// TestAnnotationsOverNeighbourLinks: the diamond of
// TestMultipathWithAnnotations with no annotation seam: neighbours open
// links to each other when they hear each other's announces, and the
// annotations that make D's two paths to A known, and different, travel
// over them.
func TestAnnotationsOverNeighbourLinks(t *testing.T) {
	t.Cleanup(testutil.LeakCheck(t))
	a, b, c, d := node(t, false), node(t, true), node(t, true), node(t, false)
	join(t, a, b, 1_000_000)
	join(t, a, c, 1_000_000)
	join(t, b, d, 1_000_000)
	join(t, c, d, 1_000_000)
	ids := map[wire.Hash]string{}
	for name, n := range map[string]*rns.Node{"A": a, "B": b, "C": c, "D": d} {
		ih := wire.Hash(n.Identity().Hash())
		dh, err := dest.Hash(&ih, routing.AppName, routing.Aspect)
		if err != nil {
			t.Fatal(err)
		}
		ids[ih], ids[dh] = name, name
	}
	// Through B cheap and slow, through C dear and fast; A's own hop
	// plain.
	price := map[string]pathcost.Hop{
		"A": {Cost: 1, Latency: time.Millisecond, Bandwidth: 1_000_000, MTU: 500},
		"B": {Cost: 1, Latency: 200 * time.Millisecond, Bandwidth: 1_000_000, MTU: 500},
		"C": {Cost: 100, Latency: 2 * time.Millisecond, Bandwidth: 1_000_000, MTU: 500},
		"D": {Cost: 1, Latency: time.Millisecond, Bandwidth: 1_000_000, MTU: 500},
	}
	cfg := routing.Config{Interval: -1, LastHop: func(_ *transport.Iface, nb wire.Hash) pathcost.Hop {
		return price[ids[nb]]
	}}
	rs := routers(t, cfg, a, b, c, d)
	// Everyone announces once, so neighbours find each other: A–B, A–C,
	// B–D and C–D are neighbours.
	for _, r := range rs {
		if err := r.Announce(); err != nil {
			t.Fatal(err)
		}
	}
	want := []int{2, 2, 2, 2}
	deadline := time.Now().Add(15 * time.Second)
	for k, r := range rs {
		for r.Neighbours() < want[k] {
			if time.Now().After(deadline) {
				t.Fatalf("node %d has %d neighbour links, want %d", k, r.Neighbours(), want[k])
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	// A announces again, in a later second (Reticulum ignores a second
	// announce emitted in the same second at the same distance): B and C
	// annotate it for D.
	time.Sleep(1100 * time.Millisecond)
	if err := rs[0].Announce(); err != nil {
		t.Fatal(err)
	}
	h := rs[0].Destination().Hash()
	bh, ch := wire.Hash(b.Identity().Hash()), wire.Hash(c.Identity().Hash())
	var cheap, fast route.Entry
	var err error
	for {
		cheap, err = rs[3].Table().Select(h, route.Cheapest, route.Constraints{})
		if err == nil {
			fast, err = rs[3].Table().Select(h, route.Fastest, route.Constraints{})
		}
		if err == nil && !cheap.Unknown && !fast.Unknown && cheap.NextHop.Transport == bh && fast.NextHop.Transport == ch {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("cheapest %+v\nfastest %+v (%v); want known paths via B and via C", cheap, fast, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if cheap.Hops != 2 || fast.Hops != 2 {
		t.Errorf("hops %d and %d, want 2", cheap.Hops, fast.Hops)
	}
}

// TestNeighbourFailureRounds: when a neighbour's link goes down, its
// entries turn stale after 3 failure rounds and are evicted after 10.
func TestNeighbourFailureRounds(t *testing.T) {
	t.Cleanup(testutil.LeakCheck(t))
	a, b := node(t, false), node(t, false)
	join(t, a, b, 1_000_000)
	cfg := routing.Config{Interval: -1, Round: 30 * time.Millisecond}
	ra, err := routing.New(a, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer ra.Close()
	rb, err := routing.New(b, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []*routing.Router{ra, rb} {
		if err := r.Announce(); err != nil {
			t.Fatal(err)
		}
	}
	bh := rb.Destination().Hash()
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	state := func() (route.State, bool) {
		es := ra.Table().Lookup(bh, nil)
		if len(es) == 0 {
			return 0, false
		}
		return es[0].State, true
	}
	waitFor("the neighbour link", func() bool { return ra.Neighbours() == 1 && rb.Neighbours() == 1 })
	time.Sleep(100 * time.Millisecond) // a few rounds with the link up
	if st, ok := state(); !ok || st != route.Fresh {
		t.Fatalf("entry for B: %v %v, want fresh", st, ok)
	}
	rb.Close() // B's router goes away, and its end of the link with it
	waitFor("the link to drop", func() bool { return ra.Neighbours() == 0 })
	waitFor("the entry to turn stale", func() bool { st, ok := state(); return ok && st == route.Stale })
	waitFor("the entry to be evicted", func() bool { _, ok := state(); return !ok })
}
