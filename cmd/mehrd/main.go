// Command mehrd is the mehr daemon: a Reticulum transport node and shared
// instance, configured like rnsd.
//
//	mehrd [--config DIR] [--loglevel N]
//	mehrd --genconf > config.toml
//
// DIR (default ~/.mehr) holds config.toml, or a Reticulum-format config
// file that is read with the same meaning rnsd gives it; with neither, a
// default config.toml (AutoInterface plus shared instance) is written. The
// transport identity, known destinations and path table live in
// DIR/storage in the reference's formats.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"syscall"

	"github.com/mehr-net/mehr/config"
	"github.com/mehr-net/mehr/daemon"
)

var version = "dev"

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "mehrd:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("mehrd", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("config", daemon.DefaultDir(), "configuration directory")
	genconf := fs.Bool("genconf", false, "print a fully commented default config.toml and exit")
	showVersion := fs.Bool("version", false, "print the version and exit")
	loglevel := fs.Int("loglevel", -1, "log level 0-8 (overrides the config; 4 info, 6 debug)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *showVersion {
		fmt.Fprintln(stdout, "mehrd", version)
		return nil
	}
	if *genconf {
		_, err := stdout.Write(config.Genconf())
		return err
	}

	c, from, warnings, err := daemon.LoadConfig(*dir)
	if err != nil {
		return err
	}
	level := c.Logging.LogLevel
	if *loglevel >= 0 {
		level = *loglevel
	}
	flags := 0
	if c.Logging.LogTimestamps {
		flags = log.LstdFlags
	}
	lg := log.New(stderr, "", flags)
	for _, w := range warnings {
		lg.Printf("warning: %s", w)
	}
	logf := func(format string, a ...any) {}
	if level >= 6 {
		logf = lg.Printf
	}
	lg.Printf("mehrd %s starting with %s", version, from)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	d, err := daemon.Start(ctx, *dir, c, daemon.Options{Logf: logf})
	if err != nil {
		return err
	}
	lg.Printf("transport ID %s, transport %s, interfaces: %s", d.Node.Identity().HexHash(),
		map[bool]string{true: "enabled", false: "disabled"}[c.Reticulum.EnableTransport], daemon.Describe(c))
	<-ctx.Done()
	lg.Printf("shutting down")
	return d.Close()
}
