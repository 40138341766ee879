// Command mehr is the mehr command-line tool. Its subcommands follow the
// reference utilities' arguments so habits and scripts carry over:
//
//	mehr status [--json]                       like rnstatus
//	mehr path [HASH] [-w SECONDS] [--json]     like rnpath; exit 0 when a path is known
//	mehr probe FULL_NAME HASH [-n N] [-s SIZE] like rnprobe; exit 2 on loss
//	mehr id [-g FILE | -i FILE [-p] [-H ASPECTS]]   like rnid
//	mehr cp FILE HASH | -f FILE HASH | -l [-n] [-a ID] [-s DIR] [-F]   like rncp
//	mehr config import FILE                    convert a Reticulum config to TOML
//	mehr interface list | add FILE | remove NAME   manage interfaces of the running mehrd
//	mehr ip [--json]                           this node's IPv6 address and its IP peers
//	mehr route [HASH] [--json]                 Mehr's routing table ([mehr] routing = true)
//
// Tables come from the running mehrd over its control socket; traffic goes
// through its shared instance. With no daemon running, path and probe start
// an in-process instance from the same configuration.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
)

var version = "dev"

// exitError carries an exit status other than 1.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

func main() {
	err := run(os.Args[1:], os.Stdout, os.Stderr)
	if err == nil {
		return
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.msg != "" {
			fmt.Fprintln(os.Stderr, ee.msg)
		}
		os.Exit(ee.code)
	}
	fmt.Fprintln(os.Stderr, "mehr:", err)
	os.Exit(1)
}

const usage = `usage: mehr COMMAND [ARGS]

commands:
  status   show interfaces and traffic of the running mehrd
  path     show the path table, or request and wait for one path
  probe    send probe packets to a destination and wait for proofs
  id       create, show and use identities
  cp       copy files to and from rncp listeners, or listen (like rncp)
  config   convert a Reticulum config file (mehr config import FILE)
  interface  list, add and remove interfaces of the running mehrd
  ip       this node's IPv6 address over mehr and the known IP peers
  route    Mehr's routing table: the paths heard to other Mehr nodes
  version  print the version

Each command takes --config DIR (default ~/.mehr) and -h for help.
`

func run(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return &exitError{code: 2}
	}
	switch args[0] {
	case "status":
		return cmdStatus(args[1:], stdout, stderr)
	case "path":
		return cmdPath(args[1:], stdout, stderr)
	case "probe":
		return cmdProbe(args[1:], stdout, stderr)
	case "id":
		return cmdID(args[1:], stdout, stderr)
	case "config":
		return cmdConfig(args[1:], stdout, stderr)
	case "cp":
		return cmdCp(args[1:], stdout, stderr)
	case "ip":
		return cmdIP(args[1:], stdout, stderr)
	case "route", "routes":
		return cmdRoute(args[1:], stdout, stderr)
	case "interface", "interfaces":
		return cmdInterface(args[1:], os.Stdin, stdout, stderr)
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, "mehr", version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return &exitError{code: 2, msg: fmt.Sprintf("mehr: unknown command %q", args[0])}
}
