//go:build linux

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"github.com/mehr-net/mehr/interfaces/rnode/sim"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "mehr-rnode-sim:", err)
		os.Exit(1)
	}
}

// run creates the radios, prints their paths to out and serves them until
// ctx ends.
func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("mehr-rnode-sim", flag.ContinueOnError)
	var (
		n          = fs.Int("n", 2, "number of radios")
		link       = fs.String("link", "", "create symbolic links `PREFIX`0, PREFIX1, ... to the radios' devices")
		collisions = fs.Bool("collisions", false, "lose overlapping transmissions")
		firmware   = fs.String("firmware", "", "firmware version to report, as MAJOR.MINOR (default 1.82)")
		rssi       = fs.Int("rssi", sim.DefaultRSSI, "RSSI in dBm reported with received packets")
		snr        = fs.Float64("snr", sim.DefaultSNR, "SNR in dB reported with received packets")
		maxTX      = fs.Int("max-txpower", sim.DefaultMaxTXPower, "highest TX power in dBm the radios accept")
		stats      = fs.Duration("stats", sim.DefaultStatsInterval, "interval of channel statistics reports; 0 disables them")
		verbose    = fs.Bool("v", false, "log radio events")
	)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *n < 1 || *n > 64 {
		return fmt.Errorf("-n %d: want 1..64 radios", *n)
	}
	if *maxTX < 1 || *maxTX > 255 {
		return fmt.Errorf("-max-txpower %d: want 1..255", *maxTX)
	}
	opts := sim.Options{RSSI: *rssi, SNR: *snr, MaxTXPower: uint8(*maxTX), StatsInterval: *stats}
	if *stats <= 0 {
		opts.StatsInterval = -1
	}
	if *snr == 0 {
		opts.SNR = 0.001 // Options treats 0 as the default
	}
	if *firmware != "" {
		maj, minor, err := parseVersion(*firmware)
		if err != nil {
			return err
		}
		opts.FirmwareMajor, opts.FirmwareMinor = maj, minor
	}
	if *verbose {
		logger := log.New(os.Stderr, "", log.LstdFlags|log.Lmicroseconds)
		opts.Logf = logger.Printf
	}

	ch := sim.NewChannel(*collisions)
	var links []string
	defer func() {
		for _, l := range links {
			os.Remove(l)
		}
	}()
	for k := range *n {
		o := opts
		o.Name = strconv.Itoa(k)
		t, err := sim.OpenTerminal(ch, o)
		if err != nil {
			return err
		}
		defer t.Close()
		line := fmt.Sprintf("radio %d: %s", k, t.Path)
		if *link != "" {
			l := *link + strconv.Itoa(k)
			if err := os.Remove(l); err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
			if err := os.Symlink(t.Path, l); err != nil {
				return err
			}
			links = append(links, l)
			line += " (" + l + ")"
		}
		fmt.Fprintln(out, line)
	}
	<-ctx.Done()
	return nil
}

func parseVersion(s string) (uint8, uint8, error) {
	a, b, ok := strings.Cut(s, ".")
	maj, err1 := strconv.ParseUint(a, 10, 8)
	minor, err2 := strconv.ParseUint(b, 10, 8)
	if !ok || err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("-firmware %q: want MAJOR.MINOR, such as 1.82", s)
	}
	return uint8(maj), uint8(minor), nil
}
