package daemon

import (
	"sort"
	"time"

	"github.com/mehr-net/mehr/control"
	"github.com/mehr-net/mehr/mehr/route"
	"github.com/mehr-net/mehr/mehr/routing"
)

// unknownHop prices hops that sent no annotation: LoRa-class bandwidth,
// so that a known faster path wins, 100 ms of latency and one unit of
// cost per hop.
var unknownHop = route.UnknownHop{Cost: 1, Latency: 100 * time.Millisecond, Bandwidth: 1200}

// startRouting starts Mehr routing when [mehr] routing is on.
func (d *Daemon) startRouting(storage string) error {
	m := d.cfg.Mehr
	if !m.Routing {
		return nil
	}
	interval := time.Duration(m.AnnounceInterval) * time.Second
	r, err := routing.New(d.Node, routing.Config{Interval: interval, StateDir: storage, Unknown: unknownHop,
		Table: route.Config{AnnounceInterval: max(interval, routing.DefaultInterval)}, Logf: d.logf})
	if err != nil {
		return err
	}
	d.router = r
	d.logf("mehrd: Mehr routing on, announcing <%s>", r.Destination().Hash())
	return nil
}

// Routes reports the Mehr routing table for mehr route; nil when routing
// is off.
func (d *Daemon) Routes() *control.RouteTable {
	if d.router == nil {
		return nil
	}
	t := d.router.Table()
	out := &control.RouteTable{Self: d.router.Destination().Hash().String()}
	for _, e := range t.All(nil) {
		out.Routes = append(out.Routes, routeInfo(e))
	}
	sort.Slice(out.Routes, func(i, j int) bool {
		a, b := out.Routes[i], out.Routes[j]
		return a.Destination < b.Destination || a.Destination == b.Destination && a.NextHop < b.NextHop
	})
	return out
}

func routeInfo(e route.Entry) control.RouteInfo {
	return control.RouteInfo{Destination: e.Destination.String(), NextHop: e.NextHop.Transport.String(), Hops: int(e.Hops),
		Cost: e.Cost, LatencyMS: float64(e.Latency) / float64(time.Millisecond), Bandwidth: e.Bandwidth, MTU: e.MTU,
		Reliability: int(e.Reliability), Unknown: e.Unknown, State: e.State.String(), Lamport: e.Lamport, Expires: e.Expires}
}
