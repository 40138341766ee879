// Command conformance-bridge is mehr's bridge for the public Reticulum
// conformance suite (torlando-tech/reticulum-conformance): a long-lived
// process speaking the suite's line-delimited JSON protocol on stdin and
// stdout, answering every command with mehr's real packages. See
// scripts/conformance/run.sh and docs/CONFORMANCE.md.
//
// Usage:
//
//	conformance-bridge          serve requests on stdin/stdout
//	conformance-bridge -list    print the supported commands
package main

import (
	"flag"
	"fmt"
	"log"
	"os"

	"github.com/mehr-net/mehr/internal/bridge"
	"github.com/mehr-net/mehr/internal/bridge/behavioral"
	"github.com/mehr-net/mehr/internal/bridge/prim"
	"github.com/mehr-net/mehr/internal/bridge/wiretcp"
)

func commands(wire *wiretcp.Family) (bridge.Registry, error) {
	r := bridge.Registry{}
	for _, c := range []bridge.Registry{prim.Commands(), behavioral.Commands(), wire.Commands()} {
		if err := r.Add(c); err != nil {
			return nil, err
		}
	}
	return r, nil
}

func main() {
	list := flag.Bool("list", false, "print the supported commands and exit")
	flag.Parse()
	log.SetOutput(os.Stderr)
	log.SetPrefix("conformance-bridge: ")
	wire := wiretcp.New()
	cmds, err := commands(wire)
	if err != nil {
		log.Fatal(err)
	}
	if *list {
		for _, n := range cmds.Names() {
			fmt.Println(n)
		}
		return
	}
	err = bridge.Serve(os.Stdin, os.Stdout, cmds)
	// stdin closed: shut the nodes down cleanly, as the reference's exit
	// handler does, so peers see their links closed rather than timing out.
	wire.Close()
	if err != nil {
		log.Fatal(err)
	}
}
