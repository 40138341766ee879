package sim

import (
	"bytes"
	"container/heap"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"net"
	"slices"
	"time"

	"github.com/mehr-net/mehr/mehr/pathcost"
	"github.com/mehr-net/mehr/mehr/route"
	"github.com/mehr-net/mehr/mehr/routing"
	"github.com/mehr-net/mehr/mehr/sim/topo"
	"github.com/mehr-net/mehr/rns"
	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/iface"
	"github.com/mehr-net/mehr/rns/transport"
	"github.com/mehr-net/mehr/rns/wire"
)

// epoch is where the simulated clock starts.
var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// AnnotationBytes is what one annotation costs on a neighbour link:
// destination (16), random hash (10), CompactPathCost (7) and flags (1),
// plus a share of the link packet it is batched in (about 8 bytes when ten
// share one packet's header and token overhead).
const AnnotationBytes = 16 + 10 + pathcost.Size + 1 + 8

// jobTick is how often an active node runs transport's jobs: the
// reference checks its announce table once a second.
const jobTick = time.Second

// activeFor is how long a node keeps running jobs after it last received
// or sent: longer than the rebroadcast grace and jitter
// (transport.PathfinderG + PathfinderRW).
const activeFor = 8 * time.Second

const (
	evDeliver = iota
	evJobs
	evAnnounce
)

type event struct {
	at    int64 // ns since epoch
	seq   uint64
	kind  uint8
	node  int32
	port  int32 // receiving port (evDeliver)
	frame []byte
}

type eventQueue []*event

func (q eventQueue) Len() int { return len(q) }
func (q eventQueue) Less(i, j int) bool {
	if q[i].at != q[j].at {
		return q[i].at < q[j].at
	}
	return q[i].seq < q[j].seq
}
func (q eventQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *eventQueue) Push(x any)   { *q = append(*q, x.(*event)) }
func (q *eventQueue) Pop() any {
	old := *q
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*q = old[:len(old)-1]
	return e
}

// port is one end of a link: an iface.Interface whose sends the engine
// turns into deliveries at the far end, and the per-direction counters.
type port struct {
	s     *Sim
	node  int32
	idx   int32 // index among the node's ports
	link  int32
	peer  *port
	name  string
	key   uint64 // routing's interface key (FNV-64a of the name)
	ti    *transport.Iface
	busy  int64 // the transmitter is busy until (ns since epoch)
	bytes uint64
	// annotations counts the bytes of annotations sent on this
	// direction (not carried as frames; see AnnotationBytes).
	annotations uint64
	frames      uint64
	lost        uint64
}

var _ iface.Interface = (*port)(nil)

func (p *port) Name() string     { return p.name }
func (p *port) MTU() int         { return p.s.g.Links[p.link].MTU }
func (p *port) Bitrate() int64   { return int64(p.s.g.Links[p.link].Bandwidth) }
func (p *port) Mode() iface.Mode { return iface.ModeFull }
func (p *port) Close() error     { return nil }

// Receive is never called: the interface is attached with NoReceive and
// the engine hands frames to transport.
func (p *port) Receive([]byte) (int, error) { return 0, net.ErrClosed }

// Send queues pkt for the link; the engine schedules it after the step.
func (p *port) Send(pkt []byte) error {
	p.s.outbox = append(p.s.outbox, outFrame{p: p, b: p.s.frame(pkt)})
	return nil
}

type outFrame struct {
	p *port
	b []byte
}

// simNode is one node of the simulation: a real rns.Node and Mehr router.
type simNode struct {
	n      *rns.Node
	r      *routing.Router
	ports  []*port
	dest   wire.Hash // the node's mehr.node destination
	id     wire.Hash // transport ID
	active int64     // runs jobs until
	jobs   bool      // a jobs event is queued
}

// Sim is one simulation run on an injected clock. It is driven by one
// goroutine and deterministic for a seed: the only randomness is the
// seeded generators, and transmissions decided in one step are ordered by
// link and content, not by the order transport happened to emit them.
type Sim struct {
	g     *topo.Graph
	cfg   Config
	now   int64
	seq   uint64
	q     eventQueue
	nodes []*simNode
	rng   *rand.Rand
	valid *transport.ValidatedAnnounces
	// byIface maps a transport interface to its port (all nodes).
	byIface map[*transport.Iface]*port
	byDest  map[wire.Hash]int32
	outbox  []outFrame
	free    [][]byte
	events  uint64
	cands   []route.Entry
}

// Now is the simulated clock.
func (s *Sim) Now() time.Time { return epoch.Add(time.Duration(s.now)) }

// frame returns a copy of b from the free list.
func (s *Sim) frame(b []byte) []byte {
	var f []byte
	if n := len(s.free); n > 0 {
		f, s.free = s.free[n-1][:0], s.free[:n-1]
	}
	return append(f, b...)
}

func (s *Sim) push(e *event) {
	s.seq++
	e.seq = s.seq
	heap.Push(&s.q, e)
}

// seeded returns a deterministic random source for one purpose.
func seeded(seed uint64, purpose string, k uint64) *rand.ChaCha8 {
	var s [32]byte
	binary.LittleEndian.PutUint64(s[0:], seed)
	binary.LittleEndian.PutUint64(s[8:], k)
	h := fnv.New64a()
	h.Write([]byte(purpose))
	binary.LittleEndian.PutUint64(s[16:], h.Sum64())
	return rand.NewChaCha8(s)
}

// build creates the nodes and their ports.
func (s *Sim) build() error {
	g := s.g
	s.nodes = make([]*simNode, g.N)
	s.byIface = make(map[*transport.Iface]*port, 2*len(g.Links))
	s.byDest = make(map[wire.Hash]int32, g.N)
	now := s.Now
	for v := range g.N {
		rnd := seeded(s.cfg.Seed, "node", uint64(v))
		id, err := identity.Generate(rnd)
		if err != nil {
			return err
		}
		n, err := rns.NewNode(rns.Options{Identity: id, TransportEnabled: true, Now: now, NoJobs: true,
			Rand: rnd, Validated: s.valid, HashlistSize: 4 * s.cfg.Announcers})
		if err != nil {
			return err
		}
		sn := &simNode{n: n, id: wire.Hash(id.Hash())}
		s.nodes[v] = sn
	}
	ports := make([]port, 2*len(g.Links))
	for l := range g.Links {
		lk := &g.Links[l]
		a, b := &ports[2*l], &ports[2*l+1]
		*a = port{s: s, node: lk.A, link: int32(l), peer: b, name: fmt.Sprintf("l%d.%d", l, lk.A)}
		*b = port{s: s, node: lk.B, link: int32(l), peer: a, name: fmt.Sprintf("l%d.%d", l, lk.B)}
	}
	for v := range g.N {
		sn := s.nodes[v]
		for _, l := range g.Neighbours(v) {
			p := &ports[2*l]
			if int(p.node) != v {
				p = &ports[2*l+1]
			}
			p.idx = int32(len(sn.ports))
			h := fnv.New64a()
			h.Write([]byte(p.name))
			p.key = h.Sum64()
			ti, err := sn.n.AddInterface(p, transport.InterfaceOptions{NoReceive: true,
				Ingress: transport.IngressControl{Off: !s.cfg.Ingress}})
			if err != nil {
				return err
			}
			p.ti = ti
			s.byIface[ti] = p
			sn.ports = append(sn.ports, p)
		}
	}
	for v := range g.N {
		sn := s.nodes[v]
		r, err := routing.New(sn.n, routing.Config{
			Interval: -1,
			Now:      now,
			Policy:   s.cfg.Default,
			Table: route.Config{AnnounceInterval: s.cfg.AnnounceInterval, MaxPerDestination: s.cfg.PathsPerDestination,
				MaxEntries: s.cfg.MaxEntries},
			Unknown:    route.UnknownHop{Cost: 100, Latency: 500 * time.Millisecond, Bandwidth: 1200},
			LastHop:    s.lastHop,
			Annotation: s.annotation,
		})
		if err != nil {
			return err
		}
		sn.r = r
		sn.dest = r.Destination().Hash()
		s.byDest[sn.dest] = int32(v)
	}
	return nil
}

// lastHop is a node's measurement of the link behind i: the topology's
// truth, as a node would measure it over its neighbour link.
func (s *Sim) lastHop(i *transport.Iface, _ wire.Hash) pathcost.Hop {
	p := s.byIface[i]
	if p == nil {
		return pathcost.Hop{}
	}
	l := &s.g.Links[p.link]
	return pathcost.Hop{Cost: l.Cost, Latency: l.Latency, Bandwidth: l.Bandwidth, MTU: uint64(l.MTU)}
}

// annotation fetches the neighbour's annotation for an announce copy that
// arrived on i, and counts its bytes on the neighbour's direction of the
// link.
func (s *Sim) annotation(i *transport.Iface, _ wire.Hash, dst wire.Hash, rh [route.RandomHashLen]byte) (route.Annotation, bool) {
	p := s.byIface[i]
	if p == nil {
		return route.Annotation{}, false
	}
	nb := s.nodes[p.peer.node]
	a, ok := nb.r.Annotation(s.nodes[p.node].id, dst, rh)
	if ok {
		p.peer.annotations += AnnotationBytes
	}
	return a, ok
}

// run processes events until the queue is empty (every node quiet) or
// the clock passes end.
func (s *Sim) run(end int64) {
	for s.q.Len() > 0 && s.q[0].at <= end {
		e := heap.Pop(&s.q).(*event)
		s.now = e.at
		s.events++
		sn := s.nodes[e.node]
		switch e.kind {
		case evDeliver:
			sn.n.Transport().InboundFrame(e.frame, sn.ports[e.port].ti)
			s.free = append(s.free, e.frame)
			s.touch(e.node)
		case evJobs:
			sn.jobs = false
			sn.n.Transport().RunJobs()
			if s.now < sn.active {
				s.schedule(e.node)
			}
		case evAnnounce:
			if err := sn.r.Announce(); err != nil {
				s.cfg.Logf("sim: node %d: announce: %v", e.node, err)
			}
			s.touch(e.node)
		}
		s.flush()
	}
}

// touch keeps node v running jobs for a while.
func (s *Sim) touch(v int32) {
	sn := s.nodes[v]
	sn.active = s.now + int64(activeFor)
	if !sn.jobs {
		s.schedule(v)
	}
}

func (s *Sim) schedule(v int32) {
	s.nodes[v].jobs = true
	s.push(&event{at: s.now + int64(jobTick), kind: evJobs, node: v})
}

// flush turns the step's transmissions into deliveries: in link and
// content order, each after the link's queue, serialisation and latency,
// unless the link loses it.
func (s *Sim) flush() {
	if len(s.outbox) == 0 {
		return
	}
	slices.SortStableFunc(s.outbox, func(a, b outFrame) int {
		if a.p != b.p {
			if a.p.link != b.p.link {
				return int(a.p.link - b.p.link)
			}
			return int(a.p.node - b.p.node)
		}
		return bytes.Compare(a.b, b.b)
	})
	for _, o := range s.outbox {
		p := o.p
		l := &s.g.Links[p.link]
		p.frames++
		p.bytes += uint64(len(o.b))
		s.touch(p.node)
		start := max(s.now, p.busy)
		p.busy = start + int64(len(o.b))*8*int64(time.Second)/int64(max(l.Bandwidth, 1))
		if l.Loss > 0 && s.rng.Float64() < l.Loss {
			p.lost++
			s.free = append(s.free, o.b)
			continue
		}
		s.push(&event{at: p.busy + int64(l.Latency), kind: evDeliver, node: p.peer.node, port: p.peer.idx, frame: o.b})
	}
	clear(s.outbox)
	s.outbox = s.outbox[:0]
}
