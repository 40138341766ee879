package tun

// Outbound flow (device → link), one routine:
//
//	routineRead: Device.Read into its own buffer → Header.Decode → checks
//	(IPv4/garbage dropped, oversize → packet too big, outside the prefix or
//	unknown → destination unreachable) → lock-free peer lookup
//	(atomic.Pointer to an immutable table) → sendToPeer: with an active
//	link, frame (whole or fragments) into the routine's scratch buffer and
//	link.SendPacket; without one, copy into the peer's bounded pending queue
//	and start routineEstablish for the peer (one at a time per peer), which
//	opens and identifies the link and flushes the queue.
//
// Inbound flow (link → device), on transport's receive routines:
//
//	link OnPacket → Frame.Decode → whole packet, or Reassembler.Add under
//	the link's mutex → deliver: Header.Decode, source must equal the
//	address of the peer the link is identified as, destination must be this
//	node → Device.Write.
//
// Lock ordering: Adapter.mu, then peer.mu. linksMu is never held with
// either. No lock is held across link.SendPacket or Device.Write, except
// linkState.mu, which guards the reassembly buffer a completed packet
// aliases while it is written to the device.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mehr-net/mehr/rns"
	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/link"
	"github.com/mehr-net/mehr/rns/transport"
	"github.com/mehr-net/mehr/rns/wire"
)

// The IP service destination is a SINGLE destination named AppName.Aspect
// under the node's identity.
const (
	AppName = "mehr"
	Aspect  = "ip"
)

// Defaults of Config.
const (
	DefaultPending           = 32
	DefaultReassemblySlots   = 8
	DefaultReassemblyTimeout = 10 * time.Second
	DefaultEstablishTimeout  = 30 * time.Second
	DefaultAnnounceInterval  = 30 * time.Minute
	DefaultICMPRate          = 20
	// maxCollisions bounds the collision reports kept for Status.
	maxCollisions = 64
	// readBufSize holds any IPv6 packet without a jumbo option, so that
	// oversize packets are seen whole and answered with packet too big.
	readBufSize = 65535 + IPv6HeaderLen
)

// ErrClosed is returned by operations on a closed adapter.
var ErrClosed = errors.New("tun: adapter closed")

// Config configures an Adapter. Every field is optional.
type Config struct {
	// Prefix is the ULA prefix of every node's address; zero means
	// DefaultPrefix. It must satisfy ValidatePrefix and be the same on all
	// nodes of a mesh.
	Prefix netip.Prefix
	// Identity owns the IP destination; nil means the node's transport
	// identity.
	Identity *identity.Identity
	// MTU is the largest IP packet the adapter carries; zero means the
	// device's MTU. It must be at least MinMTU (1280).
	MTU int
	// Pending is how many packets per peer wait for a link to open;
	// further ones are dropped. Zero means DefaultPending.
	Pending int
	// ReassemblySlots is how many fragmented packets per link may be in
	// reassembly at once, and ReassemblyTimeout how long one may take.
	ReassemblySlots   int
	ReassemblyTimeout time.Duration
	// EstablishTimeout bounds finding a path and opening a link.
	EstablishTimeout time.Duration
	// AnnounceInterval is how often the IP destination is announced after
	// the first announce at start and its early repeats (2 s, 5 s, 15 s
	// and 1 min after it); zero means DefaultAnnounceInterval, negative
	// never (not even at start; call Announce).
	AnnounceInterval time.Duration
	// ICMPRate caps the ICMPv6 errors written to the device, per second
	// (also the burst). Zero means DefaultICMPRate.
	ICMPRate int
	// Now is the clock of reassembly timeouts and the ICMP rate limit; nil
	// means time.Now.
	Now func() time.Time
	// Logf receives log lines; nil discards them.
	Logf func(format string, args ...any)
}

// Adapter routes IPv6 packets between a Device and links to peers.
type Adapter struct {
	node   *rns.Node
	dev    Device
	cfg    Config
	prefix netip.Prefix
	id     *identity.Identity
	dest   *rns.Destination
	addr   [16]byte
	mtu    int
	ln     *link.Listener
	now    func() time.Time
	logf   func(string, ...any)

	// peers is the peer table, replaced whole under mu (read lock-free on
	// the packet path).
	peers atomic.Pointer[peerTable]

	// mu guards the following fields and the replacement of peers.
	mu         sync.Mutex
	collisions []Collision
	closed     bool

	// linksMu guards inbound: accepted links that identified themselves.
	linksMu sync.RWMutex
	inbound map[*link.Link]*linkState

	icmp rateLimiter
	c    counters

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	once   sync.Once

	// Owned by routineRead.
	rbuf, sbuf, ebuf []byte
}

type peerTable struct {
	byAddr map[[16]byte]*peer
	byHash map[wire.Hash]*peer
}

// Peer sources.
const (
	SourceAnnounce = "announce" // heard an announce of its IP destination
	SourceLink     = "link"     // it opened a link and identified itself
)

type peer struct {
	addr   [16]byte
	hash   wire.Hash
	source string
	nextID atomic.Uint32

	// mu guards the following fields.
	mu           sync.Mutex
	id           *identity.Identity
	link         *link.Link // the link packets go on; nil: none
	establishing bool
	pending      [][]byte
	lastErr      string

	txPackets, txBytes, rxPackets, rxBytes atomic.Uint64
	dropped, spoofed, establishments       atomic.Uint64
	collisions                             atomic.Uint64
}

// linkState is what the inbound path keeps per link.
type linkState struct {
	peer *peer
	// mu guards reasm.
	mu    sync.Mutex
	reasm *Reassembler
}

// New starts an adapter for node n and device dev: it registers the IP
// destination, accepts links to it, listens for announces of other nodes'
// IP destinations, announces its own (unless AnnounceInterval < 0) and
// starts reading the device. The announce handler stays registered with
// the node's transport after Close (transport has no way to remove it); it
// then ignores announces.
func New(n *rns.Node, dev Device, cfg Config) (*Adapter, error) {
	if cfg.Prefix == (netip.Prefix{}) {
		cfg.Prefix = DefaultPrefix
	}
	if err := ValidatePrefix(cfg.Prefix); err != nil {
		return nil, err
	}
	if cfg.Identity == nil {
		cfg.Identity = n.Identity()
	}
	if cfg.MTU == 0 {
		cfg.MTU = dev.MTU()
	}
	if cfg.MTU < MinMTU || cfg.MTU > 65535 {
		return nil, fmt.Errorf("tun: MTU %d outside [%d, 65535]", cfg.MTU, MinMTU)
	}
	if cfg.Pending <= 0 {
		cfg.Pending = DefaultPending
	}
	if cfg.ReassemblySlots <= 0 {
		cfg.ReassemblySlots = DefaultReassemblySlots
	}
	if cfg.ReassemblyTimeout <= 0 {
		cfg.ReassemblyTimeout = DefaultReassemblyTimeout
	}
	if cfg.EstablishTimeout <= 0 {
		cfg.EstablishTimeout = DefaultEstablishTimeout
	}
	if cfg.AnnounceInterval == 0 {
		cfg.AnnounceInterval = DefaultAnnounceInterval
	}
	if cfg.ICMPRate <= 0 {
		cfg.ICMPRate = DefaultICMPRate
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	a := &Adapter{
		node: n, dev: dev, cfg: cfg, prefix: cfg.Prefix, id: cfg.Identity, mtu: cfg.MTU,
		now: cfg.Now, logf: cfg.Logf, inbound: map[*link.Link]*linkState{},
		rbuf: make([]byte, readBufSize), sbuf: make([]byte, 0, 1024), ebuf: make([]byte, 0, MinMTU),
	}
	a.icmp = rateLimiter{rate: float64(cfg.ICMPRate), tokens: float64(cfg.ICMPRate)}
	a.peers.Store(&peerTable{byAddr: map[[16]byte]*peer{}, byHash: map[wire.Hash]*peer{}})
	d, err := n.NewDestination(cfg.Identity, rns.In, wire.Single, AppName, Aspect)
	if err != nil {
		return nil, fmt.Errorf("tun: register IP destination: %w", err)
	}
	a.dest = d
	a.addr = Address(a.prefix, d.Hash()).As16()
	a.ln = link.NewListener(n.Transport(), cfg.Identity, d.Hash(), link.Config{
		Logf:         cfg.Logf,
		OnIdentified: a.inboundIdentified,
		OnPacket:     a.inboundPacket,
		OnClosed:     a.inboundClosed,
	})
	d.SetLinkRequestHandler(func(p *transport.Packet) { _, _ = a.ln.HandleRequest(p) })
	n.Transport().RegisterAnnounceHandler(AppName+"."+Aspect, true, a.handleAnnounce)
	a.ctx, a.cancel = context.WithCancel(context.Background())
	a.wg.Add(1)
	go a.routineRead()
	if cfg.AnnounceInterval > 0 {
		if err := d.Announce(nil); err != nil {
			a.logf("tun: announce: %v", err)
		}
		a.wg.Add(1)
		go a.routineAnnounce()
	}
	a.logf("tun: address %s (prefix %s, destination %s)", a.Address(), a.prefix, d.Hash())
	return a, nil
}

// Address returns this node's IPv6 address.
func (a *Adapter) Address() netip.Addr { return netip.AddrFrom16(a.addr) }

// Prefix returns the address prefix.
func (a *Adapter) Prefix() netip.Prefix { return a.prefix }

// MTU returns the largest IP packet the adapter carries.
func (a *Adapter) MTU() int { return a.mtu }

// Destination returns the IP destination.
func (a *Adapter) Destination() *rns.Destination { return a.dest }

// Announce announces the IP destination now.
func (a *Adapter) Announce() error { return a.dest.Announce(nil) }

// Close stops the adapter: it closes the device, stops its routines,
// closes every link it opened or accepted and deregisters the IP
// destination. It is idempotent.
func (a *Adapter) Close() error {
	a.once.Do(func() {
		a.mu.Lock()
		a.closed = true
		a.mu.Unlock()
		a.cancel()
		_ = a.dev.Close()
		a.wg.Wait()
		_ = a.ln.Close()
		a.node.Transport().Deregister(a.dest.Hash())
		for _, l := range a.ln.Links() {
			_ = l.Close()
		}
		for _, p := range a.peers.Load().byHash {
			p.mu.Lock()
			l := p.link
			p.link, p.pending = nil, nil
			p.mu.Unlock()
			if l != nil {
				_ = l.Close()
			}
		}
		a.linksMu.Lock()
		in := a.inbound
		a.inbound = map[*link.Link]*linkState{}
		a.linksMu.Unlock()
		for l := range in {
			_ = l.Close()
		}
		a.logf("tun: adapter closed")
	})
	return nil
}

func (a *Adapter) routineAnnounce() {
	defer a.wg.Done()
	// The announce at start goes out while interfaces may still be
	// connecting and peers starting, and peers can only learn an address
	// from an announce (an address holds too little of the hash for a
	// path request); a few early repeats make the first one count.
	early := []time.Duration{2 * time.Second, 5 * time.Second, 15 * time.Second, time.Minute}
	next := a.cfg.AnnounceInterval
	if len(early) > 0 && early[0] < next {
		next = early[0]
	}
	t := time.NewTimer(next)
	defer t.Stop()
	for k := 1; ; k++ {
		select {
		case <-a.ctx.Done():
			return
		case <-t.C:
			if err := a.dest.Announce(nil); err != nil {
				a.logf("tun: announce: %v", err)
			}
		}
		next = a.cfg.AnnounceInterval
		if k < len(early) && early[k]-early[k-1] < next {
			next = early[k] - early[k-1]
		}
		t.Reset(next)
	}
}

// routineRead reads packets from the device until it closes.
func (a *Adapter) routineRead() {
	defer a.wg.Done()
	a.logf("tun: routineRead started")
	defer a.logf("tun: routineRead stopped")
	backoff := time.Millisecond
	for {
		n, err := a.dev.Read(a.rbuf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) || a.ctx.Err() != nil {
				return
			}
			a.c.readErrors.Add(1)
			select {
			case <-a.ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, time.Second)
			continue
		}
		backoff = time.Millisecond
		a.handleOutbound(a.rbuf[:n])
	}
}

// handleOutbound routes one packet read from the device.
func (a *Adapter) handleOutbound(pkt []byte) {
	a.c.read.Add(1)
	var h Header
	if err := h.Decode(pkt); err != nil {
		if len(pkt) > 0 && pkt[0]>>4 == 4 {
			a.c.ipv4.Add(1)
		} else {
			a.c.malformed.Add(1)
		}
		return
	}
	pkt = pkt[:h.Len]
	if h.Len > a.mtu {
		a.c.tooBig.Add(1)
		a.icmpError(&h, pkt, icmpTypeTooBig, 0, uint32(a.mtu))
		return
	}
	if h.Dst[0] == 0xff {
		a.c.multicast.Add(1) // neighbour discovery, MLD: nothing to route
		return
	}
	dst := netip.AddrFrom16(h.Dst)
	if !a.prefix.Contains(dst) {
		a.c.noRoute.Add(1)
		a.icmpError(&h, pkt, icmpTypeUnreachable, icmpCodeNoRoute, 0)
		return
	}
	p := a.peers.Load().byAddr[h.Dst]
	if p == nil {
		a.c.unknown.Add(1)
		a.icmpError(&h, pkt, icmpTypeUnreachable, icmpCodeAddrUnreach, 0)
		return
	}
	a.sendToPeer(p, pkt, true)
}

// icmpError writes an ICMPv6 error about pkt to the device, within the
// rate limit.
func (a *Adapter) icmpError(h *Header, pkt []byte, typ, code uint8, param uint32) {
	if !mayAnswerWithError(h, pkt) {
		return
	}
	if !a.icmp.allow(a.now()) {
		a.c.icmpLimited.Add(1)
		return
	}
	a.ebuf = AppendICMPv6Error(a.ebuf[:0], a.addr, h, pkt, typ, code, param)
	if _, err := a.dev.Write(a.ebuf); err != nil {
		a.c.writeErrors.Add(1)
		return
	}
	a.c.icmpSent.Add(1)
}

// sendToPeer sends pkt to p on its link, or queues a copy and has the link
// opened. retry allows one more attempt when the link turns out closed.
func (a *Adapter) sendToPeer(p *peer, pkt []byte, retry bool) {
	p.mu.Lock()
	l := p.link
	if l == nil {
		if len(p.pending) >= a.cfg.Pending {
			p.mu.Unlock()
			p.dropped.Add(1)
			a.c.queueDrops.Add(1)
			return
		}
		p.pending = append(p.pending, bytes.Clone(pkt))
		start := !p.establishing
		p.establishing = true
		p.mu.Unlock()
		if start {
			a.wg.Add(1)
			go a.routineEstablish(p)
		}
		return
	}
	p.mu.Unlock()
	err := a.sendFramed(l, p, pkt, &a.sbuf)
	if err == nil {
		return
	}
	if errors.Is(err, link.ErrClosed) || errors.Is(err, link.ErrNotActive) {
		p.mu.Lock()
		if p.link == l {
			p.link = nil
		}
		p.mu.Unlock()
		if retry {
			a.sendToPeer(p, pkt, false)
			return
		}
	}
	p.dropped.Add(1)
	a.c.sendErrors.Add(1)
}

// sendFramed frames pkt for link l, in fragments when it does not fit one
// link packet, using *buf as scratch space.
func (a *Adapter) sendFramed(l *link.Link, p *peer, pkt []byte, buf *[]byte) error {
	count, chunk := Fragments(len(pkt), l.MDU())
	switch count {
	case 0:
		p.dropped.Add(1)
		a.c.unfragmentable.Add(1)
		return nil
	case 1:
		*buf = AppendWhole((*buf)[:0], pkt)
		if _, err := l.SendPacket(wire.Data, wire.ContextNone, *buf); err != nil {
			return err
		}
	default:
		id := uint16(p.nextID.Add(1))
		for i := range count {
			end := min((i+1)*chunk, len(pkt))
			*buf = AppendFragment((*buf)[:0], id, uint8(i), uint8(count), pkt[i*chunk:end])
			if _, err := l.SendPacket(wire.Data, wire.ContextNone, *buf); err != nil {
				return err
			}
		}
		a.c.fragmented.Add(1)
	}
	p.txPackets.Add(1)
	p.txBytes.Add(uint64(len(pkt)))
	return nil
}

// routineEstablish opens an identified link to p and sends the packets
// that waited for it.
func (a *Adapter) routineEstablish(p *peer) {
	defer a.wg.Done()
	ctx, cancel := context.WithTimeout(a.ctx, a.cfg.EstablishTimeout)
	l, err := a.establish(ctx, p)
	cancel()
	if err != nil {
		p.mu.Lock()
		n := len(p.pending)
		p.pending, p.establishing, p.lastErr = nil, false, err.Error()
		p.mu.Unlock()
		p.dropped.Add(uint64(n))
		a.c.linkFailures.Add(1)
		a.logf("tun: link to %s (%s): %v", netip.AddrFrom16(p.addr), p.hash, err)
		return
	}
	p.establishments.Add(1)
	var buf []byte
	for {
		p.mu.Lock()
		q := p.pending
		p.pending = nil
		if len(q) == 0 || a.ctx.Err() != nil {
			p.link, p.establishing, p.lastErr = l, false, ""
			p.mu.Unlock()
			select {
			case <-l.Done():
				a.linkClosed(p, l)
			default:
			}
			return
		}
		p.mu.Unlock()
		for _, pkt := range q {
			if err := a.sendFramed(l, p, pkt, &buf); err != nil {
				p.dropped.Add(1)
				a.c.sendErrors.Add(1)
			}
		}
	}
}

// establish finds a path to p, opens a link and identifies on it.
func (a *Adapter) establish(ctx context.Context, p *peer) (*link.Link, error) {
	p.mu.Lock()
	who := p.id
	p.mu.Unlock()
	if err := a.node.AwaitPath(ctx, p.hash); err != nil {
		return nil, fmt.Errorf("no path: %w", err)
	}
	ls := &linkState{peer: p, reasm: NewReassembler(a.mtu, a.cfg.ReassemblySlots, a.cfg.ReassemblyTimeout)}
	l, err := link.Establish(ctx, a.node.Transport(), who, p.hash, link.Config{
		Logf:     a.logf,
		OnPacket: func(l *link.Link, pt []byte) { a.receive(ls, pt) },
		OnClosed: func(l *link.Link, _ link.TeardownReason) { a.linkClosed(p, l) },
	})
	if err != nil {
		return nil, fmt.Errorf("establish: %w", err)
	}
	if err := l.Identify(a.id); err != nil {
		_ = l.Close()
		return nil, fmt.Errorf("identify: %w", err)
	}
	return l, nil
}

// linkClosed forgets l as p's link.
func (a *Adapter) linkClosed(p *peer, l *link.Link) {
	p.mu.Lock()
	if p.link == l {
		p.link = nil
	}
	p.mu.Unlock()
}

// inboundIdentified binds an accepted link to the peer whose identity it
// revealed.
func (a *Adapter) inboundIdentified(l *link.Link, who *identity.Identity) {
	d, err := a.node.NewDestination(who, rns.Out, wire.Single, AppName, Aspect)
	if err != nil {
		return
	}
	p := a.learn(d.Hash(), who, SourceLink)
	if p == nil {
		return // a collision: the link stays unidentified
	}
	ls := &linkState{peer: p, reasm: NewReassembler(a.mtu, a.cfg.ReassemblySlots, a.cfg.ReassemblyTimeout)}
	a.linksMu.Lock()
	if a.inbound == nil {
		a.linksMu.Unlock()
		return
	}
	a.inbound[l] = ls
	a.linksMu.Unlock()
	p.mu.Lock()
	if p.link == nil && l.Status() != link.StatusClosed {
		p.link = l
	}
	p.mu.Unlock()
}

// inboundPacket receives a packet on an accepted link.
func (a *Adapter) inboundPacket(l *link.Link, pt []byte) {
	a.linksMu.RLock()
	ls := a.inbound[l]
	a.linksMu.RUnlock()
	if ls == nil {
		a.c.unidentified.Add(1)
		return
	}
	a.receive(ls, pt)
}

func (a *Adapter) inboundClosed(l *link.Link, _ link.TeardownReason) {
	a.linksMu.Lock()
	ls := a.inbound[l]
	delete(a.inbound, l)
	a.linksMu.Unlock()
	if ls != nil {
		a.linkClosed(ls.peer, l)
	}
}

// receive handles the plaintext of one link packet from ls's peer.
func (a *Adapter) receive(ls *linkState, pt []byte) {
	var f Frame
	if err := f.Decode(pt); err != nil {
		a.c.badFrames.Add(1)
		return
	}
	if f.Kind == FrameWhole {
		a.deliver(ls.peer, f.Data)
		return
	}
	ls.mu.Lock()
	pkt, res := ls.reasm.Add(&f, a.now())
	switch res {
	case Complete:
		a.c.reassembled.Add(1)
		a.deliver(ls.peer, pkt)
	case Inconsistent:
		a.c.fragDrops.Add(1)
	case Duplicate:
		a.c.fragDuplicates.Add(1)
	}
	ls.mu.Unlock()
}

// deliver writes a packet from p to the device if its source is p's
// address and its destination this node.
func (a *Adapter) deliver(p *peer, pkt []byte) {
	var h Header
	if err := h.Decode(pkt); err != nil {
		p.dropped.Add(1)
		a.c.badPackets.Add(1)
		return
	}
	if h.Src != p.addr {
		p.spoofed.Add(1)
		if a.c.spoofed.Add(1) == 1 {
			a.logf("tun: dropped a packet from %s claiming source %s (further ones are only counted)", netip.AddrFrom16(p.addr), h.SrcAddr())
		}
		return
	}
	if h.Dst != a.addr {
		p.dropped.Add(1)
		a.c.notForUs.Add(1)
		return
	}
	if h.Len > a.mtu {
		p.dropped.Add(1)
		a.c.badPackets.Add(1)
		return
	}
	if _, err := a.dev.Write(pkt[:h.Len]); err != nil {
		a.c.writeErrors.Add(1)
		return
	}
	p.rxPackets.Add(1)
	p.rxBytes.Add(uint64(h.Len))
}

// handleAnnounce learns a peer from an announce of an IP destination.
func (a *Adapter) handleAnnounce(ai transport.AnnounceInfo) {
	if ai.Destination == a.dest.Hash() || ai.Identity == nil {
		return
	}
	a.learn(ai.Destination, ai.Identity, SourceAnnounce)
}

// learn records the peer with IP destination hash h and identity who, and
// returns it; on a collision (another destination holds the address, or
// it is this node's) it reports it and returns nil.
func (a *Adapter) learn(h wire.Hash, who *identity.Identity, source string) *peer {
	addr := Address(a.prefix, h).As16()
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return nil
	}
	t := a.peers.Load()
	if p := t.byAddr[addr]; p != nil {
		if p.hash == h {
			p.mu.Lock()
			p.id = who
			p.mu.Unlock()
			return p
		}
		p.collisions.Add(1)
		a.collisionLocked(addr, p.hash, h)
		return nil
	}
	if addr == a.addr {
		a.collisionLocked(addr, a.dest.Hash(), h)
		return nil
	}
	p := &peer{addr: addr, hash: h, source: source, id: who}
	nt := &peerTable{byAddr: make(map[[16]byte]*peer, len(t.byAddr)+1), byHash: make(map[wire.Hash]*peer, len(t.byHash)+1)}
	for k, v := range t.byAddr {
		nt.byAddr[k] = v
	}
	for k, v := range t.byHash {
		nt.byHash[k] = v
	}
	nt.byAddr[addr], nt.byHash[h] = p, p
	a.peers.Store(nt)
	a.logf("tun: peer %s (%s, from %s)", netip.AddrFrom16(addr), h, source)
	return p
}

func (a *Adapter) collisionLocked(addr [16]byte, kept, rejected wire.Hash) {
	a.c.collisions.Add(1)
	for i := range a.collisions {
		c := &a.collisions[i]
		if c.Kept == kept && c.Rejected == rejected {
			c.Count++
			return
		}
	}
	a.logf("tun: address collision: %s is %s's; %s maps to it too and is ignored", netip.AddrFrom16(addr), kept, rejected)
	if len(a.collisions) < maxCollisions {
		a.collisions = append(a.collisions, Collision{Address: netip.AddrFrom16(addr), Kept: kept, Rejected: rejected, Count: 1, First: a.now()})
	}
}

// rateLimiter is a token bucket of rate tokens per second, with a burst of
// rate. It is used by routineRead only.
type rateLimiter struct {
	rate   float64
	tokens float64
	last   time.Time
}

func (r *rateLimiter) allow(now time.Time) bool {
	if !r.last.IsZero() {
		r.tokens = min(r.rate, r.tokens+now.Sub(r.last).Seconds()*r.rate)
	}
	r.last = now
	if r.tokens < 1 {
		return false
	}
	r.tokens--
	return true
}
