package sim

import (
	"encoding/json"
	"testing"

	"github.com/mehr-net/mehr/mehr/sim/topo"
)

func smallGraph(tb testing.TB, side int, seed uint64) *topo.Graph {
	tb.Helper()
	g, err := topo.Kleinberg(topo.KleinbergConfig{Side: side, Seed: seed})
	if err != nil {
		tb.Fatal(err)
	}
	return g
}

// TestRunSmall: on a 5×5 lattice with long-range links every node learns
// a path to every announcer, Reticulum's paths and every policy's reach
// their destination, and each policy is at least as good as the others
// on its own metric on average.
func TestRunSmall(t *testing.T) {
	g := smallGraph(t, 5, 1)
	res, err := Run(Config{Graph: g, Seed: 1, Pairs: 200, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.MarshalIndent(res, "", " ")
	t.Logf("%s", b)
	if res.Unreached != 0 {
		t.Errorf("%d node-destination pairs without a path", res.Unreached)
	}
	// Every path arrives: Reticulum's, and each policy's, which only
	// forwards to loop-free next hops (route.Feasible).
	for _, n := range res.PolicyOrder {
		p := res.Paths[n]
		if p.Delivered != p.Traced || p.Traced < 100 {
			t.Errorf("%s: %d of %d delivered (%d loops)", n, p.Delivered, p.Traced, p.Loops)
		}
	}
}

// comparable strips what depends on the machine (times, heap).
func comparable(r *Result) Result {
	c := *r
	c.BuildTime, c.RunTime, c.Memory = 0, 0, Memory{}
	return c
}

// TestDeterministic: the same seed gives the same run, event for event;
// another seed a different one.
func TestDeterministic(t *testing.T) {
	g, _, err := topo.Geometric(topo.GeometricConfig{N: 150, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	run := func(seed uint64) []byte {
		res, err := Run(Config{Graph: g, Seed: seed, Pairs: 100})
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(comparable(res))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	a, b, c := run(7), run(7), run(8)
	if string(a) != string(b) {
		t.Errorf("same seed, different results:\n%s\n%s", a, b)
	}
	if string(a) == string(c) {
		t.Error("different seeds, same results")
	}
}

// TestSampledAnnouncers: with a sample of announcers every node still
// learns their paths, and per-destination figures are scaled to N.
func TestSampledAnnouncers(t *testing.T) {
	g := smallGraph(t, 6, 2)
	res, err := Run(Config{Graph: g, Seed: 2, Announcers: 9, Pairs: 100})
	if err != nil {
		t.Fatal(err)
	}
	if res.Announcers != 9 || res.Scale != 4 || res.Unreached != 0 || res.Cut != 0 {
		t.Errorf("announcers %d scale %v unreached %d cut %d", res.Announcers, res.Scale, res.Unreached, res.Cut)
	}
	if res.Tables.PathsPerNode < 8 || res.Tables.PathsPerNode > 9 {
		t.Errorf("%.2f paths per node, want 8–9 (9 announcers, one of them the node itself)", res.Tables.PathsPerNode)
	}
}

func TestRunRejects(t *testing.T) {
	if _, err := Run(Config{}); err == nil {
		t.Error("no graph accepted")
	}
	g, err := topo.New(4, nil, nil, []topo.Link{{A: 0, B: 1, Bandwidth: 1e6, MTU: 500}, {A: 2, B: 3, Bandwidth: 1e6, MTU: 500}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Run(Config{Graph: g}); err == nil {
		t.Error("disconnected graph accepted")
	}
}
