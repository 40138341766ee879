package topo

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// Random streams: each generator draws its topology and its link
// properties from two PCG streams of the same seed, so a change of Profile
// does not change the topology.
const (
	streamTopology = 0x746f706f6c6f6779 // "topology"
	streamLinks    = 0x6c696e6b70726f70 // "linkprop"
)

// Reticulum's interface MTU bounds for drawn links.
const (
	minMTU = 500
	maxMTU = 8192
)

// Profile draws link properties for one class.
type Profile struct {
	Bandwidth [2]uint64        // log-uniform range, bit/s
	Latency   [2]time.Duration // uniform range of the base latency
	// LatencyPerUnit is added per unit of Euclidean distance between the
	// link's ends, in the units of Graph.X and Graph.Y (lattice steps for
	// Kleinberg, the unit square for Geometric).
	LatencyPerUnit time.Duration
	MTU            []int      // drawn uniformly from this set, each in [500, 8192]
	Loss           [2]float64 // uniform range, within [0, 1)
	Cost           [2]uint64  // uniform range of integers, μMHR per byte
}

// DefaultShort is a radio or WiFi class link: 1–50 Mbit/s, 1–10 ms, MTU
// 500, 1064 or 1500, loss 0–2 %, cost 1–10 μMHR per byte.
func DefaultShort() Profile {
	return Profile{
		Bandwidth: [2]uint64{1e6, 50e6},
		Latency:   [2]time.Duration{time.Millisecond, 10 * time.Millisecond},
		MTU:       []int{500, 1064, 1500},
		Loss:      [2]float64{0, 0.02},
		Cost:      [2]uint64{1, 10},
	}
}

// DefaultLong is an internet or backbone link: 10 Mbit/s–1 Gbit/s, 10–40 ms
// plus 0.2 ms per lattice step of Euclidean distance (a step of ~40 km of
// fibre), MTU 1500 or 8192, loss 0–0.5 %, cost 10–100 μMHR per byte.
func DefaultLong() Profile {
	return Profile{
		Bandwidth:      [2]uint64{10e6, 1e9},
		Latency:        [2]time.Duration{10 * time.Millisecond, 40 * time.Millisecond},
		LatencyPerUnit: 200 * time.Microsecond,
		MTU:            []int{1500, 8192},
		Loss:           [2]float64{0, 0.005},
		Cost:           [2]uint64{10, 100},
	}
}

// isZero reports whether p is the zero Profile, which means the default.
func (p *Profile) isZero() bool {
	return p.Bandwidth == [2]uint64{} && p.Latency == [2]time.Duration{} && p.LatencyPerUnit == 0 &&
		len(p.MTU) == 0 && p.Loss == [2]float64{} && p.Cost == [2]uint64{}
}

// orDefault returns p, or def() if p is zero, after checking it.
func (p Profile) orDefault(name string, def func() Profile) (Profile, error) {
	if p.isZero() {
		return def(), nil
	}
	if err := p.check(); err != nil {
		return p, fmt.Errorf("%s profile: %w", name, err)
	}
	return p, nil
}

// check validates the ranges of p.
func (p *Profile) check() error {
	switch {
	case p.Bandwidth[0] == 0 || p.Bandwidth[0] > p.Bandwidth[1]:
		return fmt.Errorf("%w: bandwidth range %v", ErrConfig, p.Bandwidth)
	case p.Latency[0] < 0 || p.Latency[0] > p.Latency[1]:
		return fmt.Errorf("%w: latency range %v", ErrConfig, p.Latency)
	case p.LatencyPerUnit < 0:
		return fmt.Errorf("%w: latency per unit %v", ErrConfig, p.LatencyPerUnit)
	case len(p.MTU) == 0:
		return fmt.Errorf("%w: no MTU", ErrConfig)
	case !(p.Loss[0] >= 0 && p.Loss[0] <= p.Loss[1] && p.Loss[1] < 1):
		return fmt.Errorf("%w: loss range %v", ErrConfig, p.Loss)
	case p.Cost[0] > p.Cost[1]:
		return fmt.Errorf("%w: cost range %v", ErrConfig, p.Cost)
	}
	for _, m := range p.MTU {
		if m < minMTU || m > maxMTU {
			return fmt.Errorf("%w: MTU %d outside [%d, %d]", ErrConfig, m, minMTU, maxMTU)
		}
	}
	return nil
}

// draw sets l's properties from p; dist is the Euclidean distance between
// its ends. It makes the same number of draws whatever the ranges, so the
// draws of later links do not depend on whether a range is a single value.
func (p *Profile) draw(rng *rand.Rand, l *Link, dist float64) {
	lo, hi := math.Log(float64(p.Bandwidth[0])), math.Log(float64(p.Bandwidth[1]))
	bw := uint64(math.Round(math.Exp(lo + rng.Float64()*(hi-lo))))
	l.Bandwidth = min(max(bw, p.Bandwidth[0]), p.Bandwidth[1])

	if lspan := int64(p.Latency[1] - p.Latency[0]); lspan < math.MaxInt64 {
		l.Latency = p.Latency[0] + time.Duration(rng.Int64N(lspan+1))
	} else {
		l.Latency = p.Latency[0] + time.Duration(rng.Int64())
	}
	l.Latency += time.Duration(math.Round(float64(p.LatencyPerUnit) * dist))

	l.MTU = p.MTU[rng.IntN(len(p.MTU))]

	l.Loss = p.Loss[0] + rng.Float64()*(p.Loss[1]-p.Loss[0])

	span := p.Cost[1] - p.Cost[0]
	if span == math.MaxUint64 {
		l.Cost = rng.Uint64()
	} else {
		l.Cost = p.Cost[0] + rng.Uint64N(span+1)
	}
}

// drawLinks sets the properties of every link of g from the profile of its
// class, in link order, from the links stream of seed.
func drawLinks(g *Graph, seed uint64, short, long *Profile) {
	rng := rand.New(rand.NewPCG(seed, streamLinks))
	for i := range g.Links {
		l := &g.Links[i]
		p := short
		if l.Class == Long {
			p = long
		}
		p.draw(rng, l, math.Hypot(g.X[l.A]-g.X[l.B], g.Y[l.A]-g.Y[l.B]))
	}
}
