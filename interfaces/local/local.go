package local

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"syscall"
	"time"

	"github.com/mehr-net/mehr/rns/iface"
)

// Values the reference uses for local interfaces (RNS.Interfaces.LocalInterface,
// RNS.Reticulum).
const (
	// HWMTU is the hardware MTU of a local interface
	// (LocalClientInterface.HW_MTU). The reference never lowers it, because
	// it calls optimise_mtu on local interfaces only when a shared-instance
	// bitrate is forced.
	HWMTU = 262144
	// Bitrate is the nominal speed of a local interface (1 Gbit/s).
	Bitrate = 1_000_000_000
	// DefaultInstanceName is the instance_name used when none is configured.
	DefaultInstanceName = "default"
	// DefaultPort is the TCP port of the shared instance's data socket
	// (shared_instance_port).
	DefaultPort = 37428
	// DefaultReconnectWait is the pause before each reconnection attempt
	// of a Client (LocalClientInterface.RECONNECT_WAIT).
	DefaultReconnectWait = 8 * time.Second
	// DefaultWriteTimeout bounds one Send. A peer that stops reading for
	// this long is treated as gone, so that a stuck client cannot stall
	// transport.
	DefaultWriteTimeout = 10 * time.Second

	// minFrame is the shortest frame a reference reader accepts: it drops
	// frames of HEADER_MINSIZE (19) bytes or fewer.
	minFrame = 20
	// abstractPrefix starts the reference's socket name; Go spells the
	// leading NUL of an abstract address as '@'.
	abstractPrefix = "@rns/"
)

// Type selects the socket family of the shared instance's data socket
// (the reference's shared_instance_type).
type Type uint8

// Socket types. The zero value selects the platform default: TypeUnix on
// Linux and Android, TypeTCP elsewhere, as the reference does.
const (
	TypeDefault Type = iota
	TypeUnix         // abstract Unix socket "\x00rns/<instance name>"
	TypeTCP          // TCP on 127.0.0.1:<port>
)

// String returns the configuration name of the type ("unix" or "tcp").
func (t Type) String() string {
	switch t {
	case TypeDefault:
		return "default"
	case TypeUnix:
		return "unix"
	case TypeTCP:
		return "tcp"
	}
	return "Type(" + strconv.Itoa(int(t)) + ")"
}

// ParseType returns the type for a shared_instance_type value ("unix",
// "tcp"; the empty string means TypeDefault).
func ParseType(s string) (Type, bool) {
	switch s {
	case "":
		return TypeDefault, true
	case "unix":
		return TypeUnix, true
	case "tcp":
		return TypeTCP, true
	}
	return 0, false
}

// Errors. Callers branch on them with errors.Is.
var (
	// ErrInUse is returned by Listen when another instance already owns
	// the address; the reference then attaches to that instance as a
	// client instead.
	ErrInUse = errors.New("local: shared instance address in use")
	// ErrDetached is returned by a Client's Send while it is reconnecting,
	// and by a Conn's Receive and Send after its client went away; in the
	// latter case the error also matches net.ErrClosed.
	ErrDetached = errors.New("local: not attached")
	// ErrTooLarge is returned by Send for packets over HWMTU.
	ErrTooLarge = errors.New("local: packet exceeds MTU")
	// ErrUnsupported is returned for TypeUnix on systems without abstract
	// Unix sockets.
	ErrUnsupported = errors.New("local: abstract unix sockets are not supported on this system")
)

// errGone is what a Conn reports once its client has gone away.
var errGone = fmt.Errorf("%w: %w", ErrDetached, net.ErrClosed)

// Config configures a Server or a Client. The zero value describes the
// reference's default shared instance on this platform.
type Config struct {
	// Name is the interface name. Empty means a name after the
	// reference's: "Shared Instance[rns/default]" for a Server,
	// "LocalInterface[rns/default]" for a Client (with the port in the
	// brackets for TCP).
	Name string
	// Type selects a Unix or TCP socket; TypeDefault picks the platform's.
	Type Type
	// InstanceName names the abstract Unix socket (instance_name). Empty
	// means DefaultInstanceName. Unused for TCP.
	InstanceName string
	// Port is the TCP port (shared_instance_port); 0 means DefaultPort.
	// Unused for Unix sockets.
	Port int
	// Addr, if set, replaces the address derived from the fields above: a
	// "host:port" for TCP or a socket name for Unix (a leading '@' is the
	// abstract namespace). Tests use it for kernel-chosen ports.
	Addr string
	// Mode is the interface mode; 0 means iface.ModeFull.
	Mode iface.Mode
	// WriteTimeout bounds each Send; 0 means DefaultWriteTimeout.
	WriteTimeout time.Duration

	// ReconnectWait is the pause before each reconnection attempt of a
	// Client; 0 means DefaultReconnectWait. Unused by a Server.
	ReconnectWait time.Duration
	// OnDetach, if set, is called when a Client loses its shared instance
	// (the reference calls Transport.shared_connection_disappeared, which
	// tears down links and clears the path tables). It runs on the
	// goroutine calling Receive and must not call Receive.
	OnDetach func()
	// OnReattach, if set, is called when a Client is attached again (the
	// reference calls Transport.shared_connection_reappeared, which
	// re-announces SINGLE destinations as path responses, 10 s after
	// reconnecting). It runs on the goroutine calling Receive and must not
	// call Receive.
	OnReattach func()

	// Logf, if set, receives diagnostics. nil discards them.
	Logf func(format string, args ...any)
}

// address returns the network and address that a Server listens on and a
// Client connects to.
func (c *Config) address() (network, address string, err error) {
	t := c.Type
	if t == TypeDefault {
		t = defaultType
	}
	switch t {
	case TypeUnix:
		if c.Addr != "" {
			return "unix", c.Addr, nil
		}
		if !unixSupported {
			return "", "", ErrUnsupported
		}
		return "unix", abstractPrefix + c.instanceName(), nil
	case TypeTCP:
		if c.Addr != "" {
			return "tcp", c.Addr, nil
		}
		port := c.Port
		if port == 0 {
			port = DefaultPort
		}
		if port < 0 || port > 65535 {
			return "", "", fmt.Errorf("local: port %d out of range", port)
		}
		return "tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), nil
	}
	return "", "", fmt.Errorf("local: unknown socket type %v", c.Type)
}

// Endpoint returns the network ("unix" or "tcp") and the address a Server
// with this configuration listens on and a Client connects to, as
// net.Listen spells them: an abstract Unix socket is written with a
// leading '@' for the reference's leading NUL byte ("@rns/default").
func (c Config) Endpoint() (network, address string, err error) { return c.address() }

func (c *Config) instanceName() string {
	if c.InstanceName == "" {
		return DefaultInstanceName
	}
	return c.InstanceName
}

func (c *Config) mode() iface.Mode {
	if c.Mode == 0 {
		return iface.ModeFull
	}
	return c.Mode
}

func (c *Config) writeTimeout() time.Duration {
	if c.WriteTimeout <= 0 {
		return DefaultWriteTimeout
	}
	return c.WriteTimeout
}

func (c *Config) logf(format string, args ...any) {
	if c.Logf != nil {
		c.Logf(format, args...)
	}
}

// label is the bracketed part of the reference's interface names: the
// socket name without its NUL ("rns/default") or the port.
func label(network, address string) string {
	if network == "unix" {
		if len(address) > 0 && (address[0] == '@' || address[0] == 0) {
			return address[1:]
		}
		return address
	}
	if _, port, err := net.SplitHostPort(address); err == nil {
		return port
	}
	return address
}

// isInUse reports whether err means the address is taken.
func isInUse(err error) bool { return errors.Is(err, syscall.EADDRINUSE) }
