package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/mehr-net/mehr/control"
)

// cmdIP shows this node's IPv6 address and the peers the IP adapter
// knows.
func cmdIP(args []string, stdout, stderr io.Writer) error {
	fs, dir := newFlags("ip", stderr)
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args); err != nil || fs.NArg() != 0 {
		return &exitError{code: 2}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	resp, err := control.Call(ctx, *dir, control.Request{Cmd: "ip"})
	if err != nil {
		return fmt.Errorf("%w (is mehrd running with --config %s?)", err, *dir)
	}
	if resp.Error != "" {
		return fmt.Errorf("%s", resp.Error)
	}
	st := resp.IP
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(st)
	}
	fmt.Fprintf(stdout, " %s  %s (prefix %s, MTU %d)\n", st.Device, st.Address, st.Prefix, st.MTU)
	fmt.Fprintf(stdout, " IP service destination <%s>\n\n", st.Destination)
	if len(st.Peers) == 0 {
		fmt.Fprintln(stdout, " no peers known yet")
	}
	for _, p := range st.Peers {
		link := p.Link
		if p.LinkMTU > 0 {
			link += fmt.Sprintf(", MTU %d", p.LinkMTU)
		}
		fmt.Fprintf(stdout, " %-40s <%s>  link %s  ↑%d ↓%d packets\n", p.Address, p.Destination, link, p.TxPackets, p.RxPackets)
		if p.Spoofed > 0 {
			fmt.Fprintf(stdout, "    %d packets with a spoofed source dropped\n", p.Spoofed)
		}
		if p.LastError != "" {
			fmt.Fprintf(stdout, "    last error: %s\n", p.LastError)
		}
	}
	for _, c := range st.Collisions {
		fmt.Fprintf(stdout, " address collision on %s: <%s> keeps it, <%s> refused (%d announces)\n", c.Address, c.Kept, c.Rejected, c.Count)
	}
	return nil
}
