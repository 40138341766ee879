package topo

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/mehr-net/mehr/internal/testutil"
)

// close reports whether a and b agree for metric m: exactly for the
// metrics whose values are integers or single link values, to a relative
// 1e-12 for the float sums and products (paths with equal value may sum
// in a different order).
func close(m Metric, a, b float64) bool {
	if a == b {
		return true
	}
	if m == Latency || m == Reliability {
		return math.Abs(a-b) <= 1e-12*math.Max(math.Abs(a), math.Abs(b))
	}
	return false
}

// TestOracleMetrics runs every metric on a graph where each picks a
// different path from 0 to 9: a direct but poor link, a cheap slow path,
// a fast expensive one, one of evenly short links, a wide one, a jumbo-MTU
// one and a lossless one. Node 8 is unreachable.
func TestOracleMetrics(t *testing.T) {
	ms := time.Millisecond
	link := func(a, b int32, cost uint64, lat time.Duration, bw uint64, mtu int, loss float64) Link {
		return Link{A: a, B: b, Cost: cost, Latency: lat, Bandwidth: bw, MTU: mtu, Loss: loss}
	}
	links := []Link{
		link(0, 9, 1000, 1000*ms, 100e3, 500, 0.5), // direct
		link(0, 1, 1, 300*ms, 1e6, 500, 0.1),       // cheap, slow
		link(1, 9, 1, 300*ms, 1e6, 500, 0.1),
		link(0, 2, 50, 1*ms, 10e6, 500, 0.1), // fast, expensive
		link(2, 9, 50, 70*ms, 10e6, 500, 0.1),
		link(0, 3, 200, 30*ms, 5e6, 1500, 0.1), // evenly short links
		link(3, 4, 200, 30*ms, 5e6, 1500, 0.1),
		link(4, 9, 200, 30*ms, 5e6, 1500, 0.1),
		link(0, 5, 300, 200*ms, 1e9, 1064, 0.1), // wide
		link(5, 9, 300, 200*ms, 1e9, 1064, 0.1),
		link(0, 6, 300, 200*ms, 2e6, 8192, 0.1), // jumbo
		link(6, 9, 300, 200*ms, 2e6, 8192, 0.1),
		link(0, 7, 400, 400*ms, 1e6, 500, 0), // lossless
		link(7, 9, 400, 400*ms, 1e6, 500, 0),
	}
	g, err := New(10, nil, nil, links)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		m     Metric
		path  []int32
		value float64
	}{
		{Hops, []int32{0, 9}, 1},
		{Cost, []int32{0, 1, 9}, 2},
		{Latency, []int32{0, 2, 9}, 0.071},
		{WorstLatency, []int32{0, 3, 4, 9}, 0.030},
		{Bandwidth, []int32{0, 5, 9}, 1e9},
		{MTU, []int32{0, 6, 9}, 8192},
		{Reliability, []int32{0, 7, 9}, 1},
	}
	o := NewOracle(g)
	dist := make([]float64, g.N)
	for _, tt := range tests {
		t.Run(tt.m.String(), func(t *testing.T) {
			o.From(0, tt.m, dist)
			if !close(Latency, dist[9], tt.value) {
				t.Errorf("dist[9] = %v, want %v", dist[9], tt.value)
			}
			if p := o.Path(9, nil); !slices.Equal(p, tt.path) {
				t.Errorf("Path(9) = %v, want %v", p, tt.path)
			}
			if v, err := g.PathValue(tt.path, tt.m); err != nil || v != dist[9] {
				t.Errorf("PathValue(%v) = %v, %v, want %v", tt.path, v, err, dist[9])
			}
			if dist[0] != tt.m.Identity() || dist[8] != tt.m.Worst() {
				t.Errorf("dist[0] = %v, dist[8] = %v, want %v and %v", dist[0], dist[8], tt.m.Identity(), tt.m.Worst())
			}
			if p := o.Path(8, nil); p != nil {
				t.Errorf("Path(8) = %v for an unreachable node", p)
			}
			if p := o.Path(0, nil); !slices.Equal(p, []int32{0}) {
				t.Errorf("Path(0) = %v, want [0]", p)
			}
			// Every other path is worse.
			for _, other := range tests {
				if v, _ := g.PathValue(other.path, tt.m); !slices.Equal(other.path, tt.path) && !tt.m.Better(dist[9], v) {
					t.Errorf("path %v has value %v, not worse than %v", other.path, v, dist[9])
				}
			}
		})
	}
}

func TestPathValueErrors(t *testing.T) {
	g, _ := New(4, nil, nil, []Link{{A: 0, B: 1, Cost: 3}, {A: 1, B: 2, Cost: 4}})
	tests := []struct {
		name string
		path []int32
		want error
	}{
		{"empty", nil, ErrPath},
		{"not adjacent", []int32{0, 2}, ErrNotLinked},
		{"isolated", []int32{0, 1, 2, 3}, ErrNotLinked},
		{"repeated node", []int32{1, 1}, ErrNotLinked},
		{"first out of range", []int32{4, 0}, ErrPath},
		{"later out of range", []int32{0, 1, -1}, ErrPath},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := g.PathValue(tt.path, Cost); !errors.Is(err, tt.want) {
				t.Fatalf("PathValue(%v): %v, want %v", tt.path, err, tt.want)
			}
		})
	}
	if v, err := g.PathValue([]int32{2, 1, 0}, Cost); err != nil || v != 7 {
		t.Errorf("PathValue(2, 1, 0) = %v, %v, want 7", v, err)
	}
	for _, m := range Metrics {
		if v, err := g.PathValue([]int32{3}, m); err != nil || v != m.Identity() {
			t.Errorf("%v: single-node path = %v, %v, want %v", m, v, err, m.Identity())
		}
	}
}

// randomGraph returns a random graph of n nodes with properties drawn from
// small sets, so that ties are common.
func randomGraph(tb testing.TB, rng *rand.Rand, n int, p float64) *Graph {
	tb.Helper()
	var links []Link
	for a := range n {
		for b := a + 1; b < n; b++ {
			if rng.Float64() < p {
				links = append(links, Link{
					A: int32(a), B: int32(b),
					Cost:      uint64(rng.IntN(4)),
					Latency:   time.Duration(1+rng.IntN(5)) * time.Millisecond,
					Bandwidth: []uint64{1e6, 5e6, 1e9}[rng.IntN(3)],
					MTU:       []int{500, 1500, 8192}[rng.IntN(3)],
					Loss:      []float64{0, 0.01, 0.1, 0.5}[rng.IntN(4)],
				})
			}
		}
	}
	g, err := New(n, nil, nil, links)
	if err != nil {
		tb.Fatal(err)
	}
	return g
}

// exhaustive returns the best value of m over all simple paths from src
// to each node, enumerated by depth-first search and valued by PathValue.
func exhaustive(tb testing.TB, g *Graph, src int, m Metric) []float64 {
	tb.Helper()
	best := make([]float64, g.N)
	for i := range best {
		best[i] = m.Worst()
	}
	on := make([]bool, g.N)
	var path []int32
	var walk func(u int)
	walk = func(u int) {
		path = append(path, int32(u))
		on[u] = true
		v, err := g.PathValue(path, m)
		if err != nil {
			tb.Fatal(err)
		}
		if m.Better(v, best[u]) || len(path) == 1 {
			best[u] = v
		}
		for _, l := range g.Neighbours(u) {
			if w := g.Other(l, u); !on[w] {
				walk(w)
			}
		}
		on[u] = false
		path = path[:len(path)-1]
	}
	walk(src)
	return best
}

// bellmanFord is the label-correcting reference: relax every link both
// ways until nothing improves.
func bellmanFord(g *Graph, src int, m Metric) []float64 {
	d := make([]float64, g.N)
	for i := range d {
		d[i] = m.Worst()
	}
	d[src] = m.Identity()
	for changed := true; changed; {
		changed = false
		for i := range g.Links {
			l := &g.Links[i]
			for _, e := range [2][2]int32{{l.A, l.B}, {l.B, l.A}} {
				u, v := e[0], e[1]
				if d[u] == m.Worst() {
					continue
				}
				if nv := m.extend(d[u], l); m.Better(nv, d[v]) && !close(m, nv, d[v]) {
					d[v] = nv
					changed = true
				}
			}
		}
	}
	return d
}

// checkFrom compares From with want for every node and checks that the
// path Path returns has exactly the value From found.
func checkFrom(t *testing.T, g *Graph, o *Oracle, src int, m Metric, want []float64) {
	t.Helper()
	dist := make([]float64, g.N)
	o.From(src, m, dist)
	for v := range g.N {
		if !close(m, dist[v], want[v]) {
			t.Fatalf("%v from %d to %d: %v, want %v", m, src, v, dist[v], want[v])
		}
		p := o.Path(v, nil)
		if dist[v] == m.Worst() && v != src {
			if p != nil {
				t.Fatalf("%v: path %v to unreachable %d", m, p, v)
			}
			continue
		}
		if len(p) == 0 || p[0] != int32(src) || p[len(p)-1] != int32(v) {
			t.Fatalf("%v: path to %d is %v", m, v, p)
		}
		if pv, err := g.PathValue(p, m); err != nil || pv != dist[v] {
			t.Fatalf("%v: path %v has value %v (%v), From says %v", m, p, pv, err, dist[v])
		}
	}
}

func TestOracleExhaustive(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	for i := range 300 {
		g := randomGraph(t, rng, 2+rng.IntN(7), 0.2+0.5*rng.Float64())
		o := NewOracle(g)
		src := rng.IntN(g.N)
		for _, m := range Metrics {
			checkFrom(t, g, o, src, m, exhaustive(t, g, src, m))
		}
		if t.Failed() {
			t.Fatalf("graph %d: %+v", i, g.Links)
		}
	}
}

func TestOracleBellmanFord(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	graphs := []*Graph{randomGraph(t, rng, 60, 0.08), randomGraph(t, rng, 150, 0.02)}
	k, err := Kleinberg(KleinbergConfig{Side: 12, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	geo, _, err := Geometric(GeometricConfig{N: 200, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	graphs = append(graphs, k, geo)
	for _, g := range graphs {
		o := NewOracle(g)
		for _, src := range []int{0, g.N / 2, g.N - 1} {
			for _, m := range Metrics {
				checkFrom(t, g, o, src, m, bellmanFord(g, src, m))
			}
		}
	}
}

// TestHopsBFS compares Hops with a plain breadth-first search, and with
// Cost on the same graph with every cost 1.
func TestHopsBFS(t *testing.T) {
	g, err := Kleinberg(KleinbergConfig{Side: 25, Q: 2, Seed: 11})
	if err != nil {
		t.Fatal(err)
	}
	unit := slices.Clone(g.Links)
	for i := range unit {
		unit[i].Cost = 1
	}
	gu, _ := New(g.N, nil, nil, unit)
	o, ou := NewOracle(g), NewOracle(gu)
	hops, cost := make([]float64, g.N), make([]float64, g.N)
	for _, src := range []int{0, 312, 624} {
		want := make([]float64, g.N)
		for i := range want {
			want[i] = -1
		}
		want[src] = 0
		for q := []int{src}; len(q) > 0; q = q[1:] {
			u := q[0]
			for _, l := range g.Neighbours(u) {
				if v := g.Other(l, u); want[v] < 0 {
					want[v] = want[u] + 1
					q = append(q, v)
				}
			}
		}
		o.From(src, Hops, hops)
		ou.From(src, Cost, cost)
		if !slices.Equal(hops, want) || !slices.Equal(cost, want) {
			t.Fatalf("from %d: hops and unit cost differ from BFS", src)
		}
	}
}

// TestOracleDeterministic checks that ties are broken the same way by
// every Oracle and every run.
func TestOracleDeterministic(t *testing.T) {
	g, err := Kleinberg(KleinbergConfig{Side: 15, Seed: 4})
	if err != nil {
		t.Fatal(err)
	}
	a, b := NewOracle(g), NewOracle(g)
	da, db := make([]float64, g.N), make([]float64, g.N)
	for _, m := range Metrics {
		a.From(3, m, da)
		b.From(200, m, db) // leave different state behind
		b.From(3, m, db)
		if !slices.Equal(da, db) {
			t.Fatalf("%v: values differ", m)
		}
		for v := range g.N {
			if pa, pb := a.Path(v, nil), b.Path(v, nil); !slices.Equal(pa, pb) {
				t.Fatalf("%v: paths to %d differ: %v and %v", m, v, pa, pb)
			}
		}
	}
}

func TestOracleAllocs(t *testing.T) {
	g, err := Kleinberg(KleinbergConfig{Side: 20, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	o := NewOracle(g)
	dist := make([]float64, g.N)
	buf := make([]int32, 0, g.N)
	for _, m := range Metrics {
		o.From(0, m, dist) // warm-up: builds the weights of m
		src := 0
		testutil.MaxAllocs(t, 20, 0, func() {
			src = (src + 37) % g.N
			o.From(src, m, dist)
			buf = o.Path(g.N-1, buf)
		})
	}
}

func TestOraclePanics(t *testing.T) {
	g, _ := New(3, nil, nil, nil)
	o := NewOracle(g)
	for _, tt := range []struct {
		src, n int
		m      Metric
	}{{-1, 3, Hops}, {3, 3, Cost}, {0, 2, Cost}, {0, 3, Metric(99)}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("From(%d, %v) with len(dist) %d did not panic", tt.src, tt.m, tt.n)
				}
			}()
			o.From(tt.src, tt.m, make([]float64, tt.n))
		}()
	}
}

func TestMetricBetter(t *testing.T) {
	for _, m := range Metrics {
		lo, hi := 1.0, 2.0
		if m.Maximised() {
			lo, hi = hi, lo
		}
		if !m.Better(lo, hi) || m.Better(hi, lo) || m.Better(lo, lo) {
			t.Errorf("%v: Better wrong", m)
		}
		if !m.Better(m.Identity(), m.Worst()) {
			t.Errorf("%v: identity %v not better than worst %v", m, m.Identity(), m.Worst())
		}
	}
}
