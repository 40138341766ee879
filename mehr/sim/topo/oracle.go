package topo

import (
	"fmt"
	"math"
)

// Metric is what a shortest path minimises (or, for bottlenecks and
// reliability, maximises).
type Metric uint8

// Metrics. The value of the empty path (from a node to itself) and of an
// unreachable node are given for each; see Oracle.From.
const (
	// Hops is the number of links: 0 at the source, +Inf if unreachable.
	Hops Metric = iota
	// Cost is the sum of Link.Cost: 0 at the source, +Inf if unreachable.
	Cost
	// Latency is the sum of Link.Latency in seconds: 0 at the source,
	// +Inf if unreachable.
	Latency
	// WorstLatency is the largest single-link latency on the path, in
	// seconds, minimised: 0 at the source, +Inf if unreachable.
	WorstLatency
	// Bandwidth is the smallest Link.Bandwidth on the path, in bit/s,
	// maximised (widest path): +Inf at the source, 0 if unreachable.
	Bandwidth
	// MTU is the smallest Link.MTU on the path, maximised: +Inf at the
	// source, 0 if unreachable.
	MTU
	// Reliability is the probability that a frame crosses every link, the
	// product of (1-Loss), maximised: 1 at the source, 0 if unreachable.
	Reliability

	numMetrics = iota
)

// Metrics lists every Metric, in order.
var Metrics = [...]Metric{Hops, Cost, Latency, WorstLatency, Bandwidth, MTU, Reliability}

var metricNames = [numMetrics]string{"hops", "cost", "latency", "worst-latency", "bandwidth", "mtu", "reliability"}

// String returns the metric's lowercase name, such as "worst-latency".
func (m Metric) String() string {
	if m < numMetrics {
		return metricNames[m]
	}
	return fmt.Sprintf("Metric(%d)", uint8(m))
}

// Maximised reports whether larger values of m are better (Bandwidth, MTU,
// Reliability).
func (m Metric) Maximised() bool {
	return m == Bandwidth || m == MTU || m == Reliability
}

// Better reports whether value a is strictly better than b for m.
func (m Metric) Better(a, b float64) bool {
	if m.Maximised() {
		return a > b
	}
	return a < b
}

// Worst returns the value of m for an unreachable node: +Inf for the
// minimised metrics, 0 for the maximised ones.
func (m Metric) Worst() float64 {
	if m.Maximised() {
		return 0
	}
	return math.Inf(1)
}

// Identity returns the value of m for the empty path (a node to itself).
func (m Metric) Identity() float64 {
	switch m {
	case Bandwidth, MTU:
		return math.Inf(1)
	case Reliability:
		return 1
	}
	return 0
}

// extend returns the value of m for a path of value v followed by link l.
// Every search and PathValue accumulate in this one way, from the source
// onwards, so PathValue of a path an Oracle found equals its From value
// exactly.
func (m Metric) extend(v float64, l *Link) float64 {
	switch m {
	case Hops:
		return v + 1
	case Cost:
		return v + float64(l.Cost)
	case Latency:
		return v + l.Latency.Seconds()
	case WorstLatency:
		return max(v, l.Latency.Seconds())
	case Bandwidth:
		return min(v, float64(l.Bandwidth))
	case MTU:
		return min(v, float64(l.MTU))
	default: // Reliability
		return v * (1 - l.Loss)
	}
}

// PathValue returns the value of metric m along a node path (path[0] is
// the source, path[len(path)-1] the destination); a single node has the
// metric's identity value. It fails with ErrPath on an empty path or a node
// out of range and with ErrNotLinked if two consecutive nodes have no link.
func (g *Graph) PathValue(path []int32, m Metric) (float64, error) {
	if len(path) == 0 {
		return 0, fmt.Errorf("%w: empty", ErrPath)
	}
	if m >= numMetrics {
		return 0, fmt.Errorf("%w: unknown metric %v", ErrConfig, m)
	}
	if path[0] < 0 || int(path[0]) >= g.N {
		return 0, fmt.Errorf("%w: node %d out of range [0, %d)", ErrPath, path[0], g.N)
	}
	v := m.Identity()
	for i := 1; i < len(path); i++ {
		a, b := int(path[i-1]), int(path[i])
		if b < 0 || b >= g.N {
			return 0, fmt.Errorf("%w: node %d out of range [0, %d)", ErrPath, b, g.N)
		}
		l, ok := g.Link(a, b)
		if !ok {
			return 0, fmt.Errorf("%w: %d-%d (path position %d)", ErrNotLinked, a, b, i)
		}
		v = m.extend(v, &g.Links[l])
	}
	return v, nil
}

// Oracle runs single-source optimum searches on one Graph with reusable
// scratch space. It is not safe for concurrent use; use one per goroutine.
// After the first call of From for a metric, From does not allocate.
type Oracle struct {
	g *Graph
	// The searches walk arcs (the entries of Graph.LinkIdx) rather than
	// links: nbr and w are laid out like LinkIdx, so a node's neighbours
	// and weights are read sequentially instead of through Graph.Links.
	nbr []int32 // nbr[i] is the far end of arc i
	// w[m] holds each arc's weight for metric m in the search's key space
	// (see weights), built on first use; Latency and WorstLatency share
	// theirs.
	w      [numMetrics][]float64
	heap   []entry // binary heap ordered by (key, node)
	queue  []int32 // the BFS queue for Hops
	pos    []int32 // pos[v] is v's index in heap, or -1
	parent []int32 // parent[v] is v's predecessor on the best path found, or -1
	src    int32   // the source of the last From, or -1
}

// entry is a heap entry: a node and its key, kept together for locality.
type entry struct {
	k float64
	v int32
}

// NewOracle returns an Oracle for g.
func NewOracle(g *Graph) *Oracle {
	o := &Oracle{
		g:      g,
		nbr:    make([]int32, len(g.LinkIdx)),
		heap:   make([]entry, 0, g.N),
		queue:  make([]int32, 0, g.N),
		pos:    make([]int32, g.N),
		parent: make([]int32, g.N),
		src:    -1,
	}
	for v := range g.N {
		for i := g.Off[v]; i < g.Off[v+1]; i++ {
			o.nbr[i] = int32(g.Other(g.LinkIdx[i], v))
		}
	}
	for i := range o.pos {
		o.pos[i] = -1
	}
	return o
}

// weights returns the per-arc weights of m in key space: the additive
// weight (Cost, Latency), the latency (WorstLatency), the negated
// bottleneck (Bandwidth, MTU: key = -value, so maximin becomes minimax) or
// the delivery probability 1-Loss (Reliability: key = -value, multiplied).
func (o *Oracle) weights(m Metric) []float64 {
	if m == WorstLatency {
		m = Latency
	}
	if w := o.w[m]; w != nil {
		return w
	}
	w := make([]float64, len(o.g.LinkIdx))
	for i, li := range o.g.LinkIdx {
		l := &o.g.Links[li]
		switch m {
		case Cost:
			w[i] = float64(l.Cost)
		case Latency:
			w[i] = l.Latency.Seconds()
		case Bandwidth:
			w[i] = -float64(l.Bandwidth)
		case MTU:
			w[i] = -float64(l.MTU)
		case Reliability:
			w[i] = 1 - l.Loss
		}
	}
	o.w[m] = w
	return w
}

// From computes the optimum value of m from src to every node into dist,
// which must have length Graph.N; see the Metric constants for the values
// at the source and at unreachable nodes. Hops uses breadth-first search;
// the others Dijkstra's algorithm, for WorstLatency, Bandwidth and MTU in
// its minimax/maximin (widest-path) form and for Reliability on the
// product of (1-Loss) directly (equivalent to summing -log(1-Loss), and
// exact for the values PathValue computes).
//
// Ties are broken deterministically: nodes are settled in order of (value,
// index), and a node's predecessor (see Path) changes only on a strict
// improvement, so among equally good paths the one through the node
// settled first wins (for Hops: the first discoverer in breadth-first
// order, each node's neighbours taken by index). From panics if src is out of range or dist has the
// wrong length.
func (o *Oracle) From(src int, m Metric, dist []float64) {
	g := o.g
	if src < 0 || src >= g.N || len(dist) != g.N || m >= numMetrics {
		panic(fmt.Sprintf("topo: From(%d, %v) with len(dist) %d on a graph of %d nodes", src, m, len(dist), g.N))
	}
	inf := math.Inf(1)
	for i := range dist {
		dist[i] = inf
		o.parent[i] = -1
	}
	o.src = int32(src)
	if m == Hops {
		o.bfs(src, dist)
		return
	}

	w := o.weights(m)
	// dist holds keys to minimise: the value itself, or its negation for
	// the maximised metrics.
	switch m {
	case Bandwidth, MTU:
		dist[src] = math.Inf(-1)
	case Reliability:
		dist[src] = -1
	default:
		dist[src] = 0
	}
	o.heap = o.heap[:0]
	o.push(int32(src), dist[src])
	for len(o.heap) > 0 {
		top := o.pop()
		u, du := top.v, top.k
		for i := g.Off[u]; i < g.Off[u+1]; i++ {
			v := o.nbr[i]
			var k float64
			switch m {
			case Cost, Latency:
				k = du + w[i]
			case Reliability:
				k = du * w[i]
			default: // WorstLatency, Bandwidth, MTU
				k = max(du, w[i])
			}
			// Every extension is monotone (k >= du), so settled nodes
			// never improve and need no flag.
			if k < dist[v] {
				dist[v] = k
				o.parent[v] = u
				if p := o.pos[v]; p < 0 {
					o.push(v, k)
				} else {
					o.heap[p].k = k
					o.up(int(p))
				}
			}
		}
	}
	if m.Maximised() {
		for i, k := range dist {
			if k == inf {
				dist[i] = 0
			} else {
				dist[i] = -k
			}
		}
	}
}

// bfs is From for Hops.
func (o *Oracle) bfs(src int, dist []float64) {
	g := o.g
	q := o.queue[:0]
	dist[src] = 0
	q = append(q, int32(src))
	for h := 0; h < len(q); h++ {
		u := q[h]
		du := dist[u] + 1
		for _, v := range o.nbr[g.Off[u]:g.Off[u+1]] {
			if dist[v] > du {
				dist[v] = du
				o.parent[v] = u
				q = append(q, v)
			}
		}
	}
	o.queue = q[:0]
}

// Path appends to buf[:0] the best path (source first) that the last From
// found to dst, and returns it; nil if dst was unreachable or From has not
// run. It allocates only if buf is too small.
func (o *Oracle) Path(dst int, buf []int32) []int32 {
	if o.src < 0 || dst < 0 || dst >= o.g.N || (o.parent[dst] < 0 && int32(dst) != o.src) {
		return nil
	}
	p := buf[:0]
	for v := int32(dst); v >= 0; v = o.parent[v] {
		p = append(p, v)
	}
	for i, j := 0, len(p)-1; i < j; i, j = i+1, j-1 {
		p[i], p[j] = p[j], p[i]
	}
	return p
}

// less orders heap entries by (key, node).
func less(a, b entry) bool {
	return a.k < b.k || a.k == b.k && a.v < b.v
}

func (o *Oracle) push(v int32, k float64) {
	o.heap = append(o.heap, entry{k, v})
	o.up(len(o.heap) - 1)
}

func (o *Oracle) pop() entry {
	h := o.heap
	top := h[0]
	last := len(h) - 1
	h[0] = h[last]
	o.heap = h[:last]
	o.pos[top.v] = -1
	if last > 0 {
		o.down(0)
	}
	return top
}

func (o *Oracle) up(i int) {
	h := o.heap
	e := h[i]
	for i > 0 {
		p := (i - 1) / 2
		if !less(e, h[p]) {
			break
		}
		h[i] = h[p]
		o.pos[h[i].v] = int32(i)
		i = p
	}
	h[i] = e
	o.pos[e.v] = int32(i)
}

func (o *Oracle) down(i int) {
	h := o.heap
	n := len(h)
	e := h[i]
	for {
		c := 2*i + 1
		if c >= n {
			break
		}
		if c+1 < n && less(h[c+1], h[c]) {
			c++
		}
		if !less(h[c], e) {
			break
		}
		h[i] = h[c]
		o.pos[h[i].v] = int32(i)
		i = c
	}
	h[i] = e
	o.pos[e.v] = int32(i)
}
