package udp

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mehr-net/mehr/rns/iface"
)

var (
	_ iface.Interface = (*Interface)(nil)
	_ iface.Stats     = (*Interface)(nil)
)

// Sentinel errors. Callers branch on them with errors.Is.
var (
	// ErrBadAddress reports an address or device that cannot be used.
	ErrBadAddress = errors.New("udp: bad address")
	// ErrBadConfig reports a configuration value out of range, or one
	// that configures neither receiving nor sending.
	ErrBadConfig = errors.New("udp: bad configuration")
	// ErrNoForward is returned by Send on an interface without a forward
	// address.
	ErrNoForward = errors.New("udp: no forward address")
	// ErrTooLarge is returned by Send for a packet longer than MTU plus
	// the IFAC size.
	ErrTooLarge = errors.New("udp: packet too large")
)

// Reference values.
const (
	// HWMTU is the reference UDPInterface's hardware MTU (HW_MTU).
	HWMTU = 1064
	// DefaultBitrate is the reference's bitrate guess (BITRATE_GUESS).
	DefaultBitrate = 10_000_000
	// MinBitrate is the smallest configurable bitrate.
	MinBitrate = iface.MinBitrate
	// DefaultIFACSize is the reference's IFAC size for UDP, in bytes
	// (DEFAULT_IFAC_SIZE).
	DefaultIFACSize = 16
	// MaxIFACSize is the largest IFAC size: a full Ed25519 signature.
	MaxIFACSize = 64
)

// Receive backs off between failed reads from errMinDelay, doubling up to
// errMaxDelay, so that a persistent socket error cannot spin a CPU.
const (
	errMinDelay = time.Millisecond
	errMaxDelay = time.Second
)

// Config configures an Interface. At least one of ListenAddr and
// ForwardAddr must be set (or Device, which supplies both hosts).
type Config struct {
	// Name is the interface's name.
	Name string

	// Mode is the interface mode; 0 means iface.ModeFull.
	Mode iface.Mode

	// ListenAddr is the "ip:port" to receive on (listen_ip and
	// listen_port, or port). Port 0 lets the kernel choose (see
	// LocalAddr). Empty means the interface only sends.
	ListenAddr string

	// ForwardAddr is the "ip:port" every packet is sent to (forward_ip and
	// forward_port, or port). Empty means the interface only receives.
	ForwardAddr string

	// Device (device) supplies the host of ListenAddr and ForwardAddr
	// when they have none, as ":port": the IPv4 broadcast address of this
	// network interface.
	Device string

	// Bitrate is the link speed in bits per second (bitrate); 0 means
	// DefaultBitrate.
	Bitrate int64

	// IFACSize is the IFAC size in bytes (ifac_size divided by 8); 0 means
	// DefaultIFACSize. Datagrams up to HWMTU plus this are accepted.
	IFACSize int
}

// Interface is a UDP interface.
type Interface struct {
	name     string
	mode     iface.Mode
	bitrate  int64
	maxFrame int

	rx  *net.UDPConn   // nil if the interface only sends
	tx  *net.UDPConn   // nil if the interface only receives
	fwd netip.AddrPort // where tx sends

	done      chan struct{} // closed by Close
	closed    atomic.Bool
	closeOnce sync.Once

	// scratch receives datagrams when the caller's buffer is too short to
	// tell a datagram that fits from one the kernel truncated. Owned by
	// the goroutine calling Receive.
	scratch []byte

	rxPackets, rxBytes, txPackets, txBytes, dropped atomic.Uint64
}

// New opens a UDP interface.
func New(cfg Config) (*Interface, error) {
	u := &Interface{name: cfg.Name, mode: cfg.Mode, bitrate: cfg.Bitrate, done: make(chan struct{})}
	if u.mode == 0 {
		u.mode = iface.ModeFull
	}
	if _, ok := iface.ParseMode(u.mode.String()); !ok {
		return nil, fmt.Errorf("%w: mode %v", ErrBadConfig, u.mode)
	}
	if u.bitrate == 0 {
		u.bitrate = DefaultBitrate
	}
	if u.bitrate < MinBitrate {
		return nil, fmt.Errorf("%w: bitrate %d below %d", ErrBadConfig, u.bitrate, MinBitrate)
	}
	ifac := cfg.IFACSize
	if ifac == 0 {
		ifac = DefaultIFACSize
	}
	if ifac < 0 || ifac > MaxIFACSize {
		return nil, fmt.Errorf("%w: IFAC size %d outside 1..%d", ErrBadConfig, ifac, MaxIFACSize)
	}
	u.maxFrame = HWMTU + ifac
	if cfg.ListenAddr == "" && cfg.ForwardAddr == "" {
		return nil, fmt.Errorf("%w: neither a listen nor a forward address", ErrBadConfig)
	}

	var listen, forward netip.AddrPort
	var err error
	if cfg.ListenAddr != "" {
		if listen, err = resolve(cfg.ListenAddr, cfg.Device, true); err != nil {
			return nil, err
		}
	}
	if cfg.ForwardAddr != "" {
		if forward, err = resolve(cfg.ForwardAddr, cfg.Device, false); err != nil {
			return nil, err
		}
	}
	if listen.IsValid() {
		if u.rx, err = net.ListenUDP("udp", net.UDPAddrFromAddrPort(listen)); err != nil {
			return nil, fmt.Errorf("udp %s: listen on %s: %w", u.name, listen, err)
		}
	}
	if forward.IsValid() {
		if u.tx, err = sender(forward); err != nil {
			u.Close()
			return nil, fmt.Errorf("udp %s: sending to %s: %w", u.name, forward, err)
		}
		u.fwd = forward
	}
	return u, nil
}

// resolve parses an "ip:port" address. An empty host takes the device's
// broadcast address, or for a listen address without a device, every
// address.
func resolve(addr, device string, listen bool) (netip.AddrPort, error) {
	host, ps, err := net.SplitHostPort(addr)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("%w %q: %w", ErrBadAddress, addr, err)
	}
	port, err := strconv.ParseUint(ps, 10, 16)
	if err != nil || (port == 0 && !listen) {
		return netip.AddrPort{}, fmt.Errorf("%w %q: invalid port %q", ErrBadAddress, addr, ps)
	}
	var ip netip.Addr
	switch {
	case host != "":
		if ip, err = netip.ParseAddr(host); err != nil {
			return netip.AddrPort{}, fmt.Errorf("%w %q: %w", ErrBadAddress, addr, err)
		}
	case device != "":
		if ip, err = deviceBroadcast(device); err != nil {
			return netip.AddrPort{}, err
		}
	case listen:
		ip = netip.IPv4Unspecified()
	default:
		return netip.AddrPort{}, fmt.Errorf("%w %q: no host to send to", ErrBadAddress, addr)
	}
	return netip.AddrPortFrom(ip.Unmap(), uint16(port)), nil
}

// deviceBroadcast returns the broadcast address of a network interface's
// first IPv4 network.
func deviceBroadcast(name string) (netip.Addr, error) {
	ifi, err := net.InterfaceByName(name)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("%w: device %q: %w", ErrBadAddress, name, err)
	}
	addrs, err := ifi.Addrs()
	if err != nil {
		return netip.Addr{}, fmt.Errorf("%w: device %q: %w", ErrBadAddress, name, err)
	}
	for _, a := range addrs {
		if p, ok := prefixOf(a); ok && p.Addr().Is4() {
			return broadcastOf(p), nil
		}
	}
	return netip.Addr{}, fmt.Errorf("%w: device %q has no IPv4 address", ErrBadAddress, name)
}

func prefixOf(a net.Addr) (netip.Prefix, bool) {
	ipn, ok := a.(*net.IPNet)
	if !ok {
		return netip.Prefix{}, false
	}
	ip, ok := netip.AddrFromSlice(ipn.IP)
	if !ok {
		return netip.Prefix{}, false
	}
	ip = ip.Unmap()
	ones, bits := ipn.Mask.Size()
	if bits == 128 && ip.Is4() {
		ones -= 96
	}
	p, err := ip.Prefix(ones)
	if err != nil {
		return netip.Prefix{}, false
	}
	return netip.PrefixFrom(ip, p.Bits()), true
}

// broadcastOf returns the directed broadcast address of an IPv4 network:
// its address with every host bit set.
func broadcastOf(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().As4()
	for i := p.Bits(); i < 32; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	return netip.AddrFrom4(b)
}

// isBroadcast reports whether ip is the limited broadcast address or the
// directed broadcast address of one of nets.
func isBroadcast(ip netip.Addr, nets []netip.Prefix) bool {
	if !ip.Is4() {
		return false
	}
	if ip == netip.AddrFrom4([4]byte{255, 255, 255, 255}) {
		return true
	}
	for _, p := range nets {
		if p.Addr().Is4() && p.Bits() < 31 && p.Contains(ip) && broadcastOf(p) == ip {
			return true
		}
	}
	return false
}

// localNets lists the networks of this host's interfaces.
func localNets() []netip.Prefix {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil
	}
	var nets []netip.Prefix
	for _, a := range addrs {
		if p, ok := prefixOf(a); ok {
			nets = append(nets, p)
		}
	}
	return nets
}

// sender opens the socket that sends to forward, allowed to broadcast if
// forward is a broadcast address.
func sender(forward netip.AddrPort) (*net.UDPConn, error) {
	network := "udp6"
	if forward.Addr().Is4() {
		network = "udp4"
	}
	conn, err := net.ListenUDP(network, nil)
	if err != nil {
		return nil, err
	}
	if isBroadcast(forward.Addr(), localNets()) {
		if err := setBroadcast(conn); err != nil {
			conn.Close()
			return nil, fmt.Errorf("SO_BROADCAST: %w", err)
		}
	}
	return conn, nil
}

// Name implements iface.Interface.
func (u *Interface) Name() string { return u.name }

// MTU implements iface.Interface. It is always HWMTU; the reference's UDP
// interface does not derive its MTU from the bitrate.
func (u *Interface) MTU() int { return HWMTU }

// Bitrate implements iface.Interface.
func (u *Interface) Bitrate() int64 { return u.bitrate }

// Mode implements iface.Interface.
func (u *Interface) Mode() iface.Mode { return u.mode }

// LocalAddr returns the address the interface receives on, with the port
// the kernel chose if the configured port was 0, or nil if it only sends.
func (u *Interface) LocalAddr() net.Addr {
	if u.rx == nil {
		return nil
	}
	return u.rx.LocalAddr()
}

// Counters implements iface.Stats. Dropped counts datagrams that were
// empty, longer than MTU plus the IFAC size, or longer than Receive's
// buffer.
func (u *Interface) Counters() iface.Counters {
	return iface.Counters{
		RxPackets: u.rxPackets.Load(), RxBytes: u.rxBytes.Load(),
		TxPackets: u.txPackets.Load(), TxBytes: u.txBytes.Load(),
		Dropped: u.dropped.Load(),
	}
}

// Receive implements iface.Interface. It blocks until a datagram arrives
// and copies it into buf; datagrams that are empty or longer than buf or
// than MTU plus the IFAC size are dropped and counted. An interface that
// only sends blocks until Close. After Close, Receive returns
// net.ErrClosed. Receive must not be called concurrently with itself.
func (u *Interface) Receive(buf []byte) (int, error) {
	if u.rx == nil {
		<-u.done
		return 0, net.ErrClosed
	}
	delay := errMinDelay
	for {
		var n int
		var err error
		direct := len(buf) > u.maxFrame
		if direct {
			// One byte beyond the limit tells a datagram that fits from
			// one the kernel truncated.
			n, err = u.rx.Read(buf[:u.maxFrame+1])
		} else {
			if u.scratch == nil {
				u.scratch = make([]byte, u.maxFrame+1)
			}
			n, err = u.rx.Read(u.scratch)
		}
		if err != nil {
			if u.closed.Load() {
				return 0, net.ErrClosed
			}
			t := time.NewTimer(delay)
			select {
			case <-t.C:
			case <-u.done:
				t.Stop()
				return 0, net.ErrClosed
			}
			delay = min(2*delay, errMaxDelay)
			continue
		}
		delay = errMinDelay
		if n == 0 || n > u.maxFrame || n > len(buf) {
			u.dropped.Add(1)
			continue
		}
		if !direct {
			copy(buf, u.scratch[:n])
		}
		u.rxPackets.Add(1)
		u.rxBytes.Add(uint64(n))
		return n, nil
	}
}

// Send implements iface.Interface. It sends pkt as one datagram to the
// forward address and does not keep it. It returns ErrNoForward on an
// interface that only receives, ErrTooLarge for a packet longer than MTU
// plus the IFAC size, and net.ErrClosed after Close. Send is safe for
// concurrent use.
func (u *Interface) Send(pkt []byte) error {
	if u.closed.Load() {
		return net.ErrClosed
	}
	if u.tx == nil {
		return ErrNoForward
	}
	if len(pkt) > u.maxFrame {
		return ErrTooLarge
	}
	if _, err := u.tx.WriteToUDPAddrPort(pkt, u.fwd); err != nil {
		if u.closed.Load() {
			return net.ErrClosed
		}
		return fmt.Errorf("udp %s: send to %s: %w", u.name, u.fwd, err)
	}
	u.txPackets.Add(1)
	u.txBytes.Add(uint64(len(pkt)))
	return nil
}

// Close implements iface.Interface. It closes both sockets and unblocks
// Receive. It is idempotent.
func (u *Interface) Close() error {
	u.closeOnce.Do(func() {
		u.closed.Store(true)
		close(u.done)
		if u.rx != nil {
			u.rx.Close()
		}
		if u.tx != nil {
			u.tx.Close()
		}
	})
	return nil
}
