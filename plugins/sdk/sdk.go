// Package sdk is what an interface-driver plugin for mehrd imports. A
// plugin is a program whose main calls Serve with a function that opens
// the interface from its configuration:
//
//	func main() {
//		sdk.Serve(func(ctx context.Context, c *sdk.Config) (sdk.Interface, error) {
//			var o struct {
//				Port string `toml:"port"`
//			}
//			if err := c.Decode(&o); err != nil {
//				return nil, err
//			}
//			return openMyRadio(c.Name, o.Port)
//		})
//	}
//
// The opened value implements Interface, which is the same contract as
// mehr's in-process drivers (rns/iface.Interface): an in-process driver
// becomes a plugin with a main like the one above. Optional capabilities
// are found with type assertions, as in-process: Stats (counters),
// MTUAutoconfigurer, IngressExempt, and IFACSizer (the type's default
// IFAC size).
//
// mehrd starts one plugin process per interface, opens the interface once
// per process, and restarts the process if it crashes, hangs or misbehaves.
// The process exits by itself when mehrd goes away. Anything the plugin
// writes with Config.Logf, or to its standard error, appears in mehrd's
// log prefixed with the plugin's name. See docs/PLUGINS.md for the
// contract, the lifecycle and versioning.
package sdk

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"

	"github.com/mehr-net/mehr/plugins/shared"
	"github.com/mehr-net/mehr/rns/iface"
)

// Interface is the driver contract; see rns/iface.Interface for the
// documentation of each method. In short: Receive blocks until a packet
// arrives and copies it into the caller's buffer (at least MTU bytes),
// returning net.ErrClosed after Close; Send transmits one packet without
// keeping it and may be called concurrently; Close is idempotent.
type Interface = iface.Interface

// Optional capabilities, found with type assertions.
type (
	// Stats reports the driver's own traffic counters.
	Stats = iface.Stats
	// Counters are the totals Stats reports.
	Counters = iface.Counters
	// MTUAutoconfigurer lets links over the interface negotiate MTUs
	// above 500.
	MTUAutoconfigurer = iface.MTUAutoconfigurer
	// IngressExempt exempts the interface's announces from ingress
	// control, as for slow serial and radio links.
	IngressExempt = iface.IngressExempt
	// IFACSizer reports the interface type's default IFAC size in bytes.
	IFACSizer = shared.IFACSizer
)

// Mode is an interface mode.
type Mode = iface.Mode

// Interface modes.
const (
	ModeFull         = iface.ModeFull
	ModePointToPoint = iface.ModePointToPoint
	ModeAccessPoint  = iface.ModeAccessPoint
	ModeRoaming      = iface.ModeRoaming
	ModeBoundary     = iface.ModeBoundary
	ModeGateway      = iface.ModeGateway
)

// ParseMode returns the mode for a configuration name such as "full" or
// "ap".
func ParseMode(s string) (Mode, bool) { return iface.ParseMode(s) }

// ErrClosed is what Receive returns after Close.
var ErrClosed = net.ErrClosed

// Config is an interface's configuration as mehrd passes it to the plugin.
type Config struct {
	// Name is the interface's configured name.
	Name string
	// TOML is the interface's [[interfaces]] table: name, type, the
	// common keys (mode, bitrate, ...), and the plugin's own keys.
	TOML []byte

	logf func(format string, args ...any)
}

// Decode decodes the interface's TOML table into v, a pointer to a struct
// with toml tags (github.com/BurntSushi/toml). Keys v has no field for are
// ignored: the table also holds mehrd's common keys.
func (c *Config) Decode(v any) error {
	if _, err := toml.NewDecoder(bytes.NewReader(c.TOML)).Decode(v); err != nil {
		return fmt.Errorf("interface %q: %w", c.Name, err)
	}
	return nil
}

// Logf writes one line to mehrd's log, prefixed with the plugin's name.
func (c *Config) Logf(format string, args ...any) {
	if c.logf != nil {
		c.logf(format, args...)
	}
}

// OpenFunc opens the plugin's interface. ctx carries mehrd's deadline for
// opening; the interface itself lives until Close.
type OpenFunc func(ctx context.Context, c *Config) (Interface, error)

// Timing of the watches that end a plugin whose host went away.
const (
	parentPoll  = 500 * time.Millisecond
	orphanAfter = 10 * time.Second
)

// Serve runs the plugin: it answers mehrd's handshake, opens the
// interface with open when asked, and moves packets until mehrd closes the
// interface or goes away. It does not return. Run by hand, outside mehrd,
// it prints a short explanation and exits with status 1.
func Serve(open OpenFunc) {
	os.Exit(serve(open))
}

func serve(open OpenFunc) int {
	name := filepath.Base(os.Args[0])
	if os.Getenv(shared.Handshake.MagicCookieKey) != shared.Handshake.MagicCookieValue {
		fmt.Fprintf(os.Stderr, "%s is an interface plugin for mehrd and is not meant to be run by hand.\n"+
			"mehrd starts it for the interfaces that use it; see docs/PLUGINS.md.\n", name)
		return 1
	}
	// go-plugin replaces os.Stderr with a pipe to the host's SyncStderr
	// once it serves; the original stays the line to mehrd's log.
	stderr := &lineWriter{w: os.Stderr}
	logf := stderr.printf
	// Without a packet channel (a host of another protocol, or a test
	// harness) the plugin still serves, and Open reports why it cannot
	// carry packets.
	data, dataErr := shared.DataConn()

	var srv *shared.Server
	srv = shared.NewServer(func(ctx context.Context, a shared.OpenArgs) (iface.Interface, error) {
		return open(ctx, &Config{Name: a.Name, TOML: a.Config, logf: a.Logf})
	}, shared.ServerOptions{
		Logf:        logf,
		OrphanAfter: orphanAfter,
		Data:        data,
		DataErr:     dataErr,
		Orphaned: func() {
			logf("the host's packet stream is gone; exiting")
			srv.Shutdown()
			os.Exit(0)
		},
	})
	go watchParent(logf, func() { srv.Shutdown() })

	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: shared.Handshake,
		Plugins:         shared.PluginMap(srv),
		GRPCServer:      shared.NewGRPCServer,
		Logger: hclog.New(&hclog.LoggerOptions{
			Name: "go-plugin", Level: hclog.Warn, Output: stderr, DisableTime: true,
		}),
	})
	if err := srv.Shutdown(); err != nil {
		logf("%v", err)
	}
	return 0
}

// watchParent exits the process once its parent, mehrd, is gone: the
// process was handed to another parent. On Linux the host also asks the
// kernel to kill the plugin when it dies (Pdeathsig); this covers the
// other platforms and a host thread exiting early.
func watchParent(logf func(string, ...any), shutdown func()) {
	ppid := os.Getppid()
	for range time.Tick(parentPoll) {
		if os.Getppid() != ppid {
			logf("mehrd (pid %d) is gone; exiting", ppid)
			shutdown()
			os.Exit(0)
		}
	}
}

// lineWriter writes whole lines to w, one Write each, so that lines from
// several goroutines do not interleave.
type lineWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lineWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (l *lineWriter) printf(format string, args ...any) {
	s := fmt.Sprintf(format, args...)
	s = strings.TrimRight(s, "\n") + "\n"
	l.Write([]byte(s))
}
