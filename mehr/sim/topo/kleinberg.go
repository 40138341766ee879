package topo

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// Uniform is the KleinbergConfig.R for r = 0, where every other node is an
// equally likely long-range contact. (The zero R means the default, 2.)
// d^-Uniform is exactly 1 in float64 for every lattice distance d.
const Uniform = math.SmallestNonzeroFloat64

// KleinbergConfig configures Kleinberg.
type KleinbergConfig struct {
	Side int // lattice is Side x Side nodes, 4-neighbour edges, no wrap-around
	// Q is the number of long-range links started per node: zero means
	// the default 1, a negative Q means none (the bare lattice).
	Q int
	// R is the clustering exponent r >= 0: P(u->v) ∝ d(u,v)^-R, with d the
	// lattice (Manhattan) distance. Zero means the default 2; use Uniform
	// for r = 0.
	R           float64
	Seed        uint64
	Short, Long Profile // zero values mean DefaultShort and DefaultLong
}

// Kleinberg builds Kleinberg's small-world lattice: Side × Side nodes,
// node i at (i%Side, i/Side), each linked to its 4 lattice neighbours
// (Class Short, no wrap-around), and each node u starting Q long-range
// links (Class Long) to contacts v drawn independently with probability
// proportional to d(u,v)^-R among all other nodes of the lattice. A contact
// that duplicates an existing pair is skipped (every contact at distance 1
// does), so the graph has fewer than Q·N long links: about a quarter fewer
// at r = 2, most of them missing at r >= 4.
func Kleinberg(c KleinbergConfig) (*Graph, error) {
	if c.Side < 1 || c.Side > 46340 { // Side² must fit an int32
		return nil, fmt.Errorf("%w: Kleinberg side %d", ErrConfig, c.Side)
	}
	if c.Q == 0 {
		c.Q = 1
	}
	if c.R == 0 {
		c.R = 2
	}
	if !(c.R >= 0) || math.IsInf(c.R, 0) {
		return nil, fmt.Errorf("%w: Kleinberg exponent %v", ErrConfig, c.R)
	}
	short, err := c.Short.orDefault("short", DefaultShort)
	if err != nil {
		return nil, err
	}
	long, err := c.Long.orDefault("long", DefaultLong)
	if err != nil {
		return nil, err
	}

	s := c.Side
	n := s * s
	x, y := make([]float64, n), make([]float64, n)
	for i := range n {
		x[i], y[i] = float64(i%s), float64(i/s)
	}
	q := max(c.Q, 0)
	if n < 2 {
		q = 0
	}
	links := make([]Link, 0, 2*s*(s-1)+q*n)
	for i := range n {
		if i%s+1 < s {
			links = append(links, Link{A: int32(i), B: int32(i + 1), Class: Short})
		}
		if i+s < n {
			links = append(links, Link{A: int32(i), B: int32(i + s), Class: Short})
		}
	}
	if q > 0 {
		rng := rand.New(rand.NewPCG(c.Seed, streamTopology))
		cs := newContactSampler(s, c.R)
		for u := range n {
			for range q {
				v := cs.sample(rng, u)
				links = append(links, Link{A: int32(min(u, v)), B: int32(max(u, v)), Class: Long})
			}
		}
	}
	slices.SortFunc(links, cmpLink)
	links = dedup(links)
	g := build(n, x, y, links)
	drawLinks(g, c.Seed, &short, &long)
	return g, nil
}

// contactSampler draws long-range contacts on a side × side lattice with
// P(u->v) ∝ d(u,v)^-r, in O(log side) expected time per contact and
// O(side) memory.
//
// It draws a distance d from the distribution with weights 4d·d^-r, the
// number of points at Manhattan distance d in the unbounded lattice times
// d^-r, then one of those 4d points uniformly, and starts again if the
// point is off the lattice. Every on-lattice v ≠ u is thus drawn with
// probability ∝ d(u,v)^-r / (4d) · 4d = d(u,v)^-r, exactly as wanted. The
// acceptance rate is at least about 1/8 (r = 0, where the ring points up
// to the largest distance 2(side-1) number about 8·side² and N = side²
// of them are on the lattice), higher for larger r.
type contactSampler struct {
	side int
	cdf  []float64 // cdf[d-1] = sum of the weights of distances 1..d
}

func newContactSampler(side int, r float64) *contactSampler {
	dmax := 2 * (side - 1)
	cdf := make([]float64, dmax)
	sum := 0.0
	for d := 1; d <= dmax; d++ {
		sum += 4 * float64(d) * math.Pow(float64(d), -r)
		cdf[d-1] = sum
	}
	return &contactSampler{side: side, cdf: cdf}
}

// sample returns a contact of u. The lattice must have at least 2 nodes.
func (cs *contactSampler) sample(rng *rand.Rand, u int) int {
	s := cs.side
	ux, uy := u%s, u/s
	total := cs.cdf[len(cs.cdf)-1]
	for {
		t := rng.Float64() * total
		if t >= total { // rounding
			continue
		}
		// The first distance whose cumulative weight exceeds t; a weight
		// that underflowed to zero is never chosen.
		i, _ := slices.BinarySearch(cs.cdf, t)
		for i < len(cs.cdf)-1 && cs.cdf[i] <= t {
			i++
		}
		d := i + 1
		k := rng.IntN(4 * d)
		j := k % d
		// The ring |dx|+|dy| = d as four quarter-turns of the segment
		// (d-j, j), j in [0, d).
		var dx, dy int
		switch k / d {
		case 0:
			dx, dy = d-j, j
		case 1:
			dx, dy = -j, d-j
		case 2:
			dx, dy = j-d, -j
		default:
			dx, dy = j, j-d
		}
		if vx, vy := ux+dx, uy+dy; vx >= 0 && vx < s && vy >= 0 && vy < s {
			return vy*s + vx
		}
	}
}
