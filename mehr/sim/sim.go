package sim

import (
	"errors"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"time"

	"github.com/mehr-net/mehr/mehr/route"
	"github.com/mehr-net/mehr/mehr/sim/topo"
	"github.com/mehr-net/mehr/rns/transport"
)

// Config is one simulation run.
type Config struct {
	Graph *topo.Graph
	Seed  uint64
	// Announcers is how many nodes announce, drawn by the seed; 0 or more
	// than the graph's nodes means every node. Every node relays and keeps
	// tables either way; with fewer announcers the run measures the
	// tables, traffic and memory that those destinations cause and scales
	// per-destination figures to N (Result.Scale).
	Announcers int
	// Window spreads the announcers' announces over this long; 0 means
	// the announce interval times the share of nodes announcing, so that
	// links carry announces at the rate of the whole network announcing
	// once per interval.
	Window time.Duration
	// Ingress turns on Reticulum's ingress control (holding announces of
	// new destinations during bursts), which the simulated interfaces,
	// long established and stable, run without by default.
	Ingress bool
	// Settle caps how long the run goes on after the window while
	// anything is still moving (it ends as soon as every node is quiet);
	// 0 means 30 minutes.
	Settle time.Duration
	// Pairs is how many (source, destination) pairs paths are traced
	// for; 0 means 1000.
	Pairs int
	// Policies are traced besides Reticulum's own path; nil means
	// Policies.
	Policies []NamedPolicy
	// Default is every router's default policy (what annotations
	// describe); the zero value is Balanced.
	Default route.Policy
	// AnnounceInterval is the interval the overhead is reported against
	// (every node announcing once per interval); 0 means the spec's 30
	// minutes.
	AnnounceInterval time.Duration
	// PathsPerDestination caps the routing entries per destination on a
	// node; 0 means 4.
	PathsPerDestination int
	// MaxEntries caps a node's routing table; 0 means room for
	// PathsPerDestination entries of every announcer.
	MaxEntries int
	Logf       func(string, ...any)
}

// NamedPolicy is a policy with the name results use.
type NamedPolicy struct {
	Name   string
	Policy route.Policy
}

// Policies are the spec's policies, traced hop by hop.
var Policies = []NamedPolicy{
	{"balanced", route.Policy{}},
	{"cheapest", route.Cheapest},
	{"fastest", route.Fastest},
	{"largest-mtu", route.LargestMTU},
}

// Reticulum names the path Reticulum's own path table gives (the first
// copy of the announce to arrive, fewest hops).
const Reticulum = "reticulum"

// Run builds the network, lets the announcers announce and measures.
func Run(cfg Config) (*Result, error) {
	g := cfg.Graph
	if g == nil || g.N < 2 {
		return nil, errors.New("sim: need a graph of at least two nodes")
	}
	if !g.Connected() {
		return nil, errors.New("sim: graph is not connected")
	}
	if cfg.Announcers <= 0 || cfg.Announcers > g.N {
		cfg.Announcers = g.N
	}
	if cfg.AnnounceInterval <= 0 {
		cfg.AnnounceInterval = 30 * time.Minute
	}
	if cfg.Window <= 0 {
		cfg.Window = max(10*time.Second, cfg.AnnounceInterval*time.Duration(cfg.Announcers)/time.Duration(g.N))
	}
	if cfg.Settle <= 0 {
		cfg.Settle = 30 * time.Minute
	}
	if cfg.Pairs <= 0 {
		cfg.Pairs = 1000
	}
	if cfg.Policies == nil {
		cfg.Policies = Policies
	}
	if cfg.PathsPerDestination <= 0 {
		cfg.PathsPerDestination = 4
	}
	if cfg.MaxEntries <= 0 {
		// Room for every announcer's paths: the run measures routing,
		// not eviction.
		cfg.MaxEntries = cfg.Announcers*cfg.PathsPerDestination + 64
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	s := &Sim{g: g, cfg: cfg, rng: rand.New(seeded(cfg.Seed, "links", 0)), valid: transport.NewValidatedAnnounces()}
	res := &Result{N: g.N, Links: len(g.Links), Announcers: cfg.Announcers, Seed: cfg.Seed}
	res.Degree, _ = g.Degree()
	res.Scale = float64(g.N) / float64(cfg.Announcers)

	wall := time.Now()
	heapBefore := heapInUse()
	if err := s.build(); err != nil {
		return nil, err
	}
	heapBuilt := heapInUse()
	res.BuildTime = time.Since(wall)
	cfg.Logf("sim: %d nodes, %d links built in %v", g.N, len(g.Links), res.BuildTime.Round(time.Millisecond))

	// Interfaces count as long established (no new-interface burst
	// limits): the clock moves on three hours before anything is sent.
	s.now = int64(3 * time.Hour)
	start := s.now
	pick := rand.New(seeded(cfg.Seed, "announcers", 0))
	announcers := pick.Perm(g.N)[:cfg.Announcers]
	slices.Sort(announcers)
	emit := make(map[int32]int64, len(announcers))
	for _, v := range announcers {
		at := start + pick.Int64N(int64(cfg.Window))
		emit[int32(v)] = at
		s.push(&event{at: at, kind: evAnnounce, node: int32(v)})
	}
	end := start + int64(cfg.Window) + int64(cfg.Settle)
	s.run(end)
	res.Cut = s.q.Len() // still moving at the cap
	s.q = nil
	res.RunTime = time.Since(wall) - res.BuildTime
	res.Events = s.events
	res.SimTime = time.Duration(s.now - start)
	cfg.Logf("sim: %d events in %v (%v simulated)", s.events, res.RunTime.Round(time.Millisecond), res.SimTime)

	heapRun := heapInUse()
	res.Memory = memoryOf(heapBefore, heapBuilt, heapRun, g.N, cfg.Announcers)
	s.measureConvergence(res, announcers, emit)
	s.measureOverhead(res)
	s.measurePaths(res, announcers)
	res.Tables = s.tableStats()
	return res, nil
}

// heapInUse returns the live heap after a collection.
func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

func memoryOf(before, built, run uint64, n, announcers int) Memory {
	m := Memory{}
	if built > before {
		m.BasePerNode = float64(built-before) / float64(n)
	}
	if run > built {
		m.PerDestination = float64(run-built) / float64(n) / float64(announcers)
	}
	m.Measured = m.BasePerNode + m.PerDestination*float64(announcers)
	m.AllAnnouncing = m.BasePerNode + m.PerDestination*float64(n)
	return m
}

// measureConvergence finds, for each announce, when the last node
// installed the path it ended with, in Reticulum's path table and in
// Mehr's routing table.
func (s *Sim) measureConvergence(res *Result, announcers []int, emit map[int32]int64) {
	var ret, mehr []float64
	var buf []route.Entry
	for _, d := range announcers {
		dn := s.nodes[d]
		var worstRet, worstMehr int64
		for v, sn := range s.nodes {
			if v == d {
				continue
			}
			pe, ok := sn.n.Transport().Path(dn.dest)
			if !ok {
				res.Unreached++
				continue
			}
			worstRet = max(worstRet, pe.Timestamp.Sub(epoch).Nanoseconds()-emit[int32(d)])
			buf = sn.r.Table().Lookup(dn.dest, buf[:0])
			for _, e := range buf {
				worstMehr = max(worstMehr, e.LastUpdated.Sub(epoch).Nanoseconds()-emit[int32(d)])
			}
		}
		ret = append(ret, time.Duration(worstRet).Seconds())
		mehr = append(mehr, time.Duration(worstMehr).Seconds())
	}
	res.Convergence = map[string]Dist{Reticulum: distOf(ret), "mehr": distOf(mehr)}
}

// measureOverhead reports each link direction's control traffic as a
// share of its bandwidth, scaled to every node announcing once per
// announce interval.
func (s *Sim) measureOverhead(res *Result) {
	byClass := map[string][]float64{}
	var all []float64
	interval := s.cfg.AnnounceInterval.Seconds()
	for _, sn := range s.nodes {
		for _, p := range sn.ports {
			l := &s.g.Links[p.link]
			bits := float64(p.bytes+p.annotations) * 8 * res.Scale
			share := bits / (float64(l.Bandwidth) * interval)
			byClass[l.Class.String()] = append(byClass[l.Class.String()], share)
			all = append(all, share)
			res.AnnounceBytes += p.bytes
			res.AnnotationBytes += p.annotations
			res.Lost += p.lost
		}
	}
	res.Overhead = map[string]Dist{"all": distOf(all)}
	for c, v := range byClass {
		res.Overhead[c] = distOf(v)
	}
	over := 0
	for _, v := range all {
		if v > 0.10 {
			over++
		}
	}
	res.OverBudget = float64(over) / float64(max(len(all), 1))
	res.BytesPerAnnouncePerLink = float64(res.AnnounceBytes+res.AnnotationBytes) / float64(res.Announcers) / float64(max(len(all), 1))
}

// tableStats sums the nodes' routing and path tables.
func (s *Sim) tableStats() Tables {
	var t Tables
	for _, sn := range s.nodes {
		st := sn.r.Table().Stats()
		t.RouteEntries += uint64(st.Entries)
		t.Paths += uint64(sn.n.Transport().PathCount())
	}
	n := float64(len(s.nodes))
	t.RouteEntriesPerNode = float64(t.RouteEntries) / n
	t.PathsPerNode = float64(t.Paths) / n
	return t
}

// Dist summarises a sample.
type Dist struct {
	N                        int
	Mean, P50, P95, Max, Min float64
}

func distOf(v []float64) Dist {
	if len(v) == 0 {
		return Dist{}
	}
	v = slices.Clone(v)
	slices.Sort(v)
	var sum float64
	for _, x := range v {
		sum += x
	}
	// The nearest-rank percentile: the smallest value with at least p of
	// the sample at or below it.
	q := func(p float64) float64 { return v[max(0, int(math.Ceil(p*float64(len(v))))-1)] }
	return Dist{N: len(v), Mean: sum / float64(len(v)), P50: q(0.5), P95: q(0.95), Max: v[len(v)-1], Min: v[0]}
}
