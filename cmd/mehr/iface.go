package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/mehr-net/mehr/control"
)

const interfaceUsage = `usage: mehr interface list [--json]
       mehr interface add FILE|-
       mehr interface remove NAME

Lists, adds and removes interfaces of the running mehrd without disturbing
the others. add reads [[interfaces]] entries in config.toml's format from
FILE, or from standard input with -. Changes last until mehrd stops; edit
config.toml to keep them.
`

func cmdInterface(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, interfaceUsage)
		return &exitError{code: 2}
	}
	sub := args[0]
	fs, dir := newFlags("interface "+sub, stderr)
	fs.Usage = func() { fmt.Fprint(stderr, interfaceUsage) }
	asJSON := fs.Bool("json", false, "print JSON (list)")
	if err := fs.Parse(args[1:]); err != nil {
		return &exitError{code: 2}
	}
	var req control.Request
	switch sub {
	case "list", "ls":
		if fs.NArg() != 0 {
			fs.Usage()
			return &exitError{code: 2}
		}
		req.Cmd = "interfaces"
	case "add":
		if fs.NArg() != 1 {
			fs.Usage()
			return &exitError{code: 2}
		}
		var doc []byte
		var err error
		if fs.Arg(0) == "-" {
			doc, err = io.ReadAll(io.LimitReader(stdin, 1<<20))
		} else {
			doc, err = os.ReadFile(fs.Arg(0))
		}
		if err != nil {
			return err
		}
		req = control.Request{Cmd: "interface_add", TOML: string(doc)}
	case "remove", "rm":
		if fs.NArg() != 1 {
			fs.Usage()
			return &exitError{code: 2}
		}
		req = control.Request{Cmd: "interface_remove", Name: fs.Arg(0)}
	case "-h", "--help", "help":
		fmt.Fprint(stdout, interfaceUsage)
		return nil
	default:
		fmt.Fprint(stderr, interfaceUsage)
		return &exitError{code: 2, msg: fmt.Sprintf("mehr interface: unknown subcommand %q", sub)}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp, err := control.Call(ctx, *dir, req)
	if err != nil {
		return fmt.Errorf("%w (is mehrd running with --config %s?)", err, *dir)
	}
	for _, w := range resp.Warnings {
		fmt.Fprintln(stderr, "warning:", w)
	}
	if resp.Error != "" {
		return fmt.Errorf("%s", resp.Error)
	}
	switch {
	case sub == "add":
		fmt.Fprintln(stdout, "added")
	case sub == "remove" || sub == "rm":
		fmt.Fprintf(stdout, "removed %s\n", req.Name)
	case *asJSON:
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(resp.Interfaces)
	default:
		for _, i := range resp.Interfaces {
			mode := i.Mode
			if mode == "" {
				mode = "full"
			}
			fmt.Fprintf(stdout, " %-24s %-26s %-14s up %s\n", i.Name, i.Type, mode, time.Since(i.Since).Round(time.Second))
			if i.Listener {
				fmt.Fprintf(stdout, "    %d connected: %s\n", len(i.Attached), strings.Join(i.Attached, ", "))
			}
			if p := i.Plugin; p != nil {
				state := fmt.Sprintf("up, pid %d", p.PID)
				if !p.Up {
					state = "down"
				}
				fmt.Fprintf(stdout, "    plugin %s for %s, %d restarts", state, time.Since(p.Since).Round(time.Second), p.Restarts)
				if p.LastError != "" {
					fmt.Fprintf(stdout, ", last: %s", p.LastError)
				}
				fmt.Fprintln(stdout)
			}
		}
	}
	return nil
}
