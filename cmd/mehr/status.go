package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/mehr-net/mehr/control"
	"github.com/mehr-net/mehr/daemon"
)

func newFlags(name string, stderr io.Writer) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet("mehr "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("config", daemon.DefaultDir(), "configuration directory of the mehrd to talk to")
	return fs, dir
}

func cmdStatus(args []string, stdout, stderr io.Writer) error {
	fs, dir := newFlags("status", stderr)
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args); err != nil {
		return &exitError{code: 2}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	resp, err := control.Call(ctx, *dir, control.Request{Cmd: "status"})
	if err != nil {
		return fmt.Errorf("%w (is mehrd running with --config %s?)", err, *dir)
	}
	if resp.Error != "" {
		return fmt.Errorf("%s", resp.Error)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(resp.Status)
	}
	st := resp.Status
	for _, i := range st.Interfaces {
		fmt.Fprintf(stdout, " %s\n", i.Name)
		fmt.Fprintf(stdout, "    Mode      : %s\n", i.Mode)
		fmt.Fprintf(stdout, "    Rate      : %s\n", rate(i.Bitrate))
		fmt.Fprintf(stdout, "    Traffic   : ↑%s  ↓%s (%d/%d packets)\n", size(i.TxBytes), size(i.RxBytes), i.TxPackets, i.RxPackets)
		fmt.Fprintf(stdout, "    Announces : %d in, %d out\n\n", i.AnnouncesIn, i.AnnouncesOut)
	}
	tr := "disabled"
	if st.TransportEnabled {
		tr = "enabled"
	}
	fmt.Fprintf(stdout, " Transport instance <%s> (transport %s), %d paths, %d known destinations\n",
		st.TransportID, tr, st.Paths, st.KnownDestinations)
	if st.ProbeResponder != "" {
		fmt.Fprintf(stdout, " Probe responder at <%s> active\n", st.ProbeResponder)
	}
	return nil
}

func rate(bps int64) string {
	switch {
	case bps >= 1_000_000_000:
		return fmt.Sprintf("%.2f Gbps", float64(bps)/1e9)
	case bps >= 1_000_000:
		return fmt.Sprintf("%.2f Mbps", float64(bps)/1e6)
	case bps >= 1_000:
		return fmt.Sprintf("%.2f kbps", float64(bps)/1e3)
	}
	return fmt.Sprintf("%d bps", bps)
}

func size(b uint64) string {
	switch {
	case b >= 1<<30:
		return fmt.Sprintf("%.2f GB", float64(b)/(1<<30))
	case b >= 1<<20:
		return fmt.Sprintf("%.2f MB", float64(b)/(1<<20))
	case b >= 1<<10:
		return fmt.Sprintf("%.2f KB", float64(b)/(1<<10))
	}
	return fmt.Sprintf("%d B", b)
}
