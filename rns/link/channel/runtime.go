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

	// ErrReservedType reports a Send or Register with a message type at or
	// above MsgTypeReserved: "system-reserved message type".
	ErrReservedType = errors.New("channel: system-reserved message type")

	// ErrNotSent reports that the outlet did not transmit a message. Its
	// sequence is given back and the next Send reuses it.
	ErrNotSent = errors.New("channel: outlet did not transmit the message")
)

// Receipt is the delivery state of one transmitted packet, as an Outlet
// reports it (*link.Receipt satisfies it).
type Receipt interface {
	// Done is closed when the packet is proved or its receipt ends
	// otherwise (timeout, link closed).
	Done() <-chan struct{}
	// Delivered reports whether the packet was proved; read it after Done.
	Delivered() bool
}

// Outlet is what a Channel sends through (RNS.Channel.LinkChannelOutlet):
// normally its link, as returned by LinkOutlet. Wrapping an Outlet lets a
// caller observe or shape what the channel sends, or report a different
// RTT to its window arithmetic. Its methods must be safe for concurrent use.
type Outlet interface {
	// Send sends raw, an encoded envelope, as one CHANNEL packet and
	// returns the receipt that tracks its proof. A channel calls it again
	// with the same raw for each retransmission.
	Send(raw []byte) (Receipt, error)
	// MDU is the most plaintext one packet carries.
	MDU() int
	// RTT is the round-trip time the window and timeouts are computed
	// from.
	RTT() time.Duration
}

// LinkOutlet returns the outlet that sends on l itself.
func LinkOutlet(l *link.Link) Outlet { return linkOutlet{l} }

type linkOutlet struct{ l *link.Link }

func (o linkOutlet) Send(raw []byte) (Receipt, error) {
	r, err := o.l.SendWithReceipt(wire.ContextChannel, raw)
	if err != nil {
		return nil, err
	}
	return r, nil
}
func (o linkOutlet) MDU() int           { return o.l.MDU() }
func (o linkOutlet) RTT() time.Duration { return o.l.RTT() }

// Message is a received channel message, as handlers see it.
type Message struct {
	Type     uint16
	Sequence uint16
	Data     []byte // owned by the handlers; do not modify it
	// Stream is the decoded stream message when Type is MsgTypeStream
	// (its Data is the decompressed chunk), else nil.
	Stream *StreamMessage
}

// Handler handles a received message. Handlers run in the order they were
// added until one returns true (RNS.Channel._run_callbacks); a handler that
// panics is skipped and the next one runs.
type Handler func(m *Message) bool

// Channel is a reliable, ordered message channel over a link
// (RNS.Channel.Channel). Messages are envelopes sent in CHANNEL packets with
// consecutive sequence numbers; the receiver proves every packet, delivers
// messages in sequence order and drops duplicates. The sender keeps at most
// a window of unproven messages and retransmits a message whose proof does
// not arrive in time, up to MaxTries transmissions.
//
// A receiver accepts only message types registered with Register (or
// Handle, or NewReader for stream messages): an envelope of any other type
// is dropped without advancing the receive sequence, as the reference
// drops an envelope it cannot unpack, so a later envelope of a registered
// type with the same sequence is still delivered.
//
// The link does not route CHANNEL packets by itself: the caller passes
// every packet of context CHANNEL from its link.Config.OnOther to Receive.
// Packets that arrive before the Channel exists are dropped unproven, and
// their sender retransmits them.
//
// Handlers run on the channel's own delivery routine, one message at a
// time and in sequence order; they may block and may call Send.
//
// When the channel stops (Close, link closed, a message not delivered) it
// clears its handlers and both rings, as the reference's Channel._shutdown.
//
// Its methods are safe for concurrent use.
type Channel struct {
	l   *link.Link
	out Outlet

	txMu sync.Mutex // serialises senders, so sequences go out in order

	wg    sync.WaitGroup
	done  chan struct{} // closed by shutdown
	inbox chan struct{} // wakes the delivery routine (capacity 1)

	// mu guards the following fields.
	mu       sync.Mutex
	stopping bool  // shutdown has begun
	err      error // why the channel stopped, once it has
	window   Window
	txNext   uint16
	tx       []*Outgoing // sent and not yet proved, in send order
	wake     chan struct{}
	rxNext   uint16
	rx       map[uint16]Message // received ahead of rxNext
	queue    []Message          // in order, waiting for the delivery routine
	types    map[uint16]bool    // registered message types
	handlers []*handlerEntry
	dropHook func(msgType uint16, err error)
	streams  map[uint16]*reader
	queued   uint64     // messages queued for delivery, ever
	handled  uint64     // messages through the handler chain, ever
	drained  *sync.Cond // on mu: handled grew, or the channel stopped
}

type handlerEntry struct {
	fn    Handler
	typed bool   // added by Handle for one type
	mt    uint16 // that type
}

// Outgoing is a message handed to the outlet by SendMessage: it tracks its
// transmissions until it is proved or the channel stops.
type Outgoing struct {
	c        *Channel
	seq      uint16
	raw      []byte
	tries    int       // guarded by c.mu
	receipts []Receipt // guarded by c.mu; the last is the current one
	proved   bool      // guarded by c.mu
	done     chan struct{}
}

// Sequence returns the message's sequence number.
func (o *Outgoing) Sequence() uint16 { return o.seq }

// Tries returns how many times the message was transmitted.
func (o *Outgoing) Tries() int {
	o.c.mu.Lock()
	defer o.c.mu.Unlock()
	return o.tries
}

// Delivered reports whether the message was proved.
func (o *Outgoing) Delivered() bool {
	o.c.mu.Lock()
	defer o.c.mu.Unlock()
	return o.proved
}

// Receipt returns the receipt of the message's latest transmission.
func (o *Outgoing) Receipt() Receipt {
	o.c.mu.Lock()
	defer o.c.mu.Unlock()
	return o.receipts[len(o.receipts)-1]
}

// Done is closed when the message is proved or the channel stops.
func (o *Outgoing) Done() <-chan struct{} { return o.done }

// New returns a channel on l, sending through l itself, and starts its
// delivery routine, which stops when the channel or the link closes. l
// should be active.
func New(l *link.Link) *Channel { return NewWithOutlet(l, LinkOutlet(l)) }

// NewWithOutlet is New with the channel sending through o, usually a
// wrapper of LinkOutlet(l). The window profile is chosen from o's RTT.
func NewWithOutlet(l *link.Link, o Outlet) *Channel {
	c := &Channel{
		l:       l,
		out:     o,
		done:    make(chan struct{}),
		inbox:   make(chan struct{}, 1),
		window:  NewWindow(o.RTT()),
		wake:    make(chan struct{}),
		rx:      map[uint16]Message{},
		types:   map[uint16]bool{},
		streams: map[uint16]*reader{},
	}
	c.drained = sync.NewCond(&c.mu)
	c.wg.Add(1)
	go c.routineDeliver()
	return c
}

// Sync blocks until every message queued for delivery before the call has
// been through the handler chain, or the channel stops. Do not call it
// from a handler.
func (c *Channel) Sync() {
	c.mu.Lock()
	defer c.mu.Unlock()
	target := c.queued
	for c.handled < target && c.err == nil {
		c.drained.Wait()
	}
}

// Link returns the channel's link.
func (c *Channel) Link() *link.Link { return c.l }

// MDU returns the most data one message can carry on the link now.
func (c *Channel) MDU() int { return MDU(c.out.MDU()) }

// OutletMDU returns the MDU of the channel's outlet: the most bytes one
// encoded envelope may take.
func (c *Channel) OutletMDU() int { return c.out.MDU() }

// Register registers msgType for reception (Channel.register_message_type).
// It fails with ErrReservedType for types at or above MsgTypeReserved,
// which only the system registers.
func (c *Channel) Register(msgType uint16) error {
	if msgType >= MsgTypeReserved {
		return fmt.Errorf("%w: 0x%04x", ErrReservedType, msgType)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.types[msgType] = true
	return nil
}

// AddHandler appends h to the handler chain and returns a function that
// removes it. Handlers see messages of every registered type.
func (c *Channel) AddHandler(h Handler) (remove func()) {
	e := &handlerEntry{fn: h}
	c.mu.Lock()
	c.handlers = append(c.handlers, e)
	c.mu.Unlock()
	return func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.removeLocked(e)
	}
}

func (c *Channel) removeLocked(e *handlerEntry) {
	for i, h := range c.handlers {
		if h == e {
			c.handlers = append(c.handlers[:i:i], c.handlers[i+1:]...)
			return
		}
	}
}

// Handle registers msgType and handles its messages with fn, replacing any
// earlier fn of Handle for that type; a nil fn removes it (the type stays
// registered). fn consumes the message: later handlers do not see it. data
// is owned by fn. Handle may register reserved types; Send still refuses
// to send them.
func (c *Channel) Handle(msgType uint16, fn func(data []byte)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.types[msgType] = true
	for _, e := range c.handlers {
		if e.typed && e.mt == msgType {
			c.removeLocked(e)
			break
		}
	}
	if fn == nil {
		return
	}
	c.handlers = append(c.handlers, &handlerEntry{typed: true, mt: msgType, fn: func(m *Message) bool {
		if m.Type != msgType {
			return false
		}
		fn(m.Data)
		return true
	}})
}

// OnDrop sets a function called, on the receiving goroutine, for each
// received envelope of a registered type whose data could not be decoded
// (a stream message that is not valid bzip2 or decompresses past
// MaxChunkLen). Such an envelope is dropped without advancing the receive
// sequence, as the reference drops it. fn must not block.
func (c *Channel) OnDrop(fn func(msgType uint16, err error)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.dropHook = fn
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
	_, err := c.SendMessage(msgType, data)
	return err
}

// SendMessage is Send returning the message's tracker.
func (c *Channel) SendMessage(msgType uint16, data []byte) (*Outgoing, error) {
	if msgType >= MsgTypeReserved {
		return nil, fmt.Errorf("%w: 0x%04x", ErrReservedType, msgType)
	}
	return c.send(msgType, data)
}

// Ready reports whether a Send would go out now without waiting for the
// window (Channel.is_ready_to_send).
func (c *Channel) Ready() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err == nil && c.readyLocked()
}

func (c *Channel) send(msgType uint16, data []byte) (*Outgoing, error) {
	if mdu := c.MDU(); len(data) > mdu {
		return nil, fmt.Errorf("%w: %d > %d bytes", ErrMessageTooLarge, len(data), mdu)
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
		return nil, err
	}
	seq := c.txNext
	c.txNext++
	o := &Outgoing{c: c, seq: seq, done: make(chan struct{})}
	c.tx = append(c.tx, o)
	c.mu.Unlock()

	env := Envelope{MsgType: msgType, Sequence: seq, Data: data}
	raw, err := env.Append(nil)
	var r Receipt
	if err == nil {
		r, err = c.out.Send(raw)
		if err == nil && r == nil {
			err = ErrNotSent
		}
	}
	if err != nil {
		// Not sent: give the sequence back (txMu is held, so it is the last).
		c.mu.Lock()
		c.txNext--
		c.removeTxLocked(o)
		c.signalLocked()
		c.mu.Unlock()
		if errors.Is(err, link.ErrClosed) {
			c.shutdown(ErrClosed)
			return nil, fmt.Errorf("%w: %w", ErrClosed, err)
		}
		return nil, err
	}
	c.mu.Lock()
	o.raw = raw
	o.tries = 1
	o.receipts = append(o.receipts, r)
	running := !c.stopping
	if running {
		// Add under mu while the channel runs: the delivery routine
		// still holds its count, so this never races a finished Wait.
		c.wg.Add(1)
	}
	n := len(c.tx)
	c.mu.Unlock()
	if running {
		go c.routineWatch(o, r, PacketTimeout(1, c.out.RTT(), n))
	}
	return o, nil
}

// removeTxLocked takes o out of the tx ring, reporting whether it was
// there. c.mu must be held.
func (c *Channel) removeTxLocked(o *Outgoing) bool {
	for i, e := range c.tx {
		if e == o {
			c.tx = append(c.tx[:i:i], c.tx[i+1:]...)
			return true
		}
	}
	return false
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
	if !c.window.CanSend(len(c.tx)) {
		return false
	}
	for _, o := range c.tx {
		if c.txNext-o.seq >= WindowMax {
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

// routineWatch waits for the proof of one transmission of o. If the
// timeout passes first it hands the transmission to HandleTimeout, and
// then keeps waiting for a late proof, which still delivers the message
// (a retransmission is a new packet with a new hash; a proof for any
// transmission counts).
func (c *Channel) routineWatch(o *Outgoing, r Receipt, timeout time.Duration) {
	defer c.wg.Done()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	rdone, tdone := r.Done(), timer.C
	for rdone != nil || tdone != nil {
		select {
		case <-rdone:
			if r.Delivered() {
				c.HandleProof(r)
				return
			}
			// A receipt that ended unproven leaves the decision to the
			// channel's own timeout, as in the reference, where the
			// receipt timeout is the channel's.
			rdone = nil
		case <-tdone:
			tdone = nil
			c.HandleTimeout(r)
		case <-c.done:
			return
		case <-c.l.Done():
			c.shutdown(ErrClosed)
			return
		case <-o.done:
			return
		}
	}
}

// find returns the unproven message one of whose transmissions r tracks,
// and whether r is its latest. c.mu must be held.
func (c *Channel) findLocked(r Receipt) (*Outgoing, bool) {
	for _, o := range c.tx {
		for i, x := range o.receipts {
			if x == r {
				return o, i == len(o.receipts)-1
			}
		}
	}
	return nil, false
}

// HandleProof records the proof of the transmission r tracks, as the
// outlet's delivery callback does in the reference
// (Channel._packet_delivered): the message leaves the tx ring and the
// window grows. A proof for a message no longer in the ring (already
// proved, or never sent on this channel) is ignored.
func (c *Channel) HandleProof(r Receipt) {
	c.mu.Lock()
	defer c.mu.Unlock()
	o, _ := c.findLocked(r)
	if o == nil || !c.removeTxLocked(o) {
		return
	}
	o.proved = true
	close(o.done)
	c.window.Delivered(c.out.RTT())
	c.signalLocked()
}

// HandleTimeout handles the end of the proof timeout of the transmission r
// tracks (Channel._packet_timeout). If r is delivered, or is not the
// latest transmission of a message in the tx ring, nothing happens.
// Otherwise the message is sent again and the window shrinks; after
// MaxTries transmissions the channel fails with ErrDeliveryFailed and
// tears its link down.
func (c *Channel) HandleTimeout(r Receipt) {
	select {
	case <-r.Done():
		if r.Delivered() {
			return
		}
	default:
	}
	c.mu.Lock()
	o, latest := c.findLocked(r)
	if o == nil || !latest || c.stopping {
		c.mu.Unlock()
		return
	}
	if o.tries >= MaxTries {
		c.mu.Unlock()
		// Tear the link down first, so whoever sees the channel stop
		// sees the link closed too.
		c.shutdownWith(ErrDeliveryFailed, func() { c.l.Close() })
		return
	}
	o.tries++
	c.window.TimedOut()
	raw := o.raw
	c.mu.Unlock()

	r2, err := c.out.Send(raw)
	if err == nil && r2 == nil {
		err = ErrNotSent
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		if errors.Is(err, link.ErrClosed) {
			go c.shutdown(ErrClosed)
			return
		}
		// Count it as a lost transmission: wait a timeout on the old
		// receipt again and try anew.
		r2 = nil
	}
	if c.stopping || o.proved {
		return
	}
	if r2 != nil {
		o.receipts = append(o.receipts, r2)
	} else {
		r2 = r
	}
	c.wg.Add(1)
	go c.routineWatch(o, r2, PacketTimeout(o.tries, c.out.RTT(), len(c.tx)))
}

// shutdown stops the channel with err, once, clearing the handlers and
// both rings (Channel._shutdown).
func (c *Channel) shutdown(err error) { c.shutdownWith(err, nil) }

// shutdownWith is shutdown running before first, if the channel was still
// running.
func (c *Channel) shutdownWith(err error, before func()) {
	c.mu.Lock()
	if c.stopping {
		c.mu.Unlock()
		return
	}
	c.stopping = true
	c.mu.Unlock()
	// before may close the link, whose callbacks may close the channel:
	// that finds stopping set and returns.
	if before != nil {
		before()
	}
	c.mu.Lock()
	c.err = err
	c.handlers = nil
	for _, o := range c.tx {
		close(o.done)
	}
	c.tx = nil
	clear(c.rx)
	c.signalLocked()
	c.drained.Broadcast()
	c.mu.Unlock()
	close(c.done)
}

// Receive handles a CHANNEL packet received on the channel's link, with
// its decrypted plaintext: call it from link.Config.OnOther. It proves the
// packet, as the reference proves every CHANNEL packet, then queues the
// message for in-order delivery. Messages outside the receive window,
// duplicates, malformed envelopes and envelopes of unregistered types are
// dropped. p and plaintext are not retained.
func (c *Channel) Receive(p *transport.Packet, plaintext []byte) {
	if p.PacketType != wire.Data || p.Context != wire.ContextChannel {
		return
	}
	c.l.ProvePacket(p)
	c.accept(plaintext)
}

// Inject handles an envelope as if it had arrived in a CHANNEL packet,
// without proving anything: it is queued for in-order delivery, or dropped
// as a duplicate, outside the receive window, malformed or unregistered,
// as Receive would. It lets tests and conformance tools feed crafted
// sequences to a live channel. plaintext is not retained.
func (c *Channel) Inject(plaintext []byte) {
	c.accept(plaintext)
}

// accept queues a received envelope. As in the reference, the message is
// unpacked first: an unregistered type or undecodable data drops it before
// the sequence is looked at.
func (c *Channel) accept(plaintext []byte) {
	var e Envelope
	if e.Decode(plaintext) != nil {
		return
	}
	c.mu.Lock()
	registered := c.types[e.MsgType]
	hook := c.dropHook
	c.mu.Unlock()
	if !registered {
		return
	}
	m := Message{Type: e.MsgType, Sequence: e.Sequence}
	if e.MsgType == MsgTypeStream {
		sm := new(StreamMessage)
		if err := sm.Decode(e.Data); err != nil {
			if hook != nil {
				hook(e.MsgType, err)
			}
			return
		}
		sm.Data = bytes.Clone(sm.Data)
		m.Stream, m.Data = sm, sm.Data
	} else {
		m.Data = bytes.Clone(e.Data)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil || !InRxWindow(c.rxNext, e.Sequence) {
		return
	}
	if _, dup := c.rx[e.Sequence]; dup {
		return
	}
	c.rx[e.Sequence] = m
	queued := false
	for {
		m, ok := c.rx[c.rxNext]
		if !ok {
			break
		}
		delete(c.rx, c.rxNext)
		c.queue = append(c.queue, m)
		c.queued++
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

// routineDeliver hands queued messages to the handlers in order.
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
		c.queue[0] = Message{}
		c.queue = c.queue[1:]
		chain := append([]*handlerEntry(nil), c.handlers...)
		c.mu.Unlock()
		for _, h := range chain {
			if runHandler(h.fn, &m) {
				break
			}
		}
		c.mu.Lock()
		c.handled++
		c.drained.Broadcast()
		c.mu.Unlock()
	}
}

// runHandler runs one handler, treating a panic as "not handled" so the
// chain continues, as the reference logs a raising callback and goes on.
func runHandler(h Handler, m *Message) (handled bool) {
	defer func() {
		if recover() != nil {
			handled = false
		}
	}()
	return h(m)
}
