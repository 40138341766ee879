package topo

import (
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"
)

func manhattan(g *Graph, l Link) int {
	return int(math.Abs(g.X[l.A]-g.X[l.B]) + math.Abs(g.Y[l.A]-g.Y[l.B]))
}

// checkProfile fails tb unless l's properties are within p for a link of
// Euclidean length dist.
func checkProfile(tb testing.TB, p Profile, l Link, dist float64) {
	tb.Helper()
	extra := time.Duration(math.Round(float64(p.LatencyPerUnit) * dist))
	if l.Bandwidth < p.Bandwidth[0] || l.Bandwidth > p.Bandwidth[1] ||
		l.Latency < p.Latency[0]+extra || l.Latency > p.Latency[1]+extra ||
		!slices.Contains(p.MTU, l.MTU) ||
		l.Loss < p.Loss[0] || l.Loss > p.Loss[1] ||
		l.Cost < p.Cost[0] || l.Cost > p.Cost[1] {
		tb.Fatalf("%v link %d-%d (length %.2f) outside its profile: %+v", l.Class, l.A, l.B, dist, l)
	}
}

func TestKleinberg(t *testing.T) {
	tests := []struct {
		name       string
		c          KleinbergConfig
		longMin    float64 // fraction of Q·N long links at least expected
		longLinks0 bool    // no long links at all
	}{
		{"side 1", KleinbergConfig{Side: 1}, 0, true},
		{"side 2", KleinbergConfig{Side: 2, Q: 3, R: Uniform, Seed: 1}, 0.01, false},
		{"lattice only", KleinbergConfig{Side: 10, Q: -1}, 0, true},
		// With r=2, a quarter to a third of the contacts are lattice
		// neighbours, so no new link.
		{"defaults", KleinbergConfig{Side: 30, Seed: 7}, 0.65, false},
		{"q3 r1", KleinbergConfig{Side: 30, Q: 3, R: 1, Seed: 7}, 0.85, false},
		{"uniform", KleinbergConfig{Side: 30, R: Uniform, Seed: 7}, 0.95, false},
		{"r4", KleinbergConfig{Side: 20, R: 4, Seed: 3}, 0.1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := Kleinberg(tt.c)
			if err != nil {
				t.Fatal(err)
			}
			checkGraph(t, g)
			s := tt.c.Side
			if g.N != s*s {
				t.Fatalf("N = %d, want %d", g.N, s*s)
			}
			for i := range g.N {
				if g.X[i] != float64(i%s) || g.Y[i] != float64(i/s) {
					t.Fatalf("node %d at (%v, %v)", i, g.X[i], g.Y[i])
				}
				for _, j := range []int{i + 1, i + s} {
					if j == i+1 && (i+1)%s == 0 || j >= g.N {
						continue
					}
					l, ok := g.Link(i, j)
					if !ok || g.Links[l].Class != Short {
						t.Fatalf("lattice edge %d-%d missing or not short", i, j)
					}
				}
			}
			q := max(tt.c.Q, 0)
			if tt.c.Q == 0 {
				q = 1
			}
			long := 0
			for _, l := range g.Links {
				d := manhattan(g, l)
				dist := math.Hypot(g.X[l.A]-g.X[l.B], g.Y[l.A]-g.Y[l.B])
				switch l.Class {
				case Short:
					if d != 1 {
						t.Fatalf("short link %d-%d of length %d", l.A, l.B, d)
					}
					checkProfile(t, DefaultShort(), l, dist)
				case Long:
					if d < 2 {
						t.Fatalf("long link %d-%d of length %d", l.A, l.B, d)
					}
					checkProfile(t, DefaultLong(), l, dist)
					long++
				}
			}
			if lattice := 2 * s * (s - 1); len(g.Links)-long != lattice {
				t.Errorf("%d short links, want %d", len(g.Links)-long, lattice)
			}
			if tt.longLinks0 != (long == 0) || long > q*g.N || float64(long) < tt.longMin*float64(q*g.N) {
				t.Errorf("%d long links, want about %d (at least %.0f)", long, q*g.N, tt.longMin*float64(q*g.N))
			}
			if !g.Connected() {
				t.Error("not connected")
			}
		})
	}
}

func TestKleinbergDeterministic(t *testing.T) {
	c := KleinbergConfig{Side: 20, Q: 2, Seed: 42}
	a, _ := Kleinberg(c)
	b, _ := Kleinberg(c)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("same seed, different graphs")
	}
	c.Seed++
	d, _ := Kleinberg(c)
	if reflect.DeepEqual(a.Links, d.Links) {
		t.Fatal("different seeds, same graph")
	}
	// The topology does not depend on the profiles.
	c.Seed--
	c.Long = DefaultLong()
	c.Long.Cost = [2]uint64{5, 5}
	e, _ := Kleinberg(c)
	if len(e.Links) != len(a.Links) {
		t.Fatal("a profile change changed the topology")
	}
	for i := range e.Links {
		if e.Links[i].A != a.Links[i].A || e.Links[i].B != a.Links[i].B || e.Links[i].Class == Long && e.Links[i].Cost != 5 {
			t.Fatalf("link %d: %+v vs %+v", i, e.Links[i], a.Links[i])
		}
	}
}

func TestKleinbergErrors(t *testing.T) {
	bad := DefaultShort()
	bad.MTU = []int{400}
	for _, c := range []KleinbergConfig{
		{Side: 0},
		{Side: -3},
		{Side: 50000},
		{Side: 5, R: -1},
		{Side: 5, R: math.NaN()},
		{Side: 5, R: math.Inf(1)},
		{Side: 5, Short: bad},
		{Side: 5, Long: bad},
	} {
		if _, err := Kleinberg(c); !errors.Is(err, ErrConfig) {
			t.Errorf("Kleinberg(%+v): %v, want ErrConfig", c, err)
		}
	}
}

// exactContacts returns, for node u of a side × side lattice, the
// probability of each node being u's long-range contact: ∝ d^-r.
func exactContacts(side, u int, r float64) []float64 {
	p := make([]float64, side*side)
	sum := 0.0
	for v := range p {
		if v == u {
			continue
		}
		d := math.Abs(float64(u%side-v%side)) + math.Abs(float64(u/side-v/side))
		p[v] = math.Pow(d, -r)
		sum += p[v]
	}
	for v := range p {
		p[v] /= sum
	}
	return p
}

// TestContactSampler checks that the sampler draws each contact with
// exactly the probability d^-r / Z_u, for corner, edge and inner nodes.
func TestContactSampler(t *testing.T) {
	const side, draws = 9, 100000
	for _, r := range []float64{Uniform, 1, 2, 3} {
		cs := newContactSampler(side, r)
		rng := rand.New(rand.NewPCG(1, 2))
		for _, u := range []int{0, 4, 40, 80, 13} {
			want := exactContacts(side, u, r)
			got := make([]int, side*side)
			for range draws {
				got[cs.sample(rng, u)]++
			}
			for v, c := range got {
				exp := want[v] * draws
				if math.Abs(float64(c)-exp) > 5*math.Sqrt(exp)+3 {
					t.Errorf("r=%v u=%d v=%d: drawn %d times, want %.0f", r, u, v, c, exp)
				}
			}
		}
	}
}

// TestKleinbergDistances checks the lengths of the long links of whole
// graphs against d^-r: per distance band, the count is near the exact
// expectation, and short long links are much more common for r=2 than
// for r=0.
func TestKleinbergDistances(t *testing.T) {
	const side, q = 30, 2
	bands := []int{2, 3, 5, 9, 17, 33, 64} // band i is [bands[i], bands[i+1])
	band := func(d int) int {
		for i := len(bands) - 2; i >= 0; i-- {
			if d >= bands[i] {
				return i
			}
		}
		return -1
	}
	share := map[float64]float64{}
	for _, r := range []float64{Uniform, 1, 2, 3} {
		// The expected number of contacts per band, from the exact
		// distribution (distance-1 contacts become no link).
		exp := make([]float64, len(bands)-1)
		for u := range side * side {
			for v, p := range exactContacts(side, u, r) {
				if v == u {
					continue
				}
				d := int(math.Abs(float64(u%side-v%side)) + math.Abs(float64(u/side-v/side)))
				if b := band(d); b >= 0 {
					exp[b] += q * p
				}
			}
		}
		got := make([]float64, len(bands)-1)
		total := 0.0
		for seed := range uint64(3) {
			g, err := Kleinberg(KleinbergConfig{Side: side, Q: q, R: r, Seed: seed})
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range g.Links {
				if l.Class == Long {
					got[band(manhattan(g, l))]++
					total++
				}
			}
		}
		for b := range got {
			e := 3 * exp[b]
			// Duplicate contacts (u->v and v->u) are skipped, hence the
			// relative slack.
			if math.Abs(got[b]-e) > 5*math.Sqrt(e)+0.03*e+3 {
				t.Errorf("r=%v: %v long links of length [%d, %d), want %.0f", r, got[b], bands[b], bands[b+1], e)
			}
		}
		share[r] = (got[0] + got[1]) / total
		t.Logf("r=%v: share of long links of length 2..4: %.3f; per band %v", r, share[r], got)
	}
	if !(share[2] > 5*share[Uniform]) || !(share[3] > share[2]) || !(share[2] > share[1]) {
		t.Errorf("short long-link shares not increasing with r: %v", share)
	}
}
