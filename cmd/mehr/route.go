package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/mehr-net/mehr/control"
)

// cmdRoute shows Mehr's routing table: every path heard to each Mehr
// destination, or those to one destination.
func cmdRoute(args []string, stdout, stderr io.Writer) error {
	fs, dir := newFlags("route", stderr)
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args); err != nil || fs.NArg() > 1 {
		return &exitError{code: 2}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	resp, err := control.Call(ctx, *dir, control.Request{Cmd: "routes"})
	if err != nil {
		return fmt.Errorf("%w (is mehrd running with --config %s?)", err, *dir)
	}
	if resp.Error != "" {
		return fmt.Errorf("%s", resp.Error)
	}
	rt := resp.Routes
	if fs.NArg() == 1 {
		want := strings.Trim(strings.ToLower(fs.Arg(0)), "<>")
		var keep []control.RouteInfo
		for _, r := range rt.Routes {
			if r.Destination == want {
				keep = append(keep, r)
			}
		}
		rt.Routes = keep
		if len(keep) == 0 {
			return &exitError{code: 1, msg: fmt.Sprintf("no Mehr route to <%s>", want)}
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rt)
	}
	fmt.Fprintf(stdout, " this node's Mehr destination <%s>\n", rt.Self)
	if len(rt.Routes) == 0 {
		fmt.Fprintln(stdout, " no routes heard yet")
	}
	for _, r := range rt.Routes {
		unknown := ""
		if r.Unknown {
			unknown = ", unannotated hops priced as unknown"
		}
		fmt.Fprintf(stdout, " <%s> %d hops via <%s>: cost %d, worst latency %.0f ms, bottleneck %s and %d B MTU, reliability %d, %s%s\n",
			r.Destination, r.Hops, r.NextHop, r.Cost, r.LatencyMS, rate(int64(min(r.Bandwidth, 1<<62))), r.MTU, r.Reliability, r.State, unknown)
	}
	return nil
}
