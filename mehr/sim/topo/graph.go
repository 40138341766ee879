package topo

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"
)

// Errors returned by this package; callers branch on them with errors.Is.
var (
	// ErrConfig reports an invalid generator configuration or Profile.
	ErrConfig = errors.New("topo: invalid configuration")
	// ErrLink reports an invalid link given to New.
	ErrLink = errors.New("topo: invalid link")
	// ErrNotLinked reports two consecutive path nodes with no link between them.
	ErrNotLinked = errors.New("topo: nodes not linked")
	// ErrPath reports an empty path or a path node out of range.
	ErrPath = errors.New("topo: invalid path")
)

// Class is the class of a link, which decides the Profile its properties
// are drawn from.
type Class uint8

// Link classes.
const (
	// Short links are lattice links (Kleinberg) or radio-range links
	// (Geometric).
	Short Class = iota
	// Long links are Kleinberg long-range links.
	Long
)

// String returns "short" or "long".
func (c Class) String() string {
	switch c {
	case Short:
		return "short"
	case Long:
		return "long"
	}
	return fmt.Sprintf("Class(%d)", uint8(c))
}

// Link is one undirected link between nodes A and B (A < B).
type Link struct {
	A, B      int32
	Class     Class
	Latency   time.Duration // one-way propagation delay
	Bandwidth uint64        // bit/s, both directions
	MTU       int           // bytes (Reticulum interface MTU: 500 .. 8192)
	Loss      float64       // frame loss probability in [0,1)
	Cost      uint64        // price, μMHR per byte (>= 0)
}

// Graph is an undirected graph without self loops and with at most one
// link per node pair. Links is sorted by (A, B), and a link's index in it
// is its identity throughout the package.
//
// A Graph must not be modified once built; it is then safe for concurrent
// use.
type Graph struct {
	N    int
	X, Y []float64 // node positions (lattice coordinates or unit-square positions)
	// Links is sorted by (A, B).
	Links []Link
	// CSR adjacency: the links of node v are LinkIdx[Off[v]:Off[v+1]],
	// sorted by the neighbour's index.
	Off     []int32
	LinkIdx []int32
}

// New builds a Graph of n nodes from links, for tests and hand-made
// topologies. x and y are the node positions (nil means all zero, else
// they must have length n); they are copied. The links are copied, their
// ends swapped where needed so that A < B, and sorted by (A, B). New fails
// with ErrLink on a self loop, an end out of range, a duplicate pair, a
// negative latency or MTU, or a loss outside [0, 1).
func New(n int, x, y []float64, links []Link) (*Graph, error) {
	if n < 0 || n > math.MaxInt32 {
		return nil, fmt.Errorf("%w: %d nodes", ErrConfig, n)
	}
	if x == nil {
		x = make([]float64, n)
	}
	if y == nil {
		y = make([]float64, n)
	}
	if len(x) != n || len(y) != n {
		return nil, fmt.Errorf("%w: %d x and %d y positions for %d nodes", ErrConfig, len(x), len(y), n)
	}
	ls := slices.Clone(links)
	for i := range ls {
		l := &ls[i]
		if l.A > l.B {
			l.A, l.B = l.B, l.A
		}
		switch {
		case l.A == l.B:
			return nil, fmt.Errorf("%w: self loop at node %d", ErrLink, l.A)
		case l.A < 0 || int(l.B) >= n:
			return nil, fmt.Errorf("%w: link %d-%d out of range [0, %d)", ErrLink, l.A, l.B, n)
		case l.Latency < 0:
			return nil, fmt.Errorf("%w: link %d-%d has latency %v", ErrLink, l.A, l.B, l.Latency)
		case l.MTU < 0:
			return nil, fmt.Errorf("%w: link %d-%d has MTU %d", ErrLink, l.A, l.B, l.MTU)
		case !(l.Loss >= 0 && l.Loss < 1):
			return nil, fmt.Errorf("%w: link %d-%d has loss %v", ErrLink, l.A, l.B, l.Loss)
		}
	}
	slices.SortFunc(ls, cmpLink)
	for i := 1; i < len(ls); i++ {
		if ls[i].A == ls[i-1].A && ls[i].B == ls[i-1].B {
			return nil, fmt.Errorf("%w: duplicate link %d-%d", ErrLink, ls[i].A, ls[i].B)
		}
	}
	return build(n, slices.Clone(x), slices.Clone(y), ls), nil
}

// cmpLink orders links by (A, B, Class).
func cmpLink(p, q Link) int {
	if c := cmp.Compare(p.A, q.A); c != 0 {
		return c
	}
	if c := cmp.Compare(p.B, q.B); c != 0 {
		return c
	}
	return cmp.Compare(p.Class, q.Class)
}

// dedup removes links whose pair equals the previous link's from a slice
// sorted by cmpLink, so the lowest Class of each pair survives.
func dedup(ls []Link) []Link {
	return slices.CompactFunc(ls, func(p, q Link) bool { return p.A == q.A && p.B == q.B })
}

// build makes the Graph of links, which must be sorted by (A, B), unique,
// with A < B and both ends in [0, n). It takes ownership of x, y and links.
func build(n int, x, y []float64, links []Link) *Graph {
	g := &Graph{N: n, X: x, Y: y, Links: links, Off: make([]int32, n+1), LinkIdx: make([]int32, 2*len(links))}
	for _, l := range links {
		g.Off[l.A+1]++
		g.Off[l.B+1]++
	}
	for v := range n {
		g.Off[v+1] += g.Off[v]
	}
	// Filling in link order keeps each node's list sorted by neighbour:
	// node v first receives its links (a, v) for a < v, in increasing a,
	// then its links (v, b) in increasing b.
	next := slices.Clone(g.Off[:n])
	for i, l := range links {
		g.LinkIdx[next[l.A]] = int32(i)
		next[l.A]++
		g.LinkIdx[next[l.B]] = int32(i)
		next[l.B]++
	}
	return g
}

// Neighbours returns the indices into Links of v's links, sorted by the
// neighbour's index. The slice aliases the Graph and must not be modified.
func (g *Graph) Neighbours(v int) []int32 {
	return g.LinkIdx[g.Off[v]:g.Off[v+1]]
}

// Other returns the end of link l that is not v. v must be an end of l.
func (g *Graph) Other(l int32, v int) int {
	k := &g.Links[l]
	return int(k.A) + int(k.B) - v
}

// Link returns the index of the link between a and b, by binary search in
// a's adjacency, and whether there is one.
func (g *Graph) Link(a, b int) (int32, bool) {
	if a < 0 || b < 0 || a >= g.N || b >= g.N || a == b {
		return -1, false
	}
	adj := g.Neighbours(a)
	i, ok := slices.BinarySearchFunc(adj, b, func(l int32, b int) int {
		return cmp.Compare(g.Other(l, a), b)
	})
	if !ok {
		return -1, false
	}
	return adj[i], true
}

// Degree returns the mean and the largest node degree.
func (g *Graph) Degree() (mean float64, max int) {
	if g.N == 0 {
		return 0, 0
	}
	for v := range g.N {
		if d := int(g.Off[v+1] - g.Off[v]); d > max {
			max = d
		}
	}
	return 2 * float64(len(g.Links)) / float64(g.N), max
}

// Connected reports whether every node can reach every other. A graph of
// zero or one node is connected.
func (g *Graph) Connected() bool {
	if g.N <= 1 {
		return true
	}
	comp, _ := g.components()
	for _, c := range comp {
		if c != 0 {
			return false
		}
	}
	return true
}

// components labels each node with its connected component, numbered in
// order of the component's smallest node, and returns the labels and the
// size of each component.
func (g *Graph) components() (comp []int32, sizes []int) {
	comp = make([]int32, g.N)
	for i := range comp {
		comp[i] = -1
	}
	queue := make([]int32, 0, g.N)
	for s := range g.N {
		if comp[s] >= 0 {
			continue
		}
		c := int32(len(sizes))
		comp[s] = c
		queue = append(queue[:0], int32(s))
		for h := 0; h < len(queue); h++ {
			u := int(queue[h])
			for _, l := range g.Neighbours(u) {
				if v := g.Other(l, u); comp[v] < 0 {
					comp[v] = c
					queue = append(queue, int32(v))
				}
			}
		}
		sizes = append(sizes, len(queue))
	}
	return comp, sizes
}
