// Package ifacetest provides in-memory interfaces for tests: connected
// pairs of iface.Interface values that deliver packets through bounded
// queues, with optional loss, and a medium-less Mock that records what is
// sent on it. Only tests and test harnesses import it.
package ifacetest

import (
	"errors"
	"net"
	"sync"
	"sync/atomic"

	"github.com/mehr-net/mehr/rns/iface"
)

// ErrTooLarge is returned by Send for packets over the interface's MTU.
var ErrTooLarge = errors.New("ifacetest: packet exceeds MTU")

// Config describes one end of a pair.
type Config struct {
	Name    string
	MTU     int        // 0 means 500
	Bitrate int64      // 0 means 10 Mbit/s
	Mode    iface.Mode // 0 means ModeFull
	Queue   int        // receive queue length; 0 means 256
	// Drop, if set, is asked for every packet sent towards this end and
	// drops it when it returns true. It may be called concurrently.
	Drop func(pkt []byte) bool
}

// Pipe is one end of an in-memory link.
type Pipe struct {
	cfg  Config
	peer *Pipe
	rx   chan []byte

	closeOnce sync.Once
	closed    chan struct{}

	// Sent and Received count packets; Dropped counts queue overflows and
	// packets dropped by Config.Drop on the way to this end.
	Sent, Received, Dropped atomic.Uint64
}

var _ iface.Interface = (*Pipe)(nil)

// NewPair returns two connected ends.
func NewPair(a, b Config) (*Pipe, *Pipe) {
	pa, pb := newPipe(a), newPipe(b)
	pa.peer, pb.peer = pb, pa
	return pa, pb
}

func newPipe(c Config) *Pipe {
	if c.MTU == 0 {
		c.MTU = 500
	}
	if c.Bitrate == 0 {
		c.Bitrate = 10_000_000
	}
	if c.Mode == 0 {
		c.Mode = iface.ModeFull
	}
	if c.Queue == 0 {
		c.Queue = 256
	}
	return &Pipe{cfg: c, rx: make(chan []byte, c.Queue), closed: make(chan struct{})}
}

// Name implements iface.Interface.
func (p *Pipe) Name() string { return p.cfg.Name }

// MTU implements iface.Interface.
func (p *Pipe) MTU() int { return p.cfg.MTU }

// Bitrate implements iface.Interface.
func (p *Pipe) Bitrate() int64 { return p.cfg.Bitrate }

// Mode implements iface.Interface.
func (p *Pipe) Mode() iface.Mode { return p.cfg.Mode }

// Receive implements iface.Interface.
func (p *Pipe) Receive(buf []byte) (int, error) {
	for {
		select {
		case pkt := <-p.rx:
			if len(pkt) > len(buf) {
				p.Dropped.Add(1)
				continue
			}
			p.Received.Add(1)
			return copy(buf, pkt), nil
		case <-p.closed:
			return 0, net.ErrClosed
		}
	}
}

// Send implements iface.Interface. It never blocks: a full peer queue
// drops the packet, as a congested medium would.
func (p *Pipe) Send(pkt []byte) error {
	select {
	case <-p.closed:
		return net.ErrClosed
	default:
	}
	if len(pkt) > p.cfg.MTU {
		return ErrTooLarge
	}
	p.Sent.Add(1)
	q := p.peer
	if q.cfg.Drop != nil && q.cfg.Drop(pkt) {
		q.Dropped.Add(1)
		return nil
	}
	select {
	case q.rx <- append([]byte(nil), pkt...):
	case <-q.closed:
	default:
		q.Dropped.Add(1)
	}
	return nil
}

// Close implements iface.Interface. Closing one end leaves the other open;
// packets sent to a closed end vanish.
func (p *Pipe) Close() error {
	p.closeOnce.Do(func() { close(p.closed) })
	return nil
}
