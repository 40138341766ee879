package topo

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// GeometricConfig configures Geometric.
type GeometricConfig struct {
	N int
	// Degree is the target mean degree (zero means 8). The radio range is
	// derived from it: r = sqrt(Degree/(π N)) in the unit square
	// (GeometricRange).
	Degree float64
	Seed   uint64
	Short  Profile // zero value means DefaultShort
}

// GeometricRange is the radio range at which a node, one of n uniform in
// the unit square, has on average degree neighbours (π r² n = degree) if
// it is away from the border. Nodes near the border have fewer, so the mean
// degree of the graph is a little lower (by a factor of about 1 - 8r/(3π):
// 3 % at n = 2,000 and degree 8).
func GeometricRange(n int, degree float64) float64 {
	return math.Sqrt(degree / (math.Pi * float64(n)))
}

// Geometric places N nodes uniformly in the unit square and links every
// pair within the radio range (distance <= r) with a Short link. Pairs are
// found by bucketing the nodes into a grid of cells at least r wide, not by
// comparing all pairs.
//
// If the graph is not connected, Geometric keeps the largest component
// (on a tie, the one with the smallest node), renumbers its nodes in their
// original order, so that Graph.N may be less than c.N, and returns the
// number of nodes dropped. Below a mean degree of about 4.5 (the
// percolation threshold of random geometric graphs) the largest component
// is a small fraction of the nodes; at the default 8, a few nodes in a
// thousand are dropped.
func Geometric(c GeometricConfig) (g *Graph, dropped int, err error) {
	if c.N < 1 || c.N > math.MaxInt32 {
		return nil, 0, fmt.Errorf("%w: geometric N %d", ErrConfig, c.N)
	}
	if c.Degree == 0 {
		c.Degree = 8
	}
	if !(c.Degree > 0) || math.IsInf(c.Degree, 0) {
		return nil, 0, fmt.Errorf("%w: geometric degree %v", ErrConfig, c.Degree)
	}
	short, err := c.Short.orDefault("short", DefaultShort)
	if err != nil {
		return nil, 0, err
	}

	n := c.N
	rng := rand.New(rand.NewPCG(c.Seed, streamTopology))
	x, y := make([]float64, n), make([]float64, n)
	for i := range n {
		x[i] = rng.Float64()
		y[i] = rng.Float64()
	}
	links := rangeLinks(x, y, GeometricRange(n, c.Degree))
	g = build(n, x, y, links)

	comp, sizes := g.components()
	if len(sizes) > 1 {
		best := 0
		for i, sz := range sizes {
			if sz > sizes[best] {
				best = i
			}
		}
		g = keep(g, comp, int32(best), sizes[best])
		dropped = n - g.N
	}
	drawLinks(g, c.Seed, &short, &short)
	return g, dropped, nil
}

// rangeLinks returns the links, sorted by (A, B), between the points within
// distance r of each other.
func rangeLinks(x, y []float64, r float64) []Link {
	n := len(x)
	// m × m cells of width 1/m >= r, so a point's neighbours are in its
	// own cell or the 8 around it; at most about 4n cells.
	m := int(1 / r)
	m = max(1, min(m, 2*int(math.Sqrt(float64(n)))+1))
	cellOf := func(i int) (int, int) {
		return min(int(x[i]*float64(m)), m-1), min(int(y[i]*float64(m)), m-1)
	}
	// Counting sort of the points by cell: cell c holds
	// order[start[c]:start[c+1]], in increasing point index.
	start := make([]int32, m*m+1)
	for i := range n {
		cx, cy := cellOf(i)
		start[cy*m+cx+1]++
	}
	for c := range m * m {
		start[c+1] += start[c]
	}
	order := make([]int32, n)
	next := slices.Clone(start[:m*m])
	for i := range n {
		cx, cy := cellOf(i)
		c := cy*m + cx
		order[next[c]] = int32(i)
		next[c]++
	}

	r2 := r * r
	links := make([]Link, 0, int(float64(n)*math.Pi*r2*float64(n)/2)+16)
	for i := range n {
		cx, cy := cellOf(i)
		for ny := max(cy-1, 0); ny <= min(cy+1, m-1); ny++ {
			for nx := max(cx-1, 0); nx <= min(cx+1, m-1); nx++ {
				c := ny*m + nx
				for _, j := range order[start[c]:start[c+1]] {
					if int(j) <= i {
						continue
					}
					dx, dy := x[i]-x[j], y[i]-y[j]
					if dx*dx+dy*dy <= r2 {
						links = append(links, Link{A: int32(i), B: j, Class: Short})
					}
				}
			}
		}
	}
	slices.SortFunc(links, cmpLink)
	return links
}

// keep returns the subgraph of g induced by the nodes of component c (of
// size size), renumbered in their original order. Link properties are
// not drawn yet.
func keep(g *Graph, comp []int32, c int32, size int) *Graph {
	idx := make([]int32, g.N)
	x, y := make([]float64, 0, size), make([]float64, 0, size)
	for v := range g.N {
		idx[v] = -1
		if comp[v] == c {
			idx[v] = int32(len(x))
			x = append(x, g.X[v])
			y = append(y, g.Y[v])
		}
	}
	links := make([]Link, 0, len(g.Links))
	for _, l := range g.Links {
		if comp[l.A] == c {
			l.A, l.B = idx[l.A], idx[l.B]
			links = append(links, l)
		}
	}
	// Renumbering is monotone, so the links stay sorted.
	return build(size, x, y, links)
}
