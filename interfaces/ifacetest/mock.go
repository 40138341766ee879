package ifacetest

import (
	"net"
	"sync"

	"github.com/mehr-net/mehr/rns/iface"
)

// MockConfig describes a Mock.
type MockConfig struct {
	Name    string
	MTU     int        // 0 means 500
	Bitrate int64      // 0 means 10 Mbit/s
	Mode    iface.Mode // 0 means ModeFull
	// LocalClient makes the mock a shared-instance client interface
	// (iface.Local), as a program attached to this node would be.
	LocalClient bool
	// SharedInstance makes the mock this node's connection to a shared
	// instance (iface.SharedInstance), which then does its routing and
	// filtering.
	SharedInstance bool
	// AutoMTU makes the mock autoconfigure its MTU (iface.MTUAutoconfigurer).
	AutoMTU bool
}

// Mock is an interface with no medium: what transport sends on it is
// captured for Drain, and nothing is ever received from it (Receive blocks
// until Close); a harness hands frames to transport itself, with
// transport.Transport.InboundFrame. It is safe for concurrent use.
type Mock struct {
	cfg MockConfig

	mu     sync.Mutex
	tx     [][]byte
	closed chan struct{}
	once   sync.Once
}

var (
	_ iface.Interface         = (*Mock)(nil)
	_ iface.Local             = (*Mock)(nil)
	_ iface.MTUAutoconfigurer = (*Mock)(nil)
	_ iface.SharedInstance    = (*Mock)(nil)
)

// NewMock returns a Mock.
func NewMock(c MockConfig) *Mock {
	if c.MTU == 0 {
		c.MTU = 500
	}
	if c.Bitrate == 0 {
		c.Bitrate = 10_000_000
	}
	if c.Mode == 0 {
		c.Mode = iface.ModeFull
	}
	return &Mock{cfg: c, closed: make(chan struct{})}
}

// Name implements iface.Interface.
func (m *Mock) Name() string { return m.cfg.Name }

// MTU implements iface.Interface.
func (m *Mock) MTU() int { return m.cfg.MTU }

// Bitrate implements iface.Interface.
func (m *Mock) Bitrate() int64 { return m.cfg.Bitrate }

// Mode implements iface.Interface.
func (m *Mock) Mode() iface.Mode { return m.cfg.Mode }

// IsLocalClient implements iface.Local.
func (m *Mock) IsLocalClient() bool { return m.cfg.LocalClient }

// IsSharedInstance implements iface.SharedInstance.
func (m *Mock) IsSharedInstance() bool { return m.cfg.SharedInstance }

// AutoconfigureMTU implements iface.MTUAutoconfigurer.
func (m *Mock) AutoconfigureMTU() bool { return m.cfg.AutoMTU }

// Receive implements iface.Interface: it blocks until Close, then returns
// net.ErrClosed.
func (m *Mock) Receive(buf []byte) (int, error) {
	<-m.closed
	return 0, net.ErrClosed
}

// Send implements iface.Interface: it records a copy of pkt.
func (m *Mock) Send(pkt []byte) error {
	select {
	case <-m.closed:
		return net.ErrClosed
	default:
	}
	m.mu.Lock()
	m.tx = append(m.tx, append([]byte(nil), pkt...))
	m.mu.Unlock()
	return nil
}

// Drain returns what was sent since the last Drain, oldest first.
func (m *Mock) Drain() [][]byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := m.tx
	m.tx = nil
	return out
}

// Close implements iface.Interface. It is idempotent.
func (m *Mock) Close() error {
	m.once.Do(func() { close(m.closed) })
	return nil
}
