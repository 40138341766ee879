package topo

import (
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
)

func TestGeometric(t *testing.T) {
	tests := []struct {
		name   string
		c      GeometricConfig
		within float64 // relative tolerance of the mean degree
	}{
		{"one node", GeometricConfig{N: 1}, -1},
		{"sparse", GeometricConfig{N: 300, Degree: 3, Seed: 1}, -1},
		{"default degree", GeometricConfig{N: 2000, Seed: 2}, 0.1},
		{"degree 12", GeometricConfig{N: 3000, Degree: 12, Seed: 3}, 0.1},
		{"degree 20", GeometricConfig{N: 500, Degree: 20, Seed: 4}, 0.15},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, dropped, err := Geometric(tt.c)
			if err != nil {
				t.Fatal(err)
			}
			checkGraph(t, g)
			if g.N+dropped != tt.c.N || g.N < 1 {
				t.Fatalf("N = %d and %d dropped, want %d in all", g.N, dropped, tt.c.N)
			}
			if !g.Connected() {
				t.Fatal("not connected")
			}
			deg := tt.c.Degree
			if deg == 0 {
				deg = 8
			}
			r := GeometricRange(tt.c.N, deg)
			// Every pair within range is linked, and no other pair: the
			// grid search against all pairs. Pairs within range are in
			// the same component, so the kept nodes are closed under it.
			links := 0
			for i := range g.N {
				if g.X[i] < 0 || g.X[i] >= 1 || g.Y[i] < 0 || g.Y[i] >= 1 {
					t.Fatalf("node %d at (%v, %v)", i, g.X[i], g.Y[i])
				}
				for j := i + 1; j < g.N; j++ {
					dx, dy := g.X[i]-g.X[j], g.Y[i]-g.Y[j]
					_, ok := g.Link(i, j)
					if in := dx*dx+dy*dy <= r*r; in != ok {
						t.Fatalf("nodes %d and %d at distance %v, range %v: linked %v", i, j, math.Hypot(dx, dy), r, ok)
					}
					if ok {
						links++
					}
				}
			}
			if links != len(g.Links) {
				t.Fatalf("%d links within range, graph has %d", links, len(g.Links))
			}
			for _, l := range g.Links {
				if l.Class != Short {
					t.Fatalf("link %d-%d is %v", l.A, l.B, l.Class)
				}
				checkProfile(t, DefaultShort(), l, math.Hypot(g.X[l.A]-g.X[l.B], g.Y[l.A]-g.Y[l.B]))
			}
			mean, _ := g.Degree()
			t.Logf("N %d, dropped %d, mean degree %.2f (target %v)", g.N, dropped, mean, deg)
			if tt.within > 0 && math.Abs(mean-deg) > tt.within*deg {
				t.Errorf("mean degree %.2f, want %v ± %.0f%%", mean, deg, 100*tt.within)
			}
		})
	}
}

// TestGeometricDropped checks the renumbering when components are dropped:
// the kept nodes are the largest component of the full graph, in their
// original order.
func TestGeometricDropped(t *testing.T) {
	c := GeometricConfig{N: 400, Degree: 4, Seed: 9}
	g, dropped, err := Geometric(c)
	if err != nil {
		t.Fatal(err)
	}
	if dropped == 0 {
		t.Fatal("expected a disconnected graph at degree 4")
	}
	// Rebuild the full point set from the same stream.
	full := fullGeometric(t, c)
	comp, sizes := full.components()
	best := 0
	for i, s := range sizes {
		if s > sizes[best] {
			best = i
		}
	}
	var kept []int
	for v, cv := range comp {
		if cv == int32(best) {
			kept = append(kept, v)
		}
	}
	if len(kept) != g.N {
		t.Fatalf("kept %d nodes, largest component has %d", g.N, len(kept))
	}
	for i, v := range kept {
		if g.X[i] != full.X[v] || g.Y[i] != full.Y[v] {
			t.Fatalf("node %d is not original node %d", i, v)
		}
	}
}

// fullGeometric is Geometric without dropping components or drawing
// properties.
func fullGeometric(tb testing.TB, c GeometricConfig) *Graph {
	tb.Helper()
	// The positions Geometric draws.
	x, y := make([]float64, c.N), make([]float64, c.N)
	rng := rand.New(rand.NewPCG(c.Seed, streamTopology))
	for i := range c.N {
		x[i], y[i] = rng.Float64(), rng.Float64()
	}
	return build(c.N, x, y, rangeLinks(x, y, GeometricRange(c.N, c.Degree)))
}

func TestGeometricDeterministic(t *testing.T) {
	c := GeometricConfig{N: 1000, Seed: 5}
	a, da, _ := Geometric(c)
	b, db, _ := Geometric(c)
	if !reflect.DeepEqual(a, b) || da != db {
		t.Fatal("same seed, different graphs")
	}
	c.Seed++
	d, _, _ := Geometric(c)
	if reflect.DeepEqual(a.X, d.X) || reflect.DeepEqual(a.Links, d.Links) {
		t.Fatal("different seeds, same graph")
	}
}

func TestGeometricErrors(t *testing.T) {
	bad := DefaultShort()
	bad.Loss = [2]float64{0, 1}
	for _, c := range []GeometricConfig{
		{N: 0},
		{N: -1},
		{N: 10, Degree: -1},
		{N: 10, Degree: math.NaN()},
		{N: 10, Degree: math.Inf(1)},
		{N: 10, Short: bad},
	} {
		if _, _, err := Geometric(c); !errors.Is(err, ErrConfig) {
			t.Errorf("Geometric(%+v): %v, want ErrConfig", c, err)
		}
	}
}
