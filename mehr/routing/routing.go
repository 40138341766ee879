// Package routing runs Mehr's cost-aware routing on a node: it announces
// the node's own Mehr destination (`mehr.node`) with the 0x4E extension in
// its signed app_data (the origin's CompactPathCost and a Lamport
// timestamp, docs/design/path-cost.md §1), and feeds every validated
// announce of that aspect into a route.Table, from which a PathPolicy
// picks among the paths heard.
//
// Announces reach the table through transport's announce-copy observer:
// every valid copy, from each neighbour that offered one, becomes an
// entry for that next hop (§4), while Reticulum's own processing is
// unchanged: the announce is validated and forwarded exactly as a Python
// node would, whatever Mehr makes of it. Hops without a neighbour
// annotation are priced as unknown (§3). Annotations come over links
// between Mehr neighbours (neighbours.go, §2), or from Config.Annotation
// (a simulator).
package routing

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/mehr-net/mehr/mehr/ext"
	"github.com/mehr-net/mehr/mehr/pathcost"
	"github.com/mehr-net/mehr/mehr/route"
	"github.com/mehr-net/mehr/rns"
	"github.com/mehr-net/mehr/rns/dest"
	"github.com/mehr-net/mehr/rns/transport"
	"github.com/mehr-net/mehr/rns/wire"
)

// AppName and Aspect name the destination every Mehr node announces; the
// extension is parsed only on announces of it.
const (
	AppName = "mehr"
	Aspect  = "node"
)

// DefaultInterval is how often the node announces itself: the spec's
// 30-minute refresh.
const DefaultInterval = 30 * time.Minute

// DefaultRound is the neighbour failure round: the spec's 60-second
// gossip round.
const DefaultRound = time.Minute

// DefaultCheck is how often the announce routine looks for the spec's
// other triggers (an interface change, a cost change over 25 %).
const DefaultCheck = 10 * time.Second

// lamportFile keeps the last Lamport timestamp across restarts, in the
// node's storage directory.
const lamportFile = "mehr_lamport"

// Config adjusts a Router. Every field is optional.
type Config struct {
	// Interval is the refresh: the longest time between two announces;
	// 0 means DefaultInterval, negative never announces by itself (call
	// Announce). Between refreshes the node also announces when an
	// interface comes or goes, or its own cost (SetOrigin) moves by more
	// than 25 % (route.ShouldReannounce), checked every Check (0 means
	// DefaultCheck).
	Interval time.Duration
	Check    time.Duration
	// Origin is this node's own first-hop cost, as announced; the zero
	// value means pathcost.Origin().
	Origin *pathcost.Compact
	// Unknown prices hops that sent no annotation.
	Unknown route.UnknownHop
	// Policy is the node's default PathPolicy: the one its annotations
	// describe (and, on a Mehr relay, the one transit traffic follows).
	// The zero value is Balanced.
	Policy route.Policy
	// LastHop measures the hop to a neighbour: the interface's bitrate
	// and MTU, the link's latency, the neighbour's price. nil takes the
	// interface's bitrate and MTU with Unknown's price and latency.
	LastHop func(i *transport.Iface, neighbour wire.Hash) pathcost.Hop
	// Annotation returns a Mehr neighbour's annotation for the announce
	// copy it sent (docs/design/path-cost.md §2): what the neighbour's
	// Router.Annotation returned. nil means they come over links to
	// the Mehr neighbours, unless NoNeighbourLinks.
	Annotation func(i *transport.Iface, neighbour, dst wire.Hash, rh [route.RandomHashLen]byte) (route.Annotation, bool)
	// NoNeighbourLinks turns off the links to Mehr neighbours that carry
	// annotations when Annotation is nil; paths through relays are then
	// priced as unknown.
	NoNeighbourLinks bool
	// Round is the neighbour failure round: a neighbour whose link is
	// down misses one each round (3: its entries stale, 10: evicted); 0
	// means DefaultRound, the spec's gossip round.
	Round time.Duration
	// Table configures the routing table.
	Table route.Config
	// StateDir keeps the Lamport counter; empty keeps it in memory only
	// (then a restart relies on the clock to move forward).
	StateDir string
	Logf     func(string, ...any)
	Now      func() time.Time
}

// Router is Mehr routing on one node.
type Router struct {
	node  *rns.Node
	cfg   Config
	dest  *rns.Destination
	table *route.Table
	name  dest.NameHash

	mu      sync.Mutex
	lamport uint64
	origin  pathcost.Compact
	// What the last announce went out with.
	lastAt     time.Time
	lastCost   uint64
	lastIfaces uint64
	kick       chan struct{}

	nb *neighbours // nil when annotations come from Config.Annotation

	done chan struct{}
	wg   sync.WaitGroup
	once sync.Once
}

// New registers the node's Mehr destination under its transport identity,
// starts listening for Mehr announces and, unless Interval is negative,
// announces now and every Interval.
func New(n *rns.Node, cfg Config) (*Router, error) {
	if cfg.Interval == 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.Check <= 0 {
		cfg.Check = DefaultCheck
	}
	if cfg.Round <= 0 {
		cfg.Round = DefaultRound
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Table.Now == nil {
		cfg.Table.Now = cfg.Now
	}
	d, err := n.NewDestination(n.Identity(), rns.In, wire.Single, AppName, Aspect)
	if err != nil {
		return nil, fmt.Errorf("routing: %w", err)
	}
	r := &Router{node: n, cfg: cfg, dest: d, table: route.New(cfg.Table), name: dest.HashName(AppName + "." + Aspect),
		done: make(chan struct{}), kick: make(chan struct{}, 1), origin: pathcost.Origin()}
	if cfg.Origin != nil {
		r.origin = *cfg.Origin
	}
	if cfg.StateDir != "" {
		if b, err := os.ReadFile(filepath.Join(cfg.StateDir, lamportFile)); err == nil && len(b) == 8 {
			r.lamport = binary.LittleEndian.Uint64(b)
		}
	}
	// Path responses carry the extension too, with a fresh timestamp.
	d.SetDefaultAppDataFunc(r.AppData)
	if r.cfg.Annotation == nil && !r.cfg.NoNeighbourLinks {
		r.nb = newNeighbours(r)
		r.cfg.Annotation = r.nb.annotation
	}
	n.Transport().ObserveAnnounceCopies(r.handleCopy)
	if cfg.Interval > 0 {
		r.wg.Add(1)
		go r.routineAnnounce()
	}
	return r, nil
}

// Destination is the node's Mehr destination.
func (r *Router) Destination() *rns.Destination { return r.dest }

// Table is the routing table.
func (r *Router) Table() *route.Table { return r.table }

// nextLamport returns a timestamp above every earlier one, at least the
// clock in milliseconds, and persists it.
func (r *Router) nextLamport() uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lamport = max(r.lamport+1, uint64(r.cfg.Now().UnixMilli()))
	if r.cfg.StateDir != "" {
		var b [8]byte
		binary.LittleEndian.PutUint64(b[:], r.lamport)
		tmp := filepath.Join(r.cfg.StateDir, lamportFile+".tmp")
		if err := os.WriteFile(tmp, b[:], 0o600); err == nil {
			os.Rename(tmp, filepath.Join(r.cfg.StateDir, lamportFile))
		}
	}
	return r.lamport
}

// AppData builds the signed app_data of the next announce.
func (r *Router) AppData() []byte {
	lamport := r.nextLamport()
	r.mu.Lock()
	e := ext.Extension{PathCost: r.origin, Lamport: lamport, HasLamport: true}
	r.mu.Unlock()
	return e.Append(nil)
}

// SetOrigin changes this node's own first-hop cost. A change of more than
// 25 % is announced at the next check.
func (r *Router) SetOrigin(c pathcost.Compact) {
	r.mu.Lock()
	r.origin = c
	r.mu.Unlock()
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

// Announce announces the node's Mehr destination now. A failed attempt
// (no interface could send it) counts as an announce for the triggers,
// so the next one waits for an interface change, a cost change or the
// refresh rather than retrying at every check.
func (r *Router) Announce() error {
	sig := r.ifaceSignature()
	app := r.AppData()
	r.mu.Lock()
	r.lastAt, r.lastCost, r.lastIfaces = r.cfg.Now(), pathcost.DecodeCost(r.origin.Cost), sig
	r.mu.Unlock()
	return r.dest.Announce(app)
}

// ifaceSignature identifies the set of interfaces the node has.
func (r *Router) ifaceSignature() uint64 {
	var sig uint64
	for _, i := range r.node.Transport().Interfaces() {
		sig += ifaceKey(i) // order-independent
	}
	return sig
}

// due reports whether an announce is due now, and why.
func (r *Router) due() (route.Reason, bool) {
	sig := r.ifaceSignature()
	r.mu.Lock()
	defer r.mu.Unlock()
	return route.ShouldReannounce(route.Reannounce{
		LastCost: r.lastCost, Cost: pathcost.DecodeCost(r.origin.Cost),
		InterfaceChanged: sig != r.lastIfaces,
		LastAnnounce:     r.lastAt, Now: r.cfg.Now(), Refresh: r.cfg.Interval,
	})
}

// routineAnnounce announces at start and then whenever route's triggers
// say so.
func (r *Router) routineAnnounce() {
	defer r.wg.Done()
	tick := time.NewTicker(r.cfg.Check)
	defer tick.Stop()
	for {
		if why, ok := r.due(); ok {
			if err := r.Announce(); err != nil {
				r.cfg.Logf("routing: announce (%s): %v", why, err)
			} else {
				r.cfg.Logf("routing: announced (%s)", why)
			}
		}
		select {
		case <-r.done:
			return
		case <-tick.C:
		case <-r.kick:
		}
	}
}

// ifaceKey identifies an interface in a next hop.
func ifaceKey(i *transport.Iface) uint64 {
	if i == nil {
		return 0
	}
	h := fnv.New64a()
	h.Write([]byte(i.Name()))
	return h.Sum64()
}

// handleCopy turns each valid copy of a Mehr announce, from whichever
// neighbour, into an observation: one routing entry per next hop.
func (r *Router) handleCopy(c *transport.AnnounceCopy) {
	select {
	case <-r.done:
		return
	default:
	}
	if dest.NameHash(c.NameHash) != r.name || c.Destination == r.dest.Hash() {
		return
	}
	a := route.Announce{Destination: c.Destination, NextHop: route.NextHop{Transport: c.NextHop, Interface: ifaceKey(c.Interface)},
		Hops: c.Hops, RandomHash: c.RandomHash}
	if a.Hops == 0 {
		a.Hops = 1 // a shared-instance client's hop counts as none; the table counts from one
	}
	a.LastHop = r.lastHop(c.Interface, c.NextHop)
	if c.Hops == 1 && r.nb != nil {
		r.nb.direct(c)
	}
	if a.Hops > 1 && r.cfg.Annotation != nil {
		a.Annotation, a.HasAnnotation = r.cfg.Annotation(c.Interface, c.NextHop, c.Destination, c.RandomHash)
		if a.HasAnnotation && a.Annotation.Reverse {
			return // the neighbour routes to the destination through us
		}
	}
	var e ext.Extension
	if err := e.Decode(c.AppData); err != nil {
		r.cfg.Logf("routing: announce of %s: %v", c.Destination, err)
		return
	}
	o, err := route.NewObservation(&a, &e, r.cfg.Unknown)
	if err != nil {
		r.cfg.Logf("routing: announce of %s: %v", c.Destination, err)
		return
	}
	if err := r.table.Observe(o); err != nil {
		if !errors.Is(err, route.ErrReplay) {
			r.cfg.Logf("routing: %s: %v", c.Destination, err)
		}
		return
	}
	if r.nb != nil {
		if a.Hops > 1 && !a.HasAnnotation {
			r.nb.unannotated(&a, &e)
		}
		r.nb.changed(c.Destination)
	}
}

// lastHop measures the hop to neighbour on i.
func (r *Router) lastHop(i *transport.Iface, neighbour wire.Hash) pathcost.Hop {
	if r.cfg.LastHop != nil {
		return r.cfg.LastHop(i, neighbour)
	}
	h := pathcost.Hop{Cost: r.cfg.Unknown.Cost, Latency: r.cfg.Unknown.Latency}
	if i != nil {
		st := i.Stats()
		h.Bandwidth, h.MTU = uint64(max(st.Bitrate, 0)), uint64(max(st.MTU, 0))
	}
	return h
}

// Annotation is what this node tells the Mehr neighbour with transport
// ID to about its own path to dst for the announce with random hash rh:
// the entry its default policy selects, if that entry came from this
// announce, marked Reverse when it leads through that neighbour.
func (r *Router) Annotation(to, dst wire.Hash, rh [route.RandomHashLen]byte) (route.Annotation, bool) {
	e, err := r.table.Select(dst, r.cfg.Policy, route.Constraints{})
	if err != nil || e.RandomHash != rh {
		return route.Annotation{}, false
	}
	return route.Annotation{RandomHash: rh, Path: e.Path, Unknown: e.Unknown, Reverse: e.NextHop.Transport == to}, true
}

// Close stops announcing. The announce handler stays registered with
// transport and is ignored from then on.
func (r *Router) Close() {
	r.once.Do(func() {
		close(r.done)
		if r.nb != nil {
			r.nb.close()
		}
	})
	r.wg.Wait()
}

// Neighbours returns how many neighbour links are up.
func (r *Router) Neighbours() int {
	if r.nb == nil {
		return 0
	}
	return r.nb.count()
}

// Next picks the next hop for a packet to dst under policy p: the best
// entry by p that is loop-free to forward to (route.Feasible) and is not
// the neighbour avoid (the one the packet came from; the zero hash for
// none). buf is scratch space, returned for reuse. ErrNoPath means no
// entry qualifies.
func (r *Router) Next(dst wire.Hash, p route.Policy, avoid wire.Hash, buf []route.Entry) (route.Entry, []route.Entry, error) {
	buf, err := r.table.Candidates(dst, p, route.Constraints{}, buf[:0])
	if err != nil {
		return route.Entry{}, buf, err
	}
	own := uint8(255)
	for k := range buf {
		if h := buf[k].HeardHops; h > 0 && h < own {
			own = h
		}
	}
	self := r.node.Transport().ID()
	for k := range buf {
		e := &buf[k]
		if e.NextHop.Transport != avoid && route.Feasible(e, self, own) {
			return *e, buf, nil
		}
	}
	return route.Entry{}, buf, route.ErrNoPath
}
