// Package routing runs Mehr's cost-aware routing on a node: it announces
// the node's own Mehr destination (`mehr.node`) with the 0x4E extension in
// its signed app_data (the origin's CompactPathCost and a Lamport
// timestamp, docs/design/path-cost.md §1), and feeds every validated
// announce of that aspect into a route.Table, from which a PathPolicy
// picks among the paths heard.
//
// Announces reach the table through the node's announce handler, after
// Reticulum's own processing: the announce is validated and forwarded
// exactly as a Python node would, whatever Mehr makes of it. Hops without
// a neighbour annotation (today: every hop, until neighbour links carry
// annotations, §2) are priced as unknown (§3).
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

// lamportFile keeps the last Lamport timestamp across restarts, in the
// node's storage directory.
const lamportFile = "mehr_lamport"

// Config adjusts a Router. Every field is optional.
type Config struct {
	// Interval between announces after the first; 0 means
	// DefaultInterval, negative never (call Announce).
	Interval time.Duration
	// Origin is this node's own first-hop cost, as announced; the zero
	// value means pathcost.Origin().
	Origin *pathcost.Compact
	// Unknown prices hops that sent no annotation.
	Unknown route.UnknownHop
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
		done: make(chan struct{})}
	if cfg.StateDir != "" {
		if b, err := os.ReadFile(filepath.Join(cfg.StateDir, lamportFile)); err == nil && len(b) == 8 {
			r.lamport = binary.LittleEndian.Uint64(b)
		}
	}
	n.Transport().RegisterAnnounceHandler(AppName+"."+Aspect, true, r.handleAnnounce)
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
	e := ext.Extension{PathCost: pathcost.Origin(), Lamport: r.nextLamport(), HasLamport: true}
	if r.cfg.Origin != nil {
		e.PathCost = *r.cfg.Origin
	}
	return e.Append(nil)
}

// Announce announces the node's Mehr destination now.
func (r *Router) Announce() error { return r.dest.Announce(r.AppData()) }

func (r *Router) routineAnnounce() {
	defer r.wg.Done()
	wait := time.Duration(0)
	for {
		select {
		case <-r.done:
			return
		case <-time.After(wait):
		}
		if err := r.Announce(); err != nil {
			r.cfg.Logf("routing: announce: %v", err)
		}
		wait = r.cfg.Interval
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

// handleAnnounce turns a validated Mehr announce into an observation.
func (r *Router) handleAnnounce(ai transport.AnnounceInfo) {
	select {
	case <-r.done:
		return
	default:
	}
	if ai.Destination == r.dest.Hash() {
		return
	}
	t := r.node.Transport()
	pe, ok := t.Path(ai.Destination)
	if !ok {
		return
	}
	a := route.Announce{Destination: ai.Destination, NextHop: route.NextHop{Transport: pe.NextHop, Interface: ifaceKey(pe.Interface)},
		Hops: ai.Hops}
	if a.Hops == 0 {
		a.Hops = 1 // a shared-instance client's hop counts as none; the table counts from one
	}
	if pe.Interface != nil {
		st := pe.Interface.Stats()
		a.LastHop = pathcost.Hop{Cost: r.cfg.Unknown.Cost, Latency: r.cfg.Unknown.Latency,
			Bandwidth: uint64(max(st.Bitrate, 0)), MTU: uint64(max(st.MTU, 0))}
	}
	o, err := route.ParseObservation(&a, ai.AppData, r.cfg.Unknown)
	if err != nil {
		r.cfg.Logf("routing: announce of %s: %v", ai.Destination, err)
		return
	}
	if err := r.table.Observe(o); err != nil && !errors.Is(err, route.ErrReplay) {
		r.cfg.Logf("routing: %s: %v", ai.Destination, err)
	}
}

// Close stops announcing. The announce handler stays registered with
// transport and is ignored from then on.
func (r *Router) Close() {
	r.once.Do(func() { close(r.done) })
	r.wg.Wait()
}
