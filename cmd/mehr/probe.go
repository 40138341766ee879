package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/mehr-net/mehr/rns"
	"github.com/mehr-net/mehr/rns/dest"
	"github.com/mehr-net/mehr/rns/wire"
)

// defaultProbeSize is rnprobe's default payload size.
const defaultProbeSize = 16

func cmdProbe(args []string, stdout, stderr io.Writer) error {
	fs, dir := newFlags("probe", stderr)
	n := fs.Int("n", 1, "number of probes to send")
	sz := fs.Int("s", defaultProbeSize, "size of probe packet payload in bytes")
	timeout := fs.Float64("t", 12, "seconds to wait for a path and for each reply")
	wait := fs.Float64("w", 0, "seconds between probes")
	if err := fs.Parse(args); err != nil || fs.NArg() != 2 {
		fmt.Fprintln(stderr, "usage: mehr probe [flags] FULL_NAME DESTINATION_HASH")
		return &exitError{code: 2}
	}
	app, aspects := dest.SplitName(fs.Arg(0))
	if strings.TrimSpace(app) == "" {
		return fmt.Errorf("full destination name %q is invalid", fs.Arg(0))
	}
	h, err := parseHash(fs.Arg(1))
	if err != nil {
		return err
	}
	if *sz < 1 || *sz > wire.EncryptedMDU {
		return fmt.Errorf("probe size must be 1 to %d bytes", wire.EncryptedMDU)
	}
	per := time.Duration(*timeout * float64(time.Second))
	ctx, cancel := context.WithTimeout(context.Background(), per+10*time.Second)
	defer cancel()
	inst, err := openInstance(ctx, *dir, stderr)
	if err != nil {
		return err
	}
	defer inst.Close()
	node := inst.node

	pctx, pcancel := context.WithTimeout(ctx, per)
	err = node.AwaitPath(pctx, h)
	pcancel()
	if err != nil {
		return &exitError{code: 1, msg: "Path request timed out"}
	}
	id, _, ok := node.Transport().Recall(h)
	if !ok {
		return fmt.Errorf("the identity behind <%s> is not known", h)
	}
	d, err := node.NewDestination(id, rns.Out, wire.Single, app, aspects...)
	if err != nil {
		return err
	}
	if d.Hash() != h {
		return fmt.Errorf("<%s> is not the destination %s of the announced identity", h, fs.Arg(0))
	}
	sent, replies := 0, 0
	for i := range *n {
		if i > 0 && *wait > 0 {
			time.Sleep(time.Duration(*wait * float64(time.Second)))
		}
		payload := make([]byte, *sz)
		rand.Read(payload)
		start := time.Now()
		r, err := d.Send(payload, per)
		if err != nil {
			return err
		}
		sent++
		fmt.Fprintf(stdout, "Sent probe %d (%d bytes) to <%s>\n", sent, *sz, h)
		<-r.Done()
		if !r.Proved() {
			fmt.Fprintln(stdout, "Probe timed out")
			continue
		}
		replies++
		rtt := time.Since(start)
		hops := node.Transport().HopsTo(h)
		fmt.Fprintf(stdout, "Valid reply from <%s>\nRound-trip time is %.3f milliseconds over %d hop%s\n\n",
			h, float64(rtt.Microseconds())/1000, hops, plural(hops))
	}
	loss := 100 * float64(sent-replies) / float64(sent)
	fmt.Fprintf(stdout, "Sent %d, received %d, packet loss %.2f%%\n", sent, replies, loss)
	if replies < sent {
		return &exitError{code: 2}
	}
	return nil
}
