package sim

import (
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/mehr-net/mehr/mehr/route"
	"github.com/mehr-net/mehr/mehr/sim/topo"
	"github.com/mehr-net/mehr/rns/wire"
)

// Result is what one run measured.
type Result struct {
	Topology   string
	N, Links   int
	Announcers int
	Seed       uint64
	Degree     float64
	// Scale is N / Announcers: per-destination traffic is multiplied by
	// it to report every node announcing.
	Scale float64

	BuildTime, RunTime time.Duration
	// SimTime is the simulated time from the first announce until every
	// node was quiet; Cut counts the events left when Config.Settle cut
	// the run short (0: it ran to quiet).
	SimTime time.Duration
	Events  uint64
	Cut     int

	// Unreached counts (node, announced destination) pairs without a
	// path at the end.
	Unreached int
	// Convergence is, per announce, the time from its emission until the
	// last node installed the path it ended with, in seconds: in
	// Reticulum's path table ("reticulum") and Mehr's table ("mehr").
	Convergence map[string]Dist
	// Overhead is each link direction's control traffic (announces and
	// annotations, every node announcing once per announce interval) as a
	// share of its bandwidth: "all", and per link class.
	Overhead map[string]Dist
	// OverBudget is the share of link directions above the 10 % budget.
	OverBudget                           float64
	AnnounceBytes, AnnotationBytes, Lost uint64
	BytesPerAnnouncePerLink              float64
	Paths                                map[string]*PathStats
	Memory                               Memory
	Tables                               Tables
	PolicyOrder                          []string
}

// PathStats are the traced paths of one policy.
type PathStats struct {
	Traced, Delivered, Loops, NoRoute int
	Hops                              Dist
	// Stretch is the path's value over the optimum, per metric (for
	// MTU, the optimum over the path's: always ≥ 1).
	Stretch map[string]Dist
}

// Memory is heap per node, in bytes.
type Memory struct {
	BasePerNode    float64 // a node with its interfaces and router, no destinations
	PerDestination float64 // what each announced destination adds on every node
	Measured       float64 // per node in this run
	AllAnnouncing  float64 // per node with every node announcing
}

// Tables sums the tables at the end of the run.
type Tables struct {
	RouteEntries, Paths               uint64
	RouteEntriesPerNode, PathsPerNode float64
}

// EveryHop marks, in result names, a policy applied by every node on the
// path rather than by the source alone.
const EveryHop = "/every-hop"

// Metrics are the metrics stretch is measured on.
var Metrics = []topo.Metric{topo.Hops, topo.Cost, topo.Latency, topo.WorstLatency, topo.MTU}

// measurePaths traces paths between sampled pairs for Reticulum's path
// table and every policy, hop by hop through each node's own table, and
// compares them with the optimum on each metric.
func (s *Sim) measurePaths(res *Result, announcers []int) {
	g := s.g
	rng := rand.New(seeded(s.cfg.Seed, "pairs", 0))
	nsrc := min(50, g.N)
	srcs := rng.Perm(g.N)[:nsrc]
	slices.Sort(srcs)
	per := max(1, s.cfg.Pairs/nsrc)
	type how struct {
		policy int // -1: Reticulum's path table
		every  bool
	}
	names := []string{Reticulum}
	hows := []how{{policy: -1}}
	for k, p := range s.cfg.Policies {
		names = append(names, p.Name, p.Name+EveryHop)
		hows = append(hows, how{k, false}, how{k, true})
	}
	res.PolicyOrder = names
	type acc struct {
		st      PathStats
		hops    []float64
		stretch [][]float64
	}
	accs := make([]*acc, len(names))
	for k := range accs {
		accs[k] = &acc{stretch: make([][]float64, len(Metrics))}
	}
	o := topo.NewOracle(g)
	opt := make([][]float64, len(Metrics))
	for k := range opt {
		opt[k] = make([]float64, g.N)
	}
	seen := make([]uint32, g.N)
	var stamp uint32
	var path []int32
	for _, src := range srcs {
		for k, m := range Metrics {
			o.From(src, m, opt[k])
		}
		for range per {
			d := announcers[rng.IntN(len(announcers))]
			if d == src {
				continue
			}
			for k := range names {
				a := accs[k]
				a.st.Traced++
				stamp++
				var ok, loop bool
				path, ok, loop = s.trace(path[:0], src, d, hows[k].policy, hows[k].every, seen, stamp)
				switch {
				case ok:
					a.st.Delivered++
				case loop:
					a.st.Loops++
					continue
				default:
					a.st.NoRoute++
					continue
				}
				a.hops = append(a.hops, float64(len(path)-1))
				for mi, m := range Metrics {
					v, err := g.PathValue(path, m)
					if err != nil {
						continue
					}
					a.stretch[mi] = append(a.stretch[mi], stretch(m, v, opt[mi][d]))
				}
			}
		}
	}
	res.Paths = map[string]*PathStats{}
	for k, n := range names {
		a := accs[k]
		a.st.Hops = distOf(a.hops)
		a.st.Stretch = map[string]Dist{}
		for mi, m := range Metrics {
			a.st.Stretch[m.String()] = distOf(a.stretch[mi])
		}
		st := a.st
		res.Paths[n] = &st
	}
}

// stretch is how much worse v is than the optimum o (≥ 1).
func stretch(m topo.Metric, v, o float64) float64 {
	if m.Maximised() {
		v, o = o, v
	}
	if o <= 0 {
		if v <= 0 {
			return 1
		}
		return math.Inf(1)
	}
	return v / o
}

// trace follows next hops from src to dst: Reticulum's path table when
// policy is -1, else the policy's choice on the source and the default
// policy on every relay (docs/design/path-cost.md §5: a Reticulum packet
// carries no policy, so a relay forwards by its own), or with every the
// policy's choice on every node (what relays could do if packets named
// their policy). Every node picks by routing.Router.Next: never straight
// back to the node the packet came from, and only a loop-free next hop
// (route.Feasible). It appends the
// nodes to path and reports whether dst was reached, or a loop found.
func (s *Sim) trace(path []int32, src, dst, policy int, every bool, seen []uint32, stamp uint32) ([]int32, bool, bool) {
	dest := s.nodes[dst].dest
	cur := src
	path = append(path, int32(src))
	seen[src] = stamp
	for range 255 {
		if cur == dst {
			return path, true, false
		}
		next := -1
		sn := s.nodes[cur]
		if policy < 0 {
			if pe, ok := sn.n.Transport().Path(dest); ok {
				if p := s.byIface[pe.Interface]; p != nil {
					next = int(p.peer.node)
				}
			}
		} else {
			var avoid wire.Hash
			if len(path) > 1 {
				avoid = s.nodes[path[len(path)-2]].id
			}
			var e route.Entry
			var err error
			e, s.cands, err = sn.r.Next(dest, s.policyAt(cur == src || every, policy), avoid, s.cands)
			if err == nil {
				for _, p := range sn.ports {
					if p.key == e.NextHop.Interface {
						next = int(p.peer.node)
						break
					}
				}
			}
		}
		if next < 0 {
			return path, false, false
		}
		path = append(path, int32(next))
		if seen[next] == stamp {
			return path, false, true
		}
		seen[next] = stamp
		cur = next
	}
	return path, false, true
}

// policyAt is the policy a node applies on a traced path.
func (s *Sim) policyAt(source bool, policy int) route.Policy {
	if source {
		return s.cfg.Policies[policy].Policy
	}
	return s.cfg.Default
}
