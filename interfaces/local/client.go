package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/mehr-net/mehr/rns/iface"
)

// dialTimeout bounds one connection attempt to a local socket.
const dialTimeout = 5 * time.Second

// Client attaches to a running shared instance, ours or the reference's,
// as the reference's LocalClientInterface does. It implements
// iface.Interface, iface.MTUAutoconfigurer and iface.Stats.
//
// When the shared instance goes away, Receive (on the caller's goroutine)
// calls Config.OnDetach, then tries to reconnect every ReconnectWait until
// it succeeds or the Client is closed, and calls Config.OnReattach once it
// is attached again. Send fails with ErrDetached meanwhile.
type Client struct {
	cfg     Config
	name    string
	network string
	address string
	wait    time.Duration
	rd      *reader // used only by the goroutine calling Receive
	wr      writer
	st      counters

	ctx    context.Context // canceled by Close; bounds reconnection dials
	cancel context.CancelFunc

	// mu guards the following fields.
	mu     sync.Mutex
	conn   net.Conn // nil while detached
	closed bool
}

var (
	_ iface.Interface         = (*Client)(nil)
	_ iface.MTUAutoconfigurer = (*Client)(nil)
	_ iface.Stats             = (*Client)(nil)
)

// Dial attaches to the shared instance that cfg describes. It fails if
// none is reachable now, as the reference then runs as a standalone
// instance instead; once attached, the Client reconnects by itself.
func Dial(ctx context.Context, cfg Config) (*Client, error) {
	network, address, err := cfg.address()
	if err != nil {
		return nil, err
	}
	c := &Client{
		cfg:     cfg,
		network: network,
		address: address,
		wait:    cfg.ReconnectWait,
		rd:      newReader(),
		wr:      writer{timeout: cfg.writeTimeout()},
	}
	if c.wait <= 0 {
		c.wait = DefaultReconnectWait
	}
	c.name = cfg.Name
	if c.name == "" {
		c.name = "LocalInterface[" + label(network, address) + "]"
	}
	conn, err := c.dial(ctx)
	if err != nil {
		return nil, fmt.Errorf("local: attach to shared instance at %s %q: %w", network, address, err)
	}
	c.conn = conn
	c.ctx, c.cancel = context.WithCancel(context.Background())
	cfg.logf("local: %s: attached to shared instance", c.name)
	return c, nil
}

func (c *Client) dial(ctx context.Context) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, dialTimeout)
	defer cancel()
	var d net.Dialer
	return d.DialContext(ctx, c.network, c.address)
}

// Name implements iface.Interface.
func (c *Client) Name() string { return c.name }

// MTU implements iface.Interface; it is HWMTU.
func (c *Client) MTU() int { return HWMTU }

// Bitrate implements iface.Interface; it is Bitrate.
func (c *Client) Bitrate() int64 { return Bitrate }

// Mode implements iface.Interface.
func (c *Client) Mode() iface.Mode { return c.cfg.mode() }

// AutoconfigureMTU implements iface.MTUAutoconfigurer.
func (c *Client) AutoconfigureMTU() bool { return true }

// IsSharedInstance implements iface.SharedInstance: the client is this
// program's attachment to a shared instance.
func (c *Client) IsSharedInstance() bool { return true }

// Counters implements iface.Stats.
func (c *Client) Counters() iface.Counters { return c.st.snapshot() }

// Attached reports whether the Client is connected to its shared instance
// right now.
func (c *Client) Attached() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.conn != nil
}

// Receive implements iface.Interface. It must be called from one goroutine
// at a time; that goroutine also reconnects after the shared instance goes
// away, blocking meanwhile. After Close it returns net.ErrClosed.
func (c *Client) Receive(buf []byte) (int, error) {
	for {
		c.mu.Lock()
		conn, closed := c.conn, c.closed
		c.mu.Unlock()
		if closed {
			return 0, net.ErrClosed
		}
		if conn == nil {
			if err := c.reconnect(); err != nil {
				return 0, err
			}
			continue
		}
		n, err := c.rd.next(conn, buf, &c.st)
		if err == nil {
			return n, nil
		}
		c.detach(conn, err)
	}
}

// detach drops conn after its stream ended with err.
func (c *Client) detach(conn net.Conn, err error) {
	conn.Close()
	c.mu.Lock()
	if c.closed || c.conn != conn {
		c.mu.Unlock()
		return
	}
	c.conn = nil
	c.mu.Unlock()
	if errors.Is(err, io.EOF) || isClosedErr(err) {
		c.cfg.logf("local: %s: shared instance went away; reconnecting", c.name)
	} else {
		c.cfg.logf("local: %s: shared instance lost (%v); reconnecting", c.name, err)
	}
	if c.cfg.OnDetach != nil {
		c.cfg.OnDetach()
	}
}

// reconnect waits ReconnectWait before every attempt, as the reference
// does, until an attempt succeeds or the Client is closed.
func (c *Client) reconnect() error {
	t := time.NewTimer(c.wait)
	defer t.Stop()
	for attempt := 1; ; attempt++ {
		select {
		case <-t.C:
		case <-c.ctx.Done():
			return net.ErrClosed
		}
		conn, err := c.dial(c.ctx)
		if err != nil {
			if c.ctx.Err() != nil {
				return net.ErrClosed
			}
			c.cfg.logf("local: %s: reconnection attempt %d failed: %v", c.name, attempt, err)
			t.Reset(c.wait)
			continue
		}
		c.mu.Lock()
		if c.closed {
			c.mu.Unlock()
			conn.Close()
			return net.ErrClosed
		}
		c.conn = conn
		c.mu.Unlock()
		c.rd.reset()
		c.cfg.logf("local: %s: reattached to shared instance", c.name)
		if c.cfg.OnReattach != nil {
			c.cfg.OnReattach()
		}
		return nil
	}
}

// Send implements iface.Interface. It may be called concurrently. While
// the Client is reconnecting it returns ErrDetached; a failed write drops
// the connection, and Receive reconnects.
func (c *Client) Send(pkt []byte) error {
	c.mu.Lock()
	conn, closed := c.conn, c.closed
	c.mu.Unlock()
	switch {
	case closed:
		return net.ErrClosed
	case conn == nil:
		c.st.dropped.Add(1)
		return ErrDetached
	}
	if err := c.wr.write(conn, pkt, &c.st); err != nil {
		if errors.Is(err, ErrTooLarge) {
			return err
		}
		c.st.dropped.Add(1)
		conn.Close() // Receive sees the stream end and reconnects
		return fmt.Errorf("local: %s: %w", c.name, err)
	}
	return nil
}

// Close implements iface.Interface: it detaches from the shared instance,
// stops reconnecting and unblocks Receive. It is idempotent.
func (c *Client) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	conn := c.conn
	c.conn = nil
	c.mu.Unlock()
	c.cancel()
	if conn != nil {
		conn.Close()
	}
	return nil
}
