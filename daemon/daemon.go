// Package daemon turns a configuration into a running node: it resolves
// the configuration directory the way mehrd and rnsd do, opens every
// configured interface and the shared instance, and starts the control
// socket. cmd/mehrd wraps it with flags and signals; cmd/mehr uses it to
// run an in-process instance when no daemon is running.
package daemon

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mehr-net/mehr/config"
	"github.com/mehr-net/mehr/control"
	"github.com/mehr-net/mehr/interfaces/auto"
	"github.com/mehr-net/mehr/interfaces/local"
	"github.com/mehr-net/mehr/interfaces/tcp"
	"github.com/mehr-net/mehr/mehr/routing"
	"github.com/mehr-net/mehr/mgmt"
	"github.com/mehr-net/mehr/plugins/host"
	"github.com/mehr-net/mehr/rns"
	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/iface"
	"github.com/mehr-net/mehr/rns/transport"
	"github.com/mehr-net/mehr/rns/wire"
	"github.com/mehr-net/mehr/rpc"
	"github.com/mehr-net/mehr/tun"
)

// File names in a configuration directory.
const (
	TOMLConfigFile      = "config.toml"
	ReticulumConfigFile = "config"
	StorageDir          = "storage"
)

// ErrSharedInstanceRunning means another instance already serves the
// shared-instance socket.
var ErrSharedInstanceRunning = errors.New("daemon: a shared instance is already running")

// DefaultDir returns ~/.mehr.
func DefaultDir() string {
	home, err := os.UserHomeDir()
	if err != nil {
		return ".mehr"
	}
	return filepath.Join(home, ".mehr")
}

// LoadConfig finds the configuration in dir: config.toml if present, else
// a Reticulum-format config file (read with the same meaning rnsd gives
// it), else it writes a default config.toml and uses that. It returns the
// configuration, where it came from, and any warnings.
func LoadConfig(dir string) (*config.Config, string, []config.Warning, error) {
	tomlPath := filepath.Join(dir, TOMLConfigFile)
	if _, err := os.Stat(tomlPath); err == nil {
		c, w, err := config.Load(tomlPath)
		return c, tomlPath, w, err
	}
	retPath := filepath.Join(dir, ReticulumConfigFile)
	if _, err := os.Stat(retPath); err == nil {
		c, w, err := config.ReadReticulumDir(dir)
		return c, retPath, w, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, "", nil, fmt.Errorf("daemon: %w", err)
	}
	if err := os.WriteFile(tomlPath, config.Genconf(), 0o600); err != nil {
		return nil, "", nil, fmt.Errorf("daemon: write default config: %w", err)
	}
	return config.Default(), tomlPath, nil, nil
}

// Daemon is a running node with its interfaces and control socket.
type Daemon struct {
	Node *rns.Node
	Dir  string
	// Posture is what the configuration resolved to.
	Posture Posture
	// Remote is the remote management destination, or nil when
	// enable_remote_management is off.
	Remote *mgmt.Remote

	cfg     *config.Config
	view    *mgmt.View
	control *control.Server
	rpc     *rpc.Server
	ctx     context.Context // lives as long as the daemon
	cancel  context.CancelFunc
	logf    func(string, ...any)

	mu     sync.Mutex
	ifaces map[string]*managed // configured interfaces by name, see manage.go

	tun    *tun.Adapter    // the IP adapter, or nil
	tunDev *host.Interface // its device's plugin
	router *routing.Router // Mehr routing, or nil
}

// Options adjust Start.
type Options struct {
	Logf func(format string, args ...any)
	// NoSharedInstance skips the shared-instance listener (used by tools
	// that run their own in-process instance).
	NoSharedInstance bool
	// NoControl skips the control socket.
	NoControl bool
}

// Start builds and starts a node from c, with its storage in dir.
func Start(ctx context.Context, dir string, c *config.Config, o Options) (*Daemon, error) {
	logf := o.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	r := c.Reticulum
	posture, err := ResolvePosture(r)
	if err != nil {
		return nil, err
	}
	node, err := rns.NewNode(rns.Options{
		StorageDir:       filepath.Join(dir, StorageDir),
		TransportEnabled: r.EnableTransport,
		RespondToProbes:  r.RespondToProbes && r.EnableTransport,
		ExplicitProofs:   !r.UseImplicitProof,
		BlackholeSources: hashes(posture.BlackholeSources),
		Logf:             logf,
	})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	d := &Daemon{Node: node, Dir: dir, cfg: c, Posture: posture, view: mgmt.NewView(node), ctx: ctx, cancel: cancel,
		logf: logf, ifaces: map[string]*managed{}}
	fail := func(err error) (*Daemon, error) {
		d.Close()
		return nil, err
	}
	if posture.RemoteManagement {
		if d.Remote, err = mgmt.EnableRemote(node, d.view, posture.RemoteManagementAllowed); err != nil {
			return fail(fmt.Errorf("daemon: remote management: %w", err))
		}
		logf("mehrd: remote management enabled on <%s> for %d identities", d.Remote.Destination().Hash(), len(posture.RemoteManagementAllowed))
	}

	if r.ShareInstance && !o.NoSharedInstance {
		srv, err := local.Listen(ctx, local.Config{
			Name:         "Shared Instance",
			Type:         sharedType(r.SharedInstanceType),
			InstanceName: r.InstanceName,
			Port:         r.SharedInstancePort,
			Logf:         logf,
		})
		if errors.Is(err, local.ErrInUse) {
			return fail(fmt.Errorf("%w (instance %q)", ErrSharedInstanceRunning, r.InstanceName))
		}
		if err != nil {
			return fail(fmt.Errorf("daemon: shared instance: %w", err))
		}
		node.AddListener(srv, transport.InterfaceOptions{})
		logf("mehrd: shared instance %q listening on %v", r.InstanceName, srv.Addr())

		// The reference's RPC side channel, for rnstatus, rnpath and the
		// calls attached programs make. Its key is rpc_key, or derived
		// from the transport identity as the reference derives it.
		key, err := rpcKey(r.RPCKey, node)
		if err != nil {
			return fail(err)
		}
		d.rpc, err = rpc.Listen(ctx, rpc.Config{Type: sharedType(r.SharedInstanceType), InstanceName: r.InstanceName,
			Port: r.InstanceControlPort, Key: key, Logf: logf}, d.view)
		if err != nil {
			return fail(fmt.Errorf("daemon: shared instance RPC: %w", err))
		}
	}

	for _, ic := range c.Interfaces {
		if !ic.Enabled {
			continue
		}
		if err := d.AddInterface(ic); err != nil {
			return fail(err)
		}
	}

	if err := d.startTUN(ctx); err != nil {
		return fail(fmt.Errorf("daemon: %w", err))
	}
	if err := d.startRouting(filepath.Join(dir, StorageDir)); err != nil {
		return fail(fmt.Errorf("daemon: %w", err))
	}

	if !o.NoControl {
		d.control, err = control.Listen(dir, node)
		if err != nil {
			return fail(err)
		}
		d.control.SetInterfaces(d)
		d.control.SetIP(d.IPStatus)
		d.control.SetRoutes(d.Routes)
	}
	return d, nil
}

func rpcKey(hexKey string, node *rns.Node) ([]byte, error) {
	if hexKey != "" {
		k, err := hex.DecodeString(hexKey)
		if err != nil {
			return nil, fmt.Errorf("daemon: rpc_key is not hexadecimal: %w", err)
		}
		return k, nil
	}
	return rpc.DefaultKey(node.Identity())
}

func sharedType(s string) local.Type {
	t, ok := local.ParseType(s)
	if !ok {
		return local.TypeDefault
	}
	return t
}

// InterfaceOptions derives transport's options for one interface from
// the node's configuration, the interface's, and its type's defaults.
func InterfaceOptions(r config.Reticulum, ic config.Interface, t TypeInfo) (transport.InterfaceOptions, error) {
	o := transport.InterfaceOptions{NoOutgoing: !ic.Outgoing}
	o.AnnounceRateTarget, o.AnnounceRateGrace, o.AnnounceRatePenalty = AnnounceRate(r, ic)
	s, err := Synthesize(r, ic, t)
	if err != nil {
		return o, err
	}
	o.Mode, o.AnnounceCap, o.IFAC, o.Ingress = s.Mode, s.AnnounceCap, s.IFAC, s.Ingress
	return o, nil
}

// options is InterfaceOptions for an interface of a built-in type.
func options(r config.Reticulum, ic config.Interface) (transport.InterfaceOptions, error) {
	t, _ := BuiltinType(ic.Type)
	return InterfaceOptions(r, ic, t)
}

// mode is the mode drivers are configured with; options reports a mode
// that is not supported.
func mode(ic config.Interface) iface.Mode {
	m, _ := effectiveMode(ic)
	return m
}

// attachment is what opening one configured interface attached to the
// node: an interface, or a listener that spawns them.
type attachment struct {
	iface    *transport.Iface
	listener iface.Listener
	plugin   *host.Interface // the supervised plugin behind iface, if any
}

func (d *Daemon) openInterface(ctx context.Context, ic config.Interface, logf func(string, ...any)) (attachment, error) {
	// An interface with a plugin key, and a type mehrd runs out of
	// process (UDPInterface), is opened through its plugin.
	if name := ic.Plugin; name != "" {
		return d.openPlugin(ctx, ic, name, logf)
	}
	if name, ok := builtinPlugins[ic.Type]; ok {
		return d.openPlugin(ctx, ic, name, logf)
	}
	switch ic.Type {
	case config.TypeTCPClient:
		o, err := options(d.cfg.Reticulum, ic)
		if err != nil {
			return attachment{}, err
		}
		cfg := tcp.Config{Name: ic.Name, Mode: mode(ic), Addr: net.JoinHostPort(ic.TargetHost, strconv.Itoa(ic.TargetPort)),
			KISSFraming: ic.KISSFraming, I2PTunneled: ic.I2PTunneled, Bitrate: ic.Bitrate, FixedMTU: ic.FixedMTU, Logf: logf}
		if ic.ConnectTimeout != nil {
			cfg.ConnectTimeout = time.Duration(*ic.ConnectTimeout) * time.Second
		}
		if ic.MaxReconnectTries != nil {
			cfg.MaxReconnectTries = *ic.MaxReconnectTries
		}
		c, err := tcp.NewClient(ctx, cfg)
		if err != nil {
			return attachment{}, err
		}
		ti, err := d.Node.AddInterface(c, o)
		return attachment{iface: ti}, err
	case config.TypeTCPServer:
		o, err := options(d.cfg.Reticulum, ic)
		if err != nil {
			return attachment{}, err
		}
		addr := net.JoinHostPort(ic.ListenIP, strconv.Itoa(ic.ListenPort))
		s, err := tcp.Listen(ctx, tcp.Config{Name: ic.Name, Mode: mode(ic), Addr: addr, Device: ic.Device,
			PreferIPv6: ic.PreferIPv6, I2PTunneled: ic.I2PTunneled, Bitrate: ic.Bitrate, Logf: logf})
		if err != nil {
			return attachment{}, err
		}
		d.Node.AddListener(s, o)
		logf("mehrd: %s listening on %v", ic.Name, s.Addr())
		return attachment{listener: s}, nil
	case config.TypeBackbone, config.TypeBackboneClient:
		// The reference's Backbone types are TCP with HDLC framing and
		// faster bitrate guesses; a BackboneInterface with a target host
		// is a client, as in the reference.
		o, err := options(d.cfg.Reticulum, ic)
		if err != nil {
			return attachment{}, err
		}
		if ic.Type == config.TypeBackboneClient || ic.TargetHost != "" {
			bitrate := ic.Bitrate
			if bitrate == 0 {
				bitrate = tcp.BackboneClientBitrate
			}
			c, err := tcp.NewClient(ctx, tcp.Config{Name: ic.Name, Mode: mode(ic), Addr: net.JoinHostPort(ic.TargetHost, strconv.Itoa(ic.TargetPort)),
				Bitrate: bitrate, FixedMTU: ic.FixedMTU, Logf: logf})
			if err != nil {
				return attachment{}, err
			}
			ti, err := d.Node.AddInterface(c, o)
			return attachment{iface: ti}, err
		}
		bitrate := ic.Bitrate
		if bitrate == 0 {
			bitrate = tcp.BackboneBitrate
		}
		s, err := tcp.Listen(ctx, tcp.Config{Name: ic.Name, Mode: mode(ic), Addr: net.JoinHostPort(ic.ListenIP, strconv.Itoa(ic.ListenPort)),
			Device: ic.Device, PreferIPv6: ic.PreferIPv6, Bitrate: bitrate, Logf: logf})
		if err != nil {
			return attachment{}, err
		}
		d.Node.AddListener(s, o)
		logf("mehrd: %s listening on %v", ic.Name, s.Addr())
		return attachment{listener: s}, nil
	case config.TypeAuto:
		o, err := options(d.cfg.Reticulum, ic)
		if err != nil {
			return attachment{}, err
		}
		scope, _ := auto.ParseScope(ic.DiscoveryScope)
		at, _ := auto.ParseAddressType(ic.MulticastAddressType)
		l, err := auto.Listen(auto.Config{Name: ic.Name, GroupID: ic.GroupID, Scope: scope, AddressType: at,
			DiscoveryPort: ic.DiscoveryPort, DataPort: ic.DataPort, Devices: ic.Devices,
			IgnoredDevices: ic.IgnoredDevices, Bitrate: ic.Bitrate, Mode: mode(ic), Logf: logf})
		if err != nil {
			return attachment{}, err
		}
		d.Node.AddListener(l, o)
		return attachment{listener: l}, nil
	}
	logf("mehrd: interface %q: type %s is not available yet; skipped", ic.Name, ic.Type)
	return attachment{}, nil
}

// Close saves state and stops everything.
func (d *Daemon) Close() error {
	if d.control != nil {
		d.control.Close()
	}
	if d.rpc != nil {
		d.rpc.Close()
	}
	if d.Remote != nil {
		d.Remote.Close()
	}
	if d.router != nil {
		d.router.Close()
	}
	if d.tun != nil {
		d.tun.Close()
	}
	if d.tunDev != nil {
		d.tunDev.Close()
	}
	err := d.Node.Close()
	d.cancel()
	return err
}

// Describe returns a one-line summary of the configuration's interfaces.
func Describe(c *config.Config) string {
	var parts []string
	for _, ic := range c.Interfaces {
		if ic.Enabled {
			parts = append(parts, ic.Name+" ("+ic.Type+")")
		}
	}
	if len(parts) == 0 {
		return "no interfaces"
	}
	return strings.Join(parts, ", ")
}

func hashes(l [][identity.HashLen]byte) []wire.Hash {
	out := make([]wire.Hash, len(l))
	for i, h := range l {
		out[i] = wire.Hash(h)
	}
	return out
}
