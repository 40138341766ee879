package topo_test

import (
	"fmt"

	"github.com/mehr-net/mehr/mehr/sim/topo"
)

// Measure the stretch of a route against the optimum of its metric.
func Example() {
	g, err := topo.Kleinberg(topo.KleinbergConfig{Side: 10, Seed: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	o := topo.NewOracle(g)
	dist := make([]float64, g.N)
	o.From(0, topo.Hops, dist)

	// A route found some other way: along the lattice's edges.
	route := []int32{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 19, 29, 39, 49, 59, 69, 79, 89, 99}
	v, err := g.PathValue(route, topo.Hops)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("route %v hops, optimum %v, stretch %.2f\n", v, dist[99], v/dist[99])
	fmt.Println("optimal path:", o.Path(99, nil))
	// Output:
	// route 18 hops, optimum 4, stretch 4.50
	// optimal path: [0 24 25 26 99]
}
