package route

import (
	"errors"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mehr-net/mehr/mehr/pathcost"
	"github.com/mehr-net/mehr/rns/wire"
)

// clock is an injected clock that tests move by hand.
type clock struct{ ns atomic.Int64 }

func newClock() *clock {
	c := &clock{}
	c.ns.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	return c
}

func (c *clock) Now() time.Time          { return time.Unix(0, c.ns.Load()).UTC() }
func (c *clock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

const interval = 30 * time.Minute

func newTable(t testing.TB, c *clock, mod func(*Config)) *Table {
	t.Helper()
	cfg := Config{AnnounceInterval: interval, Now: c.Now}
	if mod != nil {
		mod(&cfg)
	}
	return New(cfg)
}

func hash(b byte) wire.Hash {
	var h wire.Hash
	h[0] = b
	return h
}

func hop(b byte) NextHop { return NextHop{Transport: hash(b), Interface: uint64(b)} }

// path describes one candidate path by its true values.
type path struct {
	name      string
	cost      uint64
	latency   time.Duration
	bandwidth uint64
	hops      uint8
	mtu       uint64
	rel       uint8 // raise reliability to at least this with Confirm
}

func (p path) compact() pathcost.Compact {
	return pathcost.Compact{
		Cost:      pathcost.EncodeCost(p.cost),
		Latency:   pathcost.EncodeLatency(p.latency),
		Bandwidth: pathcost.EncodeBandwidth(p.bandwidth),
		Hops:      p.hops,
		MTU:       pathcost.EncodeMTU(p.mtu),
	}
}

func observe(t testing.TB, tb *Table, dst wire.Hash, nh NextHop, p path, lamport uint64) {
	t.Helper()
	o := Observation{Destination: dst, NextHop: nh, Path: p.compact(), Lamport: lamport}
	o.RandomHash[0] = byte(lamport)
	if err := tb.Observe(o); err != nil {
		t.Fatalf("Observe(%s): %v", p.name, err)
	}
	for i := 0; i < 64; i++ {
		if e := tb.findLocked(dst, nh); e == nil || e.Reliability >= p.rel {
			break
		}
		tb.Confirm(dst, nh)
	}
}

// The topology: five paths to one destination, built so that every policy
// prefers a different one.
var topology = []path{
	{name: "cheap-slow", cost: 10, latency: 350 * time.Millisecond, bandwidth: 1200, hops: 3, mtu: 500},
	{name: "fast-expensive", cost: 5000, latency: 20 * time.Millisecond, bandwidth: 100e6, hops: 2, mtu: 1500},
	{name: "reliable", cost: 2000, latency: 300 * time.Millisecond, bandwidth: 50e3, hops: 3, mtu: 1000, rel: 250},
	{name: "large-mtu", cost: 3000, latency: 400 * time.Millisecond, bandwidth: 1e6, hops: 3, mtu: 9000},
	{name: "balanced", cost: 600, latency: 100 * time.Millisecond, bandwidth: 1e6, hops: 3, mtu: 1500, rel: 170},
}

var dstX = hash(0xee)

func buildTopology(t testing.TB, tb *Table) map[NextHop]string {
	t.Helper()
	names := map[NextHop]string{}
	for i, p := range topology {
		nh := hop(byte(i + 1))
		observe(t, tb, dstX, nh, p, 1)
		names[nh] = p.name
	}
	return names
}

func TestPoliciesDisagree(t *testing.T) {
	c := newClock()
	tb := newTable(t, c, nil)
	names := buildTopology(t, tb)
	for _, tc := range []struct {
		policy Policy
		want   string
	}{
		{Cheapest, "cheap-slow"},
		{Fastest, "fast-expensive"},
		{MostReliable, "reliable"},
		{LargestMTU, "large-mtu"},
		{Policy{}, "balanced"},
		{Balanced(DefaultWeights), "balanced"},
		{Balanced(Weights{Cost: 1}), "cheap-slow"},
		{Balanced(Weights{Latency: 1}), "fast-expensive"},
		{Balanced(Weights{Reliability: 1}), "reliable"},
	} {
		t.Run(tc.policy.Kind.String(), func(t *testing.T) {
			e, err := tb.Select(dstX, tc.policy, Constraints{})
			if err != nil {
				t.Fatal(err)
			}
			if got := names[e.NextHop]; got != tc.want {
				t.Errorf("%v %+v picked %s, want %s", tc.policy.Kind, tc.policy.Weights, got, tc.want)
			}
			if e.State != Fresh {
				t.Errorf("state %v", e.State)
			}
			// Candidates agrees with Select and lists every entry.
			list, err := tb.Candidates(dstX, tc.policy, Constraints{}, nil)
			if err != nil || len(list) != len(topology) || list[0].NextHop != e.NextHop || list[0].Score != e.Score {
				t.Errorf("Candidates = %v, %v; Select %v", list, err, e)
			}
			for i := 1; i < len(list); i++ {
				if list[i].Score < list[i-1].Score {
					t.Errorf("candidates out of order at %d", i)
				}
			}
		})
	}
}

func TestDecodedValues(t *testing.T) {
	c := newClock()
	tb := newTable(t, c, nil)
	p := topology[0]
	observe(t, tb, dstX, hop(1), p, 7)
	got := tb.Lookup(dstX, nil)
	if len(got) != 1 {
		t.Fatalf("Lookup = %v", got)
	}
	e := got[0]
	if e.Cost < p.cost || e.Latency < p.latency || e.Bandwidth > p.bandwidth || e.MTU > p.mtu || e.Hops != p.hops {
		t.Errorf("decoded %+v not conservative for %+v", e, p)
	}
	if e.Lamport != 7 || e.Reliability != DefaultReliability || !e.LastUpdated.Equal(c.Now()) || !e.Expires.Equal(c.Now().Add(3*interval)) {
		t.Errorf("entry %+v", e)
	}
}

func TestMTUPrefilterAndBonus(t *testing.T) {
	c := newClock()
	tb := newTable(t, c, nil)
	names := buildTopology(t, tb)
	// Cheapest among the paths that carry 1,400 bytes: cheap-slow (500)
	// and reliable (1,000) are filtered out.
	e, err := tb.Select(dstX, Cheapest, Constraints{MinMTU: 1400})
	if err != nil || names[e.NextHop] != "balanced" {
		t.Errorf("Cheapest with MinMTU 1400 = %s, %v", names[e.NextHop], err)
	}
	list, _ := tb.Candidates(dstX, Cheapest, Constraints{MinMTU: 1400}, nil)
	for i, x := range list {
		if (i < 3) != (x.MTU >= 1400) {
			t.Errorf("candidate %d (%s, MTU %d) in the wrong group", i, names[x.NextHop], x.MTU)
		}
	}

	// The bonus breaks a tie in favour of the larger MTU: two paths equal
	// but for MTU, the smaller one winning the next-hop tie-break.
	dst := hash(0x42)
	small, large := path{name: "small", cost: 100, latency: 50 * time.Millisecond, bandwidth: 1e6, hops: 2, mtu: 1500}, path{}
	large = small
	large.name, large.mtu = "large", 4096
	observe(t, tb, dst, hop(1), small, 1)
	observe(t, tb, dst, hop(2), large, 1)
	if e, _ := tb.Select(dst, Cheapest, Constraints{}); e.NextHop != hop(1) {
		t.Errorf("without MinMTU the tie-break should pick the smaller next hop, got %v", e.NextHop)
	}
	e, _ = tb.Select(dst, Cheapest, Constraints{MinMTU: 1000})
	if e.NextHop != hop(2) {
		t.Errorf("with MinMTU the bonus should pick the larger MTU, got %v", e.NextHop)
	}
}

func TestConstraintViolation(t *testing.T) {
	c := newClock()
	var calls int
	var last Entry
	var lastOK bool
	tb := newTable(t, c, func(cfg *Config) {
		cfg.OnViolation = func(dst wire.Hash, cs Constraints, got Entry, ok bool) {
			calls++
			last, lastOK = got, ok
			if dst != dstX || cs.MinMTU != 20000 {
				t.Errorf("callback with %v %+v", dst, cs)
			}
		}
	})
	names := buildTopology(t, tb)
	// Nothing carries 20,000 bytes: the spec's fallback is the best path
	// regardless, with the application told.
	e, err := tb.Select(dstX, Cheapest, Constraints{MinMTU: 20000})
	if err != nil || names[e.NextHop] != "cheap-slow" {
		t.Errorf("fallback = %s, %v", names[e.NextHop], err)
	}
	if calls != 1 || !lastOK || last.NextHop != e.NextHop {
		t.Errorf("callback calls %d, got %v ok %v", calls, last.NextHop, lastOK)
	}
	_, err = tb.Select(dstX, Cheapest, Constraints{MinMTU: 20000, Strict: true})
	if !errors.Is(err, ErrConstraint) || calls != 2 || lastOK {
		t.Errorf("strict: %v, calls %d ok %v", err, calls, lastOK)
	}
	list, err := tb.Candidates(dstX, Cheapest, Constraints{MinMTU: 20000, Strict: true}, nil)
	if !errors.Is(err, ErrConstraint) || len(list) != 0 || calls != 3 {
		t.Errorf("strict candidates: %v %v calls %d", list, err, calls)
	}
	// Satisfiable constraints do not call back.
	if _, err := tb.Select(dstX, Cheapest, Constraints{MinMTU: 400}); err != nil || calls != 3 {
		t.Errorf("satisfiable: %v calls %d", err, calls)
	}
	// Known: only paths without unknown segments.
	dst := hash(9)
	o := Observation{Destination: dst, NextHop: hop(1), Path: topology[0].compact(), Unknown: true, Lamport: 1}
	tb.Observe(o)
	o.NextHop, o.Path, o.Unknown = hop(2), topology[1].compact(), false
	tb.Observe(o)
	if e, _ := tb.Select(dst, Cheapest, Constraints{Known: true}); e.NextHop != hop(2) {
		t.Errorf("Known picked %v", e.NextHop)
	}
	if e, _ := tb.Select(dst, Cheapest, Constraints{}); e.NextHop != hop(1) {
		t.Errorf("without Known picked %v", e.NextHop)
	}
}

func TestFailFallsBack(t *testing.T) {
	c := newClock()
	tb := newTable(t, c, nil)
	names := buildTopology(t, tb)
	var order []string
	for range topology {
		e, err := tb.Select(dstX, Cheapest, Constraints{})
		if err != nil {
			t.Fatal(err)
		}
		order = append(order, names[e.NextHop])
		if !tb.Fail(dstX, e.NextHop) {
			t.Fatal("Fail: no entry")
		}
		// Candidates lists the held entries last.
		list, _ := tb.Candidates(dstX, Cheapest, Constraints{}, nil)
		if last := list[len(list)-1]; last.State != Failed || len(order) < len(topology) && list[0].State != Fresh {
			t.Errorf("after %d failures: first %v, last %v", len(order), list[0].State, last.State)
		}
	}
	want := []string{"cheap-slow", "balanced", "reliable", "large-mtu", "fast-expensive"}
	for i := range want {
		if order[i] != want[i] {
			t.Fatalf("fallback order %v, want %v", order, want)
		}
	}
	// Everything failed: the best failed entry is still returned.
	e, err := tb.Select(dstX, Cheapest, Constraints{})
	if err != nil || e.State != Failed {
		t.Errorf("all failed: %v %v", e.State, err)
	}
	// The hold ends after FailHold; the reliability stays lower.
	c.Advance(DefaultFailHold)
	e, _ = tb.Select(dstX, Cheapest, Constraints{})
	if names[e.NextHop] != "cheap-slow" || e.State != Fresh || e.Reliability >= DefaultReliability {
		t.Errorf("after hold: %s %v rel %d", names[e.NextHop], e.State, e.Reliability)
	}
	// Confirm lifts a hold at once.
	tb.Fail(dstX, e.NextHop)
	tb.Confirm(dstX, e.NextHop)
	if e2, _ := tb.Select(dstX, Cheapest, Constraints{}); e2.NextHop != e.NextHop || e2.Reliability <= e.Reliability-e.Reliability/4 {
		t.Errorf("after Confirm: %v rel %d", names[e2.NextHop], e2.Reliability)
	}
	if tb.Fail(hash(1), hop(1)) || tb.Confirm(dstX, hop(99)) {
		t.Error("Fail/Confirm of a missing entry reported true")
	}
}

func TestReplay(t *testing.T) {
	c := newClock()
	tb := newTable(t, c, nil)
	p := topology[0]
	observe(t, tb, dstX, hop(1), p, 5)
	// An older announce, by any path, is rejected and counted.
	for _, nh := range []NextHop{hop(1), hop(2)} {
		err := tb.Observe(Observation{Destination: dstX, NextHop: nh, Path: p.compact(), Lamport: 4})
		if !errors.Is(err, ErrReplay) {
			t.Errorf("lower Lamport via %v: %v", nh, err)
		}
	}
	if s := tb.Stats(); s.Replays != 2 || s.Entries != 1 {
		t.Errorf("stats %+v", s)
	}
	// The same announce by another next hop is another path.
	c.Advance(time.Minute)
	observe(t, tb, dstX, hop(2), topology[1], 5)
	if s := tb.Stats(); s.Entries != 2 {
		t.Errorf("same announce by another next hop: %+v", s)
	}
	// The same announce again by the same next hop updates the values but
	// does not extend the expiry.
	e0 := tb.Lookup(dstX, nil)
	c.Advance(time.Minute)
	p2 := p
	p2.cost = 20
	observe(t, tb, dstX, hop(1), p2, 5)
	for _, e := range tb.Lookup(dstX, nil) {
		if e.NextHop != hop(1) {
			continue
		}
		for _, o := range e0 {
			if o.NextHop == hop(1) && (!e.Expires.Equal(o.Expires) || !e.LastUpdated.Equal(o.LastUpdated)) {
				t.Errorf("duplicate extended the entry: %v -> %v", o.Expires, e.Expires)
			}
		}
		if e.Cost < 20 {
			t.Errorf("duplicate did not update the values: cost %d", e.Cost)
		}
	}
	// A newer announce refreshes it.
	observe(t, tb, dstX, hop(1), p, 6)
	for _, e := range tb.Lookup(dstX, nil) {
		if e.NextHop == hop(1) && !e.Expires.Equal(c.Now().Add(3*interval)) {
			t.Errorf("newer announce did not refresh: %v", e.Expires)
		}
	}
	// The watermark outlives the entries (replay after expiry).
	c.Advance(4 * interval)
	if n := tb.Expire(); n != 2 {
		t.Errorf("Expire removed %d", n)
	}
	if err := tb.Observe(Observation{Destination: dstX, NextHop: hop(1), Lamport: 5}); !errors.Is(err, ErrReplay) {
		t.Errorf("replay after expiry: %v", err)
	}
	// ... for ReplayMemory.
	c.Advance(DefaultReplayMemory)
	tb.Expire()
	if err := tb.Observe(Observation{Destination: dstX, NextHop: hop(1), Lamport: 5}); err != nil {
		t.Errorf("after ReplayMemory: %v", err)
	}
}

func TestExpiryAndStaleness(t *testing.T) {
	c := newClock()
	tb := newTable(t, c, nil)
	t0 := c.Now()
	observe(t, tb, dstX, hop(1), topology[0], 1) // cheap, observed at t0
	c.Advance(2 * interval)
	observe(t, tb, dstX, hop(2), topology[1], 1) // expensive, at t0+2I

	at := func(d time.Duration) { c.ns.Store(t0.Add(d).UnixNano()) }
	sel := func() (Entry, error) { return tb.Select(dstX, Cheapest, Constraints{}) }

	at(3*interval - 1)
	if e, _ := sel(); e.NextHop != hop(1) || e.State != Fresh {
		t.Errorf("before expiry: %v %v", e.NextHop, e.State)
	}
	// Expired: stale, used only while a fresh entry exists elsewhere.
	at(3 * interval)
	if e, _ := sel(); e.NextHop != hop(2) || e.State != Fresh {
		t.Errorf("after expiry: %v %v", e.NextHop, e.State)
	}
	// hop(2) is fresh until t0+5I; once it has failed, the stale entry is
	// preferred to it.
	at(4*interval - 1)
	tb.Fail(dstX, hop(2))
	if e, _ := sel(); e.NextHop != hop(1) || e.State != Stale {
		t.Errorf("stale before failed: %v %v", e.NextHop, e.State)
	}
	// Gone after one more interval.
	at(4 * interval)
	if e, _ := sel(); e.NextHop != hop(2) {
		t.Errorf("after the stale interval: %v", e.NextHop)
	}
	if n := tb.Expire(); n != 1 {
		t.Errorf("Expire removed %d, want 1", n)
	}
	at(6 * interval)
	if _, err := sel(); !errors.Is(err, ErrNoPath) {
		t.Errorf("all gone: %v", err)
	}
	if n := tb.Expire(); n != 1 {
		t.Errorf("Expire removed %d, want 1", n)
	}
	if s := tb.Stats(); s.Entries != 0 || s.Destinations != 0 || s.Expired != 2 {
		t.Errorf("stats %+v", s)
	}
	if _, err := tb.Select(hash(1), Cheapest, Constraints{}); !errors.Is(err, ErrNoPath) {
		t.Errorf("unknown destination: %v", err)
	}
}

func TestNeighbourFailure(t *testing.T) {
	c := newClock()
	tb := newTable(t, c, nil)
	observe(t, tb, dstX, hop(1), topology[0], 1)
	observe(t, tb, dstX, hop(2), topology[1], 1)
	other := hash(0x77)
	observe(t, tb, other, hop(1), topology[0], 1)

	sel := func() Entry { e, _ := tb.Select(dstX, Cheapest, Constraints{}); return e }
	for i := 1; i < MissedStale; i++ {
		tb.MarkMissed(hop(1))
	}
	if e := sel(); e.NextHop != hop(1) {
		t.Errorf("after %d misses: %v", MissedStale-1, e.NextHop)
	}
	if n := tb.MarkMissed(hop(1)); n != MissedStale {
		t.Errorf("MarkMissed = %d", n)
	}
	if e := sel(); e.NextHop != hop(2) {
		t.Errorf("after %d misses the neighbour's entries should be stale: %v", MissedStale, e.NextHop)
	}
	if e, _ := tb.Select(other, Cheapest, Constraints{}); e.State != Stale {
		t.Errorf("sole entry via a down neighbour: %v", e.State)
	}
	tb.MarkSeen(hop(1))
	if e := sel(); e.NextHop != hop(1) || e.State != Fresh {
		t.Errorf("after MarkSeen: %v %v", e.NextHop, e.State)
	}
	for i := 0; i < MissedEvict; i++ {
		tb.MarkMissed(hop(1))
	}
	if s := tb.Stats(); s.Entries != 1 || s.Evictions != 2 || s.Destinations != 1 {
		t.Errorf("after %d misses: %+v", MissedEvict, s)
	}
	if _, err := tb.Select(other, Cheapest, Constraints{}); !errors.Is(err, ErrNoPath) {
		t.Errorf("evicted destination: %v", err)
	}
	// A new announce through the neighbour while it is still down is stale
	// at once; MarkSeen brings it back.
	observe(t, tb, other, hop(1), topology[0], 2)
	if e, _ := tb.Select(other, Cheapest, Constraints{}); e.State != Stale {
		t.Errorf("entry via a down neighbour: %v", e.State)
	}
	tb.MarkSeen(hop(1))
	if e, _ := tb.Select(other, Cheapest, Constraints{}); e.State != Fresh {
		t.Errorf("after MarkSeen: %v", e.State)
	}
	tb.MarkSeen(hop(50)) // unknown: no effect
	tb.MarkMissed(hop(50))
	tb.MarkSeen(hop(50))
	tb.mu.RLock()
	if _, ok := tb.nbrs[hop(50)]; ok {
		t.Error("neighbour record of an unused next hop kept after MarkSeen")
	}
	tb.mu.RUnlock()
}

func TestEvictionUnderCap(t *testing.T) {
	t.Run("lru", func(t *testing.T) {
		c := newClock()
		tb := newTable(t, c, func(cfg *Config) { cfg.MaxEntries = 4 })
		for i := 1; i <= 4; i++ {
			observe(t, tb, hash(byte(i)), hop(1), topology[0], 1)
			c.Advance(time.Second)
		}
		// Use 1, 2 and 4; 3 is the least recently used.
		for _, i := range []byte{1, 2, 4} {
			if _, err := tb.Select(hash(i), Cheapest, Constraints{}); err != nil {
				t.Fatal(err)
			}
			c.Advance(time.Second)
		}
		observe(t, tb, hash(5), hop(1), topology[0], 1)
		assertDests(t, tb, 1, 2, 4, 5)
	})
	t.Run("stale first", func(t *testing.T) {
		c := newClock()
		tb := newTable(t, c, func(cfg *Config) { cfg.MaxEntries = 3 })
		observe(t, tb, hash(1), hop(1), topology[0], 1)
		c.Advance(2 * interval)
		observe(t, tb, hash(2), hop(2), topology[0], 1)
		observe(t, tb, hash(3), hop(3), topology[0], 1)
		c.Advance(interval) // 1 is stale now
		tb.Select(hash(1), Cheapest, Constraints{})
		observe(t, tb, hash(4), hop(4), topology[0], 1)
		assertDests(t, tb, 2, 3, 4)
	})
	t.Run("lowest reliability", func(t *testing.T) {
		c := newClock()
		tb := newTable(t, c, func(cfg *Config) { cfg.MaxEntries = 3 })
		for i := 1; i <= 3; i++ {
			observe(t, tb, hash(byte(i)), hop(1), topology[0], 1)
		}
		c.Advance(time.Second)
		tb.Fail(hash(2), hop(1))
		for i := 1; i <= 3; i++ {
			tb.Select(hash(byte(i)), Cheapest, Constraints{})
		}
		observe(t, tb, hash(4), hop(1), topology[0], 1)
		assertDests(t, tb, 1, 3, 4)
		if s := tb.Stats(); s.Evictions != 1 || s.Entries != 3 {
			t.Errorf("stats %+v", s)
		}
	})
	t.Run("per destination", func(t *testing.T) {
		// With every entry active, the shortest paths stay: a copy that
		// came the long way round is not kept, a shorter one replaces
		// the longest (the dearest among equals).
		c := newClock()
		tb := newTable(t, c, func(cfg *Config) { cfg.MaxPerDestination = 2 })
		observe(t, tb, dstX, hop(1), topology[0], 1) // 3 hops, cost 10
		observe(t, tb, dstX, hop(2), topology[2], 1) // 3 hops, cost 2000
		c.Advance(time.Second)
		observe(t, tb, dstX, hop(3), topology[3], 1) // 3 hops, cost 3000: not kept
		observe(t, tb, dstX, hop(4), topology[1], 1) // 2 hops: replaces hop(2)
		var kept []NextHop
		for _, e := range tb.Lookup(dstX, nil) {
			kept = append(kept, e.NextHop)
		}
		if len(kept) != 2 || !slices.Contains(kept, hop(1)) || !slices.Contains(kept, hop(4)) {
			t.Errorf("kept %v, want hop 1 and hop 4", kept)
		}
	})
	t.Run("per destination, stale first", func(t *testing.T) {
		c := newClock()
		tb := newTable(t, c, func(cfg *Config) { cfg.MaxPerDestination = 2 })
		observe(t, tb, dstX, hop(1), topology[1], 1)
		c.Advance(3*DefaultAnnounceInterval + time.Second) // hop(1) stale
		observe(t, tb, dstX, hop(2), topology[0], 2)
		observe(t, tb, dstX, hop(3), topology[3], 2)
		for _, e := range tb.Lookup(dstX, nil) {
			if e.NextHop == hop(1) {
				t.Errorf("the stale entry was kept over an active one")
			}
		}
	})
	t.Run("watermarks bounded", func(t *testing.T) {
		c := newClock()
		tb := newTable(t, c, func(cfg *Config) { cfg.MaxEntries = 2 })
		for i := 0; i < 20; i++ {
			observe(t, tb, hash(byte(i)), hop(1), topology[0], 1)
			c.Advance(time.Second)
		}
		tb.mu.RLock()
		n := len(tb.dests)
		tb.mu.RUnlock()
		if n > 4 || tb.Stats().Entries != 2 {
			t.Errorf("%d destination records, stats %+v", n, tb.Stats())
		}
	})
}

func assertDests(t *testing.T, tb *Table, want ...byte) {
	t.Helper()
	for i := byte(1); i <= 8; i++ {
		has := len(tb.Lookup(hash(i), nil)) > 0
		wanted := false
		for _, w := range want {
			wanted = wanted || w == i
		}
		if has != wanted {
			t.Errorf("destination %d present %v, want %v", i, has, wanted)
		}
	}
	if s := tb.Stats(); s.Entries != len(want) {
		t.Errorf("entries %d, want %d", s.Entries, len(want))
	}
}

// TestManyEntries checks Select against Candidates on a destination with
// more entries than Select's tier cache holds.
func TestManyEntries(t *testing.T) {
	c := newClock()
	tb := newTable(t, c, func(cfg *Config) { cfg.MaxPerDestination = 24 })
	for i := 0; i < 24; i++ {
		p := topology[i%len(topology)]
		p.cost += uint64(i * 37 % 11)
		p.latency += time.Duration(i*13%7) * time.Millisecond
		observe(t, tb, dstX, hop(byte(i)), p, 1)
	}
	for i := 0; i < 24; i += 5 {
		tb.Fail(dstX, hop(byte(i)))
	}
	for _, pol := range []Policy{Cheapest, Fastest, MostReliable, LargestMTU, {}} {
		for _, cs := range []Constraints{{}, {MinMTU: 1400}, {MinMTU: 5000}, {MinMTU: 99999}} {
			e, err := tb.Select(dstX, pol, cs)
			list, err2 := tb.Candidates(dstX, pol, cs, nil)
			if err != nil || err2 != nil || len(list) != 24 || e.NextHop != list[0].NextHop || e.Score != list[0].Score || e.State != list[0].State {
				t.Errorf("%v %+v: Select %v %v %v, Candidates[0] %v %v (%d, %v)", pol.Kind, cs, e.NextHop, e.Score, err, list[0].NextHop, list[0].Score, len(list), err2)
			}
		}
	}
}

func TestReliabilityBounds(t *testing.T) {
	c := newClock()
	tb := newTable(t, c, func(cfg *Config) { cfg.InitialReliability = 1 })
	observe(t, tb, dstX, hop(1), topology[0], 1)
	get := func() uint8 { return tb.Lookup(dstX, nil)[0].Reliability }
	for i := 0; i < 10; i++ {
		tb.Fail(dstX, hop(1))
	}
	if r := get(); r != 1 {
		t.Errorf("after failures: %d", r)
	}
	prev := get()
	for i := 0; i < 100; i++ {
		tb.Confirm(dstX, hop(1))
		r := get()
		if r < prev || r == prev && r != 255 {
			t.Fatalf("Confirm %d: %d after %d", i, r, prev)
		}
		prev = r
	}
	if prev != 255 {
		t.Errorf("after confirmations: %d", prev)
	}
}

func TestAll(t *testing.T) {
	tb := New(Config{AnnounceInterval: time.Minute})
	if got := tb.All(nil); len(got) != 0 {
		t.Fatalf("empty table: %v", got)
	}
	for k := range 3 {
		o := Observation{Destination: wire.Hash{byte(k + 1)}, NextHop: NextHop{Interface: uint64(k)}, Path: pathcost.Origin(), Lamport: 1}
		o.Path.Hops = 1
		if err := tb.Observe(o); err != nil {
			t.Fatal(err)
		}
	}
	if got := tb.All(nil); len(got) != 3 {
		t.Fatalf("%d entries", len(got))
	}
}

func TestFeasible(t *testing.T) {
	self := hash(0x50)
	lo, hi := hash(0x10), hash(0x90)
	for _, c := range []struct {
		heard, own uint8
		nb         wire.Hash
		want       bool
	}{
		{3, 3, hi, true},    // neighbour at 2 < 3
		{4, 3, lo, true},    // as close, smaller ID
		{4, 3, hi, false},   // as close, larger ID
		{5, 3, lo, false},   // farther
		{1, 1, hi, true},    // the destination itself
		{0, 3, lo, false},   // no header hops recorded
		{4, 3, self, false}, // as close, same ID
	} {
		e := Entry{HeardHops: c.heard, NextHop: NextHop{Transport: c.nb}}
		if got := Feasible(&e, self, c.own); got != c.want {
			t.Errorf("heard %d own %d via %s: %v, want %v", c.heard, c.own, c.nb, got, c.want)
		}
	}
}

func TestRemoveVia(t *testing.T) {
	c := newClock()
	tb := newTable(t, c, nil)
	observe(t, tb, dstX, NextHop{Transport: hash(1), Interface: 1}, topology[0], 1)
	observe(t, tb, dstX, NextHop{Transport: hash(1), Interface: 2}, topology[1], 1)
	observe(t, tb, dstX, NextHop{Transport: hash(2), Interface: 1}, topology[2], 1)
	if n := tb.RemoveVia(dstX, hash(1)); n != 2 {
		t.Errorf("removed %d, want 2", n)
	}
	got := tb.Lookup(dstX, nil)
	if len(got) != 1 || got[0].NextHop.Transport != hash(2) {
		t.Errorf("left %+v", got)
	}
	if n := tb.RemoveVia(hash(9), hash(1)); n != 0 {
		t.Errorf("removed %d of an unknown destination", n)
	}
}
