package topo

import (
	"errors"
	"slices"
	"testing"
	"time"
)

// checkGraph fails tb unless g satisfies every invariant of Graph: links
// sorted and unique with A < B in range, CSR offsets consistent, each
// node's list exactly its links sorted by neighbour, and valid properties.
func checkGraph(tb testing.TB, g *Graph) {
	tb.Helper()
	if len(g.X) != g.N || len(g.Y) != g.N || len(g.Off) != g.N+1 || len(g.LinkIdx) != 2*len(g.Links) {
		tb.Fatalf("lengths: N %d, X %d, Y %d, Off %d, LinkIdx %d, Links %d", g.N, len(g.X), len(g.Y), len(g.Off), len(g.LinkIdx), len(g.Links))
	}
	for i, l := range g.Links {
		if l.A < 0 || l.A >= l.B || int(l.B) >= g.N {
			tb.Fatalf("link %d: %d-%d", i, l.A, l.B)
		}
		if i > 0 && cmpLink(g.Links[i-1], l) >= 0 {
			tb.Fatalf("links %d and %d out of order or duplicate: %+v %+v", i-1, i, g.Links[i-1], l)
		}
		if l.Latency < 0 || !(l.Loss >= 0 && l.Loss < 1) {
			tb.Fatalf("link %d: bad properties %+v", i, l)
		}
	}
	if g.Off[0] != 0 || int(g.Off[g.N]) != len(g.LinkIdx) {
		tb.Fatalf("Off[0] = %d, Off[N] = %d, want 0 and %d", g.Off[0], g.Off[g.N], len(g.LinkIdx))
	}
	seen := make([]int, len(g.Links))
	for v := range g.N {
		prev := -1
		for _, l := range g.Neighbours(v) {
			k := g.Links[l]
			if int(k.A) != v && int(k.B) != v {
				tb.Fatalf("node %d lists link %d (%d-%d)", v, l, k.A, k.B)
			}
			w := g.Other(l, v)
			if w <= prev {
				tb.Fatalf("node %d: neighbours not sorted (%d after %d)", v, w, prev)
			}
			prev = w
			seen[l]++
			if got, ok := g.Link(v, w); !ok || got != l {
				tb.Fatalf("Link(%d, %d) = %d, %v, want %d", v, w, got, ok, l)
			}
		}
	}
	for l, c := range seen {
		if c != 2 {
			tb.Fatalf("link %d listed %d times", l, c)
		}
	}
}

func TestNew(t *testing.T) {
	tests := []struct {
		name  string
		n     int
		links []Link
		want  error
	}{
		{"empty", 0, nil, nil},
		{"one node", 1, nil, nil},
		{"path", 3, []Link{{A: 0, B: 1}, {A: 2, B: 1}}, nil},
		{"self loop", 3, []Link{{A: 1, B: 1}}, ErrLink},
		{"out of range", 3, []Link{{A: 0, B: 3}}, ErrLink},
		{"negative end", 3, []Link{{A: -1, B: 2}}, ErrLink},
		{"duplicate", 3, []Link{{A: 0, B: 1}, {A: 1, B: 0}}, ErrLink},
		{"negative latency", 2, []Link{{A: 0, B: 1, Latency: -time.Second}}, ErrLink},
		{"negative MTU", 2, []Link{{A: 0, B: 1, MTU: -1}}, ErrLink},
		{"loss 1", 2, []Link{{A: 0, B: 1, Loss: 1}}, ErrLink},
		{"negative loss", 2, []Link{{A: 0, B: 1, Loss: -0.1}}, ErrLink},
		{"negative nodes", -1, nil, ErrConfig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := New(tt.n, nil, nil, tt.links)
			if !errors.Is(err, tt.want) {
				t.Fatalf("New: %v, want %v", err, tt.want)
			}
			if err == nil {
				checkGraph(t, g)
			}
		})
	}
	if _, err := New(2, []float64{0}, nil, nil); !errors.Is(err, ErrConfig) {
		t.Errorf("New with short x: %v, want ErrConfig", err)
	}
}

func TestGraphQueries(t *testing.T) {
	// 0-1, 0-2, 0-4, 1-2, 3 isolated, given out of order and reversed.
	links := []Link{{A: 2, B: 1, Cost: 12}, {A: 4, B: 0, Cost: 4}, {A: 0, B: 2, Cost: 2}, {A: 0, B: 1, Cost: 1}}
	g, err := New(5, nil, nil, links)
	if err != nil {
		t.Fatal(err)
	}
	checkGraph(t, g)
	wantLinks := [][2]int32{{0, 1}, {0, 2}, {0, 4}, {1, 2}}
	for i, w := range wantLinks {
		if l := g.Links[i]; l.A != w[0] || l.B != w[1] {
			t.Errorf("Links[%d] = %d-%d, want %d-%d", i, l.A, l.B, w[0], w[1])
		}
	}
	if l, ok := g.Link(2, 1); !ok || g.Links[l].Cost != 12 {
		t.Errorf("Link(2, 1) = %d, %v", l, ok)
	}
	for _, p := range [][2]int{{0, 3}, {3, 0}, {1, 4}, {0, 0}, {-1, 0}, {0, 5}} {
		if l, ok := g.Link(p[0], p[1]); ok {
			t.Errorf("Link(%d, %d) = %d, want none", p[0], p[1], l)
		}
	}
	var nb []int
	for _, l := range g.Neighbours(0) {
		nb = append(nb, g.Other(l, 0))
	}
	if !slices.Equal(nb, []int{1, 2, 4}) {
		t.Errorf("neighbours of 0: %v", nb)
	}
	if mean, max := g.Degree(); mean != 8.0/5 || max != 3 {
		t.Errorf("Degree() = %v, %v, want 1.6, 3", mean, max)
	}
	if g.Connected() {
		t.Error("Connected() with node 3 isolated")
	}
	g2, _ := New(5, nil, nil, append(links, Link{A: 3, B: 4}))
	if !g2.Connected() {
		t.Error("not Connected() after linking node 3")
	}
	for _, n := range []int{0, 1} {
		if g, _ := New(n, nil, nil, nil); !g.Connected() {
			t.Errorf("graph of %d nodes not connected", n)
		}
	}
}

func TestStrings(t *testing.T) {
	for _, tt := range []struct{ got, want string }{
		{Short.String(), "short"}, {Long.String(), "long"}, {Class(7).String(), "Class(7)"},
		{Hops.String(), "hops"}, {Cost.String(), "cost"}, {Latency.String(), "latency"},
		{WorstLatency.String(), "worst-latency"}, {Bandwidth.String(), "bandwidth"}, {MTU.String(), "mtu"},
		{Reliability.String(), "reliability"}, {Metric(9).String(), "Metric(9)"},
	} {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}
