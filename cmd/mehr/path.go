package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/mehr-net/mehr/control"
	"github.com/mehr-net/mehr/rns/wire"
)

func parseHash(s string) (wire.Hash, error) {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != wire.HashLen {
		return wire.Hash{}, fmt.Errorf("destination length is invalid, must be %d hexadecimal characters (%d bytes)", 2*wire.HashLen, wire.HashLen)
	}
	return wire.Hash(b), nil
}

func cmdPath(args []string, stdout, stderr io.Writer) error {
	fs, dir := newFlags("path", stderr)
	wait := fs.Float64("w", 15, "seconds to wait for a requested path")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args); err != nil {
		return &exitError{code: 2}
	}
	out := func(v any) error {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(*wait*float64(time.Second))+10*time.Second)
	defer cancel()

	if fs.NArg() == 0 {
		if !daemonRunning(*dir) {
			return fmt.Errorf("no mehrd running with --config %s; the path table lives in the daemon", *dir)
		}
		resp, err := control.Call(ctx, *dir, control.Request{Cmd: "paths"})
		if err != nil {
			return err
		}
		if *asJSON {
			return out(resp.Paths)
		}
		sort.Slice(resp.Paths, func(i, j int) bool { return resp.Paths[i].Destination < resp.Paths[j].Destination })
		for _, p := range resp.Paths {
			fmt.Fprintf(stdout, "<%s> is %d hop%s away via <%s> on %s expires %s\n", p.Destination, p.Hops, plural(p.Hops),
				p.NextHop, p.Interface, p.Expires.Format("2006-01-02 15:04:05"))
		}
		return nil
	}

	h, err := parseHash(fs.Arg(0))
	if err != nil {
		return err
	}
	var info *control.PathInfo
	if daemonRunning(*dir) {
		resp, err := control.Call(ctx, *dir, control.Request{Cmd: "request_path", Hash: h.String(), Wait: *wait})
		if err != nil {
			return err
		}
		info = resp.Path
	} else {
		inst, err := openInstance(ctx, *dir, stderr)
		if err != nil {
			return err
		}
		defer inst.Close()
		wctx, wcancel := context.WithTimeout(ctx, time.Duration(*wait*float64(time.Second)))
		werr := inst.node.AwaitPath(wctx, h)
		wcancel()
		if werr == nil {
			pe, _ := inst.node.Transport().Path(h)
			info = &control.PathInfo{Destination: h.String(), NextHop: pe.NextHop.String(), Hops: int(pe.Hops),
				Expires: pe.Expires, Timestamp: pe.Timestamp}
			if pe.Interface != nil {
				info.Interface = pe.Interface.Name()
			}
		}
	}
	if info == nil {
		return &exitError{code: 1, msg: "Path not found"}
	}
	if *asJSON {
		return out(info)
	}
	fmt.Fprintf(stdout, "Path found, destination <%s> is %d hop%s away via <%s> on %s\n", info.Destination, info.Hops,
		plural(info.Hops), info.NextHop, info.Interface)
	return nil
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
