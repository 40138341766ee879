// Package tuntest provides a channel-backed fake tun.Device for tests,
// modelled on wireguard-go's tun/tuntest: packets sent on Inbound are what
// the adapter reads "from the kernel", and packets the adapter writes come
// out of Outbound.
package tuntest

import (
	"fmt"
	"net"
	"sync"
	"sync/atomic"

	"github.com/mehr-net/mehr/tun"
)

// Device is a fake TUN device.
type Device struct {
	// Inbound carries packets to the adapter (Read); the test sends on it.
	Inbound chan []byte
	// Outbound carries packets the adapter wrote (Write), copied; the test
	// receives from it.
	Outbound chan []byte
	// Dropped counts written packets discarded because Outbound was full.
	Dropped atomic.Uint64

	mtu       int
	closeOnce sync.Once
	closed    chan struct{}
}

var _ tun.Device = (*Device)(nil)

// New returns a fake device with the given MTU (0 means 1280) and
// channels with room for queue packets each (0 means 256).
func New(mtu, queue int) *Device {
	if mtu == 0 {
		mtu = tun.MinMTU
	}
	if queue == 0 {
		queue = 256
	}
	return &Device{Inbound: make(chan []byte, queue), Outbound: make(chan []byte, queue), mtu: mtu, closed: make(chan struct{})}
}

// Read implements tun.Device: it returns the next packet sent on Inbound.
func (d *Device) Read(buf []byte) (int, error) {
	select {
	case <-d.closed:
		return 0, fmt.Errorf("tuntest: read: %w", net.ErrClosed)
	case p := <-d.Inbound:
		return copy(buf, p), nil
	}
}

// Write implements tun.Device: it queues a copy of pkt on Outbound, or
// drops it (counted) when Outbound is full, so that a test that stops
// reading never blocks the adapter.
func (d *Device) Write(pkt []byte) (int, error) {
	select {
	case <-d.closed:
		return 0, fmt.Errorf("tuntest: write: %w", net.ErrClosed)
	default:
	}
	select {
	case d.Outbound <- append([]byte(nil), pkt...):
	default:
		d.Dropped.Add(1)
	}
	return len(pkt), nil
}

// MTU implements tun.Device.
func (d *Device) MTU() int { return d.mtu }

// Close implements tun.Device; it is idempotent.
func (d *Device) Close() error {
	d.closeOnce.Do(func() { close(d.closed) })
	return nil
}
