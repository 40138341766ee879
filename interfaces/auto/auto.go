package auto

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mehr-net/mehr/rns/iface"
)

// Values of the reference's AutoInterface (RNS.Interfaces.AutoInterface).
const (
	// HWMTU is the hardware MTU (AutoInterface.HW_MTU). It is fixed
	// (FIXED_MTU): links do not autoconfigure it.
	HWMTU = 1196
	// MaxIFACSize is the largest interface access code transport may add
	// to a packet of HWMTU bytes; datagrams up to HWMTU+MaxIFACSize are
	// sent and received.
	MaxIFACSize = 64
	// DefaultDiscoveryPort is the multicast discovery port; the unicast
	// (reverse peering) discovery port is one above it.
	DefaultDiscoveryPort = 29716
	// DefaultDataPort is the port data packets are sent to.
	DefaultDataPort = 42671
	// DefaultGroupID is the group ID used when none is configured.
	DefaultGroupID = "reticulum"
	// DefaultBitrate is the nominal bitrate (BITRATE_GUESS).
	DefaultBitrate = 10_000_000

	// AnnounceInterval is how often discovery tokens are multicast.
	AnnounceInterval = 1600 * time.Millisecond
	// PeerJobInterval is how often peers are expired and NICs re-examined.
	PeerJobInterval = 4 * time.Second
	// PeeringTimeout is how long a silent peer is kept.
	PeeringTimeout = 22 * time.Second
	// ReversePeeringInterval is how often a token is sent to each peer by
	// unicast (ANNOUNCE_INTERVAL * 3.25).
	ReversePeeringInterval = AnnounceInterval * 13 / 4
	// MulticastEchoTimeout is how long a NIC may go without hearing its own
	// multicast before its carrier is considered lost.
	MulticastEchoTimeout = 6500 * time.Millisecond
	// DedupLen and DedupTTL bound the multi-NIC duplicate filter: a packet
	// is dropped if it hashes like one of the last DedupLen accepted
	// packets that arrived less than DedupTTL ago (MULTI_IF_DEQUE_LEN,
	// MULTI_IF_DEQUE_TTL).
	DedupLen = 48
	DedupTTL = 750 * time.Millisecond

	// maxDatagram is the largest datagram accepted or sent.
	maxDatagram = HWMTU + MaxIFACSize
	// discoveryBuf is how much of a discovery datagram is read, as the
	// reference's recvfrom(1024).
	discoveryBuf = 1024
	// peerQueue is the number of received packets a peer holds for
	// Receive before dropping.
	peerQueue = 64
)

// Errors. Callers branch on them with errors.Is.
var (
	// ErrPeerLost is returned by a peer's Receive and Send after the peer
	// timed out; the error also matches net.ErrClosed.
	ErrPeerLost = errors.New("auto: peer timed out")
	// ErrTooLarge is returned by Send for datagrams over HWMTU+MaxIFACSize.
	ErrTooLarge = errors.New("auto: packet exceeds MTU")
	// ErrNoDevice is returned by Send when the peer's NIC is gone.
	ErrNoDevice = errors.New("auto: network device not available")
	// ErrUnsupported is returned by Listen on systems without the socket
	// options AutoInterface needs.
	ErrUnsupported = errors.New("auto: not supported on this system")
)

var errPeerLost = fmt.Errorf("%w: %w", ErrPeerLost, net.ErrClosed)

// Config configures a Listener. The zero value is the reference's default
// AutoInterface on every suitable NIC.
type Config struct {
	// Name is the interface name; empty means "AutoInterface". Peers are
	// named "<Name>/<device>/<link-local address>".
	Name string
	// GroupID separates networks on the same link (group_id); empty means
	// DefaultGroupID.
	GroupID string
	// Scope is the discovery scope (discovery_scope); 0 means ScopeLink.
	Scope Scope
	// AddressType is the multicast address type (multicast_address_type).
	AddressType AddressType
	// DiscoveryPort is the multicast discovery port; 0 means
	// DefaultDiscoveryPort. Unicast discovery uses the port above it.
	DiscoveryPort int
	// DataPort is the data port; 0 means DefaultDataPort.
	DataPort int
	// Devices, if not empty, lists the only NICs to use (devices).
	Devices []string
	// IgnoredDevices lists NICs never to use (ignored_devices).
	IgnoredDevices []string
	// Bitrate is the nominal bitrate (configured_bitrate); 0 means
	// DefaultBitrate.
	Bitrate int64
	// Mode is the interface mode of every peer; 0 means iface.ModeFull.
	Mode iface.Mode
	// Logf, if set, receives diagnostics. nil discards them.
	Logf func(format string, args ...any)
}

// peerKey identifies a peer: its link-local address (without zone) and
// the index of the NIC it was discovered on.
type peerKey struct {
	addr  netip.Addr
	index int
}

// Listener is an AutoInterface. It implements iface.Listener; Accept
// returns a *Peer for every discovered peer.
type Listener struct {
	name      string
	group     []byte
	mcast     netip.Addr
	linkScope bool
	dport     uint16 // multicast discovery
	uport     uint16 // unicast discovery
	dataPort  uint16
	bitrate   int64
	mode      iface.Mode
	allowed   []string
	ignored   []string
	logf      func(format string, args ...any)
	now       func() time.Time
	listNICs  func() ([]nicInfo, error)

	done      chan struct{}
	closeOnce sync.Once
	wg        sync.WaitGroup
	acceptSig chan struct{} // capacity 1: a peer was queued

	unknown atomic.Uint64 // datagrams from addresses that are not peers
	dups    atomic.Uint64 // datagrams dropped as duplicates

	// mu guards the following fields, and the mutable fields of every
	// nic and Peer that say so. It is never held across socket I/O.
	mu      sync.Mutex
	closed  bool
	nics    map[int]*nic        // adopted NICs by index
	own     map[netip.Addr]*nic // our link-local addresses
	peers   map[peerKey]*Peer   // known peers
	pending []*Peer             // discovered, not yet accepted
	dedup   dedup               // recently accepted packets
	failed  map[string]string   // NIC name -> last logged failure
}

var _ iface.Listener = (*Listener)(nil)

// Listen starts an AutoInterface: it adopts the suitable NICs, opens their
// sockets and starts discovery. NICs that cannot be used are logged and
// skipped, as in the reference; with none, the Listener still runs and
// adopts NICs that become usable later.
func Listen(cfg Config) (*Listener, error) {
	l, err := newListener(cfg)
	if err != nil {
		return nil, err
	}
	if !socketsSupported {
		return nil, ErrUnsupported
	}
	l.rescan()
	l.mu.Lock()
	n := len(l.nics)
	l.mu.Unlock()
	if n == 0 {
		l.logf("auto: %s: no usable network devices yet; this interface provides no connectivity until one appears", l.name)
	}
	l.wg.Add(1)
	go l.routineTimers()
	return l, nil
}

// newListener validates cfg and builds a Listener without sockets.
func newListener(cfg Config) (*Listener, error) {
	l := &Listener{
		name:      cfg.Name,
		group:     []byte(cfg.GroupID),
		dataPort:  DefaultDataPort,
		bitrate:   cfg.Bitrate,
		mode:      cfg.Mode,
		allowed:   cfg.Devices,
		ignored:   cfg.IgnoredDevices,
		logf:      cfg.Logf,
		now:       time.Now,
		listNICs:  systemNICs,
		done:      make(chan struct{}),
		acceptSig: make(chan struct{}, 1),
		nics:      map[int]*nic{},
		own:       map[netip.Addr]*nic{},
		peers:     map[peerKey]*Peer{},
		failed:    map[string]string{},
	}
	if l.name == "" {
		l.name = "AutoInterface"
	}
	if len(l.group) == 0 {
		l.group = []byte(DefaultGroupID)
	}
	scope := cfg.Scope
	if scope == 0 {
		scope = ScopeLink
	}
	if !scope.valid() {
		return nil, fmt.Errorf("auto: unknown discovery scope %v", cfg.Scope)
	}
	if cfg.AddressType != AddressTemporary && cfg.AddressType != AddressPermanent {
		return nil, fmt.Errorf("auto: unknown multicast address type %v", cfg.AddressType)
	}
	l.mcast = MulticastAddress(l.group, cfg.AddressType, scope)
	l.linkScope = scope == ScopeLink
	dport := cfg.DiscoveryPort
	if dport == 0 {
		dport = DefaultDiscoveryPort
	}
	if dport < 1 || dport > 65534 {
		return nil, fmt.Errorf("auto: discovery port %d out of range", dport)
	}
	l.dport, l.uport = uint16(dport), uint16(dport+1)
	if cfg.DataPort != 0 {
		if cfg.DataPort < 1 || cfg.DataPort > 65535 {
			return nil, fmt.Errorf("auto: data port %d out of range", cfg.DataPort)
		}
		l.dataPort = uint16(cfg.DataPort)
	}
	if l.bitrate <= 0 {
		l.bitrate = DefaultBitrate
	}
	if l.mode == 0 {
		l.mode = iface.ModeFull
	}
	if l.logf == nil {
		l.logf = func(string, ...any) {}
	}
	return l, nil
}

// Name implements iface.Listener.
func (l *Listener) Name() string { return l.name }

// MulticastAddress returns the discovery group the Listener uses.
func (l *Listener) MulticastAddress() netip.Addr { return l.mcast }

// Accept implements iface.Listener: it blocks until a new peer is
// discovered and returns it as a *Peer. After Close it returns
// net.ErrClosed.
func (l *Listener) Accept() (iface.Interface, error) {
	for {
		l.mu.Lock()
		if l.closed {
			l.mu.Unlock()
			return nil, net.ErrClosed
		}
		var p *Peer
		if len(l.pending) > 0 {
			p = l.pending[0]
			l.pending[0] = nil
			l.pending = l.pending[1:]
		}
		l.mu.Unlock()
		if p != nil {
			return p, nil
		}
		select {
		case <-l.acceptSig:
		case <-l.done:
		}
	}
}

// Close implements iface.Listener: it stops discovery, closes every socket
// and every peer (their Receive returns net.ErrClosed), and waits for the
// Listener's goroutines. It is idempotent.
func (l *Listener) Close() error {
	l.closeOnce.Do(func() {
		l.mu.Lock()
		l.closed = true
		nics := l.nics
		peers := l.peers
		l.nics, l.own, l.peers, l.pending = map[int]*nic{}, map[netip.Addr]*nic{}, map[peerKey]*Peer{}, nil
		l.mu.Unlock()
		close(l.done)
		for _, n := range nics {
			n.close()
		}
		l.wg.Wait()
		for _, p := range peers {
			p.shutdown(net.ErrClosed)
		}
	})
	return nil
}

// Device describes an adopted NIC.
type Device struct {
	Name      string
	Index     int
	LinkLocal netip.Addr
	// Echoed reports whether the NIC has ever looped back our own
	// multicast; if not, multicast is probably blocked on it.
	Echoed bool
	// Carrier reports whether an echo arrived within MulticastEchoTimeout.
	Carrier bool
}

// Devices returns the NICs in use, ordered by index.
func (l *Listener) Devices() []Device {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	ds := make([]Device, 0, len(l.nics))
	for _, n := range l.nics {
		ds = append(ds, Device{
			Name: n.name, Index: n.index, LinkLocal: n.ll,
			Echoed:  !n.firstEcho.IsZero(),
			Carrier: now.Sub(n.lastEcho) <= MulticastEchoTimeout,
		})
	}
	slices.SortFunc(ds, func(a, b Device) int { return a.Index - b.Index })
	return ds
}

// Stats are a Listener's drop counters.
type Stats struct {
	// Unknown counts datagrams from addresses that are not peers.
	Unknown uint64
	// Duplicates counts datagrams dropped by the multi-NIC filter.
	Duplicates uint64
}

// Stats returns the Listener's drop counters.
func (l *Listener) Stats() Stats {
	return Stats{Unknown: l.unknown.Load(), Duplicates: l.dups.Load()}
}

// routineTimers multicasts discovery tokens and runs the peer jobs.
func (l *Listener) routineTimers() {
	defer l.wg.Done()
	l.logf("auto: %s: discovering peers on group %v", l.name, l.mcast)
	announce := time.NewTicker(AnnounceInterval)
	defer announce.Stop()
	jobs := time.NewTicker(PeerJobInterval)
	defer jobs.Stop()
	l.announce()
	for {
		select {
		case <-l.done:
			l.logf("auto: %s: stopped", l.name)
			return
		case <-announce.C:
			l.announce()
		case <-jobs.C:
			l.rescan()
			l.peerJobs()
		}
	}
}

// outbound is a token to send without holding mu.
type outbound struct {
	conn *net.UDPConn
	dst  netip.AddrPort
	tok  [TokenLen]byte
	nic  *nic
}

// announce multicasts our token on every NIC.
func (l *Listener) announce() {
	l.mu.Lock()
	out := make([]outbound, 0, len(l.nics))
	for _, n := range l.nics {
		dst := l.mcast
		if l.linkScope {
			dst = dst.WithZone(n.name)
		}
		out = append(out, outbound{conn: n.ucast, dst: netip.AddrPortFrom(dst, l.dport), tok: n.token, nic: n})
	}
	l.mu.Unlock()
	for _, o := range out {
		if o.conn == nil {
			continue
		}
		_, err := o.conn.WriteToUDPAddrPort(o.tok[:], o.dst)
		l.mu.Lock()
		report := err != nil && !o.nic.sendFailing
		o.nic.sendFailing = err != nil
		l.mu.Unlock()
		if report {
			l.logf("auto: %s: possible carrier loss on %s: %v", l.name, o.nic.name, err)
		}
	}
}

// peerJobs expires silent peers, sends reverse-peering tokens and tracks
// multicast echoes.
func (l *Listener) peerJobs() {
	l.mu.Lock()
	j := l.peerJobsLocked(l.now())
	l.mu.Unlock()
	for _, s := range j.logs {
		l.logf("%s", s)
	}
	for _, p := range j.expired {
		l.logf("auto: %s: peer %v on %s timed out", l.name, p.addr, p.nicName)
		p.shutdown(errPeerLost)
	}
	for _, o := range j.reverse {
		if o.conn == nil {
			continue
		}
		if _, err := o.conn.WriteToUDPAddrPort(o.tok[:], o.dst); err != nil {
			l.logf("auto: %s: reverse peering to %v: %v", l.name, o.dst, err)
		}
	}
}

// jobs is the work peerJobsLocked leaves to do without the lock.
type jobs struct {
	expired []*Peer
	reverse []outbound
	logs    []string
}

// peerJobsLocked updates the peer and NIC state for time now.
func (l *Listener) peerJobsLocked(now time.Time) jobs {
	var j jobs
	for k, p := range l.peers {
		if now.Sub(p.lastHeard) > PeeringTimeout {
			j.expired = append(j.expired, p)
			delete(l.peers, k)
			l.unqueueLocked(p)
		}
	}
	for _, p := range l.peers {
		if now.Sub(p.lastOut) <= ReversePeeringInterval {
			continue
		}
		n := l.nics[p.index]
		if n == nil {
			continue
		}
		p.lastOut = now
		j.reverse = append(j.reverse, outbound{conn: n.ucast, dst: netip.AddrPortFrom(p.addr.WithZone(n.name), l.uport), tok: n.token, nic: n})
	}
	for _, n := range l.nics {
		timedOut := now.Sub(n.lastEcho) > MulticastEchoTimeout
		switch {
		case timedOut && !n.echoTimedOut:
			j.logs = append(j.logs, fmt.Sprintf("auto: %s: multicast echo timeout on %s; carrier lost", l.name, n.name))
		case !timedOut && n.echoTimedOut:
			j.logs = append(j.logs, fmt.Sprintf("auto: %s: carrier recovered on %s", l.name, n.name))
		}
		n.echoTimedOut = timedOut
		if n.firstEcho.IsZero() && !n.warnedNoEcho {
			n.warnedNoEcho = true
			j.logs = append(j.logs, fmt.Sprintf("auto: %s: no multicast echoes received on %s; the network hardware or a firewall may be blocking multicast", l.name, n.name))
		}
	}
	return j
}

// unqueueLocked removes p from the accept queue.
func (l *Listener) unqueueLocked(p *Peer) {
	for i, q := range l.pending {
		if q == p {
			l.pending = append(l.pending[:i], l.pending[i+1:]...)
			return
		}
	}
}

// nicForZoneLocked returns the adopted NIC a packet's source zone names,
// or def if the zone is empty.
func (l *Listener) nicForZoneLocked(zone string, def *nic) *nic {
	if zone == "" {
		return def
	}
	for _, n := range l.nics {
		if n.name == zone || n.indexStr == zone {
			return n
		}
	}
	return nil
}

// handleDiscovery processes a discovery datagram from src that arrived on
// a socket of NIC sock.
func (l *Listener) handleDiscovery(data []byte, src netip.AddrPort, sock *nic) {
	if len(data) < TokenLen {
		return
	}
	addr := src.Addr()
	zone := addr.Zone()
	addr = addr.WithZone("")
	tok := DiscoveryToken(l.group, addr)
	if [TokenLen]byte(data[:TokenLen]) != tok {
		return // another group, or forged
	}
	now := l.now()
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return
	}
	if own := l.own[addr]; own != nil {
		own.lastEcho = now
		if own.firstEcho.IsZero() {
			own.firstEcho = now
		}
		l.mu.Unlock()
		return
	}
	n := l.nicForZoneLocked(zone, sock)
	if n == nil {
		l.mu.Unlock()
		return
	}
	k := peerKey{addr, n.index}
	if p := l.peers[k]; p != nil {
		p.lastHeard = now
		l.mu.Unlock()
		return
	}
	p := l.newPeer(addr, n, now)
	l.peers[k] = p
	l.pending = append(l.pending, p)
	l.mu.Unlock()
	select {
	case l.acceptSig <- struct{}{}:
	default:
	}
	l.logf("auto: %s: added peer %v on %s", l.name, addr, n.name)
}

// handleData processes a data datagram b[:n] from src that arrived on NIC
// nc, and hands it to its peer, which then owns b.
func (l *Listener) handleData(b *[maxDatagram]byte, size int, src netip.AddrPort, nc *nic) {
	k := peerKey{src.Addr().WithZone(""), nc.index}
	sum := sha256.Sum256(b[:size])
	now := l.now()
	l.mu.Lock()
	p := l.peers[k]
	if p == nil {
		l.mu.Unlock()
		l.unknown.Add(1)
		putBuf(b)
		return
	}
	if l.dedup.seen(sum, now) {
		l.mu.Unlock()
		l.dups.Add(1)
		putBuf(b)
		return
	}
	l.dedup.add(sum, now)
	p.lastHeard = now
	l.mu.Unlock()
	p.deliver(b, size)
}

// dataConn returns the data socket of the NIC with the given index.
func (l *Listener) dataConn(index int) *net.UDPConn {
	l.mu.Lock()
	defer l.mu.Unlock()
	if n := l.nics[index]; n != nil {
		return n.data
	}
	return nil
}

// removePeer forgets p if it is still the peer for its key.
func (l *Listener) removePeer(p *Peer) {
	l.mu.Lock()
	defer l.mu.Unlock()
	k := peerKey{p.addr, p.index}
	if l.peers[k] == p {
		delete(l.peers, k)
	}
	l.unqueueLocked(p)
}

// bufPool holds receive buffers. It stores pointers to arrays, so Put does
// not allocate.
var bufPool = sync.Pool{New: func() any { return new([maxDatagram]byte) }}

func getBuf() *[maxDatagram]byte  { return bufPool.Get().(*[maxDatagram]byte) }
func putBuf(b *[maxDatagram]byte) { bufPool.Put(b) }

// dedup is the reference's multi-interface duplicate filter: the hashes
// and arrival times of the last DedupLen accepted packets.
type dedup struct {
	hashes [DedupLen][sha256.Size]byte
	times  [DedupLen]time.Time
	next   int
}

// seen reports whether sum was accepted less than DedupTTL before now.
func (d *dedup) seen(sum [sha256.Size]byte, now time.Time) bool {
	for i := range d.hashes {
		if d.hashes[i] == sum && !d.times[i].IsZero() && now.Before(d.times[i].Add(DedupTTL)) {
			return true
		}
	}
	return false
}

// add records sum, replacing the oldest entry.
func (d *dedup) add(sum [sha256.Size]byte, now time.Time) {
	d.hashes[d.next] = sum
	d.times[d.next] = now
	d.next = (d.next + 1) % DedupLen
}
