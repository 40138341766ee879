package route

import (
	"sync"
	"testing"
	"time"

	"github.com/mehr-net/mehr/internal/testutil"
	"github.com/mehr-net/mehr/rns/wire"
)

// table8 returns a table with 8 entries for dstX (the topology plus three
// more) among 100 other destinations.
func table8(tb testing.TB) *Table {
	tb.Helper()
	c := newClock()
	t := newTable(tb, c, nil)
	buildTopology(tb, t)
	extra := []path{
		{name: "x1", cost: 700, latency: 120 * time.Millisecond, bandwidth: 2e6, hops: 4, mtu: 1500},
		{name: "x2", cost: 90, latency: 900 * time.Millisecond, bandwidth: 9600, hops: 5, mtu: 500},
		{name: "x3", cost: 1200, latency: 60 * time.Millisecond, bandwidth: 20e6, hops: 2, mtu: 4096},
	}
	for i, p := range extra {
		observe(tb, t, dstX, hop(byte(10+i)), p, 1)
	}
	for i := 0; i < 100; i++ {
		observe(tb, t, hash(byte(i)), hop(byte(i)), topology[i%len(topology)], 1)
	}
	if n := len(t.Lookup(dstX, nil)); n != 8 {
		tb.Fatalf("%d candidates, want 8", n)
	}
	return t
}

// BenchmarkSelect8 is route selection among 8 candidates with the default
// (Balanced) policy and an MTU requirement: the per-packet cost of a
// policy choice.
func BenchmarkSelect8(b *testing.B) {
	t := table8(b)
	c := Constraints{MinMTU: 1000}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := t.Select(dstX, Policy{}, c); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSelect8Policies(b *testing.B) {
	t := table8(b)
	for _, p := range []Policy{Cheapest, Fastest, MostReliable, LargestMTU, Balanced(Weights{Cost: 1, Latency: 2, Reliability: 3})} {
		b.Run(p.Kind.String(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := t.Select(dstX, p, Constraints{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkCandidates8(b *testing.B) {
	t := table8(b)
	out := make([]Entry, 0, 8)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if out, err = t.Candidates(dstX, Policy{}, Constraints{MinMTU: 1000}, out[:0]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkObserve(b *testing.B) {
	t := table8(b)
	o := Observation{Destination: dstX, NextHop: hop(1), Path: topology[0].compact()}
	b.ReportAllocs()
	for b.Loop() {
		o.Lamport++
		if err := t.Observe(o); err != nil {
			b.Fatal(err)
		}
	}
}

func TestSelectAllocs(t *testing.T) {
	tb := table8(t)
	out := make([]Entry, 0, 8)
	testutil.MaxAllocs(t, 200, 0, func() {
		tb.Select(dstX, Policy{}, Constraints{MinMTU: 1000})
		tb.Select(dstX, LargestMTU, Constraints{MinMTU: 20000})
		out, _ = tb.Candidates(dstX, Fastest, Constraints{}, out[:0])
	})
	a := announce(3)
	e := origin()
	app := e.Append(nil)
	testutil.MaxAllocs(t, 200, 0, func() {
		o, _ := ParseObservation(&a, app, unknownHop)
		o.Lamport = 1
		tb.Observe(o)
	})
}

// TestConcurrent runs writers and readers together; run it with -race.
func TestConcurrent(t *testing.T) {
	defer testutil.LeakCheck(t)()
	c := newClock()
	var violations sync.Map
	tb := newTable(t, c, func(cfg *Config) {
		cfg.MaxEntries = 64
		cfg.OnViolation = func(dst wire.Hash, _ Constraints, _ Entry, _ bool) {
			violations.Store(dst, true)
		}
	})
	var wg sync.WaitGroup
	const n = 500
	for g := 0; g < 4; g++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for i := 0; i < n; i++ {
				o := Observation{Destination: hash(byte(i % 16)), NextHop: hop(byte(g*8 + i%8)), Path: topology[i%len(topology)].compact(), Lamport: uint64(i / 16)}
				_ = tb.Observe(o) // replays are expected
				switch i % 50 {
				case 0:
					tb.Fail(o.Destination, o.NextHop)
				case 10:
					tb.Confirm(o.Destination, o.NextHop)
				case 20:
					tb.MarkMissed(o.NextHop)
				case 30:
					tb.MarkSeen(o.NextHop)
				case 40:
					c.Advance(time.Minute)
					tb.Expire()
				}
			}
		}()
		go func() {
			defer wg.Done()
			var out []Entry
			for i := 0; i < n; i++ {
				d := hash(byte(i % 16))
				tb.Select(d, Policy{Kind: Kind(i % 5)}, Constraints{MinMTU: uint64(i % 3 * 700)})
				out, _ = tb.Candidates(d, Cheapest, Constraints{}, out[:0])
				out = tb.Lookup(d, out[:0])
				tb.Stats()
			}
		}()
	}
	wg.Wait()
	s := tb.Stats()
	if s.Entries > 64 {
		t.Errorf("cap exceeded: %+v", s)
	}
	// The bookkeeping agrees with the contents.
	tb.mu.RLock()
	defer tb.mu.RUnlock()
	n2, tombs, refs := 0, 0, map[*neighbor]int{}
	for _, d := range tb.dests {
		n2 += len(d.entries)
		if len(d.entries) == 0 {
			tombs++
		}
		for _, e := range d.entries {
			refs[e.nb]++
			if tb.nbrs[e.NextHop] != e.nb {
				t.Errorf("entry's neighbour record is not the table's")
			}
		}
	}
	if n2 != tb.n || tombs != tb.tombs {
		t.Errorf("counts: %d entries (table says %d), %d tombstones (%d)", n2, tb.n, tombs, tb.tombs)
	}
	for nb, r := range refs {
		if nb.refs != r {
			t.Errorf("neighbour refs %d, entries %d", nb.refs, r)
		}
	}
}
