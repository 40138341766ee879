package transport

import (
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/ifac"
	"github.com/mehr-net/mehr/rns/iface"
	"github.com/mehr-net/mehr/rns/wire"
)

// Errors returned by Transport methods.
var (
	ErrNoIdentity    = errors.New("transport: a transport identity is required")
	ErrClosed        = errors.New("transport: closed")
	ErrDuplicateName = errors.New("transport: an interface with this name is already attached")
	ErrNoRoute       = errors.New("transport: no interface could send the packet")
	ErrRegistered    = errors.New("transport: a destination with this hash is already registered")
)

// Iface is an interface attached to a Transport, with the transport-side
// state the reference keeps on its interface objects.
type Iface struct {
	iface.Interface
	t *Transport

	name    string
	mode    iface.Mode
	mtu     int
	bitrate int64
	local   bool // a shared-instance client (iface.Local)
	shared  bool // our attachment to a shared instance (iface.SharedInstance)
	out     bool
	cap     float64
	ifac    *ifac.IFAC
	autoMTU bool
	hash    [identity.FullHashLen]byte

	rateTarget, ratePenalty time.Duration // announce rate limiting, off when rateTarget is 0
	rateGrace               int

	// Guarded by Transport.mu.
	ingress           ingress
	announceAllowedAt time.Time
	announceQueue     []queuedAnnounce

	rxPackets, txPackets, rxBytes, txBytes atomic.Uint64
	dropped, announcesIn, announcesOut     atomic.Uint64

	done chan struct{}
}

// The announce rate limits a transport node applies to an interface that
// sets none (the reference's Interface.DEFAULT_AR_TARGET, _PENALTY and
// _GRACE, overridable with default_ar_target, _penalty and _grace).
const (
	DefaultAnnounceRateTarget  = time.Hour
	DefaultAnnounceRatePenalty = 0 * time.Second
	DefaultAnnounceRateGrace   = 5
)

// InterfaceOptions are the transport-side settings of an interface.
type InterfaceOptions struct {
	// Mode overrides the driver's mode when not zero.
	Mode iface.Mode
	// NoOutgoing makes the interface receive-only (outgoing = False).
	NoOutgoing bool
	// AnnounceCap is the share of bitrate rebroadcast announces may use,
	// in (0, 1]; zero means AnnounceCap (2 %).
	AnnounceCap float64
	// IFAC, when set, authenticates every packet on the interface.
	IFAC *ifac.IFAC
	// AnnounceRateTarget, when not zero, limits how often each
	// destination's announces arriving here are rebroadcast: an announce
	// sooner than this after the last is a violation, and more than
	// AnnounceRateGrace violations block rebroadcasts until the target
	// plus AnnounceRatePenalty has passed since the last good announce
	// (announce_rate_target, _grace, _penalty). Paths are still learned.
	AnnounceRateTarget  time.Duration
	AnnounceRateGrace   int
	AnnounceRatePenalty time.Duration
	// Ingress configures ingress control: holding announces of unknown
	// destinations during a burst. Interfaces of local clients, and
	// drivers implementing iface.IngressExempt, are never held.
	Ingress IngressControl
	// Descriptor is the interface's string form in the reference (for
	// example "TCPInterface[name/host:port]"), whose full hash is the
	// interface hash tunnels are built on; empty means the name.
	Descriptor string
	// NoReceive starts no receive routine: the caller hands the
	// interface's frames to InboundFrame itself (a harness, or a
	// simulator driving thousands of interfaces from one goroutine).
	NoReceive bool
}

// Name returns the interface's name.
func (i *Iface) Name() string { return i.name }

// Mode returns the interface mode transport applies.
func (i *Iface) Mode() iface.Mode { return i.mode }

// IsLocal reports whether the interface is a shared-instance client.
func (i *Iface) IsLocal() bool { return i.local }

// Stats returns the interface's counters as transport saw them.
func (i *Iface) Stats() IfaceStats {
	return IfaceStats{
		Name: i.name, Mode: i.mode, MTU: i.mtu, Bitrate: i.bitrate, Local: i.local,
		RxPackets: i.rxPackets.Load(), TxPackets: i.txPackets.Load(),
		RxBytes: i.rxBytes.Load(), TxBytes: i.txBytes.Load(), Dropped: i.dropped.Load(),
		AnnouncesIn: i.announcesIn.Load(), AnnouncesOut: i.announcesOut.Load(),
	}
}

// IfaceStats is a snapshot of an interface's state.
type IfaceStats struct {
	Name                                   string
	Mode                                   iface.Mode
	MTU                                    int
	Bitrate                                int64
	Local                                  bool
	RxPackets, TxPackets, RxBytes, TxBytes uint64
	Dropped, AnnouncesIn, AnnouncesOut     uint64
	QueuedAnnounces                        int
}

// Transport is one node's transport instance. Create it with New, attach
// interfaces with AddInterface, and Close it when done.
type Transport struct {
	explicitProofs atomic.Bool // Config.ExplicitProofs, changeable at run time
	cfg            Config
	id             wire.Hash // transport ID: hash of the transport identity
	now            func() time.Time
	logf           func(string, ...any)

	// mu guards the following fields. It is never held across iface.Send
	// or destination callbacks.
	mu            sync.Mutex
	closed        bool
	ifaces        []*Iface
	sharedIfaces  int // attached interfaces with shared set, kept with ifaces
	filter        *hashFilter
	paths         map[wire.Hash]*PathEntry
	announces     map[wire.Hash]*announceEntry
	held          map[wire.Hash]*announceEntry
	reverse       map[wire.Hash]reverseEntry
	links         map[wire.Hash]*linkEntry
	destinations  map[wire.Hash]Destination
	pathRequests  map[wire.Hash]time.Time // our own requests, for the gate timeout
	discoveryPRs  map[wire.Hash]discoveryPR
	prTags        map[[2 * wire.HashLen]byte]struct{}
	prTagOrder    [][2 * wire.HashLen]byte
	pendingLocal  map[wire.Hash]*Iface
	receipts      map[wire.Hash]*Receipt // by truncated packet hash
	handlers      []*announceHandler
	observers     []AnnounceObserver
	known         map[wire.Hash]*Known
	unresponsive  map[wire.Hash]bool
	lastCulled    time.Time
	lastAnnounces time.Time
	lastQueues    time.Time // the last announce-queue round
	lastIfaceJobs time.Time
	detachedOpen  []*Iface // detached by Detach but not closed; Close closes them
	tunnels       map[[identity.FullHashLen]byte]*tunnelEntry
	rates         map[wire.Hash]*rateEntry
	blackholed    map[wire.Hash]BlackholeEntry // by identity hash

	wg   sync.WaitGroup
	stop chan struct{}
}

// New returns a Transport with no interfaces. Unless cfg.NoJobs is set it
// starts the job routine; Close stops it.
func New(cfg Config) (*Transport, error) {
	if cfg.Identity == nil {
		return nil, ErrNoIdentity
	}
	if cfg.HashlistSize == 0 {
		cfg.HashlistSize = DefaultHashlistSize
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	t := &Transport{
		cfg:          cfg,
		id:           wire.Hash(cfg.Identity.Hash()),
		now:          cfg.Now,
		logf:         cfg.Logf,
		filter:       newHashFilter(cfg.HashlistSize),
		paths:        map[wire.Hash]*PathEntry{},
		announces:    map[wire.Hash]*announceEntry{},
		held:         map[wire.Hash]*announceEntry{},
		reverse:      map[wire.Hash]reverseEntry{},
		links:        map[wire.Hash]*linkEntry{},
		destinations: map[wire.Hash]Destination{},
		pathRequests: map[wire.Hash]time.Time{},
		discoveryPRs: map[wire.Hash]discoveryPR{},
		prTags:       map[[2 * wire.HashLen]byte]struct{}{},
		pendingLocal: map[wire.Hash]*Iface{},
		receipts:     map[wire.Hash]*Receipt{},
		known:        map[wire.Hash]*Known{},
		unresponsive: map[wire.Hash]bool{},
		tunnels:      map[[identity.FullHashLen]byte]*tunnelEntry{},
		rates:        map[wire.Hash]*rateEntry{},
		blackholed:   map[wire.Hash]BlackholeEntry{},
		stop:         make(chan struct{}),
	}
	if t.now == nil {
		t.now = time.Now
	}
	if t.cfg.Ratchets == nil {
		t.cfg.Ratchets = identity.NewKnownRatchets(nil, t.now)
	}
	// The reference's job loop runs every job at start, with nothing to
	// do yet, and the once-a-second and every-few-seconds jobs are then
	// due a full interval later.
	t.lastAnnounces = t.now()
	t.lastIfaceJobs = t.now()
	t.explicitProofs.Store(cfg.ExplicitProofs)
	t.lastCulled = t.lastAnnounces
	if t.logf == nil {
		t.logf = func(string, ...any) {}
	}
	t.destinations[wire.PathRequestDestination] = pathRequestDest{t}
	t.destinations[TunnelSynthesizeDestination] = tunnelSynthesizeDest{t}
	if !cfg.NoJobs {
		t.wg.Add(1)
		go t.routineJobs()
	}
	return t, nil
}

// ID returns this node's transport ID (the transport identity's hash).
func (t *Transport) ID() wire.Hash { return t.id }

// Identity returns the transport identity.
func (t *Transport) Identity() *identity.Identity { return t.cfg.Identity }

// Enabled reports whether this node is a transport node.
func (t *Transport) Enabled() bool { return t.cfg.Enabled }

// AddInterface attaches an interface and starts its receive routine
// (unless opts.NoReceive).
func (t *Transport) AddInterface(in iface.Interface, opts InterfaceOptions) (*Iface, error) {
	i := &Iface{
		Interface: in,
		t:         t,
		name:      in.Name(),
		mode:      in.Mode(),
		mtu:       in.MTU(),
		bitrate:   in.Bitrate(),
		out:       !opts.NoOutgoing,
		cap:       opts.AnnounceCap,
		ifac:      opts.IFAC,
		done:      make(chan struct{}),

		rateTarget:  max(0, opts.AnnounceRateTarget),
		rateGrace:   max(0, opts.AnnounceRateGrace),
		ratePenalty: max(0, opts.AnnounceRatePenalty),
	}
	if opts.Mode != 0 {
		i.mode = opts.Mode
	}
	desc := opts.Descriptor
	if desc == "" {
		desc = i.name
	}
	i.hash = identity.FullHash([]byte(desc))
	if i.mode == 0 {
		i.mode = iface.ModeFull
	}
	if i.cap <= 0 || i.cap > 1 {
		i.cap = AnnounceCap
	}
	if l, ok := in.(iface.Local); ok && l.IsLocalClient() {
		i.local = true
	}
	if s, ok := in.(iface.SharedInstance); ok && s.IsSharedInstance() {
		i.shared = true
	}
	if a, ok := in.(iface.MTUAutoconfigurer); ok && a.AutoconfigureMTU() {
		i.autoMTU = true
	}
	i.ingress = newIngress(opts.Ingress, in, i.local || i.shared, t.now())
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return nil, ErrClosed
	}
	for _, o := range t.ifaces {
		if o.name == i.name {
			t.mu.Unlock()
			return nil, fmt.Errorf("%w: %q", ErrDuplicateName, i.name)
		}
	}
	t.ifaces = append(t.ifaces, i)
	if i.shared {
		t.sharedIfaces++
	}
	t.mu.Unlock()
	if opts.NoReceive {
		close(i.done)
		return i, nil
	}
	t.wg.Add(1)
	go t.routineReceive(i)
	return i, nil
}

// RemoveInterface detaches and closes an interface. Paths through it are
// forgotten at the next table cull, as in the reference.
func (t *Transport) RemoveInterface(i *Iface) error {
	t.detach(i)
	err := i.Interface.Close()
	<-i.done
	return err
}

// detach removes i from the attached interfaces, if it is still there.
func (t *Transport) detach(i *Iface) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for n, o := range t.ifaces {
		if o == i {
			t.ifaces = append(t.ifaces[:n:n], t.ifaces[n+1:]...)
			if i.shared {
				t.sharedIfaces--
			}
			return
		}
	}
}

// Interfaces returns the attached interfaces.
func (t *Transport) Interfaces() []*Iface {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]*Iface(nil), t.ifaces...)
}

// Close detaches and closes every interface and stops the job routine.
// It is idempotent.
func (t *Transport) Close() error {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return nil
	}
	t.closed = true
	ifs := append(t.ifaces, t.detachedOpen...)
	t.ifaces, t.detachedOpen = nil, nil
	t.sharedIfaces = 0
	t.mu.Unlock()
	close(t.stop)
	for _, i := range ifs {
		i.Interface.Close()
	}
	t.wg.Wait()
	return nil
}

// SharedInstanceClient reports whether this node is attached to a shared
// instance, which then does its routing.
func (t *Transport) SharedInstanceClient() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.sharedLocked()
}

func (t *Transport) sharedLocked() bool { return t.sharedIfaces > 0 }

func (t *Transport) hasIface(i *Iface) bool {
	for _, o := range t.ifaces {
		if o == i {
			return true
		}
	}
	return false
}

// routineReceive is the receive loop of one interface. It owns buf.
func (t *Transport) routineReceive(i *Iface) {
	defer t.wg.Done()
	defer close(i.done)
	t.logf("transport: %s: receive routine started", i.name)
	defer t.logf("transport: %s: receive routine stopped", i.name)
	mtu := i.mtu
	if mtu < wire.MTU {
		mtu = wire.MTU
	}
	buf := make([]byte, wire.Headroom+mtu+ifac.MaxSize)
	var unmasked []byte
	if i.ifac != nil {
		unmasked = make([]byte, 0, len(buf))
	}
	var backoff time.Duration
	for {
		n, err := i.Interface.Receive(buf[wire.Headroom:])
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				// The medium is gone for good (a spawned client left, a
				// peer timed out): forget the interface, so its paths and
				// links are culled with it, and close it so that whatever
				// the driver still holds is released.
				t.detach(i)
				i.Interface.Close()
				return
			}
			// Temporary failure: back off, bounded, and retry.
			backoff = min(max(backoff*2, 10*time.Millisecond), time.Second)
			select {
			case <-t.stop:
				return
			case <-time.After(backoff):
			}
			continue
		}
		backoff = 0
		t.receiveFrame(buf[wire.Headroom:wire.Headroom+n], i, unmasked)
	}
}

// transmit sends raw on i, applying the interface's IFAC. It must be called
// without t.mu held.
func (t *Transport) transmit(i *Iface, raw []byte) {
	out := raw
	if i.ifac != nil {
		var err error
		out, err = i.ifac.Apply(nil, raw)
		if err != nil {
			i.dropped.Add(1)
			return
		}
	}
	if err := i.Interface.Send(out); err != nil {
		i.dropped.Add(1)
		return
	}
	i.txPackets.Add(1)
	i.txBytes.Add(uint64(len(out)))
}

// sendQueue collects the transmissions decided under t.mu. The first few
// live in an inline array so the forwarding path does not allocate.
type sendQueue struct {
	n    int
	arr  [4]pendingTx
	more []pendingTx
}

type pendingTx struct {
	i   *Iface
	raw []byte
}

// add queues raw (which must stay valid until flush) for i.
func (q *sendQueue) add(i *Iface, raw []byte) {
	if i == nil {
		return
	}
	if q.n < len(q.arr) {
		q.arr[q.n] = pendingTx{i, raw}
		q.n++
		return
	}
	q.more = append(q.more, pendingTx{i, raw})
}

func (t *Transport) flush(q *sendQueue) {
	for n := range q.n {
		t.transmit(q.arr[n].i, q.arr[n].raw)
		q.arr[n] = pendingTx{}
	}
	q.n = 0
	for _, p := range q.more {
		t.transmit(p.i, p.raw)
	}
	q.more = nil
}

// randDuration returns a uniformly random duration in [0, d).
func (t *Transport) randDuration(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	n, err := rand.Int(t.cfg.Rand, big.NewInt(int64(d)))
	if err != nil {
		return d / 2
	}
	return time.Duration(n.Int64())
}

// randomHash returns a truncated hash of 16 random bytes, as the reference's
// Identity.get_random_hash.
func (t *Transport) randomHash() wire.Hash {
	var b [16]byte
	if _, err := t.cfg.Rand.Read(b[:]); err != nil {
		_, _ = rand.Read(b[:])
	}
	return wire.Hash(identity.TruncatedHash(b[:]))
}
