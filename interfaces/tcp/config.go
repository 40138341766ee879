package tcp

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"time"

	"github.com/mehr-net/mehr/rns/iface"
	"github.com/mehr-net/mehr/rns/wire"
)

// Sentinel errors. Callers branch on them with errors.Is.
var (
	// ErrBadAddress reports an address or device that cannot be used.
	ErrBadAddress = errors.New("tcp: bad address")
	// ErrBadConfig reports a configuration value out of range.
	ErrBadConfig = errors.New("tcp: bad configuration")
	// ErrNotConnected is returned by Send while a client is reconnecting.
	ErrNotConnected = errors.New("tcp: not connected")
	// ErrTooLarge is returned by Send for a packet longer than the
	// interface accepts (MTU plus the IFAC size).
	ErrTooLarge = errors.New("tcp: packet too large")
	// ErrPeerClosed is returned by Receive and Send of a spawned interface
	// whose peer has disconnected; spawned interfaces do not reconnect.
	// Errors carrying it also match net.ErrClosed.
	ErrPeerClosed = errors.New("tcp: peer closed the connection")
	// ErrReconnectLimit is returned by Receive and Send of a client that
	// gave up after Config.MaxReconnectTries failed attempts. Errors
	// carrying it also match net.ErrClosed.
	ErrReconnectLimit = errors.New("tcp: reconnect attempts exhausted")
)

// Defaults and reference values.
const (
	// DefaultBitrate is the reference's bitrate guess for TCP interfaces
	// (TCPClientInterface.BITRATE_GUESS, TCPServerInterface.BITRATE_GUESS).
	DefaultBitrate = 10_000_000
	// MinBitrate is the smallest configurable bitrate.
	MinBitrate = iface.MinBitrate
	// DefaultIFACSize is the IFAC size, in bytes, the reference gives every
	// TCP interface (DEFAULT_IFAC_SIZE). The reader accepts frames up to
	// MTU plus this many bytes.
	DefaultIFACSize = 16
	// MaxIFACSize is the largest IFAC size: a full Ed25519 signature.
	MaxIFACSize = 64
	// DefaultConnectTimeout bounds one connection attempt
	// (TCPClientInterface.INITIAL_CONNECT_TIMEOUT).
	DefaultConnectTimeout = 5 * time.Second
	// DefaultReconnectMin is the first delay before reconnecting.
	DefaultReconnectMin = time.Second
	// DefaultReconnectMax caps the reconnect delay.
	DefaultReconnectMax = 15 * time.Second
	// DefaultWriteTimeout bounds one Send's write to the socket, so that
	// a peer that stops reading cannot stall the sender for long; a write
	// that times out takes the connection down, as any write error does.
	DefaultWriteTimeout = 10 * time.Second
	// readBufSize is how much Receive asks the socket for at a time.
	readBufSize = 32 << 10
)

// TCP socket timing, as the reference sets it on Linux
// (TCPClientInterface.TCP_* and I2P_*).
const (
	userTimeout    = 24 * time.Second
	probeAfter     = 5 * time.Second
	probeInterval  = 2 * time.Second
	probes         = 12
	i2pUserTimeout = 45 * time.Second
	i2pProbeAfter  = 10 * time.Second
	i2pInterval    = 9 * time.Second
	i2pProbes      = 5
)

// Config configures a Client (NewClient) or a Server (Listen). Fields
// marked "client" or "server" are ignored by the other. The zero value of
// every field but Addr means the default noted.
type Config struct {
	// Name is the interface's name. Interfaces a Server spawns are named
	// "Client on <Name>/<remote address>".
	Name string

	// Mode is the interface mode; 0 means iface.ModeFull. Spawned
	// interfaces inherit the server's mode.
	Mode iface.Mode

	// Addr is, for a client, the "host:port" to connect to (target_host
	// and target_port; use net.JoinHostPort for IPv6 literals). The host
	// may be a name, resolved on every attempt.
	//
	// For a server it is the "ip:port" to listen on (listen_ip and
	// listen_port, or port). The host may be a name, resolved once; an
	// empty host listens on every address; port 0 lets the kernel choose
	// (see Server.Addr). With Device set, only the port is used.
	Addr string

	// Device (server) binds to the first address of this network
	// interface instead of Addr's host (device): IPv4 unless PreferIPv6 is
	// set or the device has none, with the zone added to IPv6 link-local
	// addresses.
	Device string

	// PreferIPv6 (server) picks an IPv6 address for a Device or a host
	// name that has both (prefer_ipv6).
	PreferIPv6 bool

	// KISSFraming selects KISS framing instead of HDLC (kiss_framing).
	KISSFraming bool

	// I2PTunneled selects the reference's slower keepalive timings for
	// connections through an I2P tunnel (i2p_tunneled).
	I2PTunneled bool

	// Bitrate is the link speed in bits per second (bitrate); 0 means
	// DefaultBitrate. It also sets the MTU unless FixedMTU is set.
	Bitrate int64

	// FixedMTU pins the MTU (fixed_mtu); it must be at least 500. 0 means
	// the MTU follows the bitrate, as AutoMTU computes it.
	FixedMTU int

	// IFACSize is the IFAC size in bytes (ifac_size divided by 8); 0
	// means DefaultIFACSize. Frames up to MTU plus this are accepted.
	IFACSize int

	// ConnectTimeout (client) bounds each connection attempt
	// (connect_timeout); 0 means DefaultConnectTimeout.
	ConnectTimeout time.Duration

	// MaxReconnectTries (client) gives up after this many failed attempts
	// in a row (max_reconnect_tries); 0 means never give up.
	MaxReconnectTries int

	// ReconnectMin and ReconnectMax (client) bound the delay before each
	// reconnect attempt: it starts at ReconnectMin, doubles per failed
	// attempt up to ReconnectMax, and is jittered down by up to half.
	// 0 means DefaultReconnectMin and DefaultReconnectMax.
	ReconnectMin, ReconnectMax time.Duration

	// WriteTimeout bounds each Send's socket write; 0 means
	// DefaultWriteTimeout and a negative value means no limit (the
	// reference has none, relying on TCP_USER_TIMEOUT where it exists).
	WriteTimeout time.Duration

	// Logf, if set, receives connection events (never per-packet ones).
	Logf func(format string, args ...any)
}

// AutoMTU returns the hardware MTU the reference derives from a bitrate
// (Interface.optimise_mtu). Below 62.5 kbit/s the reference has no MTU at
// all; AutoMTU returns the network MTU, 500, there.
func AutoMTU(bitrate int64) int {
	if m, ok := TierMTU(bitrate); ok {
		return m
	}
	return wire.MTU
}

// settings are a Config with defaults applied and values checked.
type settings struct {
	name      string
	mode      iface.Mode
	kiss      bool
	i2p       bool
	bitrate   int64
	mtu       int
	fixedMTU  bool
	maxFrame  int // mtu + IFAC size
	timeout   time.Duration
	maxTries  int
	backMin   time.Duration
	backMax   time.Duration
	writeTO   time.Duration
	logf      func(format string, args ...any)
	keepAlive net.KeepAliveConfig
	userTO    time.Duration
}

func (c *Config) settings() (settings, error) {
	s := settings{
		name: c.Name, mode: c.Mode, kiss: c.KISSFraming, i2p: c.I2PTunneled,
		bitrate: c.Bitrate, timeout: c.ConnectTimeout, maxTries: c.MaxReconnectTries,
		backMin: c.ReconnectMin, backMax: c.ReconnectMax, writeTO: c.WriteTimeout,
		logf: c.Logf,
	}
	if s.mode == 0 {
		s.mode = iface.ModeFull
	}
	if _, ok := iface.ParseMode(s.mode.String()); !ok {
		return s, fmt.Errorf("%w: mode %v", ErrBadConfig, s.mode)
	}
	if s.bitrate == 0 {
		s.bitrate = DefaultBitrate
	}
	if s.bitrate < MinBitrate {
		return s, fmt.Errorf("%w: bitrate %d below %d", ErrBadConfig, s.bitrate, MinBitrate)
	}
	switch {
	case c.FixedMTU == 0:
		s.mtu = AutoMTU(s.bitrate)
	case c.FixedMTU < wire.MTU:
		return s, fmt.Errorf("%w: fixed MTU %d below %d", ErrBadConfig, c.FixedMTU, wire.MTU)
	default:
		s.mtu, s.fixedMTU = c.FixedMTU, true
	}
	ifac := c.IFACSize
	if ifac == 0 {
		ifac = DefaultIFACSize
	}
	if ifac < 0 || ifac > MaxIFACSize {
		return s, fmt.Errorf("%w: IFAC size %d outside 1..%d", ErrBadConfig, ifac, MaxIFACSize)
	}
	s.maxFrame = s.mtu + ifac
	if s.timeout == 0 {
		s.timeout = DefaultConnectTimeout
	}
	if s.backMin == 0 {
		s.backMin = DefaultReconnectMin
	}
	if s.backMax == 0 {
		s.backMax = DefaultReconnectMax
	}
	if s.writeTO == 0 {
		s.writeTO = DefaultWriteTimeout
	}
	if s.timeout < 0 || s.maxTries < 0 || s.backMin < 0 || s.backMax < s.backMin {
		return s, fmt.Errorf("%w: negative timeout, tries or reconnect delays", ErrBadConfig)
	}
	if s.logf == nil {
		s.logf = func(string, ...any) {}
	}
	if s.i2p {
		s.keepAlive = net.KeepAliveConfig{Enable: true, Idle: i2pProbeAfter, Interval: i2pInterval, Count: i2pProbes}
		s.userTO = i2pUserTimeout
	} else {
		s.keepAlive = net.KeepAliveConfig{Enable: true, Idle: probeAfter, Interval: probeInterval, Count: probes}
		s.userTO = userTimeout
	}
	return s, nil
}

// splitAddr splits "host:port" and checks the port. allowZero permits port
// 0 (a listener's "kernel chooses").
func splitAddr(addr string, allowZero bool) (host string, port uint16, err error) {
	host, ps, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, fmt.Errorf("%w %q: %w", ErrBadAddress, addr, err)
	}
	p, err := strconv.ParseUint(ps, 10, 16)
	if err != nil || (p == 0 && !allowZero) {
		return "", 0, fmt.Errorf("%w %q: invalid port %q", ErrBadAddress, addr, ps)
	}
	return host, uint16(p), nil
}

// pickAddr chooses among resolved addresses as the reference does: the
// first IPv4 one, or the first IPv6 one when preferIPv6 is set, falling
// back to the first of any family.
func pickAddr(addrs []netip.Addr, preferIPv6 bool) (netip.Addr, bool) {
	for _, a := range addrs {
		if a.Unmap().Is4() != preferIPv6 {
			return a.Unmap(), true
		}
	}
	if len(addrs) > 0 {
		return addrs[0].Unmap(), true
	}
	return netip.Addr{}, false
}
