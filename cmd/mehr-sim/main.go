// Command mehr-sim runs networks of real mehr nodes on an injected clock
// (package mehr/sim) and reports what they measured: convergence, hop
// count and stretch per PathPolicy, control traffic per link against the
// 10 % budget, and memory per node. `mehr-sim run` does one run and prints
// its result as JSON; `mehr-sim report` runs the whole matrix of
// docs/SIMULATION.md (both topologies at several sizes, each run in its
// own process so memory is measured per run) and writes the results, the
// SVG plots and the tables.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"math"
	"os"
	"runtime/pprof"
	"time"

	"github.com/mehr-net/mehr/mehr/sim"
	"github.com/mehr-net/mehr/mehr/sim/topo"
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("mehr-sim: ")
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "run":
		err = cmdRun(os.Args[2:])
	case "report":
		err = cmdReport(os.Args[2:])
	default:
		usage()
	}
	if err != nil {
		log.Fatal(err)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, `usage:
  mehr-sim run [-topology kleinberg|geometric] [-n N] [-seed S] [-announcers A] [-pairs P] [-v]
  mehr-sim report [-sizes 100,1000,10000] [-out docs/sim] [-jobs 2]`)
	os.Exit(2)
}

// spec names one run.
type spec struct {
	Topology   string
	N          int
	Seed       uint64
	Announcers int
	Pairs      int
	R          float64
	Degree     float64
	Ingress    bool
}

// graphOf builds the topology of a spec. A Kleinberg lattice has the
// square side nearest to √N.
func graphOf(s spec) (*topo.Graph, error) {
	switch s.Topology {
	case "kleinberg":
		side := int(math.Round(math.Sqrt(float64(s.N))))
		r := s.R
		if r == 0 {
			r = 2
		}
		return topo.Kleinberg(topo.KleinbergConfig{Side: side, R: r, Seed: s.Seed})
	case "geometric":
		g, _, err := topo.Geometric(topo.GeometricConfig{N: s.N, Degree: s.Degree, Seed: s.Seed})
		return g, err
	}
	return nil, fmt.Errorf("unknown topology %q (kleinberg or geometric)", s.Topology)
}

func runSpec(s spec, logf func(string, ...any)) (*sim.Result, error) {
	g, err := graphOf(s)
	if err != nil {
		return nil, err
	}
	res, err := sim.Run(sim.Config{Graph: g, Seed: s.Seed, Announcers: s.Announcers, Pairs: s.Pairs, Ingress: s.Ingress, Logf: logf})
	if err != nil {
		return nil, err
	}
	res.Topology = s.Topology
	return res, nil
}

func cmdRun(args []string) error {
	fs := flag.NewFlagSet("run", flag.ExitOnError)
	var s spec
	fs.StringVar(&s.Topology, "topology", "kleinberg", "kleinberg (2D lattice + long-range links) or geometric (radio range)")
	fs.IntVar(&s.N, "n", 100, "nodes (a Kleinberg lattice takes the nearest square)")
	fs.Uint64Var(&s.Seed, "seed", 1, "seed: the same seed gives the same run")
	fs.IntVar(&s.Announcers, "announcers", 0, "nodes that announce (0: all)")
	fs.IntVar(&s.Pairs, "pairs", 1000, "source-destination pairs traced")
	fs.Float64Var(&s.R, "r", 2, "Kleinberg clustering exponent")
	fs.Float64Var(&s.Degree, "degree", 8, "geometric target mean degree")
	fs.BoolVar(&s.Ingress, "ingress", false, "turn on Reticulum's ingress control on every interface")
	verbose := fs.Bool("v", false, "log progress to stderr")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile to this file")
	fs.Parse(args)
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if fs.NArg() != 0 {
		return errors.New("run takes no arguments besides flags")
	}
	logf := func(string, ...any) {}
	if *verbose {
		logf = log.Printf
	}
	start := time.Now()
	res, err := runSpec(s, logf)
	if err != nil {
		return err
	}
	logf("done in %v", time.Since(start).Round(time.Millisecond))
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(res)
}
