package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mehr-net/mehr/internal/svgplot"
	"github.com/mehr-net/mehr/mehr/sim"
)

// topologies are the report's two topologies, in plot order.
var topologies = []string{"kleinberg", "geometric"}

// announcersFor is how many nodes announce in a report run of n nodes:
// every node up to 1,000, then a sample that keeps the 10,000-node run
// within minutes (per-destination figures are scaled to N).
func announcersFor(n int) int {
	if n <= 1000 {
		return 0
	}
	return 200
}

func cmdReport(args []string) error {
	fs := flag.NewFlagSet("report", flag.ExitOnError)
	sizes := fs.String("sizes", "100,1000,10000", "network sizes")
	out := fs.String("out", "docs/sim", "directory for results, plots and tables")
	jobs := fs.Int("jobs", 2, "runs at a time (each in its own process)")
	seed := fs.Uint64("seed", 1, "seed of every run")
	replot := fs.Bool("replot", false, "only redraw from the results already in -out")
	fs.Parse(args)
	var ns []int
	for _, f := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 4 {
			return fmt.Errorf("bad size %q", f)
		}
		ns = append(ns, n)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	if !*replot {
		if err := runMatrix(ns, *seed, *out, *jobs); err != nil {
			return err
		}
	}
	results, err := loadResults(ns, *out)
	if err != nil {
		return err
	}
	if err := plot(results, ns, *out); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(*out, "results.md"), tables(results, ns), 0o644)
}

func resultFile(out, topology string, n int) string {
	return filepath.Join(out, fmt.Sprintf("%s-%d.json", topology, n))
}

// runMatrix runs every (topology, size) in a child process, jobs at a
// time, largest first so the long runs overlap.
func runMatrix(ns []int, seed uint64, out string, jobs int) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	type job struct {
		topology string
		n        int
	}
	var todo []job
	sorted := slices.Clone(ns)
	slices.Sort(sorted)
	slices.Reverse(sorted)
	for _, n := range sorted {
		for _, t := range topologies {
			todo = append(todo, job{t, n})
		}
	}
	ch := make(chan job)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	for range max(jobs, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range ch {
				start := time.Now()
				cmd := exec.Command(self, "run", "-topology", j.topology, "-n", strconv.Itoa(j.n),
					"-seed", strconv.FormatUint(seed, 10), "-announcers", strconv.Itoa(announcersFor(j.n)))
				var stdout, stderr bytes.Buffer
				cmd.Stdout, cmd.Stderr = &stdout, &stderr
				err := cmd.Run()
				if err == nil {
					err = os.WriteFile(resultFile(out, j.topology, j.n), stdout.Bytes(), 0o644)
				}
				mu.Lock()
				if err != nil {
					errs = append(errs, fmt.Errorf("%s N=%d: %v: %s", j.topology, j.n, err, stderr.Bytes()))
				} else {
					log.Printf("%s N=%d done in %v", j.topology, j.n, time.Since(start).Round(time.Second))
				}
				mu.Unlock()
			}
		}()
	}
	for _, j := range todo {
		ch <- j
	}
	close(ch)
	wg.Wait()
	return errors.Join(errs...)
}

// results maps topology and size to a run's result.
type results map[string]map[int]*sim.Result

func loadResults(ns []int, out string) (results, error) {
	rs := results{}
	for _, t := range topologies {
		rs[t] = map[int]*sim.Result{}
		for _, n := range ns {
			b, err := os.ReadFile(resultFile(out, t, n))
			if err != nil {
				return nil, err
			}
			var r sim.Result
			if err := json.Unmarshal(b, &r); err != nil {
				return nil, fmt.Errorf("%s: %w", resultFile(out, t, n), err)
			}
			rs[t][n] = &r
		}
	}
	return rs, nil
}

// plot draws the report's figures.
func plot(rs results, ns []int, out string) error {
	xs := func(t string) []float64 {
		var x []float64
		for _, n := range ns {
			x = append(x, float64(rs[t][n].N))
		}
		return x
	}
	save := func(name string, write func(*bytes.Buffer) error) error {
		var b bytes.Buffer
		if err := write(&b); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		return os.WriteFile(filepath.Join(out, name), b.Bytes(), 0o644)
	}
	largest := slices.Max(ns)

	// Hop count against N, with log² N scaled to the smallest run.
	hops := &svgplot.Chart{Title: "Hop count (mean, whiskers p95)", XLabel: "nodes", YLabel: "hops", LogX: true, LogY: true, Height: 480}
	for _, t := range topologies {
		for _, p := range []string{sim.Reticulum, "balanced"} {
			s := svgplot.Series{Name: t + ", " + p, X: xs(t)}
			for _, n := range ns {
				h := rs[t][n].Paths[p].Hops
				s.Y, s.Hi = append(s.Y, h.Mean), append(s.Hi, h.P95)
				s.Lo = append(s.Lo, h.Mean)
			}
			hops.Series = append(hops.Series, s)
		}
	}
	k := rs["kleinberg"]
	first := ns[0]
	l0 := math.Log2(float64(k[first].N))
	ref := svgplot.Series{Name: "∝ log² N (from the smallest lattice)", X: xs("kleinberg"), Dashed: true}
	for _, n := range ns {
		l := math.Log2(float64(k[n].N))
		ref.Y = append(ref.Y, k[first].Paths[sim.Reticulum].Hops.Mean*l*l/(l0*l0))
	}
	gm := rs["geometric"]
	sq := svgplot.Series{Name: "∝ √N (from the smallest geometric graph)", X: xs("geometric"), Dashed: true}
	for _, n := range ns {
		sq.Y = append(sq.Y, gm[first].Paths[sim.Reticulum].Hops.Mean*math.Sqrt(float64(gm[n].N)/float64(gm[first].N)))
	}
	hops.Series = append(hops.Series, ref, sq)
	if err := save("hops.svg", func(b *bytes.Buffer) error { return hops.WriteSVG(b) }); err != nil {
		return err
	}

	// Stretch per policy on its own metric, at the largest size.
	own := []struct{ policy, metric string }{
		{sim.Reticulum, "hops"}, {"cheapest", "cost"}, {"fastest", "worst-latency"}, {"fastest", "latency"},
		{"largest-mtu", "mtu"}, {"balanced", "cost"}, {"balanced", "latency"},
	}
	for _, t := range topologies {
		r := rs[t][largest]
		bars := &svgplot.Bars{Title: fmt.Sprintf("Stretch against the optimum, %s, N = %d (mean; whisker p95)", t, r.N),
			YLabel: "path value / optimum", Width: 760}
		var src, every, ret svgplot.BarSeries
		src.Name, every.Name, ret.Name = "policy at the source, default on relays", "policy on every hop", "Reticulum's path"
		for _, o := range own {
			bars.Groups = append(bars.Groups, o.policy+": "+o.metric)
			add := func(bs *svgplot.BarSeries, name string) {
				d := r.Paths[name].Stretch[o.metric]
				bs.Values, bs.Lo, bs.Hi = append(bs.Values, d.Mean), append(bs.Lo, d.Mean), append(bs.Hi, d.P95)
			}
			add(&ret, sim.Reticulum)
			if o.policy == sim.Reticulum {
				add(&src, sim.Reticulum)
				add(&every, sim.Reticulum)
				continue
			}
			add(&src, o.policy)
			add(&every, o.policy+sim.EveryHop)
		}
		bars.Series = []svgplot.BarSeries{ret, src, every}
		if err := save("stretch-"+t+".svg", func(b *bytes.Buffer) error { return bars.WriteSVG(b) }); err != nil {
			return err
		}
	}

	// Control traffic per link direction, as a share of its bandwidth,
	// every node announcing once per interval; beside it what the same
	// bytes would take of a 1 kbit/s and a 50 kbit/s LoRa link.
	ovh := &svgplot.Chart{Title: "Control traffic per link (every node announcing every 30 min)", XLabel: "nodes",
		YLabel: "share of link bandwidth", LogX: true, LogY: true, HLines: []svgplot.HLine{{Y: 0.10, Label: "10 % budget"}}}
	for _, t := range topologies {
		s := svgplot.Series{Name: t + " (links as simulated: p50, whisker max)", X: xs(t)}
		lora := svgplot.Series{Name: t + ": same bytes on a 1 kbit/s LoRa link", X: xs(t), Dashed: true}
		for _, n := range ns {
			r := rs[t][n]
			d := r.Overhead["all"]
			s.Y, s.Lo, s.Hi = append(s.Y, d.P50), append(s.Lo, d.P50), append(s.Hi, d.Max)
			lora.Y = append(lora.Y, loRaShare(r, 1000))
		}
		ovh.Series = append(ovh.Series, s, lora)
	}
	if err := save("overhead.svg", func(b *bytes.Buffer) error { return ovh.WriteSVG(b) }); err != nil {
		return err
	}

	// Memory per node.
	mem := &svgplot.Chart{Title: "Heap per node (every node announcing)", XLabel: "nodes", YLabel: "bytes", LogX: true, LogY: true}
	for _, t := range topologies {
		s := svgplot.Series{Name: t, X: xs(t)}
		for _, n := range ns {
			s.Y = append(s.Y, rs[t][n].Memory.AllAnnouncing)
		}
		mem.Series = append(mem.Series, s)
	}
	if err := save("memory.svg", func(b *bytes.Buffer) error { return mem.WriteSVG(b) }); err != nil {
		return err
	}

	// Convergence.
	conv := &svgplot.Chart{Title: "Convergence per announce (mean, whisker p95)", XLabel: "nodes", YLabel: "seconds", LogX: true}
	for _, t := range topologies {
		for _, which := range []string{sim.Reticulum, "mehr"} {
			s := svgplot.Series{Name: t + ", " + which + " table", X: xs(t)}
			for _, n := range ns {
				d := rs[t][n].Convergence[which]
				s.Y, s.Lo, s.Hi = append(s.Y, d.Mean), append(s.Lo, d.Mean), append(s.Hi, d.P95)
			}
			conv.Series = append(conv.Series, s)
		}
	}
	return save("convergence.svg", func(b *bytes.Buffer) error { return conv.WriteSVG(b) })
}

// loRaShare is what the run's mean control bytes per link direction, with
// every node announcing once per interval, take of a link of bps.
func loRaShare(r *sim.Result, bps float64) float64 {
	perLink := r.BytesPerAnnouncePerLink * float64(r.N)
	return perLink * 8 / (bps * 1800)
}

// tables renders the results as Markdown.
func tables(rs results, ns []int) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "<!-- written by `mehr-sim report`; do not edit -->\n\n")
	fmt.Fprintf(&b, "| topology | N | links | mean degree | announcers | events | run time | convergence mean / p95 (s) | unreached |\n")
	fmt.Fprintf(&b, "|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, t := range topologies {
		for _, n := range ns {
			r := rs[t][n]
			c := r.Convergence[sim.Reticulum]
			fmt.Fprintf(&b, "| %s | %d | %d | %.2f | %d | %d | %v | %.1f / %.1f | %d |\n", t, r.N, r.Links, r.Degree, r.Announcers,
				r.Events, (r.BuildTime + r.RunTime).Round(time.Second), c.Mean, c.P95, r.Unreached)
		}
	}
	fmt.Fprintf(&b, "\nPaths traced (hops mean / p95; stretch = path value / optimum, mean):\n\n")
	fmt.Fprintf(&b, "| topology | N | path | delivered | loops | hops | hops stretch | cost stretch | latency stretch | worst-latency stretch | MTU stretch |\n")
	fmt.Fprintf(&b, "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, t := range topologies {
		for _, n := range ns {
			r := rs[t][n]
			for _, p := range r.PolicyOrder {
				ps := r.Paths[p]
				st := ps.Stretch
				fmt.Fprintf(&b, "| %s | %d | %s | %d/%d | %d | %.2f / %.0f | %.2f | %.2f | %.2f | %.2f | %.2f |\n", t, r.N, p,
					ps.Delivered, ps.Traced, ps.Loops, ps.Hops.Mean, ps.Hops.P95, st["hops"].Mean, st["cost"].Mean,
					st["latency"].Mean, st["worst-latency"].Mean, st["mtu"].Mean)
			}
		}
	}
	fmt.Fprintf(&b, "\nControl traffic and memory (every node announcing once per 30 min; runs with a sample of announcers scaled to N):\n\n")
	fmt.Fprintf(&b, "| topology | N | bytes per announce per link direction | link share p50 / p95 / max | over 10 %% | on a 1 kbit/s link | on a 50 kbit/s link | heap per node | route entries / paths per node (this run) |\n")
	fmt.Fprintf(&b, "|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, t := range topologies {
		for _, n := range ns {
			r := rs[t][n]
			o := r.Overhead["all"]
			fmt.Fprintf(&b, "| %s | %d | %.0f | %.2g / %.2g / %.2g | %.1f %% | %.0f %% | %.1f %% | %s | %.0f / %.0f |\n", t, r.N,
				r.BytesPerAnnouncePerLink, o.P50, o.P95, o.Max, 100*r.OverBudget, 100*loRaShare(r, 1000), 100*loRaShare(r, 50000),
				bytesString(r.Memory.AllAnnouncing), r.Tables.RouteEntriesPerNode, r.Tables.PathsPerNode)
		}
	}
	return b.Bytes()
}

func bytesString(v float64) string {
	switch {
	case v >= 1<<30:
		return fmt.Sprintf("%.1f GiB", v/(1<<30))
	case v >= 1<<20:
		return fmt.Sprintf("%.1f MiB", v/(1<<20))
	case v >= 1<<10:
		return fmt.Sprintf("%.0f KiB", v/(1<<10))
	}
	return fmt.Sprintf("%.0f B", v)
}
