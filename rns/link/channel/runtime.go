package channel

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/mehr-net/mehr/rns/link"
	"github.com/mehr-net/mehr/rns/transport"
	"github.com/mehr-net/mehr/rns/wire"
)

// Runtime errors of Channel, Reader and Writer; test with errors.Is.
var (
	// ErrClosed reports an operation on a channel that was closed, or
	// whose link closed.
	ErrClosed = errors.New("channel: closed")

	// ErrDeliveryFailed reports that a message was not proved after
	// MaxTries transmissions. The channel fails and, as in the reference,
	// the link is torn down.
	ErrDeliveryFailed = errors.New("channel: message not delivered")

	// ErrMessageTooLarge reports message data longer than the channel MDU.
	ErrMessageTooLarge = errors.New("channel: message larger than the channel MDU")

	// ErrReservedType reports a Send with a message type at or above
	// MsgTypeReserved.
	ErrReservedType = errors.New("channel: message type reserved for the system")
)

// Channel is a reliable, ordered message channel over a link
// (RNS.Channel.Channel). Messages are envelopes sent in CHANNEL packets with
// consecutive sequence numbers; the receiver proves every packet, delivers
// messages in sequence order and drops duplicates. The sender keeps at most
// a window of unproven messages and retransmits a message whose proof does
// not arrive in time, up to MaxTries transmissions.
//
// The link does not route CHANNEL packets by itself: the caller passes
// every packet of context CHANNEL from its link.Config.OnOther to Receive.
// Packets that arrive before the Channel exists are dropped unproven, and
// their sender retransmits them.
//
// Handlers run on the channel's own delivery routine, one message at a
// time and in sequence order; they may block and may call Send.
//
// Its methods are safe for concurrent use.
type Channel struct {
	l *link.Link

	txMu sync.Mutex // serialises senders, so sequences go out in order

	wg        sync.WaitGroup
	done      chan struct{} // closed by shutdown
	inbox     chan struct{} // wakes the delivery routine (capacity 1)
	closeOnce sync.Once

	// mu guards the following fields.
	mu          sync.Mutex
	err         error // why the channel stopped, once it has
	window      Window
	txNext      uint16
	outstanding int
	unproven    map[uint16]struct{} // sequences sent and not yet proved
	wake        chan struct{}       // closed and replaced when outstanding or the window change
	rxNext      uint16
	rx          map[uint16]message // received ahead of rxNext
	queue       []message          // in order, waiting for the delivery routine
	handlers    map[uint16]func(data []byte)
	streams     map[uint16]*reader
}

type message struct {
	msgType uint16
	data    []byte
}

// New returns a channel on l and starts its delivery routine, which stops
// when the channel or the link closes. l should be active.
func New(l *link.Link) *Channel {
	c := &Channel{
		l:        l,
		done:     make(chan struct{}),
		inbox:    make(chan struct{}, 1),
		window:   NewWindow(l.RTT()),
		wake:     make(chan struct{}),
		rx:       map[uint16]message{},
		unproven: map[uint16]struct{}{},
		handlers: map[uint16]func([]byte){},
		streams:  map[uint16]*reader{},
	}
	c.wg.Add(1)
	go c.routineDeliver()
	return c
}

// Link returns the channel's link.
func (c *Channel) Link() *link.Link { return c.l }

// MDU returns the most data one message can carry on the link now.
func (c *Channel) MDU() int { return MDU(c.l.MDU()) }

// Handle registers fn for messages of type msgType, replacing any earlier
// handler; a nil fn removes it. Messages of a type without a handler are
// dropped after they are proved. data is owned by fn. Stream messages
// (MsgTypeStream) go to the Reader of their stream ID, not to a handler.
func (c *Channel) Handle(msgType uint16, fn func(data []byte)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if fn == nil {
		delete(c.handlers, msgType)
		return
	}
	c.handlers[msgType] = fn
}

// Err returns why the channel stopped, or nil while it runs.
func (c *Channel) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Done is closed when the channel stops: Close, link closed, or a message
// not delivered.
func (c *Channel) Done() <-chan struct{} { return c.done }

// Close stops the channel without closing the link. Pending Sends fail with
// ErrClosed, Readers without EOF report ErrClosed. It is idempotent.
func (c *Channel) Close() error {
	c.shutdown(ErrClosed)
	return nil
}

// Wait blocks until the channel's routines have stopped, which happens soon
// after the channel or its link closes. Do not call it from a handler.
func (c *Channel) Wait() { c.wg.Wait() }

// Send sends data as one message of type msgType. It blocks while the
// window is full, until a proof frees a slot or the channel stops, and
// returns once the message is transmitted; delivery is then tracked in the
// background. If a message is not proved after MaxTries transmissions the
// channel fails with ErrDeliveryFailed, tears the link down (as the
// reference does) and every later Send returns that error.
func (c *Channel) Send(msgType uint16, data []byte) error {
	if msgType >= MsgTypeReserved {
		return fmt.Errorf("%w: 0x%04x", ErrReservedType, msgType)
	}
	return c.send(msgType, data)
}

func (c *Channel) send(msgType uint16, data []byte) error {
	if mdu := c.MDU(); len(data) > mdu {
		return fmt.Errorf("%w: %d > %d bytes", ErrMessageTooLarge, len(data), mdu)
	}
	c.txMu.Lock()
	defer c.txMu.Unlock()
	c.mu.Lock()
	for c.err == nil && !c.readyLocked() {
		wake := c.wake
		c.mu.Unlock()
		select {
		case <-wake:
		case <-c.done:
		case <-c.l.Done():
			c.shutdown(ErrClosed)
		}
		c.mu.Lock()
	}
	if c.err != nil {
		err := c.err
		c.mu.Unlock()
		return err
	}
	seq := c.txNext
	c.txNext++
	c.outstanding++
	c.unproven[seq] = struct{}{}
	// Add under mu while the channel runs: the delivery routine still
	// holds its count, so this never races a finished Wait.
	c.wg.Add(1)
	c.mu.Unlock()

	env := Envelope{MsgType: msgType, Sequence: seq, Data: data}
	raw, err := env.Append(nil)
	if err == nil {
		var r *link.Receipt
		if r, err = c.l.SendWithReceipt(wire.ContextChannel, raw); err == nil {
			go c.routineTrack(seq, raw, r)
			return nil
		}
	}
	// Not sent: give the sequence back (txMu is held, so it is the last).
	c.wg.Done()
	c.mu.Lock()
	c.txNext--
	c.outstanding--
	delete(c.unproven, seq)
	c.signalLocked()
	c.mu.Unlock()
	if errors.Is(err, link.ErrClosed) {
		c.shutdown(ErrClosed)
		return fmt.Errorf("%w: %w", ErrClosed, err)
	}
	return err
}

// readyLocked reports whether the next sequence may be sent: the window
// has room, and the sequence is less than WindowMax ahead of the oldest
// unproven one. The receiver proves every CHANNEL packet, even one it drops
// as outside its receive window, and its next expected sequence is never
// behind the oldest unproven one, so the second condition keeps every
// proved message accepted however far a gap makes the receiver lag (the
// reference checks only the window and can lose messages under loss).
// c.mu must be held.
func (c *Channel) readyLocked() bool {
	if !c.window.CanSend(c.outstanding) {
		return false
	}
	for s := range c.unproven {
		if c.txNext-s >= WindowMax {
			return false
		}
	}
	return true
}

// signalLocked wakes senders waiting for the window. c.mu must be held.
func (c *Channel) signalLocked() {
	close(c.wake)
	c.wake = make(chan struct{})
}

// routineTrack waits for the proof of one message, retransmitting it on
// timeout (Channel._packet_timeout). A retransmission is a new packet with
// a new hash; a proof for any transmission delivers the message.
func (c *Channel) routineTrack(seq uint16, raw []byte, r *link.Receipt) {
	defer c.wg.Done()
	proved := make(chan struct{}, 1)
	watch := func(r *link.Receipt) {
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			select {
			case <-r.Done():
				if r.Delivered() {
					select {
					case proved <- struct{}{}:
					default:
					}
				}
			case <-c.done:
			}
		}()
	}
	watch(r)
	for tries := 1; ; tries++ {
		c.mu.Lock()
		n := c.outstanding
		c.mu.Unlock()
		timer := time.NewTimer(PacketTimeout(tries, c.l.RTT(), n))
		select {
		case <-proved:
			timer.Stop()
			c.mu.Lock()
			c.outstanding--
			delete(c.unproven, seq)
			c.window.Delivered(c.l.RTT())
			c.signalLocked()
			c.mu.Unlock()
			return
		case <-c.done:
			timer.Stop()
			return
		case <-c.l.Done():
			timer.Stop()
			c.shutdown(ErrClosed)
			return
		case <-timer.C:
		}
		if tries >= MaxTries {
			c.shutdown(ErrDeliveryFailed)
			c.l.Close()
			return
		}
		c.mu.Lock()
		c.window.TimedOut()
		c.mu.Unlock()
		r, err := c.l.SendWithReceipt(wire.ContextChannel, raw)
		if err != nil {
			if errors.Is(err, link.ErrClosed) {
				c.shutdown(ErrClosed)
				return
			}
			// Count it as a lost transmission and try again later.
			continue
		}
		watch(r)
	}
}

// shutdown stops the channel with err, once.
func (c *Channel) shutdown(err error) {
	c.closeOnce.Do(func() {
		c.mu.Lock()
		c.err = err
		c.signalLocked()
		c.mu.Unlock()
		close(c.done)
	})
}

// Receive handles a CHANNEL packet received on the channel's link, with
// its decrypted plaintext: call it from link.Config.OnOther. It proves the
// packet, as the reference proves every CHANNEL packet, then queues the
// message for in-order delivery. Messages outside the receive window,
// duplicates and malformed envelopes are dropped. p and plaintext are not
// retained.
func (c *Channel) Receive(p *transport.Packet, plaintext []byte) {
	if p.PacketType != wire.Data || p.Context != wire.ContextChannel {
		return
	}
	c.l.ProvePacket(p)
	c.accept(plaintext)
}

// Inject handles an envelope as if it had arrived in a CHANNEL packet,
// without proving anything: it is queued for in-order delivery, or dropped
// as a duplicate, outside the receive window or malformed, as Receive
// would. It lets tests and conformance tools feed crafted sequences to a
// live channel. plaintext is not retained.
func (c *Channel) Inject(plaintext []byte) {
	c.accept(plaintext)
}

// accept queues a received envelope.
func (c *Channel) accept(plaintext []byte) {
	var e Envelope
	if e.Decode(plaintext) != nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil || !InRxWindow(c.rxNext, e.Sequence) {
		return
	}
	if _, dup := c.rx[e.Sequence]; dup {
		return
	}
	c.rx[e.Sequence] = message{e.MsgType, bytes.Clone(e.Data)}
	queued := false
	for {
		m, ok := c.rx[c.rxNext]
		if !ok {
			break
		}
		delete(c.rx, c.rxNext)
		c.queue = append(c.queue, m)
		c.rxNext++
		queued = true
	}
	if queued {
		select {
		case c.inbox <- struct{}{}:
		default:
		}
	}
}

// routineDeliver hands queued messages to handlers and readers in order.
func (c *Channel) routineDeliver() {
	defer c.wg.Done()
	for {
		stop := false
		select {
		case <-c.inbox:
		case <-c.done:
			stop = true
		case <-c.l.Done():
			stop = true
		}
		c.drain()
		if stop {
			c.shutdown(ErrClosed)
			c.mu.Lock()
			streams := c.streams
			c.streams = map[uint16]*reader{}
			c.mu.Unlock()
			for _, r := range streams {
				r.push(nil, false, ErrClosed)
			}
			return
		}
	}
}

// drain delivers everything queued.
func (c *Channel) drain() {
	for {
		c.mu.Lock()
		if len(c.queue) == 0 {
			c.mu.Unlock()
			return
		}
		m := c.queue[0]
		c.queue[0] = message{}
		c.queue = c.queue[1:]
		var fn func([]byte)
		var rd *reader
		if m.msgType == MsgTypeStream {
			var sm StreamMessage
			if sm.Decode(m.data) == nil {
				rd = c.streams[sm.StreamID]
				if rd != nil && sm.EOF {
					delete(c.streams, sm.StreamID)
				}
				m.data = sm.Data
				if rd != nil {
					rd.push(m.data, sm.EOF, nil)
				}
			}
		} else {
			fn = c.handlers[m.msgType]
		}
		c.mu.Unlock()
		if fn != nil {
			fn(m.data)
		}
	}
}
