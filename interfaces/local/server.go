package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mehr-net/mehr/rns/iface"
)

// Server is a shared instance's data socket: it listens where the
// reference's LocalServerInterface listens and turns every attached
// program into a *Conn.
type Server struct {
	cfg     Config
	name    string
	network string
	ln      net.Listener

	closeOnce sync.Once
	done      chan struct{}
	clients   atomic.Uint64 // numbers Unix clients, as the reference does
}

var _ iface.Listener = (*Server)(nil)

// Listen opens the shared instance's data socket. If another instance
// already listens there, the error matches ErrInUse (and
// syscall.EADDRINUSE); the reference then attaches to that instance with a
// Client instead.
func Listen(ctx context.Context, cfg Config) (*Server, error) {
	network, address, err := cfg.address()
	if err != nil {
		return nil, err
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, network, address)
	if err != nil {
		if isInUse(err) {
			return nil, fmt.Errorf("%w: %w", ErrInUse, err)
		}
		return nil, fmt.Errorf("local: listen: %w", err)
	}
	if network == "tcp" {
		address = ln.Addr().String()
	}
	s := &Server{cfg: cfg, network: network, ln: ln, done: make(chan struct{})}
	s.name = cfg.Name
	if s.name == "" {
		s.name = "Shared Instance[" + label(network, address) + "]"
	}
	cfg.logf("local: %s listening on %s %q", s.name, network, address)
	return s, nil
}

// Name implements iface.Listener.
func (s *Server) Name() string { return s.name }

// Addr returns the address the server listens on; for TCP it holds the
// port the kernel chose when Config.Addr asked for port 0.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Accept implements iface.Listener. It returns a *Conn for the next
// attached program. Transient errors (such as running out of file
// descriptors) are retried with a backoff of up to one second. After Close
// it returns net.ErrClosed.
func (s *Server) Accept() (iface.Interface, error) {
	backoff := 5 * time.Millisecond
	for {
		c, err := s.ln.Accept()
		if err == nil {
			return s.newConn(c), nil
		}
		select {
		case <-s.done:
			return nil, net.ErrClosed
		default:
		}
		if isClosedErr(err) {
			return nil, net.ErrClosed
		}
		s.cfg.logf("local: %s: accept: %v; retrying in %v", s.name, err, backoff)
		t := time.NewTimer(backoff)
		select {
		case <-t.C:
		case <-s.done:
			t.Stop()
			return nil, net.ErrClosed
		}
		if backoff *= 2; backoff > time.Second {
			backoff = time.Second
		}
	}
}

// Close implements iface.Listener: it stops accepting and unblocks Accept.
// Conns already returned stay attached. It is idempotent.
func (s *Server) Close() error {
	var err error
	s.closeOnce.Do(func() {
		close(s.done)
		err = s.ln.Close()
	})
	return err
}

func (s *Server) newConn(c net.Conn) *Conn {
	var id string
	if s.network == "tcp" {
		// The reference names a TCP client after its source port.
		id = label("tcp", c.RemoteAddr().String())
	} else {
		id = strconv.FormatUint(s.clients.Add(1)-1, 10) + "@" + label(s.network, s.ln.Addr().String())
	}
	lc := &Conn{
		name:   s.name + "/" + id,
		mode:   s.cfg.mode(),
		logf:   s.cfg.logf,
		c:      c,
		rd:     newReader(),
		wr:     writer{timeout: s.cfg.writeTimeout()},
		closed: make(chan struct{}),
	}
	s.cfg.logf("local: %s: client attached", lc.name)
	return lc
}

// Conn is one program attached to a Server. It implements iface.Interface,
// iface.Local (IsLocalClient is true), iface.MTUAutoconfigurer and
// iface.Stats.
type Conn struct {
	name string
	mode iface.Mode
	logf func(format string, args ...any)
	c    net.Conn
	rd   *reader // used only by the goroutine calling Receive
	wr   writer
	st   counters

	closeOnce sync.Once
	closed    chan struct{}
	gone      atomic.Bool // the client went away
}

var (
	_ iface.Interface         = (*Conn)(nil)
	_ iface.Local             = (*Conn)(nil)
	_ iface.MTUAutoconfigurer = (*Conn)(nil)
	_ iface.Stats             = (*Conn)(nil)
)

// Name implements iface.Interface: the server's name, a slash, and the
// client's source port (TCP) or its number and socket name (Unix).
func (c *Conn) Name() string { return c.name }

// MTU implements iface.Interface; it is HWMTU.
func (c *Conn) MTU() int { return HWMTU }

// Bitrate implements iface.Interface; it is Bitrate.
func (c *Conn) Bitrate() int64 { return Bitrate }

// Mode implements iface.Interface.
func (c *Conn) Mode() iface.Mode { return c.mode }

// IsLocalClient implements iface.Local; it is always true.
func (c *Conn) IsLocalClient() bool { return true }

// AutoconfigureMTU implements iface.MTUAutoconfigurer; local interfaces
// let links negotiate large MTUs, as the reference's do.
func (c *Conn) AutoconfigureMTU() bool { return true }

// Counters implements iface.Stats.
func (c *Conn) Counters() iface.Counters { return c.st.snapshot() }

// Receive implements iface.Interface. It must be called from one goroutine
// at a time. When the client goes away it returns an error matching both
// ErrDetached and net.ErrClosed, and keeps returning it; after Close it
// returns net.ErrClosed.
func (c *Conn) Receive(buf []byte) (int, error) {
	select {
	case <-c.closed:
		return 0, net.ErrClosed
	default:
	}
	if c.gone.Load() {
		return 0, errGone
	}
	n, err := c.rd.next(c.c, buf, &c.st)
	if err == nil {
		return n, nil
	}
	select {
	case <-c.closed:
		return 0, net.ErrClosed
	default:
	}
	if errors.Is(err, io.EOF) || isClosedErr(err) {
		c.logf("local: %s: client detached", c.name)
	} else {
		c.logf("local: %s: client detached: %v", c.name, err)
	}
	c.gone.Store(true)
	c.c.Close()
	return 0, errGone
}

// Send implements iface.Interface. It may be called concurrently. A write
// that fails or times out detaches the client.
func (c *Conn) Send(pkt []byte) error {
	select {
	case <-c.closed:
		return net.ErrClosed
	default:
	}
	if c.gone.Load() {
		return errGone
	}
	if err := c.wr.write(c.c, pkt, &c.st); err != nil {
		if errors.Is(err, ErrTooLarge) {
			return err
		}
		c.st.dropped.Add(1)
		c.gone.Store(true)
		c.c.Close() // Receive sees the stream end and reports the client gone
		return fmt.Errorf("local: %s: %w", c.name, err)
	}
	return nil
}

// Close implements iface.Interface: it detaches the client and unblocks
// Receive. It is idempotent.
func (c *Conn) Close() error {
	c.closeOnce.Do(func() {
		close(c.closed)
		c.c.Close()
	})
	return nil
}
