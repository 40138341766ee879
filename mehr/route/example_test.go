package route_test

import (
	"fmt"
	"time"

	"github.com/mehr-net/mehr/mehr/pathcost"
	"github.com/mehr-net/mehr/mehr/route"
	"github.com/mehr-net/mehr/rns/wire"
)

// Two paths to one destination: a cheap LoRa path and an expensive fast
// one. Each policy picks its own; when the chosen next hop fails, the next
// Select falls back to the other.
func Example() {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	t := route.New(route.Config{Now: func() time.Time { return now }})

	dst := wire.Hash{0xd5}
	lora := route.NextHop{Transport: wire.Hash{1}, Interface: 1}
	fibre := route.NextHop{Transport: wire.Hash{2}, Interface: 2}
	for _, p := range []struct {
		nh  route.NextHop
		hop pathcost.Hop
	}{
		{lora, pathcost.Hop{Cost: 2, Latency: 800 * time.Millisecond, Bandwidth: 1200, MTU: 500}},
		{fibre, pathcost.Hop{Cost: 900, Latency: 5 * time.Millisecond, Bandwidth: 1e9, MTU: 1500}},
	} {
		err := t.Observe(route.Observation{
			Destination: dst,
			NextHop:     p.nh,
			Path:        pathcost.Origin().AddHop(p.hop),
			Lamport:     1,
		})
		if err != nil {
			fmt.Println(err)
			return
		}
	}
	name := map[route.NextHop]string{lora: "lora", fibre: "fibre"}

	for _, p := range []route.Policy{route.Cheapest, route.Fastest} {
		e, _ := t.Select(dst, p, route.Constraints{})
		fmt.Println(p.Kind, name[e.NextHop])
	}
	e, _ := t.Select(dst, route.Cheapest, route.Constraints{MinMTU: 1000})
	fmt.Println("cheapest, 1000-byte packets:", name[e.NextHop])

	t.Fail(dst, lora)
	e, _ = t.Select(dst, route.Cheapest, route.Constraints{})
	fmt.Println("cheapest after lora failed:", name[e.NextHop])
	// Output:
	// cheapest lora
	// fastest fibre
	// cheapest, 1000-byte packets: fibre
	// cheapest after lora failed: fibre
}
