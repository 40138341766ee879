package tundev

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
)

const (
	// DefaultName is the device name Open uses when Config.Name is empty.
	DefaultName = "mehr0"
	// MinMTU is the smallest MTU Open accepts: the IPv6 minimum link MTU
	// (RFC 8200 section 5).
	MinMTU = 1280
	// DefaultMTU is the MTU Open sets when Config.MTU is zero.
	DefaultMTU = MinMTU
	// MaxMTU is the largest MTU Open accepts, the largest IPv6 packet
	// without jumbograms.
	MaxMTU = 65535
	// maxNameLen is IFNAMSIZ minus the terminating NUL.
	maxNameLen = 15
)

// Errors callers branch on with errors.Is.
var (
	// ErrNotSupported is returned by Open on platforms without a TUN
	// implementation.
	ErrNotSupported = errors.New("TUN device not supported on this platform")
	// ErrInvalidConfig is wrapped by Open's errors for a bad Config.
	ErrInvalidConfig = errors.New("invalid TUN configuration")
)

// Config is what Open creates.
type Config struct {
	// Name is the device name, at most 15 bytes; empty means DefaultName.
	Name string
	// MTU is the device MTU, MinMTU to MaxMTU; zero means DefaultMTU.
	MTU int
	// Address is the device's IPv6 address with its prefix length, such
	// as fd6d:6568:72::1/48; the prefix is routed to the device. The zero
	// Prefix adds no address.
	Address netip.Prefix
}

// withDefaults returns c with defaults filled in, or an error wrapping
// ErrInvalidConfig.
func (c Config) withDefaults() (Config, error) {
	if c.Name == "" {
		c.Name = DefaultName
	}
	if len(c.Name) > maxNameLen {
		return c, fmt.Errorf("%w: device name %q is longer than %d bytes", ErrInvalidConfig, c.Name, maxNameLen)
	}
	for i := 0; i < len(c.Name); i++ {
		if b := c.Name[i]; b == '/' || b == ':' || b <= ' ' || b >= 0x7f {
			return c, fmt.Errorf("%w: device name %q has a character Linux does not allow", ErrInvalidConfig, c.Name)
		}
	}
	if c.MTU == 0 {
		c.MTU = DefaultMTU
	}
	if c.MTU < MinMTU || c.MTU > MaxMTU {
		return c, fmt.Errorf("%w: MTU %d outside %d..%d", ErrInvalidConfig, c.MTU, MinMTU, MaxMTU)
	}
	if c.Address.IsValid() {
		a := c.Address.Addr()
		if !a.Is6() || a.Is4In6() {
			return c, fmt.Errorf("%w: address %v is not IPv6", ErrInvalidConfig, c.Address)
		}
		if a.IsMulticast() || a.IsUnspecified() || a.IsLoopback() {
			return c, fmt.Errorf("%w: address %v is not a unicast address", ErrInvalidConfig, c.Address)
		}
	}
	return c, nil
}

var _ io.ReadWriteCloser = (*Device)(nil)

// Device is an open TUN device. Read and Write move one IP packet each;
// Read may be called from one goroutine while Write is called from
// others.
type Device struct {
	name string
	mtu  int
	addr netip.Prefix
	rwc  io.ReadWriteCloser // the water device: a non-blocking, pollable *os.File

	closed    atomic.Bool
	closeOnce sync.Once
	closeErr  error

	dropped atomic.Uint64 // truncated packets Read discarded
}

// Open creates and configures the TUN device described by cfg in the
// calling thread's network namespace. It needs CAP_NET_ADMIN.
func Open(cfg Config) (*Device, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	return open(cfg)
}

// Name returns the device's name.
func (d *Device) Name() string { return d.name }

// MTU returns the device's MTU: the largest packet Read yields and Write
// accepts.
func (d *Device) MTU() int { return d.mtu }

// Address returns the device's configured IPv6 address and prefix (the
// zero Prefix if none was configured).
func (d *Device) Address() netip.Prefix { return d.addr }

// Dropped returns how many packets Read discarded because they did not
// fit the caller's buffer.
func (d *Device) Dropped() uint64 { return d.dropped.Load() }

// Read blocks until the kernel routes an IP packet to the device, copies
// it into buf and returns its length. buf should be longer than MTU: a
// packet that does not fit is dropped and counted (Dropped), never
// returned truncated. After Close, Read returns net.ErrClosed.
func (d *Device) Read(buf []byte) (int, error) {
	for {
		n, err := d.rwc.Read(buf)
		if err != nil {
			if d.closed.Load() {
				return 0, net.ErrClosed
			}
			return 0, fmt.Errorf("read from %s: %w", d.name, err)
		}
		if n == 0 {
			continue
		}
		if truncated(buf[:n]) {
			d.dropped.Add(1)
			continue
		}
		return n, nil
	}
}

// Write injects one IP packet (IPv4 or IPv6, no link header) into the
// kernel as if it had arrived on the device. It does not keep pkt. The
// kernel rejects packets that are not IP. After Close, Write returns
// net.ErrClosed.
func (d *Device) Write(pkt []byte) (int, error) {
	n, err := d.rwc.Write(pkt)
	if err != nil {
		if d.closed.Load() {
			return 0, net.ErrClosed
		}
		return n, fmt.Errorf("write to %s: %w", d.name, err)
	}
	return n, nil
}

// Close closes the device, which removes it from the system, and unblocks
// Read. It is idempotent.
func (d *Device) Close() error {
	d.closeOnce.Do(func() {
		d.closed.Store(true)
		d.closeErr = d.rwc.Close()
	})
	return d.closeErr
}

// truncated reports whether the IP packet p is shorter than the length its
// header states: the kernel cut it to fit the reader's buffer. An IPv4
// or IPv6 packet shorter than its fixed header counts as truncated; other
// versions are left to the caller. p is not empty.
func truncated(p []byte) bool {
	switch p[0] >> 4 {
	case 4:
		if len(p) < 20 {
			return true
		}
		return int(p[2])<<8|int(p[3]) > len(p)
	case 6:
		if len(p) < 40 {
			return true
		}
		return 40+(int(p[4])<<8|int(p[5])) > len(p)
	}
	return false
}
