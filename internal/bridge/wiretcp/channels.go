package wiretcp

import (
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mehr-net/mehr/internal/bridge"
	"github.com/mehr-net/mehr/rns/link"
	"github.com/mehr-net/mehr/rns/link/channel"
	"github.com/mehr-net/mehr/rns/wire"
)

// channelCommands are the channel observation and fault-injection
// commands (the reference bridge's wire_channel_* hooks on
// RNS.Channel and its LinkChannelOutlet).
func channelCommands() map[string]func(*instance, bridge.Params) (bridge.Result, error) {
	return map[string]func(*instance, bridge.Params) (bridge.Result, error){
		"wire_link_set_rtt":            cmdLinkSetRTT,
		"wire_channel_profile":         cmdChannelProfile,
		"wire_channel_timeout_formula": cmdChannelTimeoutFormula,
		"wire_channel_handler_chain":   cmdChannelHandlerChain,
		"wire_channel_spurious_proof":  cmdChannelSpuriousProof,
		"wire_channel_emit_capture":    cmdChannelEmitCapture,
		"wire_channel_register":        cmdChannelRegister,
	}
}

// outlet is the channel outlet of a bridge link: it sends on the link, as
// channel.LinkOutlet does, and lets commands shape what the channel sees:
// an RTT other than the link's (wire_link_set_rtt), receipts that never
// prove (drop_acks), a send that transmits nothing (fail_outlet). It
// records the packet it sent last (wire_channel_emit_capture).
type outlet struct {
	l          *link.Link
	rtt        atomic.Int64 // nanoseconds; negative: the link's RTT
	dropProofs atomic.Bool
	failNext   atomic.Bool

	mu   sync.Mutex
	last sentPacket
}

// sentPacket is what the outlet saw of a packet it sent.
type sentPacket struct {
	ok         bool
	context    int
	packetType int
	hash       string
}

var _ channel.Outlet = (*outlet)(nil)

func newOutlet(l *link.Link) *outlet {
	o := &outlet{l: l}
	o.rtt.Store(-1)
	return o
}

func (o *outlet) Send(raw []byte) (channel.Receipt, error) {
	if o.failNext.CompareAndSwap(true, false) {
		return nil, channel.ErrNotSent
	}
	r, err := o.l.SendWithReceiptWith(wire.ContextChannel, raw, func(pkt []byte) {
		var p wire.Packet
		if p.Decode(pkt) != nil {
			return
		}
		h := p.Hash()
		o.mu.Lock()
		o.last = sentPacket{ok: true, context: int(p.Context), packetType: int(p.PacketType), hash: hex.EncodeToString(h[:])}
		o.mu.Unlock()
	})
	if err != nil {
		return nil, err
	}
	if o.dropProofs.Load() {
		return unproved{r}, nil
	}
	return r, nil
}

func (o *outlet) MDU() int { return o.l.MDU() }

func (o *outlet) RTT() time.Duration {
	if d := o.rtt.Load(); d >= 0 {
		return time.Duration(d)
	}
	return o.l.RTT()
}

func (o *outlet) lastSent() sentPacket {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.last
}

// unproved is a receipt whose proof never counts, as the reference bridge
// neuters validate_proof for drop_acks: it ends when the link's receipt
// does, never delivered.
type unproved struct{ r channel.Receipt }

func (u unproved) Done() <-chan struct{} { return u.r.Done() }
func (u unproved) Delivered() bool       { return false }

// untracked is a receipt of no packet the channel sent.
type untracked struct{ done chan struct{} }

func (u untracked) Done() <-chan struct{} { return u.done }
func (u untracked) Delivered() bool       { return true }

// chanExtra is the endpoint state of the channel commands; the endpoint's
// mu guards it.
type chanExtra struct {
	out      *outlet
	aborted  bool   // a stream message failed to decode (bzip2 bound)
	abortErr string // why
}

// outletLocked returns the endpoint's outlet on l, made on first use.
// e.mu must be held.
func (e *endpoint) outletLocked(l *link.Link) *outlet {
	if e.cx.out == nil {
		e.cx.out = newOutlet(l)
	}
	return e.cx.out
}

// dropped records a received stream message the channel refused.
func (e *endpoint) dropped(msgType uint16, err error) {
	if msgType != channel.MsgTypeStream {
		return
	}
	e.mu.Lock()
	e.cx.aborted, e.cx.abortErr = true, err.Error()
	e.mu.Unlock()
}

// newChannel starts the channel of l on the endpoint's outlet. e.mu must
// be held.
func (e *endpoint) newChannelLocked(l *link.Link) *channel.Channel {
	c := channel.NewWithOutlet(l, e.outletLocked(l))
	c.OnDrop(e.dropped)
	return c
}

func floatParam(p bridge.Params, name string) (float64, error) {
	v, ok := p[name]
	if !ok {
		return 0, fmt.Errorf("%w: missing %s", bridge.ErrParam, name)
	}
	f, ok := v.(float64)
	if !ok {
		return 0, fmt.Errorf("%w: %s is not a number", bridge.ErrParam, name)
	}
	return f, nil
}

func seconds(f float64) time.Duration { return time.Duration(f * float64(time.Second)) }

// cmdLinkSetRTT sets the RTT the outbound link's channel computes its
// window and timeouts from (the reference sets link.rtt, which its
// LinkChannelOutlet reads).
func cmdLinkSetRTT(in *instance, p bridge.Params) (bridge.Result, error) {
	ls, err := in.outLink(p)
	if err != nil {
		return nil, err
	}
	rtt, err := floatParam(p, "rtt")
	if err != nil {
		return nil, err
	}
	if rtt < 0 {
		return nil, fmt.Errorf("%w: negative rtt", bridge.ErrParam)
	}
	ls.mu.Lock()
	o := ls.outletLocked(ls.l)
	ls.mu.Unlock()
	prev := o.RTT()
	o.rtt.Store(int64(seconds(rtt)))
	return bridge.Result{"rtt": o.RTT().Seconds(), "previous": prev.Seconds()}, nil
}

// cmdChannelProfile reports the window a channel starts with at the given
// RTT (channel.NewWindow, Channel.__init__).
func cmdChannelProfile(in *instance, p bridge.Params) (bridge.Result, error) {
	if _, err := in.outLink(p); err != nil {
		return nil, err
	}
	rtt, err := floatParam(p, "rtt")
	if err != nil {
		return nil, err
	}
	w := channel.NewWindow(seconds(rtt))
	return bridge.Result{
		"rtt":                rtt,
		"window":             w.Size,
		"window_min":         w.Min,
		"window_max":         w.Max,
		"window_flexibility": w.Flexibility,
		"rtt_slow":           channel.RTTSlow.Seconds(),
	}, nil
}

// cmdChannelTimeoutFormula reports the proof timeout of a message on its
// tries-th transmission with ring_depth messages in the tx ring
// (channel.PacketTimeout, Channel._get_packet_timeout_time).
func cmdChannelTimeoutFormula(in *instance, p bridge.Params) (bridge.Result, error) {
	if _, err := in.outLink(p); err != nil {
		return nil, err
	}
	rtt, err := floatParam(p, "rtt")
	if err != nil {
		return nil, err
	}
	tries, err := p.Int("tries")
	if err != nil {
		return nil, err
	}
	depth, err := p.IntOr("ring_depth", 0)
	if err != nil || depth < 0 {
		return nil, fmt.Errorf("%w: ring_depth", bridge.ErrParam)
	}
	to := channel.PacketTimeout(tries, seconds(rtt), depth)
	return bridge.Result{"timeout": to.Seconds(), "rtt": rtt, "tries": tries, "ring_depth": depth}, nil
}

// chainMsgType is the message type of wire_channel_handler_chain.
const chainMsgType = 0x0707

// cmdChannelHandlerChain runs one received envelope through a chain of
// handlers on a fresh channel of the outbound link: each handler logs its
// index, then returns false, returns true or panics ("raise").
func cmdChannelHandlerChain(in *instance, p bridge.Params) (bridge.Result, error) {
	ls, err := in.outLink(p)
	if err != nil {
		return nil, err
	}
	specs, err := stringList(p, "handlers")
	if err != nil {
		return nil, err
	}
	c := channel.NewWithOutlet(ls.l, channel.LinkOutlet(ls.l))
	defer func() {
		c.Close()
		c.Wait()
	}()
	if err := c.Register(chainMsgType); err != nil {
		return nil, err
	}
	var mu sync.Mutex
	log := []int{}
	for i, spec := range specs {
		c.AddHandler(func(*channel.Message) bool {
			mu.Lock()
			log = append(log, i)
			mu.Unlock()
			switch spec {
			case "raise":
				panic(fmt.Sprintf("handler %d deliberate error", i))
			case "true":
				return true
			}
			return false
		})
	}
	raw, err := (&channel.Envelope{MsgType: chainMsgType, Data: []byte("chain-probe")}).Append(nil)
	if err != nil {
		return nil, err
	}
	c.Inject(raw)
	c.Sync()
	st := c.State()
	mu.Lock()
	defer mu.Unlock()
	return bridge.Result{"log": append([]int{}, log...), "next_rx_sequence": int(st.NextRx), "handler_count": st.Handlers}, nil
}

// cmdChannelSpuriousProof sends a message that is proved, then hands the
// channel a second proof and a late timeout for it, and a timeout and a
// proof for a receipt it never tracked; none may change the window or
// tear the link down.
func cmdChannelSpuriousProof(in *instance, p bridge.Params) (bridge.Result, error) {
	ls, err := in.outLink(p)
	if err != nil {
		return nil, err
	}
	c := ls.openChannel(ls.l, nil)
	timeout := timeoutParam(p, 12000)
	pollUntil(timeout, c.Ready)
	o, err := c.SendMessage(wireMsgType, []byte("genuine-proof"))
	if err != nil {
		return nil, err
	}
	select {
	case <-o.Done():
	case <-time.After(timeout):
	}
	before := c.State()
	errs := []string{}
	safe := func(name string, f func()) {
		defer func() {
			if r := recover(); r != nil {
				errs = append(errs, fmt.Sprintf("%s: %v", name, r))
			}
		}()
		f()
	}
	r := o.Receipt()
	safe("duplicate_proof", func() { c.HandleProof(r) })
	afterDup := c.State().Window.Size
	safe("timeout_delivered", func() { c.HandleTimeout(r) })
	u := untracked{done: make(chan struct{})}
	safe("timeout_untracked", func() { c.HandleTimeout(u) })
	close(u.done)
	safe("proof_untracked", func() { c.HandleProof(u) })
	final := c.State()
	st := ls.l.Status()
	return bridge.Result{
		"delivered":              o.Delivered(),
		"window_before":          before.Window.Size,
		"window_after_duplicate": afterDup,
		"window_final":           final.Window.Size,
		"tx_ring_before":         before.Outstanding,
		"tx_ring_final":          final.Outstanding,
		"link_status":            int(st),
		"link_closed":            st == link.StatusClosed,
		"errors":                 errs,
	}, nil
}

// cmdChannelEmitCapture sends one message and reports the context and
// type of the packet the outlet put on the link.
func cmdChannelEmitCapture(in *instance, p bridge.Params) (bridge.Result, error) {
	ls, err := in.outLink(p)
	if err != nil {
		return nil, err
	}
	data, err := p.OptHex("data")
	if err != nil {
		return nil, err
	}
	c := ls.openChannel(ls.l, nil)
	ls.mu.Lock()
	out := ls.outletLocked(ls.l)
	ls.mu.Unlock()
	timeout := timeoutParam(p, 15000)
	pollUntil(timeout, c.Ready)
	o, err := c.SendMessage(wireMsgType, data)
	if err != nil {
		return nil, err
	}
	sent := out.lastSent()
	select {
	case <-o.Done():
	case <-time.After(timeout):
	}
	res := bridge.Result{
		"context": nil, "packet_type": nil, "packet_hash": nil,
		"delivered":       o.Delivered(),
		"channel_context": int(wire.ContextChannel),
		"data_context":    int(wire.ContextNone),
	}
	if sent.ok {
		res["context"], res["packet_type"], res["packet_hash"] = sent.context, sent.packetType, sent.hash
	}
	return res, nil
}

// cmdChannelRegister registers a message type on the outbound link's
// channel. Of the reference's crafted message classes only "valid" and
// "reserved" have a Go counterpart: a message type is a uint16, so a
// class that is no MessageBase, has no MSGTYPE or cannot be constructed
// cannot be expressed.
func cmdChannelRegister(in *instance, p bridge.Params) (bridge.Result, error) {
	ls, err := in.outLink(p)
	if err != nil {
		return nil, err
	}
	kind, err := p.String("kind")
	if err != nil {
		return nil, err
	}
	var mt uint16
	switch kind {
	case "valid":
		mt = 0x0505
	case "reserved":
		mt = 0xF001
	default:
		return nil, fmt.Errorf("register kind %q has no counterpart in mehr's channel API", kind)
	}
	c := ls.openChannel(ls.l, nil)
	if err := c.Register(mt); err != nil {
		return bridge.Result{"accepted": false, "error": err.Error(), "ce_type": ceType(err)}, nil
	}
	return bridge.Result{"accepted": true, "error": nil, "ce_type": nil}, nil
}

// errIsNotReady reports the errors the reference raises as
// ME_LINK_NOT_READY.
func errIsNotReady(err error) bool {
	return errors.Is(err, channel.ErrClosed) || errors.Is(err, link.ErrClosed) ||
		errors.Is(err, channel.ErrNotSent) || errors.Is(err, channel.ErrDeliveryFailed)
}
