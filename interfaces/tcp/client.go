package tcp

// Data flow of one Client:
//
//	Send (any goroutine)      frame appended to the write queue wq under
//	                          wmu; wakes routineWrite. Blocks while more
//	                          than maxQueued bytes wait (backpressure).
//	routineWrite              takes everything queued and writes it to the
//	                          current connection in one Write, so a burst
//	                          of packets costs one syscall and the sender
//	                          goes on framing the next ones meanwhile; a
//	                          write error takes the connection down.
//	Receive (one goroutine)   Read into rbuf, decode frames in place, copy
//	                          one frame to the caller's buffer; a read error
//	                          or EOF takes the connection down and Receive
//	                          waits for the next connection.
//	routineDial (initiators)  woken when the connection goes down; dials
//	                          with backoff until it is up again, the client
//	                          is closed or it runs out of attempts.
//
// The current connection, its generation and the reason the interface is
// dead live under mu; every change closes and replaces the changed channel
// so that waiters (Receive, WaitConnected) wake up. Receive resets its
// decoder whenever the generation changes, so a frame cut short by a
// disconnect is never glued to bytes of the next connection.

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mehr-net/mehr/interfaces/framing"
	"github.com/mehr-net/mehr/rns/iface"
)

var (
	_ iface.Interface         = (*Client)(nil)
	_ iface.Stats             = (*Client)(nil)
	_ iface.MTUAutoconfigurer = (*Client)(nil)
)

// Errors stored as a dead interface's reason; preallocated so that the
// Receive and Send paths never format errors.
var (
	errPeerClosed = fmt.Errorf("%w (%w)", ErrPeerClosed, net.ErrClosed)
	errGaveUp     = fmt.Errorf("%w (%w)", ErrReconnectLimit, net.ErrClosed)
)

// Client is a TCP interface: either a connection this node initiated with
// NewClient, which reconnects when it drops, or one a Server accepted,
// which does not.
type Client struct {
	s         settings
	name      string
	addr      string // dial target; empty for spawned interfaces
	initiator bool

	ctx       context.Context // cancelled by Close; bounds dials
	cancel    context.CancelFunc
	redial    chan struct{} // wakes routineDial; buffered, never closed
	wg        sync.WaitGroup
	closeOnce sync.Once
	closed    atomic.Bool // set by Close; lets Receive stop before using buffered bytes

	// mu guards the following fields. Lock ordering: wmu, then mu.
	mu      sync.Mutex
	conn    net.Conn      // nil while down
	gen     uint64        // incremented for every new connection
	dead    error         // why the interface cannot come back up; nil while it can
	changed chan struct{} // closed and replaced whenever conn or dead changes

	// wmu guards the write queue: frames for connection generation wgen
	// waiting for routineWrite, and the writer's second buffer.
	wmu    sync.Mutex
	wq     []byte
	wgen   uint64
	wspare []byte
	wroom  *sync.Cond    // on wmu; broadcast when the writer takes wq
	wake   chan struct{} // wakes routineWrite; buffered, never closed
	wdone  chan struct{} // closed by stopWriter; stops routineWrite
	wgone  chan struct{} // closed when routineWrite has returned
	wstop  sync.Once

	// Receive state, owned by the one goroutine that calls Receive.
	rbuf     []byte // read buffer
	pending  []byte // unconsumed bytes of the last read, aliasing rbuf
	rgen     uint64 // connection generation the decoder is synchronised to
	hdlc     framing.HDLCDecoder
	kiss     framing.KISSDecoder
	lastDisc uint64 // decoder's Discarded count already added to stats

	st stats
}

// stats are the counters behind Counters and Stats, kept in atomics so
// that readers never contend with the data path.
type stats struct {
	rxPackets, rxBytes, txPackets, txBytes atomic.Uint64
	tooShort, tooLarge, oversize, ignored  atomic.Uint64
	discarded, connects                    atomic.Uint64
}

// Stats are a TCP interface's counters in detail.
type Stats struct {
	// Counters are the totals of iface.Stats. Byte counts are packet
	// bytes, without framing. Dropped is the sum of the four drop
	// counters below.
	iface.Counters
	// TooShort counts frames of 19 bytes or fewer, dropped as the
	// reference drops them.
	TooShort uint64
	// TooLarge counts frames longer than MTU plus the IFAC size.
	TooLarge uint64
	// Oversize counts frames longer than the buffer Receive was given.
	Oversize uint64
	// Ignored counts KISS frames with a command other than data.
	Ignored uint64
	// Discarded counts bytes received outside any frame.
	Discarded uint64
	// Connects counts connections established.
	Connects uint64
}

func newClient(s settings, name string) *Client {
	c := &Client{s: s, name: name, changed: make(chan struct{}),
		wake: make(chan struct{}, 1), wdone: make(chan struct{}), wgone: make(chan struct{})}
	c.wroom = sync.NewCond(&c.wmu)
	c.hdlc = framing.HDLCDecoder{MaxFrame: s.maxFrame, MinFrame: framing.TCPMinFrame}
	c.kiss = framing.KISSDecoder{MaxFrame: s.maxFrame, StripPort: true}
	c.wg.Add(1)
	go c.routineWrite()
	return c
}

// NewClient returns a client interface connecting to cfg.Addr.
//
// Like the reference, it makes the first connection attempt before
// returning, bounded by ctx and cfg.ConnectTimeout. If that attempt fails
// the client is returned all the same, down, and keeps trying in the
// background; use WaitConnected to wait for it. NewClient returns an error
// only for a bad configuration or when ctx ends first.
func NewClient(ctx context.Context, cfg Config) (*Client, error) {
	s, err := cfg.settings()
	if err != nil {
		return nil, err
	}
	host, _, err := splitAddr(cfg.Addr, false)
	if err != nil {
		return nil, err
	}
	if host == "" {
		return nil, fmt.Errorf("%w %q: no host to connect to", ErrBadAddress, cfg.Addr)
	}
	c := newClient(s, s.name)
	c.addr = cfg.Addr
	c.initiator = true
	c.redial = make(chan struct{}, 1)
	c.ctx, c.cancel = context.WithCancel(context.Background())

	conn, err := c.dial(ctx)
	if ctxErr := ctx.Err(); ctxErr != nil {
		if conn != nil {
			conn.Close()
		}
		c.Close()
		return nil, fmt.Errorf("tcp %s: connect to %s: %w", c.name, c.addr, ctxErr)
	}
	if err != nil {
		s.logf("tcp %s: initial connection to %s failed, retrying: %v", c.name, c.addr, err)
		c.redial <- struct{}{}
	} else {
		c.up(conn)
	}
	c.wg.Add(1)
	go c.routineDial()
	return c, nil
}

// spawn wraps a connection accepted by a server.
func spawn(s settings, name string, conn net.Conn) *Client {
	c := newClient(s, name)
	tune(conn, s)
	c.up(conn)
	return c
}

// Name implements iface.Interface.
func (c *Client) Name() string { return c.name }

// MTU implements iface.Interface. It is the hardware MTU the reference
// derives from the bitrate, or Config.FixedMTU.
func (c *Client) MTU() int { return c.s.mtu }

// FixedMTU reports whether the MTU was pinned by Config.FixedMTU rather
// than derived from the bitrate (the reference's FIXED_MTU).
func (c *Client) FixedMTU() bool { return c.s.fixedMTU }

// Bitrate implements iface.Interface.
func (c *Client) Bitrate() int64 { return c.s.bitrate }

// Mode implements iface.Interface.
func (c *Client) Mode() iface.Mode { return c.s.mode }

// AutoconfigureMTU implements iface.MTUAutoconfigurer. It is always true:
// the reference's TCP interfaces autoconfigure their MTU, and with a fixed
// MTU they set FIXED_MTU, which its transport treats the same way.
func (c *Client) AutoconfigureMTU() bool { return true }

// Counters implements iface.Stats.
func (c *Client) Counters() iface.Counters { return c.Stats().Counters }

// Stats returns the interface's counters in detail.
func (c *Client) Stats() Stats {
	st := Stats{
		Counters: iface.Counters{
			RxPackets: c.st.rxPackets.Load(), RxBytes: c.st.rxBytes.Load(),
			TxPackets: c.st.txPackets.Load(), TxBytes: c.st.txBytes.Load(),
		},
		TooShort: c.st.tooShort.Load(), TooLarge: c.st.tooLarge.Load(),
		Oversize: c.st.oversize.Load(), Ignored: c.st.ignored.Load(),
		Discarded: c.st.discarded.Load(), Connects: c.st.connects.Load(),
	}
	st.Dropped = st.TooShort + st.TooLarge + st.Oversize + st.Ignored
	return st
}

// Connected reports whether the interface has a connection right now.
func (c *Client) Connected() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.conn != nil
}

// WaitConnected blocks until the interface is connected, returning nil, or
// until ctx ends or the interface is closed or gives up, returning why.
func (c *Client) WaitConnected(ctx context.Context) error {
	for {
		c.mu.Lock()
		conn, dead, changed := c.conn, c.dead, c.changed
		c.mu.Unlock()
		switch {
		case conn != nil:
			return nil
		case dead != nil:
			return dead
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// WaitDisconnected blocks until the interface has no connection, returning
// nil, or until ctx ends, returning its error. A closed or dead interface
// counts as disconnected.
func (c *Client) WaitDisconnected(ctx context.Context) error {
	for {
		c.mu.Lock()
		conn, changed := c.conn, c.changed
		c.mu.Unlock()
		if conn == nil {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Receive implements iface.Interface. It blocks until a frame arrives and
// copies its packet into buf; frames longer than buf are dropped and
// counted. While a client reconnects, Receive keeps blocking. It returns
// net.ErrClosed after Close, and an error matching both net.ErrClosed and
// ErrPeerClosed (spawned interfaces) or ErrReconnectLimit once the
// interface cannot come back. Receive must not be called concurrently with
// itself.
func (c *Client) Receive(buf []byte) (int, error) {
	for {
		if c.closed.Load() {
			return 0, net.ErrClosed
		}
		for len(c.pending) > 0 {
			frame := c.decode()
			if frame == nil {
				continue
			}
			if len(frame) > len(buf) {
				c.st.oversize.Add(1)
				continue
			}
			n := copy(buf, frame)
			c.st.rxPackets.Add(1)
			c.st.rxBytes.Add(uint64(n))
			return n, nil
		}
		conn, gen, err := c.current()
		if err != nil {
			return 0, err
		}
		if gen != c.rgen {
			c.rgen = gen
			c.hdlc.Reset()
			c.kiss.Reset()
		}
		if c.rbuf == nil {
			c.rbuf = make([]byte, readBufSize)
		}
		n, err := conn.Read(c.rbuf)
		if n > 0 {
			// A read error that came with data shows again on the next
			// read, after the data is used.
			c.pending = c.rbuf[:n]
			continue
		}
		if err != nil {
			c.lost(conn, err)
		}
	}
}

// decode consumes pending bytes up to the end of the next frame and
// returns that frame's packet, or nil if the bytes ran out first or the
// frame was dropped.
func (c *Client) decode() []byte {
	var (
		frame []byte
		disc  uint64
	)
	if c.s.kiss {
		n, cmd, p, err := c.kiss.Decode(c.pending)
		c.pending = c.pending[n:]
		disc = c.kiss.Stats().Discarded
		switch {
		case err != nil:
			c.st.tooLarge.Add(1)
		case p == nil:
		case cmd != framing.KISSCmdData:
			c.st.ignored.Add(1)
		case len(p) < framing.TCPMinFrame:
			// The reference's KISS reader passes short frames on and its
			// transport discards them; drop them here like HDLC ones.
			c.st.tooShort.Add(1)
		default:
			frame = p
		}
	} else {
		n, f, err := c.hdlc.Decode(c.pending)
		c.pending = c.pending[n:]
		disc = c.hdlc.Stats().Discarded
		switch err {
		case nil:
			frame = f
		case framing.ErrFrameTooShort:
			c.st.tooShort.Add(1)
		default:
			c.st.tooLarge.Add(1)
		}
	}
	if disc != c.lastDisc {
		c.st.discarded.Add(disc - c.lastDisc)
		c.lastDisc = disc
	}
	return frame
}

// current blocks until there is a connection, returning it with its
// generation, or until the interface is dead, returning why.
func (c *Client) current() (net.Conn, uint64, error) {
	for {
		c.mu.Lock()
		conn, gen, dead, changed := c.conn, c.gen, c.dead, c.changed
		c.mu.Unlock()
		if dead != nil {
			return nil, 0, dead
		}
		if conn != nil {
			return conn, gen, nil
		}
		<-changed
	}
}

// Send implements iface.Interface. It frames pkt and writes it in one
// call; pkt is not kept. Send returns ErrTooLarge for a packet longer than
// MTU plus the IFAC size, ErrNotConnected while a client reconnects, and
// net.ErrClosed after Close. A failed write takes the connection down. Send
// is safe for concurrent use; writes are serialised.
func (c *Client) Send(pkt []byte) error {
	if len(pkt) > c.s.maxFrame {
		return ErrTooLarge
	}
	c.mu.Lock()
	conn, gen, dead := c.conn, c.gen, c.dead
	c.mu.Unlock()
	if conn == nil {
		if dead != nil {
			return dead
		}
		return ErrNotConnected
	}

	c.wmu.Lock()
	for len(c.wq) >= maxQueued && !c.closed.Load() {
		c.wroom.Wait()
	}
	if c.closed.Load() {
		c.wmu.Unlock()
		return net.ErrClosed
	}
	if gen != c.wgen {
		// Frames queued for a connection that has gone are dropped, as
		// a failed write drops them.
		c.wq, c.wgen = c.wq[:0], gen
	}
	c.wq = c.frame(c.wq, pkt)
	c.wmu.Unlock()
	c.wakeWriter()
	c.st.txPackets.Add(1)
	c.st.txBytes.Add(uint64(len(pkt)))
	return nil
}

// frame appends pkt framed for the wire to dst.
func (c *Client) frame(dst, pkt []byte) []byte {
	if c.s.kiss {
		return framing.AppendKISS(dst, framing.KISSCmdData, pkt)
	}
	return framing.AppendHDLC(dst, pkt)
}

// write writes b to conn within the write timeout.
func (c *Client) write(conn net.Conn, b []byte) error {
	if c.s.writeTO > 0 {
		if err := conn.SetWriteDeadline(time.Now().Add(c.s.writeTO)); err != nil {
			return err
		}
	}
	_, err := conn.Write(b)
	return err
}

func (c *Client) wakeWriter() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// maxQueued is how many framed bytes Send queues before it waits for the
// writer: enough for a window of resource parts at the largest MTU, little
// beside the socket buffers.
const maxQueued = 256 << 10

// routineWrite writes the queued frames, batch after batch, until Close.
func (c *Client) routineWrite() {
	defer c.wg.Done()
	defer close(c.wgone)
	for {
		select {
		case <-c.wake:
		case <-c.wdone:
			c.wmu.Lock()
			batch, gen := c.wq, c.wgen
			c.wq = nil
			c.wroom.Broadcast()
			c.wmu.Unlock()
			c.flush(batch, gen)
			return
		}
		for {
			c.wmu.Lock()
			if len(c.wq) == 0 {
				c.wmu.Unlock()
				break
			}
			batch, gen := c.wq, c.wgen
			c.wq, c.wspare = c.wspare[:0], nil
			c.wroom.Broadcast()
			c.wmu.Unlock()
			c.mu.Lock()
			conn, cur := c.conn, c.gen
			c.mu.Unlock()
			if conn != nil && cur == gen {
				if err := c.write(conn, batch); err != nil {
					c.lost(conn, err)
				}
			}
			c.wmu.Lock()
			c.wspare = batch[:0]
			c.wmu.Unlock()
		}
	}
}

// flushTimeout bounds how long Close spends writing what was queued
// before it: a link teardown sent just before shutting down should reach
// the peer, but a peer that stopped reading must not hold Close up.
const flushTimeout = time.Second

// flush writes frames queued before Close, if their connection is still
// the current one.
func (c *Client) flush(batch []byte, gen uint64) {
	if len(batch) == 0 {
		return
	}
	c.mu.Lock()
	conn, cur := c.conn, c.gen
	c.mu.Unlock()
	if conn == nil || cur != gen {
		return
	}
	if conn.SetWriteDeadline(time.Now().Add(flushTimeout)) == nil {
		conn.Write(batch)
	}
}

// Close implements iface.Interface. It writes out the frames already
// queued (for at most flushTimeout), closes the connection, stops
// reconnecting, unblocks Receive and waits for routineDial to return. It
// is idempotent.
func (c *Client) Close() error {
	c.closeOnce.Do(func() {
		c.closed.Store(true)
		c.stopWriter()
		// Let the writer flush the queue before the connection goes; a
		// write stuck on a peer that stopped reading is cut short by
		// closing the connection below.
		select {
		case <-c.wgone:
		case <-time.After(flushTimeout):
		}
		c.mu.Lock()
		conn := c.conn
		c.conn = nil
		c.dead = net.ErrClosed
		c.notifyLocked()
		c.mu.Unlock()
		if c.cancel != nil {
			c.cancel()
		}
		if conn != nil {
			conn.Close()
		}
	})
	c.wg.Wait()
	return nil
}

// stopWriter ends routineWrite: the client is closed or dead for good.
func (c *Client) stopWriter() { c.wstop.Do(func() { close(c.wdone) }) }

// notifyLocked wakes every waiter on changed. c.mu must be held.
func (c *Client) notifyLocked() {
	close(c.changed)
	c.changed = make(chan struct{})
}

// up installs a new connection. It closes conn and returns false if the
// interface is dead.
func (c *Client) up(conn net.Conn) bool {
	c.mu.Lock()
	if c.dead != nil {
		c.mu.Unlock()
		conn.Close()
		return false
	}
	c.conn = conn
	c.gen++
	// Counted before the waiters wake, so that whoever WaitConnected
	// released sees it in Stats.
	c.st.connects.Add(1)
	c.notifyLocked()
	c.mu.Unlock()
	c.s.logf("tcp %s: connected to %s", c.name, conn.RemoteAddr())
	return true
}

// lost takes conn down after an I/O error, unless it is no longer the
// current connection. An initiator reconnects; a spawned interface is dead.
func (c *Client) lost(conn net.Conn, cause error) {
	c.mu.Lock()
	if c.conn != conn {
		c.mu.Unlock()
		return
	}
	c.conn = nil
	if !c.initiator && c.dead == nil {
		c.dead = errPeerClosed
		c.stopWriter()
	}
	c.notifyLocked()
	c.mu.Unlock()
	conn.Close()
	if c.initiator {
		c.s.logf("tcp %s: connection to %s lost, reconnecting: %v", c.name, c.addr, cause)
		select {
		case c.redial <- struct{}{}:
		default:
		}
	} else {
		c.s.logf("tcp %s: connection closed: %v", c.name, cause)
	}
}

// giveUp marks the interface dead after too many failed attempts.
func (c *Client) giveUp() {
	c.mu.Lock()
	if c.dead == nil {
		c.dead = errGaveUp
		c.notifyLocked()
		c.stopWriter()
	}
	c.mu.Unlock()
}

// routineDial reconnects whenever the connection goes down, until Close.
func (c *Client) routineDial() {
	defer c.wg.Done()
	c.s.logf("tcp %s: routineDial started", c.name)
	defer c.s.logf("tcp %s: routineDial stopped", c.name)
	for {
		select {
		case <-c.redial:
		case <-c.ctx.Done():
			return
		}
		if !c.reconnect() {
			return
		}
	}
}

// reconnect dials with backoff until connected (true), or until the client
// is closed or gives up (false).
func (c *Client) reconnect() bool {
	for attempt := 1; ; attempt++ {
		if c.Connected() {
			return true
		}
		t := time.NewTimer(c.backoff(attempt))
		select {
		case <-t.C:
		case <-c.ctx.Done():
			t.Stop()
			return false
		}
		conn, err := c.dial(c.ctx)
		if err == nil {
			return c.up(conn)
		}
		if c.ctx.Err() != nil {
			return false
		}
		c.s.logf("tcp %s: connection attempt %d to %s failed: %v", c.name, attempt, c.addr, err)
		if c.s.maxTries > 0 && attempt >= c.s.maxTries {
			c.s.logf("tcp %s: giving up after %d attempts", c.name, attempt)
			c.giveUp()
			return false
		}
	}
}

// backoff returns the delay before reconnect attempt n (from 1): the
// minimum doubled per earlier attempt, capped, minus up to half of it at
// random so that many clients of one server do not reconnect in step.
func (c *Client) backoff(n int) time.Duration {
	d := c.s.backMin
	for i := 1; i < n && d < c.s.backMax; i++ {
		d *= 2
	}
	d = min(d, c.s.backMax)
	half := d / 2
	return d - half + time.Duration(rand.Int64N(int64(half)+1))
}

// dial makes one connection attempt and sets the socket options.
func (c *Client) dial(ctx context.Context) (net.Conn, error) {
	d := net.Dialer{Timeout: c.s.timeout, KeepAlive: -1}
	conn, err := d.DialContext(ctx, "tcp", c.addr)
	if err != nil {
		return nil, err
	}
	tune(conn, c.s)
	return conn, nil
}

// tune sets the reference's socket options: no Nagle delay, keepalive
// probes and, on Linux, a user timeout. Failures are logged, not fatal,
// since the reference's options are not available everywhere.
func tune(conn net.Conn, s settings) {
	tc, ok := conn.(*net.TCPConn)
	if !ok {
		return
	}
	err := errors.Join(
		tc.SetNoDelay(true),
		tc.SetKeepAliveConfig(s.keepAlive),
		setUserTimeout(tc, s.userTO),
	)
	if err != nil {
		s.logf("tcp %s: socket options: %v", s.name, err)
	}
}
