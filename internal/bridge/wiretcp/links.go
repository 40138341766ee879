package wiretcp

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mehr-net/mehr/internal/bridge"
	"github.com/mehr-net/mehr/rns"
	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/link"
	"github.com/mehr-net/mehr/rns/link/channel"
	"github.com/mehr-net/mehr/rns/link/request"
	"github.com/mehr-net/mehr/rns/msgpack"
	"github.com/mehr-net/mehr/rns/transport"
	"github.com/mehr-net/mehr/rns/wire"
)

// wireMsgType is the channel message type both bridges register
// (_WIRE_CHANNEL_MSGTYPE of the reference bridge).
const wireMsgType = 0x0101

// appAcceptMax is the advertised size up to which a listener with
// resource_strategy "app" accepts a resource.
const appAcceptMax = 4096

// endpoint is the channel and buffer state of one end of a link.
type endpoint struct {
	mu      sync.Mutex
	ch      *channel.Channel
	rx      [][]byte // delivered wireMsgType messages
	buffers map[uint16]*bufState
	cx      chanExtra      // channels.go
	wg      sync.WaitGroup // buffer readers
}

// bufState is what a stream reader has read so far.
type bufState struct {
	data    []byte
	eof     bool
	aborted bool
	err     string
}

// openChannel starts the channel of l with the recording handler and, for
// each stream ID, a reader draining into a bufState.
func (e *endpoint) openChannel(l *link.Link, streams []uint16) *channel.Channel {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.ch != nil {
		return e.ch
	}
	c := e.newChannelLocked(l)
	c.Handle(wireMsgType, func(data []byte) {
		e.mu.Lock()
		e.rx = append(e.rx, data)
		e.mu.Unlock()
	})
	e.ch = c
	e.buffers = map[uint16]*bufState{}
	for _, sid := range streams {
		e.startReaderLocked(sid)
	}
	return c
}

func (e *endpoint) startReaderLocked(sid uint16) {
	if _, ok := e.buffers[sid]; ok || e.ch == nil {
		return
	}
	bs := &bufState{}
	e.buffers[sid] = bs
	rd := channel.NewReader(e.ch, sid)
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		buf := make([]byte, 32<<10)
		for {
			n, err := rd.Read(buf)
			e.mu.Lock()
			bs.data = append(bs.data, buf[:n]...)
			switch {
			case err == io.EOF:
				bs.eof = true
			case err != nil:
				if !errors.Is(err, channel.ErrClosed) {
					bs.aborted = true
				}
				bs.err = err.Error()
			}
			e.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
}

func (e *endpoint) channel() *channel.Channel {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.ch
}

// route passes CHANNEL packets to the channel, once it exists.
func (e *endpoint) route(_ *link.Link, p *transport.Packet, pt []byte) {
	if p.Context != wire.ContextChannel {
		return
	}
	if c := e.channel(); c != nil {
		c.Receive(p, pt)
	}
}

func (e *endpoint) drainRx() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := hexList(e.rx)
	e.rx = nil
	return out
}

func (e *endpoint) close() {
	if c := e.channel(); c != nil {
		c.Close()
		c.Wait()
	}
	e.wg.Wait()
}

// linkState is an outbound link.
type linkState struct {
	l    *link.Link
	mux  *request.Mux
	sent sendLog
	endpoint
}

func (ls *linkState) close() {
	ls.l.Close()
	ls.endpoint.close()
	ls.l.Wait()
}

// inLink is an inbound link accepted by a listener.
type inLink struct {
	l    *link.Link
	sent sendLog
	endpoint
}

// listener is a wire_listen destination.
type listener struct {
	dest     *rns.Destination
	id       *identity.Identity
	ln       *link.Listener
	mux      *request.Mux
	streams  []uint16
	openChan bool
	proof    atomic.Value // string: "none", "all" or "app"

	mu        sync.Mutex
	recv      [][]byte
	recvN     int // packets ever delivered to recv
	opp       [][]byte
	resources [][]byte
	inbound   []*inLink
	incoming  []*inResource
	reqLog    map[string][]bridge.Result
	handlers  map[string]bool // registered request paths
	proofLog  []int           // context of every packet the links proved
}

// inResource is an incoming resource transfer seen by a listener.
type inResource struct {
	t        *link.Transfer
	info     link.ResourceInfo
	data     []byte
	metadata []byte
	done     bool
}

func (ln *listener) find(l *link.Link) *inLink {
	ln.mu.Lock()
	defer ln.mu.Unlock()
	for _, il := range ln.inbound {
		if il.l == l {
			return il
		}
	}
	return nil
}

func (ln *listener) close() {
	ln.ln.Close()
	ln.mu.Lock()
	links := append([]*inLink(nil), ln.inbound...)
	ln.mu.Unlock()
	for _, il := range links {
		il.l.Close()
		il.endpoint.close()
		il.l.Wait()
	}
	// Links still in their handshake were never handed over; the
	// reference's exit handler tears those down too.
	for _, l := range ln.ln.Links() {
		l.Close()
		l.Wait()
	}
}

func hexList(bs [][]byte) []string {
	out := make([]string, 0, len(bs))
	for _, b := range bs {
		out = append(out, hex.EncodeToString(b))
	}
	return out
}

func resourceStrategy(s string) (link.ResourceStrategy, error) {
	switch s {
	case "", "all":
		return link.AcceptAll, nil
	case "none":
		return link.AcceptNone, nil
	case "app":
		return link.AcceptApp, nil
	}
	return 0, fmt.Errorf("resource_strategy must be 'all', 'none' or 'app' (got %q)", s)
}

// cmdListen registers an inbound SINGLE destination that accepts links,
// records what arrives on them and announces it.
func cmdListen(in *instance, p bridge.Params) (bridge.Result, error) {
	app, err := p.String("app_name")
	if err != nil {
		return nil, err
	}
	aspects, err := stringList(p, "aspects")
	if err != nil {
		return nil, err
	}
	rsName := p.StringOr("resource_strategy", "all")
	strategy, err := resourceStrategy(rsName)
	if err != nil {
		return nil, err
	}
	proveAll := false
	switch ps := p.StringOr("proof_strategy", "none"); ps {
	case "none":
	case "all":
		proveAll = true
	default:
		return nil, fmt.Errorf("Unsupported proof_strategy=%q; expected 'none' or 'all'", ps)
	}
	openChan, _ := p.Bool("open_channel", true)
	streams := []uint16{0}
	if p.Has("buffer_stream_ids") {
		l, err := p.List("buffer_stream_ids")
		if err != nil {
			return nil, err
		}
		for _, v := range l {
			f, ok := v.(float64)
			if !ok || f < 0 || f > 0x3fff {
				return nil, fmt.Errorf("%w: bad stream id %v", bridge.ErrParam, v)
			}
			streams = append(streams, uint16(f))
		}
	}
	id, err := identity.Generate(rand.Reader)
	if err != nil {
		return nil, err
	}
	d, err := in.node.NewDestination(id, rns.In, wire.Single, app, aspects...)
	if err != nil {
		return nil, err
	}
	if proveAll {
		d.SetProofStrategy(rns.ProveAll)
	}
	ln := &listener{dest: d, id: id, streams: streams, openChan: openChan, reqLog: map[string][]bridge.Result{}, handlers: map[string]bool{}}
	ln.proof.Store(map[bool]string{true: "all", false: "none"}[proveAll])
	d.SetPacketCallback(func(data []byte, _ *transport.Packet) {
		ln.mu.Lock()
		ln.opp = append(ln.opp, append([]byte(nil), data...))
		ln.mu.Unlock()
	})
	ln.mux = &request.Mux{Next: func(l *link.Link, pk *transport.Packet, pt []byte) {
		if il := ln.find(l); il != nil {
			il.route(l, pk, pt)
		}
	}}
	cfg := link.Config{
		Prove: func(_ *link.Link, pt []byte) bool {
			switch ln.proof.Load().(string) {
			case "all":
				return true
			case "app":
				return len(pt) > 0 && pt[0] == 0x01
			}
			return false
		},
		OnPacket: func(_ *link.Link, pt []byte) {
			ln.mu.Lock()
			ln.recv = append(ln.recv, append([]byte(nil), pt...))
			ln.recvN++
			ln.mu.Unlock()
		},
		OnSend: func(l *link.Link, raw []byte) {
			if il := ln.find(l); il != nil {
				il.sent.record(raw)
			}
		},
		OnOther:          ln.mux.OnOther,
		RequestResources: ln.mux.RequestResources,
		OnProved: func(_ *link.Link, pk *transport.Packet) {
			ln.mu.Lock()
			ln.proofLog = append(ln.proofLog, int(pk.Context))
			ln.mu.Unlock()
		},
		OnEstablished: func(l *link.Link) {
			il := &inLink{l: l}
			if openChan {
				il.openChannel(l, streams)
			}
			ln.mu.Lock()
			ln.inbound = append(ln.inbound, il)
			ln.mu.Unlock()
		},
		Resources: link.ResourceConfig{
			Strategy:        strategy,
			MaxDecompressed: rxMaxDecompressed,
			Accept: func(_ *link.Link, info link.ResourceInfo) bool {
				return info.Size <= appAcceptMax
			},
			OnStarted: func(t *link.Transfer) {
				ln.mu.Lock()
				ln.incoming = append(ln.incoming, &inResource{t: t})
				ln.mu.Unlock()
			},
			OnConcluded: func(t *link.Transfer) {
				var data, meta []byte
				if t.Err() == nil {
					var packed []byte
					data, packed = t.Data()
					if packed != nil {
						var v any
						if msgpack.Unmarshal(packed, &v) == nil {
							if b, ok := v.([]byte); ok {
								meta = b
							}
						}
					}
				}
				ln.mu.Lock()
				defer ln.mu.Unlock()
				if t.Err() == nil {
					ln.resources = append(ln.resources, data)
				}
				for _, r := range ln.incoming {
					if r.t == t {
						r.data, r.metadata, r.done = data, meta, true
					}
				}
			},
		},
	}
	ln.ln = link.NewListener(in.node.Transport(), id, d.Hash(), cfg)
	d.SetLinkRequestHandler(func(pk *transport.Packet) { _, _ = ln.ln.HandleRequest(pk) })
	in.mu.Lock()
	in.dests[d.Hash()] = d
	in.listeners[d.Hash()] = ln
	in.mu.Unlock()
	if _, err := enableRatchetsParam(in, d, p); err != nil {
		return nil, err
	}
	if err := announceDest(d, nil); err != nil {
		return nil, err
	}
	idh, pub := id.Hash(), id.PublicKey()
	return bridge.Result{
		"destination_hash":  hexHash(d.Hash()),
		"identity_hash":     hex.EncodeToString(idh[:]),
		"public_key":        hex.EncodeToString(pub[:]),
		"resource_strategy": rsName,
	}, nil
}

func (in *instance) listener(p bridge.Params) (*listener, error) {
	h, err := paramHash(p, "destination_hash")
	if err != nil {
		return nil, err
	}
	in.mu.Lock()
	ln := in.listeners[h]
	in.mu.Unlock()
	if ln == nil {
		return nil, fmt.Errorf("%w: %s", errNoListener, hexHash(h))
	}
	return ln, nil
}

func (in *instance) outLink(p bridge.Params) (*linkState, error) {
	s := p.StringOr("link_id", p.StringOr("channel_id", ""))
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != len(wire.Hash{}) {
		return nil, fmt.Errorf("%w: bad link_id %q", bridge.ErrParam, s)
	}
	in.mu.Lock()
	ls := in.links[wire.Hash(b)]
	in.mu.Unlock()
	if ls == nil {
		return nil, fmt.Errorf("Unknown link_id: %s", s)
	}
	return ls, nil
}

// inboundLink finds an inbound link by ID among the listeners.
func (in *instance) inboundLink(id wire.Hash) (*listener, *inLink) {
	in.mu.Lock()
	lns := make([]*listener, 0, len(in.listeners))
	for _, ln := range in.listeners {
		lns = append(lns, ln)
	}
	in.mu.Unlock()
	for _, ln := range lns {
		ln.mu.Lock()
		for _, il := range ln.inbound {
			if il.l.ID() == id {
				ln.mu.Unlock()
				return ln, il
			}
		}
		ln.mu.Unlock()
	}
	return nil, nil
}

// cmdLinkOpen establishes a link to a destination whose announce was heard.
func cmdLinkOpen(in *instance, p bridge.Params) (bridge.Result, error) {
	h, err := paramHash(p, "destination_hash")
	if err != nil {
		return nil, err
	}
	t := in.node.Transport()
	id, _, ok := t.Recall(h)
	if !ok {
		return nil, fmt.Errorf("No identity known for %s; ensure an announce for this destination was received first.", hexHash(h))
	}
	ls := &linkState{mux: &request.Mux{}}
	ls.mux.Next = ls.route
	ctx, cancel := context.WithTimeout(context.Background(), timeoutParam(p, 10000))
	defer cancel()
	l, err := link.Establish(ctx, t, id, h, link.Config{
		OnSend:           func(_ *link.Link, raw []byte) { ls.sent.record(raw) },
		OnOther:          ls.mux.OnOther,
		RequestResources: ls.mux.RequestResources,
		Resources:        link.ResourceConfig{Strategy: link.AcceptAll},
	})
	if err != nil {
		return nil, fmt.Errorf("Link to %s did not become active: %w", hexHash(h), err)
	}
	ls.l = l
	in.mu.Lock()
	stopped := in.stopped
	if !stopped {
		in.links[l.ID()] = ls
	}
	in.mu.Unlock()
	if stopped {
		ls.close()
		return nil, errors.New("instance stopped")
	}
	return bridge.Result{"link_id": hexHash(l.ID())}, nil
}

func cmdLinkSend(in *instance, p bridge.Params) (bridge.Result, error) {
	ls, err := in.outLink(p)
	if err != nil {
		return nil, err
	}
	data, err := p.OptHex("data")
	if err != nil {
		return nil, err
	}
	if _, err := ls.l.Send(data); err != nil {
		return nil, err
	}
	return bridge.Result{"sent": true}, nil
}

// drainPoll waits up to the timeout for *buf to hold something, then
// drains it.
func (ln *listener) drainPoll(p bridge.Params, def int, buf *[][]byte) []string {
	var out []string
	pollUntil(timeoutParam(p, def), func() bool {
		ln.mu.Lock()
		defer ln.mu.Unlock()
		if len(*buf) == 0 {
			return false
		}
		out = hexList(*buf)
		*buf = nil
		return true
	})
	if out == nil {
		out = []string{}
	}
	return out
}

func cmdLinkPoll(in *instance, p bridge.Params) (bridge.Result, error) {
	ln, err := in.listener(p)
	if err != nil {
		return nil, err
	}
	return bridge.Result{"packets": ln.drainPoll(p, 5000, &ln.recv)}, nil
}

func cmdOpportunisticPoll(in *instance, p bridge.Params) (bridge.Result, error) {
	ln, err := in.listener(p)
	if err != nil {
		return nil, err
	}
	return bridge.Result{"packets": ln.drainPoll(p, 5000, &ln.opp)}, nil
}

func cmdResourcePoll(in *instance, p bridge.Params) (bridge.Result, error) {
	ln, err := in.listener(p)
	if err != nil {
		return nil, err
	}
	return bridge.Result{"resources": ln.drainPoll(p, 30000, &ln.resources)}, nil
}

// cmdSendOpportunistic sends one encrypted DATA packet to a SINGLE
// destination and waits for its proof.
func cmdSendOpportunistic(in *instance, p bridge.Params) (bridge.Result, error) {
	h, err := paramHash(p, "destination_hash")
	if err != nil {
		return nil, err
	}
	app, err := p.String("app_name")
	if err != nil {
		return nil, err
	}
	aspects, err := stringList(p, "aspects")
	if err != nil {
		return nil, err
	}
	data, err := p.OptHex("data")
	if err != nil {
		return nil, err
	}
	timeout := timeoutParam(p, 5000)
	t := in.node.Transport()
	var id *identity.Identity
	pollUntil(timeout, func() bool {
		var ok bool
		id, _, ok = t.Recall(h)
		return ok
	})
	if id == nil {
		return bridge.Result{"sent": false, "delivered": false, "status": "send_failed"}, nil
	}
	d, err := in.node.NewDestination(id, rns.Out, wire.Single, app, aspects...)
	if err != nil {
		return nil, err
	}
	if d.Hash() != h {
		return nil, fmt.Errorf("destination %s is not %s with aspects %v", hexHash(h), app, aspects)
	}
	r, err := d.Send(data, timeout)
	if err != nil {
		return bridge.Result{"sent": false, "delivered": false, "status": "send_failed"}, nil
	}
	if r == nil {
		return bridge.Result{"sent": true, "delivered": false, "status": "timeout"}, nil
	}
	select {
	case <-r.Done():
	case <-time.After(timeout + time.Second):
	}
	if r.Proved() {
		return bridge.Result{"sent": true, "delivered": true, "status": "delivered"}, nil
	}
	return bridge.Result{"sent": true, "delivered": false, "status": "timeout"}, nil
}

var statusNames = map[link.Status]string{
	link.StatusPending: "PENDING", link.StatusHandshake: "HANDSHAKE", link.StatusActive: "ACTIVE",
	link.StatusStale: "STALE", link.StatusClosed: "CLOSED",
}

var reasonNames = map[link.TeardownReason]string{
	link.ReasonTimeout: "TIMEOUT", link.ReasonInitiatorClosed: "INITIATOR_CLOSED", link.ReasonDestinationClose: "DESTINATION_CLOSED",
}

// linkStatus snapshots the observable state of a link.
func linkStatus(l *link.Link) bridge.Result {
	st, reason := l.Status(), l.TeardownReason()
	var rs, rn any
	if reason != link.ReasonNone {
		rs, rn = int(reason), reasonNames[reason]
	}
	var remoteHash any
	remote := l.RemoteIdentity()
	if remote != nil {
		h := remote.Hash()
		remoteHash = hex.EncodeToString(h[:])
	}
	rtt := l.RTT()
	ka, stale := l.Watchdog()
	lastIn, _, lastKA := l.Activity()
	ago := func(t time.Time) any {
		if t.IsZero() {
			return nil
		}
		return max(0, time.Since(t).Milliseconds())
	}
	var mtu, mdu any
	if st == link.StatusActive {
		mtu, mdu = l.MTU(), l.MDU()
	}
	return bridge.Result{
		"status":                int(st),
		"status_name":           statusNames[st],
		"teardown_reason":       rs,
		"teardown_reason_name":  rn,
		"no_inbound_for_ms":     ago(lastIn),
		"last_keepalive_ago_ms": ago(lastKA),
		"keepalive_s":           ka.Seconds(),
		"stale_time_s":          stale.Seconds(),
		"rtt":                   rtt.Seconds(),
		"mtu":                   mtu,
		"mdu":                   mdu,
		"mode":                  int(link.ModeDefault),
		"remote_identity_hash":  remoteHash,
		"remote_identified":     remote != nil,
	}
}

func cmdLinkStatus(in *instance, p bridge.Params) (bridge.Result, error) {
	ls, err := in.outLink(p)
	if err != nil {
		return nil, err
	}
	return linkStatus(ls.l), nil
}

func cmdLinkMTU(in *instance, p bridge.Params) (bridge.Result, error) {
	ls, err := in.outLink(p)
	if err != nil {
		return nil, err
	}
	return bridge.Result{"mtu": ls.l.MTU(), "mdu": ls.l.MDU()}, nil
}

func cmdLinkAwaitStatus(in *instance, p bridge.Params) (bridge.Result, error) {
	ls, err := in.outLink(p)
	if err != nil {
		return nil, err
	}
	var target int
	switch v := p["target_status"].(type) {
	case string:
		found := false
		for s, n := range statusNames {
			if n == v || n == upper(v) {
				target, found = int(s), true
			}
		}
		if !found {
			return nil, fmt.Errorf("Unknown target_status name: %q", v)
		}
	case float64:
		target = int(v)
	default:
		return nil, fmt.Errorf("%w: target_status", bridge.ErrParam)
	}
	reached := pollUntil(timeoutParam(p, 15000), func() bool { return int(ls.l.Status()) >= target })
	out := linkStatus(ls.l)
	out["reached"] = reached
	return out, nil
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 32
		}
	}
	return string(b)
}

func cmdLinkTeardown(in *instance, p bridge.Params) (bridge.Result, error) {
	ls, err := in.outLink(p)
	if err != nil {
		return nil, err
	}
	ls.l.Close()
	return bridge.Result{"torn_down": true}, nil
}

func cmdListenerLinkStatus(in *instance, p bridge.Params) (bridge.Result, error) {
	ln, err := in.listener(p)
	if err != nil {
		return nil, err
	}
	var last *inLink
	n := 0
	pollUntil(timeoutParam(p, 0), func() bool {
		ln.mu.Lock()
		defer ln.mu.Unlock()
		n = len(ln.inbound)
		if n > 0 {
			last = ln.inbound[n-1]
		}
		return n > 0
	})
	if last == nil {
		return bridge.Result{"found": false, "link_count": 0}, nil
	}
	out := linkStatus(last.l)
	out["found"] = true
	out["link_count"] = n
	return out, nil
}

func cmdLinkIdentify(in *instance, p bridge.Params) (bridge.Result, error) {
	ls, err := in.outLink(p)
	if err != nil {
		return nil, err
	}
	key, err := p.Hex("private_key")
	if err != nil {
		return nil, err
	}
	id, err := identity.FromPrivateKey(key)
	if err != nil {
		return nil, err
	}
	if err := ls.l.Identify(id); err != nil {
		return nil, err
	}
	h := id.Hash()
	return bridge.Result{"identified": true, "identity_hash": hex.EncodeToString(h[:])}, nil
}

func cmdSetRaceInducer(_ *instance, p bridge.Params) (bridge.Result, error) {
	d, _ := p.IntOr("delay_ms", 0)
	return bridge.Result{"seam": p["seam"], "delay_ms": d}, nil
}

func cmdSetProofStrategy(in *instance, p bridge.Params) (bridge.Result, error) {
	h, err := paramHash(p, "destination_hash")
	if err != nil {
		return nil, err
	}
	in.mu.Lock()
	d, ln := in.dests[h], in.listeners[h]
	in.mu.Unlock()
	if d == nil {
		return nil, fmt.Errorf("No destination %s", hexHash(h))
	}
	s := p.StringOr("strategy", "none")
	if ln != nil && (s == "all" || s == "app" || s == "none") {
		ln.proof.Store(s)
	}
	switch s {
	case "all":
		d.SetProofStrategy(rns.ProveAll)
	case "app":
		d.SetProofStrategy(rns.ProveApp)
	case "none":
		d.SetProofStrategy(rns.ProveNone)
	default:
		return nil, fmt.Errorf("unsupported strategy %q", s)
	}
	// The reference's constants: PROVE_NONE 0x21, PROVE_APP 0x22, PROVE_ALL 0x23.
	return bridge.Result{"strategy": s, "proof_strategy": map[string]int{"none": 0x21, "app": 0x22, "all": 0x23}[s]}, nil
}

// receipt is a sent packet's proof tracking: a link or a transport receipt.
type receipt interface {
	Done() <-chan struct{}
	proved() bool
}

type linkReceipt struct{ *link.Receipt }

func (r linkReceipt) proved() bool { return r.Delivered() }

type transportReceipt struct{ *transport.Receipt }

func (r transportReceipt) proved() bool { return r.Proved() }

func (in *instance) addReceipt(r receipt) string {
	id := newHandle()
	in.mu.Lock()
	if in.receipts == nil {
		in.receipts = map[string]receipt{}
	}
	in.receipts[id] = r
	in.mu.Unlock()
	return id
}

// cmdSendLinkData sends one DATA packet on an outbound link and keeps its
// receipt.
func cmdSendLinkData(in *instance, p bridge.Params) (bridge.Result, error) {
	ls, err := in.outLink(p)
	if err != nil {
		return nil, err
	}
	data, err := p.OptHex("data")
	if err != nil {
		return nil, err
	}
	r, err := ls.l.Send(data)
	if err != nil {
		return bridge.Result{"sent": false, "receipt_id": nil}, nil
	}
	return bridge.Result{"sent": true, "receipt_id": in.addReceipt(linkReceipt{r})}, nil
}

// cmdSendPacket sends one DATA packet to a SINGLE destination and keeps
// its receipt.
func cmdSendPacket(in *instance, p bridge.Params) (bridge.Result, error) {
	h, err := paramHash(p, "destination_hash")
	if err != nil {
		return nil, err
	}
	app, err := p.String("app_name")
	if err != nil {
		return nil, err
	}
	aspects, err := stringList(p, "aspects")
	if err != nil {
		return nil, err
	}
	data, err := p.OptHex("data")
	if err != nil {
		return nil, err
	}
	t := in.node.Transport()
	id, _, ok := t.Recall(h)
	if !ok {
		return nil, fmt.Errorf("No identity known for %s; ensure an announce for this destination was received first.", hexHash(h))
	}
	d, err := in.node.NewDestination(id, rns.Out, wire.Single, app, aspects...)
	if err != nil {
		return nil, err
	}
	r, err := d.Send(data, 30*time.Second)
	if err != nil {
		return bridge.Result{"sent": false, "receipt_id": nil, "hops": nil}, nil
	}
	var rid any
	if r != nil {
		rid = in.addReceipt(transportReceipt{r})
	}
	return bridge.Result{"sent": true, "receipt_id": rid, "hops": t.HopsTo(h)}, nil
}

var receiptNames = map[int]string{0: "FAILED", 1: "SENT", 2: "DELIVERED"}

func cmdPacketReceiptStatus(in *instance, p bridge.Params) (bridge.Result, error) {
	id, err := p.String("receipt_id")
	if err != nil {
		return nil, err
	}
	in.mu.Lock()
	r := in.receipts[id]
	in.mu.Unlock()
	if r == nil {
		return nil, fmt.Errorf("Unknown receipt_id: %s", id)
	}
	select {
	case <-r.Done():
	case <-time.After(timeoutParam(p, 0)):
	}
	st := 1
	select {
	case <-r.Done():
		st = 0
		if r.proved() {
			st = 2
		}
	default:
	}
	return bridge.Result{"status": st, "status_name": receiptNames[st], "delivered": st == 2, "proved": st == 2}, nil
}

// cmdSendOverClosedLink tries to send on a closed link and reports that
// nothing went out.
func cmdSendOverClosedLink(in *instance, p bridge.Params) (bridge.Result, error) {
	ls, err := in.outLink(p)
	if err != nil {
		return nil, err
	}
	data, err := p.OptHex("data")
	if err != nil {
		return nil, err
	}
	if len(data) == 0 {
		data = []byte("after-close")
	}
	before := in.txBytes()
	_, serr := ls.l.Send(data)
	st := ls.l.Status()
	return bridge.Result{
		"link_status":       int(st),
		"link_status_name":  statusNames[st],
		"sent":              serr == nil,
		"bytes_transmitted": in.txBytes() - before,
	}, nil
}

func (in *instance) txBytes() int {
	var total uint64
	for _, i := range in.node.Transport().Interfaces() {
		total += i.Stats().TxBytes
	}
	return int(total)
}

// Proof lengths (RNS.PacketReceipt.IMPL_LENGTH and EXPL_LENGTH).
const (
	implicitProofLen = identity.SigLen
	explicitProofLen = wire.FullHashLen + identity.SigLen
)

// cmdSendPacketWithProofRequest sends one DATA packet to a SINGLE
// destination, waits for its proof and reports the proof frame the node
// received for it.
func cmdSendPacketWithProofRequest(in *instance, p bridge.Params) (bridge.Result, error) {
	res, err := cmdSendPacket(in, p)
	if err != nil || res["sent"] != true || res["receipt_id"] == nil {
		if res != nil {
			res["delivered"] = false
		}
		return res, err
	}
	in.mu.Lock()
	r := in.receipts[res["receipt_id"].(string)].(transportReceipt)
	in.mu.Unlock()
	select {
	case <-r.Done():
	case <-time.After(timeoutParam(p, 10000)):
	}
	delivered := false
	select {
	case <-r.Done():
		delivered = r.Proved()
	default:
	}
	res["delivered"], res["proved"] = delivered, delivered
	res["implicit_proof_config"] = true
	res["impl_length"], res["expl_length"] = implicitProofLen, explicitProofLen
	res["proved_packet_hash"] = hex.EncodeToString(r.Hash[:])
	res["proof_data"], res["proof_len"], res["proof_raw"] = nil, nil, nil
	res["proof_is_implicit"], res["proof_is_explicit"] = nil, nil
	if raw := in.tap.proofFor(wire.Hash(r.Hash[:wire.HashLen])); raw != nil {
		var pk wire.Packet
		if pk.Decode(raw) == nil {
			n := len(pk.Data)
			res["proof_data"], res["proof_len"], res["proof_raw"] = hex.EncodeToString(pk.Data), n, hex.EncodeToString(raw)
			res["proof_is_implicit"], res["proof_is_explicit"] = n == implicitProofLen, n == explicitProofLen
		}
	}
	return res, nil
}

// cmdLinkSetWatchdog compresses an outbound link's keepalive and stale
// time.
func cmdLinkSetWatchdog(in *instance, p bridge.Params) (bridge.Result, error) {
	ls, err := in.outLink(p)
	if err != nil {
		return nil, err
	}
	seconds := func(k string) (time.Duration, error) {
		if !p.Has(k) {
			return 0, nil
		}
		f, err := p.Float(k)
		if err != nil || f <= 0 || f > 1e6 {
			return 0, fmt.Errorf("%w: %s", bridge.ErrParam, k)
		}
		return time.Duration(f * float64(time.Second)), nil
	}
	ka, err := seconds("keepalive_s")
	if err != nil {
		return nil, err
	}
	stale, err := seconds("stale_time_s")
	if err != nil {
		return nil, err
	}
	ls.l.SetWatchdog(ka, stale)
	ka, stale = ls.l.Watchdog()
	return bridge.Result{"keepalive_s": ka.Seconds(), "stale_time_s": stale.Seconds()}, nil
}

// cmdSendOversizeLinkPacket sends a DATA packet of size random bytes on an
// outbound link, which the link refuses above its MDU.
func cmdSendOversizeLinkPacket(in *instance, p bridge.Params) (bridge.Result, error) {
	ls, err := in.outLink(p)
	if err != nil {
		return nil, err
	}
	size, err := p.Int("size")
	if err != nil || size < 0 || size > 1<<20 {
		return nil, fmt.Errorf("%w: size", bridge.ErrParam)
	}
	data := make([]byte, size)
	if _, err := rand.Read(data); err != nil {
		return nil, err
	}
	mtu := ls.l.MTU()
	res := bridge.Result{"size": size, "mtu": mtu, "mdu": ls.l.MDU(), "packet_mtu": mtu}
	if _, err := ls.l.Send(data); err != nil {
		res["sent"], res["rejected"], res["raw_len"] = false, true, nil
		res["error"] = fmt.Sprintf("packet of %d bytes not sent over link MTU %d: %v", size, mtu, err)
		return res, nil
	}
	res["sent"], res["rejected"], res["error"] = true, false, nil
	return res, nil
}
