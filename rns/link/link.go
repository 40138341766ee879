package link

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"math"
	"sync"
	"time"

	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/transport"
	"github.com/mehr-net/mehr/rns/wire"
)

// Config configures links made by Establish and by a Listener. Every
// field is optional.
type Config struct {
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// Rand supplies ephemeral keys and token IVs; nil means crypto/rand.
	Rand io.Reader
	// Logf receives debug logging; nil discards it.
	Logf func(format string, args ...any)
	// TickInterval is how often a link's watchdog runs; zero means 1 s.
	TickInterval time.Duration
	// ProveAll makes the link prove every DATA packet of context NONE it
	// receives (the reference's PROVE_ALL; the default is PROVE_NONE).
	ProveAll bool
	// Prove, when ProveAll is not set, decides per DATA packet of context
	// NONE whether to prove it, from its plaintext (the reference's
	// destination proof strategy, PROVE_APP with its callback or a
	// strategy changed after the link was made). It runs on the link's
	// packet routine after OnPacket; plaintext is valid only during the
	// call.
	Prove func(l *Link, plaintext []byte) bool
	// OnProved, if set, runs after the link sent the proof of a packet it
	// received (any context: DATA it proves itself, CHANNEL packets a
	// channel proves). p is only valid during the call.
	OnProved func(l *Link, p *transport.Packet)

	// Callbacks run on transport's receive routine or on the link's
	// watchdog routine and must not block.

	// OnEstablished runs once when the link becomes active.
	OnEstablished func(l *Link)
	// OnPacket receives the plaintext of every DATA packet of context
	// NONE. plaintext is only valid during the call.
	OnPacket func(l *Link, plaintext []byte)
	// RequestResources decides on resources flagged as requests or
	// responses (sent as resources because they exceed one packet):
	// whether to accept one, and what runs when it concludes. These never
	// reach Resources. Package request's Mux.Install sets it; nil refuses
	// them.
	RequestResources func(l *Link, info ResourceInfo) (accept bool, onConcluded func(*Transfer))
	// OnIdentified runs when the initiator reveals its identity.
	OnIdentified func(l *Link, who *identity.Identity)
	// OnClosed runs once when the link closes.
	OnClosed func(l *Link, reason TeardownReason)
	// OnSend, if set, sees every packet the link transmits (link request,
	// link proof, data, keepalives, LINKCLOSE, ...) right after transport
	// accepted it; raw is only valid during the call. It serves packet
	// capture and tests.
	OnSend func(l *Link, raw []byte)
	// OnOther receives packets of every other context (REQUEST,
	// RESPONSE, CHANNEL, RESOURCE_*, ...) for the packages layered on
	// links, already decrypted when Encrypted says so. p and plaintext
	// are only valid during the call.
	OnOther func(l *Link, p *transport.Packet, plaintext []byte)

	// Resources configures incoming resource transfers (transfer.go).
	// Resource packets are handled by the link and not passed to OnOther.
	Resources ResourceConfig
}

// Receipt tracks the explicit proof of a packet sent on a link.
type Receipt struct {
	// Hash is the full hash of the sent packet.
	Hash     [wire.FullHashLen]byte
	deadline time.Time
	done     chan struct{}
	proved   bool
}

// Done is closed when the packet is proved, the receipt times out or the
// link closes.
func (r *Receipt) Done() <-chan struct{} { return r.done }

// Delivered reports whether a valid proof arrived. Read it after Done.
func (r *Receipt) Delivered() bool { return r.proved }

// Link is one end of a link. It is registered with its transport under
// the link ID as a transport.Destination of type wire.Link. Its methods
// are safe for concurrent use.
type Link struct {
	t         *transport.Transport
	cfg       Config
	now       func() time.Time
	initiator bool
	id        wire.Hash
	// peer verifies the other side's packet proofs.
	peer *identity.Identity
	mode Mode
	// request is the initiator's LINKREQUEST packet (Prepare), sent by
	// Open.
	request []byte

	established chan struct{}
	done        chan struct{}
	wg          sync.WaitGroup

	// mu guards the following fields.
	mu     sync.Mutex
	status Status
	reason TeardownReason
	// own holds the ephemeral X25519 key and the signing key: the
	// ephemeral Ed25519 key on the initiator, the destination identity's
	// key on the responder. It, shared, key and session are purged when
	// the link closes (forward secrecy, the reference's link_closed).
	own           *identity.Identity
	shared        []byte // X25519 shared secret
	session       *Session
	key           []byte // derived session key, for resources
	mtu           int
	rtt           time.Duration
	keepalive     time.Duration
	staleTime     time.Duration // 0: StaleFactor * keepalive
	requestTime   time.Time
	lastInbound   time.Time
	lastOutbound  time.Time
	lastKeepalive time.Time
	lastData      time.Time // last non-keepalive packet in either direction
	timeout       time.Duration
	attached      *transport.Iface
	remote        *identity.Identity
	receipts      map[[wire.FullHashLen]byte]*Receipt
	trackPhy      bool
	phy           PhyStats

	res resources
}

var _ transport.Destination = (*Link)(nil)

func newLink(t *transport.Transport, cfg Config, initiator bool) *Link {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	if cfg.TickInterval <= 0 {
		cfg.TickInterval = time.Second
	}
	return &Link{
		t: t, cfg: cfg, now: cfg.Now, initiator: initiator, mode: ModeDefault,
		established: make(chan struct{}), done: make(chan struct{}),
		mtu: wire.MTU, keepalive: KeepaliveMax,
		receipts: map[[wire.FullHashLen]byte]*Receipt{},
	}
}

// Remote names the destination a link is opened to.
type Remote struct {
	// Identity is the destination's identity (public key); it signs the
	// link proof.
	Identity *identity.Identity
	// Hash is the destination hash.
	Hash wire.Hash
	// Type is the destination type; links exist only to wire.Single
	// destinations.
	Type wire.DestType
}

// Establish opens a link to the SINGLE destination with the given hash and
// identity and waits until it is active or ctx ends: Prepare, then Open.
func Establish(ctx context.Context, t *transport.Transport, destination *identity.Identity, destHash wire.Hash, cfg Config) (*Link, error) {
	l, err := Prepare(t, Remote{Identity: destination, Hash: destHash, Type: wire.Single}, cfg)
	if err != nil {
		return nil, err
	}
	if err := l.Open(ctx); err != nil {
		return nil, err
	}
	return l, nil
}

// Prepare makes the initiator's side of a link to r without sending
// anything: fresh ephemeral keys and the LINKREQUEST packet (Request),
// which signals the MTU of the next hop's interface when it autoconfigures
// its MTU (TCP, shared instance), else wire.MTU; each hop and the
// responder may clamp it, and the proof confirms the result. The link is
// PENDING and not registered with transport until Open. It fails with
// ErrDestType unless r is a SINGLE destination, as the reference's Link
// constructor does.
func Prepare(t *transport.Transport, r Remote, cfg Config) (*Link, error) {
	if r.Type != wire.Single {
		return nil, fmt.Errorf("%w (got %s)", ErrDestType, r.Type)
	}
	if r.Identity == nil {
		return nil, fmt.Errorf("%w: no identity", ErrDestType)
	}
	l := newLink(t, cfg, true)
	own, err := identity.Generate(l.cfg.Rand)
	if err != nil {
		return nil, err
	}
	l.own, l.peer = own, r.Identity
	mtu := wire.MTU
	if m, ok := t.NextHopMTU(r.Hash); ok && m > mtu {
		mtu = m
	}
	payload, err := AppendRequest(nil, own.X25519Public(), own.Ed25519Public(), mtu, l.mode)
	if err != nil {
		return nil, err
	}
	l.request = AppendRequestPacket(nil, r.Hash, payload)
	if l.id, err = ID(l.request); err != nil {
		return nil, err
	}
	// The reference's initiator allows the first hop's timeout plus the
	// per-hop timeout for every hop (PATHFINDER_M of them when the path is
	// unknown); the responder allows the per-hop timeouts plus a keepalive.
	hops := max(1, t.HopsTo(r.Hash))
	l.timeout = firstHopTimeout(t, r.Hash) + EstablishmentTimeoutPerHop*time.Duration(hops)
	l.requestTime = l.now()
	l.lastOutbound = l.requestTime
	return l, nil
}

// firstHopTimeout is the reference's Transport.first_hop_timeout: the time
// one wire.MTU-sized packet takes over the next hop's interface, plus
// EstablishmentTimeoutPerHop; without a path or a bitrate, that alone.
func firstHopTimeout(t *transport.Transport, h wire.Hash) time.Duration {
	pe, ok := t.Path(h)
	if !ok || pe.Interface == nil {
		return EstablishmentTimeoutPerHop
	}
	bitrate := pe.Interface.Stats().Bitrate
	if bitrate <= 0 {
		return EstablishmentTimeoutPerHop
	}
	return EstablishmentTimeoutPerHop + time.Duration(float64(wire.MTU*8)/float64(bitrate)*float64(time.Second))
}

// Request returns the initiator's LINKREQUEST packet, or nil on the
// responder. The caller must not modify it.
func (l *Link) Request() []byte { return l.request }

// Open registers a prepared link with transport, sends its link request
// and waits until the link is active or ctx ends. On failure the link is
// closed.
func (l *Link) Open(ctx context.Context) error {
	if !l.initiator || l.request == nil {
		return fmt.Errorf("link: open: %w", ErrNotActive)
	}
	l.mu.Lock()
	st := l.status
	l.mu.Unlock()
	if st != StatusPending {
		return fmt.Errorf("link: open: %w", ErrNotActive)
	}
	if err := l.t.Register(l); err != nil {
		return fmt.Errorf("link: register %s: %w", l.id, err)
	}
	l.start()
	if err := l.transmit(l.request, nil); err != nil {
		l.closeWith(ReasonTimeout, false)
		l.wg.Wait()
		return fmt.Errorf("link: send request: %w", err)
	}
	select {
	case <-l.established:
		return nil
	case <-l.done:
		l.wg.Wait()
		return ErrClosed
	case <-ctx.Done():
		l.closeWith(ReasonTimeout, false)
		l.wg.Wait()
		return ctx.Err()
	}
}

// accept is the responder's side of validate_request.
func accept(t *transport.Transport, cfg Config, destination *identity.Identity, p *transport.Packet) (*Link, error) {
	req, err := ParseRequest(p.Data)
	if err != nil {
		return nil, err
	}
	l := newLink(t, cfg, false)
	if l.id, err = ID(p.Raw); err != nil {
		return nil, err
	}
	priv, ok := destination.PrivateKey()
	if !ok {
		return nil, identity.ErrNoPrivateKey
	}
	var eph [32]byte
	if _, err := io.ReadFull(l.cfg.Rand, eph[:]); err != nil {
		return nil, err
	}
	if l.own, err = identity.FromPrivateKey(append(eph[:], priv[32:]...)); err != nil {
		return nil, err
	}
	if l.peer, err = identity.FromPublicKey(append(req.X25519[:], req.Ed25519[:]...)); err != nil {
		return nil, err
	}
	shared, err := l.own.ECDH(req.X25519[:])
	if err != nil {
		return nil, err
	}
	key, err := DeriveKey(shared, l.id, req.Mode)
	if err != nil {
		return nil, err
	}
	if l.session, err = NewSession(l.id, key); err != nil {
		return nil, err
	}
	l.key, l.shared = key, shared[:]
	l.mode, l.mtu = req.Mode, req.MTU
	l.status = StatusHandshake
	l.attached = p.Interface
	l.timeout = EstablishmentTimeoutPerHop*time.Duration(max(1, int(p.Hops))) + KeepaliveMax
	proof, err := AppendProof(nil, l.id, l.own.X25519Public(), destination, l.mtu, l.mode)
	if err != nil {
		return nil, err
	}
	if err := t.Register(l); err != nil {
		return nil, fmt.Errorf("link: register %s: %w", l.id, err)
	}
	now := l.now()
	l.requestTime, l.lastInbound, l.lastOutbound = now, now, now
	l.start()
	if err := l.transmit(AppendProofPacket(nil, l.id, proof), l.attached); err != nil {
		l.closeWith(ReasonTimeout, false)
		return nil, fmt.Errorf("link: send proof: %w", err)
	}
	return l, nil
}

// Hash returns the link ID (transport.Destination).
func (l *Link) Hash() wire.Hash { return l.id }

// Type returns wire.Link (transport.Destination).
func (l *Link) Type() wire.DestType { return wire.Link }

// ID returns the link ID.
func (l *Link) ID() wire.Hash { return l.id }

// Initiator reports whether this end opened the link.
func (l *Link) Initiator() bool { return l.initiator }

// Status returns the link's state.
func (l *Link) Status() Status {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.status
}

// TeardownReason returns why the link closed, or ReasonNone.
func (l *Link) TeardownReason() TeardownReason {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.reason
}

// RTT returns the measured round-trip time.
func (l *Link) RTT() time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.rtt
}

// MTU returns the link MTU.
func (l *Link) MTU() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.mtu
}

// MDU returns the largest plaintext Send accepts.
func (l *Link) MDU() int { return MDU(l.MTU()) }

// RemoteIdentity returns the peer's identity: the destination's for the
// initiator, the identified initiator's (or nil) for the responder.
func (l *Link) RemoteIdentity() *identity.Identity {
	if l.initiator {
		return l.peer
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.remote
}

// Done is closed when the link closes.
func (l *Link) Done() <-chan struct{} { return l.done }

// Established is closed when the link becomes active.
func (l *Link) Established() <-chan struct{} { return l.established }

// Send encrypts data into one DATA packet and sends it. The receipt is
// proved if the peer proves the packet.
func (l *Link) Send(data []byte) (*Receipt, error) {
	raw, attached, err := l.buildPacket(wire.Data, wire.ContextNone, data)
	if err != nil {
		return nil, err
	}
	// Register the receipt before sending: on a fast path the proof can
	// arrive before Send returns.
	h, _ := wire.PacketHash(raw)
	r := &Receipt{Hash: h, done: make(chan struct{})}
	l.mu.Lock()
	if l.status == StatusClosed {
		l.mu.Unlock()
		return nil, ErrClosed
	}
	r.deadline = l.now().Add(max(6*l.rtt, 5*time.Second))
	l.receipts[h] = r
	l.mu.Unlock()
	if err := l.send(raw, attached); err != nil {
		l.mu.Lock()
		delete(l.receipts, h)
		l.mu.Unlock()
		return nil, err
	}
	return r, nil
}

// SendPacket builds a link packet of type typ and context ctx carrying
// payload (encrypted when Encrypted(typ, ctx)) and sends it. It returns
// the packet as sent. It is the building block for requests, channels and
// resources.
func (l *Link) SendPacket(typ wire.PacketType, ctx wire.Context, payload []byte) ([]byte, error) {
	raw, attached, err := l.buildPacket(typ, ctx, payload)
	if err != nil {
		return nil, err
	}
	return raw, l.send(raw, attached)
}

// buildPacket builds a link packet and returns it with the interface the
// link is attached to.
func (l *Link) buildPacket(typ wire.PacketType, ctx wire.Context, payload []byte) ([]byte, *transport.Iface, error) {
	l.mu.Lock()
	st, sess, mtu, attached := l.status, l.session, l.mtu, l.attached
	l.mu.Unlock()
	if st == StatusClosed {
		return nil, nil, ErrClosed
	}
	if sess == nil || (st != StatusActive && st != StatusStale) {
		return nil, nil, ErrNotActive
	}
	if Encrypted(typ, ctx) && len(payload) > MDU(mtu) {
		return nil, nil, ErrTooLarge
	}
	var iv [identity.TokenIVLen]byte
	if Encrypted(typ, ctx) {
		if _, err := io.ReadFull(l.cfg.Rand, iv[:]); err != nil {
			return nil, nil, err
		}
	}
	raw := sess.AppendPacket(make([]byte, 0, wire.HeaderMinSize+identity.TokenLen(len(payload))), typ, ctx, iv, payload)
	if len(raw) > mtu {
		return nil, nil, ErrTooLarge
	}
	return raw, attached, nil
}

// send transmits a built packet on the link's interface and records the
// outbound activity.
func (l *Link) send(raw []byte, attached *transport.Iface) error {
	if err := l.transmit(raw, attached); err != nil {
		return err
	}
	var h wire.Header
	_, herr := h.Decode(raw)
	now := l.now()
	l.mu.Lock()
	l.lastOutbound = now
	if herr == nil && h.Context != wire.ContextKeepalive {
		l.lastData = now
	}
	l.mu.Unlock()
	return nil
}

// transmit hands raw to transport and shows it to Config.OnSend.
func (l *Link) transmit(raw []byte, attached *transport.Iface) error {
	if _, err := l.t.Send(raw, attached); err != nil {
		return err
	}
	if l.cfg.OnSend != nil {
		l.cfg.OnSend(l, raw)
	}
	return nil
}

// Identify reveals who to the responder. Only the initiator of an active
// link may identify; on any other link it sends nothing and returns an
// error wrapping ErrNotActive, as the reference's identify does nothing.
func (l *Link) Identify(who *identity.Identity) error {
	if !l.initiator {
		return fmt.Errorf("link: only the initiator identifies: %w", ErrNotActive)
	}
	pt, err := AppendIdentify(nil, l.id, who)
	if err != nil {
		return err
	}
	_, err = l.SendPacket(wire.Data, wire.ContextLinkIdentify, pt)
	return err
}

// Close tears the link down, telling the peer unless the link was still
// pending. It is idempotent.
func (l *Link) Close() error {
	reason := ReasonDestinationClose
	if l.initiator {
		reason = ReasonInitiatorClosed
	}
	l.closeWith(reason, true)
	return nil
}

// closeWith moves the link to CLOSED, optionally sending LINKCLOSE first.
func (l *Link) closeWith(reason TeardownReason, notify bool) {
	l.mu.Lock()
	if l.status == StatusClosed {
		l.mu.Unlock()
		return
	}
	sess, attached, prev := l.session, l.attached, l.status
	l.status, l.reason = StatusClosed, reason
	receipts := l.receipts
	l.receipts = nil
	// Purge the ephemeral keys: a closed link cannot be decrypted later
	// even by whoever takes this process's memory.
	l.own, l.shared, l.key, l.session = nil, nil, nil, nil
	l.mu.Unlock()

	if notify && sess != nil && prev != StatusPending {
		var iv [identity.TokenIVLen]byte
		if _, err := io.ReadFull(l.cfg.Rand, iv[:]); err == nil {
			_ = l.transmit(sess.AppendPacket(nil, wire.Data, wire.ContextLinkClose, iv, l.id[:]), attached)
		}
	}
	l.t.Deregister(l.id)
	close(l.done)
	for _, r := range receipts {
		close(r.done)
	}
	l.cfg.Logf("link %s closed: reason %d", l.id, reason)
	if l.cfg.OnClosed != nil {
		l.cfg.OnClosed(l, reason)
	}
}

// Wait blocks until the link's watchdog routine has stopped, which
// happens soon after the link closes.
func (l *Link) Wait() {
	l.wg.Wait()
	l.res.wg.Wait()
}

func (l *Link) start() {
	l.wg.Add(1)
	go l.routineWatchdog()
}

// routineWatchdog runs tick every TickInterval until the link closes.
func (l *Link) routineWatchdog() {
	defer l.wg.Done()
	tk := time.NewTicker(l.cfg.TickInterval)
	defer tk.Stop()
	for {
		select {
		case <-l.done:
			return
		case <-tk.C:
			l.tick(l.now())
		}
	}
}

// staleLocked returns the stale time. l.mu must be held.
func (l *Link) staleLocked() time.Duration {
	if l.staleTime > 0 {
		return l.staleTime
	}
	return StaleFactor * l.keepalive
}

// Activity returns when the link last received a packet, last sent one
// and (initiator) last sent a keepalive; a zero time means never.
func (l *Link) Activity() (lastInbound, lastOutbound, lastKeepalive time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lastInbound, l.lastOutbound, l.lastKeepalive
}

// Watchdog returns the keepalive interval and the stale time: how long
// without inbound traffic before the link goes stale.
func (l *Link) Watchdog() (keepalive, stale time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.keepalive, l.staleLocked()
}

// SetWatchdog overrides the keepalive interval and the stale time of an
// established link (the reference lets programs set link.keepalive and
// link.stale_time); a value of zero or less leaves that setting as it is.
// The watchdog runs every Config.TickInterval, which bounds how precisely
// short values are honoured.
func (l *Link) SetWatchdog(keepalive, stale time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if keepalive > 0 {
		l.keepalive = keepalive
	}
	if stale > 0 {
		l.staleTime = stale
	}
}

// tick is one run of the reference's watchdog: establishment timeouts,
// keepalives, staleness, and receipt timeouts.
func (l *Link) tick(now time.Time) {
	var expired []*Receipt
	l.mu.Lock()
	for h, r := range l.receipts {
		if now.After(r.deadline) {
			delete(l.receipts, h)
			expired = append(expired, r)
		}
	}
	st := l.status
	var keepalive, teardown bool
	var reason TeardownReason
	switch st {
	case StatusPending, StatusHandshake:
		if !now.Before(l.requestTime.Add(l.timeout)) {
			teardown, reason = true, ReasonTimeout
		}
	case StatusActive:
		if !now.Before(l.lastInbound.Add(l.keepalive)) || !now.Before(l.lastOutbound.Add(l.keepalive)) {
			if l.initiator && !now.Before(l.lastKeepalive.Add(l.keepalive)) {
				keepalive = true
				l.lastKeepalive = now
			}
			if !now.Before(l.lastInbound.Add(l.staleLocked())) {
				l.status = StatusStale
				l.lastInbound = now // the stale grace starts now
			}
		}
	case StatusStale:
		grace := time.Duration(KeepaliveTimeoutFactor)*l.rtt + StaleGrace
		if !now.Before(l.lastInbound.Add(grace)) {
			teardown, reason = true, ReasonTimeout
		}
	}
	l.mu.Unlock()
	for _, r := range expired {
		close(r.done)
	}
	if keepalive {
		_, _ = l.SendPacket(wire.Data, wire.ContextKeepalive, []byte{KeepaliveRequest})
	}
	if teardown {
		l.closeWith(reason, st == StatusStale)
	}
}

// plainPool holds the buffers DATA packets are decrypted into for OnPacket.
var plainPool = sync.Pool{New: func() any { return new([]byte) }}

// Receive handles a packet transport delivers to the link ID
// (transport.Destination). Malformed and unauthentic packets are dropped.
func (l *Link) Receive(p *transport.Packet) {
	l.mu.Lock()
	if l.status == StatusClosed {
		l.mu.Unlock()
		return
	}
	if p.PacketType == wire.Proof && p.Context == wire.ContextLRProof {
		l.mu.Unlock()
		if l.initiator {
			l.handleProof(p)
		}
		return
	}
	if l.initiator && p.Context == wire.ContextKeepalive && len(p.Data) == 1 && p.Data[0] == KeepaliveRequest {
		l.mu.Unlock()
		return
	}
	sess := l.session
	if sess == nil || p.Interface != l.attached {
		// A link-associated packet on another interface than the one the
		// link is attached to is dropped, as the reference does: someone
		// may be trying to manipulate the link.
		l.mu.Unlock()
		return
	}
	l.lastInbound = l.now()
	if p.Context != wire.ContextKeepalive {
		l.lastData = l.lastInbound
	}
	if l.status == StatusStale {
		l.status = StatusActive
	}
	l.mu.Unlock()

	if p.PacketType == wire.Proof {
		if p.Context == wire.ContextNone {
			l.handlePacketProof(p)
		} else if p.Context == wire.ContextResourcePRF {
			l.handleResource(p.Context, bytes.Clone(p.Data), p.Hash)
		} else if l.cfg.OnOther != nil {
			l.cfg.OnOther(l, p, p.Data)
		}
		return
	}
	if p.PacketType != wire.Data {
		return
	}
	if p.Context == wire.ContextResource {
		// Resource parts travel unencrypted (the resource is encrypted
		// as a whole) and are the bulk of a transfer: copy them into a
		// pooled buffer the transfer returns after filing the part.
		if p.DestType == wire.Link && p.Destination == sess.id {
			l.handlePart(p.Data)
		}
		return
	}
	if p.Context == wire.ContextNone {
		// OnPacket's plaintext is valid only during the call, so it is
		// decrypted into a pooled buffer.
		bp := plainPool.Get().(*[]byte)
		pt, err := sess.Open((*bp)[:0], &p.Packet)
		if err == nil {
			if l.cfg.OnPacket != nil {
				l.cfg.OnPacket(l, pt)
			}
			if l.cfg.ProveAll || (l.cfg.Prove != nil && l.cfg.Prove(l, pt)) {
				l.prove(p)
			}
		}
		*bp = pt[:0]
		plainPool.Put(bp)
		return
	}
	pt, err := sess.Open(nil, &p.Packet)
	if err != nil {
		return
	}
	switch p.Context {
	case wire.ContextLRRTT:
		if !l.initiator {
			l.handleRTT(pt)
		}
	case wire.ContextKeepalive:
		if !l.initiator && len(pt) == 1 && pt[0] == KeepaliveRequest {
			l.mu.Lock()
			due := !l.now().Before(l.lastOutbound.Add(l.keepalive))
			l.mu.Unlock()
			if due {
				_, _ = l.SendPacket(wire.Data, wire.ContextKeepalive, []byte{KeepaliveReply})
			}
		}
	case wire.ContextLinkIdentify:
		if l.initiator {
			return
		}
		who, err := ParseIdentify(pt, l.id)
		if err != nil {
			return
		}
		l.mu.Lock()
		first := l.remote == nil
		if first {
			l.remote = who
		}
		l.mu.Unlock()
		if first && l.cfg.OnIdentified != nil {
			l.cfg.OnIdentified(l, who)
		}
	case wire.ContextResourceAdv, wire.ContextResourceReq, wire.ContextResourceHMU, wire.ContextResourceICL, wire.ContextResourceRCL:
		l.handleResource(p.Context, pt, p.Hash)
	case wire.ContextLinkClose:
		if IsClose(pt, l.id) {
			reason := ReasonInitiatorClosed
			if l.initiator {
				reason = ReasonDestinationClose
			}
			l.closeWith(reason, false)
		}
	default:
		if l.cfg.OnOther != nil {
			l.cfg.OnOther(l, p, pt)
		}
	}
}

// handleProof is the initiator's validate_proof. A proof for another
// link mode closes the link, as in the reference; any other invalid proof
// is ignored.
func (l *Link) handleProof(p *transport.Packet) {
	rtt, err := l.validateProof(p)
	if err != nil {
		l.cfg.Logf("link %s: link proof: %v", l.id, err)
		if errors.Is(err, ErrMode) {
			l.closeWith(ReasonNone, false)
		}
		return
	}
	if _, err := l.SendPacket(wire.Data, wire.ContextLRRTT, AppendRTT(nil, rtt.Seconds())); err != nil {
		l.cfg.Logf("link %s: send rtt: %v", l.id, err)
	}
	l.activated()
}

// validateProof checks an LRPROOF and activates the link.
func (l *Link) validateProof(p *transport.Packet) (time.Duration, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.status != StatusPending {
		return 0, ErrNotActive
	}
	proof, err := ValidateProof(p.Data, l.id, l.peer, l.mode)
	if err != nil {
		return 0, err
	}
	shared, err := l.own.ECDH(proof.X25519[:])
	if err != nil {
		return 0, err
	}
	key, err := DeriveKey(shared, l.id, proof.Mode)
	if err != nil {
		return 0, err
	}
	if l.session, err = NewSession(l.id, key); err != nil {
		return 0, err
	}
	l.key, l.shared = key, shared[:]
	now := l.now()
	l.rtt = now.Sub(l.requestTime)
	l.attached = p.Interface
	l.mtu = proof.MTU
	l.status = StatusActive
	l.lastInbound = now
	l.keepalive = Keepalive(l.rtt)
	return l.rtt, nil
}

// handleRTT is the responder's rtt_packet.
func (l *Link) handleRTT(pt []byte) {
	v, err := ParseRTT(pt)
	if err != nil {
		l.closeWith(ReasonDestinationClose, true)
		return
	}
	l.mu.Lock()
	if l.status != StatusHandshake {
		l.mu.Unlock()
		return
	}
	measured := l.now().Sub(l.requestTime).Seconds()
	l.rtt = time.Duration(math.Max(measured, v) * float64(time.Second))
	l.keepalive = Keepalive(l.rtt)
	l.status = StatusActive
	l.mu.Unlock()
	l.activated()
}

func (l *Link) activated() {
	close(l.established)
	if l.cfg.OnEstablished != nil {
		l.cfg.OnEstablished(l)
	}
}

// prove sends the explicit proof of a received packet.
func (l *Link) prove(p *transport.Packet) {
	l.mu.Lock()
	own := l.own
	l.mu.Unlock()
	if own == nil {
		return
	}
	payload, err := AppendPacketProof(nil, p.Hash, own)
	if err != nil {
		return
	}
	if _, err := l.SendPacket(wire.Proof, wire.ContextNone, payload); err == nil && l.cfg.OnProved != nil {
		l.cfg.OnProved(l, p)
	}
}

// handlePacketProof matches an explicit packet proof to a receipt.
func (l *Link) handlePacketProof(p *transport.Packet) {
	if len(p.Data) != PacketProofLen {
		return
	}
	h := [wire.FullHashLen]byte(p.Data[:wire.FullHashLen])
	l.mu.Lock()
	r, ok := l.receipts[h]
	if !ok || ValidatePacketProof(p.Data, h, l.peer) != nil {
		l.mu.Unlock()
		return
	}
	delete(l.receipts, h)
	l.mu.Unlock()
	r.proved = true
	close(r.done)
}
