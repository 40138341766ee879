package routing

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"time"

	"github.com/mehr-net/mehr/mehr/ext"
	"github.com/mehr-net/mehr/mehr/pathcost"
	"github.com/mehr-net/mehr/mehr/route"
	"github.com/mehr-net/mehr/rns/dest"
	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/link"
	"github.com/mehr-net/mehr/rns/transport"
	"github.com/mehr-net/mehr/rns/wire"
)

// Annotations between Mehr neighbours (docs/design/path-cost.md §2).
//
// Two Mehr nodes that hear each other's announce directly keep one link
// between them: the one with the smaller transport ID opens it to the
// other's mehr.node destination and identifies. Over it each tells the
// other, for every destination whose selected path changed, what that path
// costs from its side: an annotation record of
//
//	destination (16) | announce random hash (10) | CompactPathCost (7) | flags (1)
//
// batched into link packets after a short delay. Flags: 0x01 unknown
// segment, 0x02 reverse (the path leads back through the receiver). A copy
// whose annotation has not arrived yet is entered as unknown and upgraded
// when it does.

const (
	annotationSize  = wire.HashLen + route.RandomHashLen + pathcost.Size + 1
	annotationMsg   = 0x41 // first byte of an annotation packet, with a version
	annotationV1    = 1
	flagUnknown     = 0x01
	flagReverse     = 0x02
	annotationDelay = 50 * time.Millisecond
	dialTimeout     = 30 * time.Second
)

var errLinked = errors.New("closed, or linked meanwhile")

// noteKey names what one neighbour said about one destination.
type noteKey struct {
	nb, dst wire.Hash
}

// heard is a copy entered without an annotation, kept to upgrade it.
type heard struct {
	a route.Announce
	e ext.Extension
}

type neighbours struct {
	r  *Router
	ln *link.Listener

	mu      sync.Mutex
	links   map[wire.Hash]*link.Link // by neighbour transport ID
	byLink  map[*link.Link]wire.Hash
	dialing map[wire.Hash]bool
	notes   map[noteKey]route.Annotation
	heard   map[noteKey]heard
	due     map[wire.Hash]struct{} // destinations to annotate
	sent    map[wire.Hash]route.Entry
	armed   bool
	closed  bool
	ctx     context.Context
	cancel  context.CancelFunc
	// known holds every neighbour ever linked, for failure rounds: the
	// value is its mehr.node destination, which names it as the next
	// hop of its own announces.
	known  map[wire.Hash]wire.Hash
	byDest map[wire.Hash]wire.Hash // known, the other way round
}

func newNeighbours(r *Router) *neighbours {
	n := &neighbours{r: r, links: map[wire.Hash]*link.Link{}, byLink: map[*link.Link]wire.Hash{},
		dialing: map[wire.Hash]bool{}, notes: map[noteKey]route.Annotation{}, heard: map[noteKey]heard{},
		due: map[wire.Hash]struct{}{}, sent: map[wire.Hash]route.Entry{}, known: map[wire.Hash]wire.Hash{},
		byDest: map[wire.Hash]wire.Hash{}}
	n.ctx, n.cancel = context.WithCancel(context.Background())
	t := r.node.Transport()
	n.ln = link.NewListener(t, r.node.Identity(), r.dest.Hash(), link.Config{
		Logf:         r.cfg.Logf,
		OnIdentified: n.identified,
		OnPacket:     n.packet,
		OnClosed:     n.linkClosed,
	})
	r.dest.SetLinkRequestHandler(func(p *transport.Packet) { _, _ = n.ln.HandleRequest(p) })
	r.wg.Add(1)
	go n.routineRounds(r.cfg.Round)
	return n
}

// limit bounds the annotation bookkeeping: a few entries per routing
// table entry.
func (n *neighbours) limit() int { return 4 * n.r.table.Cap() }

// count returns the number of neighbour links up.
func (n *neighbours) count() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return len(n.links)
}

// direct handles a Mehr announce heard straight from the announcing node:
// a neighbour. The node with the smaller transport ID opens the link.
func (n *neighbours) direct(c *transport.AnnounceCopy) {
	// A neighbour already linked is recognised by its destination, without
	// recalling and parsing its identity again for every announce.
	n.mu.Lock()
	nb, ok := n.byDest[c.Destination]
	linked := ok && (n.links[nb] != nil || n.dialing[nb])
	n.mu.Unlock()
	if linked {
		return
	}
	id, _, ok := n.r.node.Transport().Recall(c.Destination)
	if !ok {
		return
	}
	nb = wire.Hash(id.Hash())
	self := n.r.node.Transport().ID()
	if bytes.Compare(self[:], nb[:]) >= 0 {
		return // the neighbour opens it
	}
	n.mu.Lock()
	if n.closed || n.links[nb] != nil || n.dialing[nb] {
		n.mu.Unlock()
		return
	}
	n.dialing[nb] = true
	n.r.wg.Add(1) // under n.mu: close cannot be waiting yet
	n.mu.Unlock()
	go n.dial(nb, id, c.Destination)
}

func (n *neighbours) dial(nb wire.Hash, id *identity.Identity, dst wire.Hash) {
	defer n.r.wg.Done()
	ctx, cancel := context.WithTimeout(n.ctx, dialTimeout)
	defer cancel()
	l, err := link.Establish(ctx, n.r.node.Transport(), id, dst, link.Config{
		Logf: n.r.cfg.Logf, OnPacket: n.packet, OnClosed: n.linkClosed,
	})
	if err == nil {
		if err = l.Identify(n.r.node.Identity()); err != nil {
			_ = l.Close()
		}
	}
	n.mu.Lock()
	delete(n.dialing, nb)
	if err == nil && (n.closed || n.links[nb] != nil) {
		err = errLinked
		defer l.Close()
	} else if err == nil {
		n.links[nb], n.byLink[l] = l, nb
		n.knowLocked(nb)
	}
	n.mu.Unlock()
	if err != nil {
		n.r.cfg.Logf("routing: neighbour link to %s: %v", nb, err)
		return
	}
	n.r.cfg.Logf("routing: neighbour link to %s up", nb)
	n.announceAll()
}

// identified takes an inbound link once the neighbour said who it is.
func (n *neighbours) identified(l *link.Link, who *identity.Identity) {
	nb := wire.Hash(who.Hash())
	n.mu.Lock()
	if n.closed || n.links[nb] != nil {
		n.mu.Unlock()
		_ = l.Close()
		return
	}
	n.links[nb], n.byLink[l] = l, nb
	n.knowLocked(nb)
	n.mu.Unlock()
	n.r.cfg.Logf("routing: neighbour link from %s up", nb)
	n.announceAll()
}

// announceAll queues an annotation of every destination for a new
// neighbour.
func (n *neighbours) announceAll() {
	es := n.r.table.All(nil)
	n.mu.Lock()
	for _, e := range es {
		n.due[e.Destination] = struct{}{}
	}
	clear(n.sent)
	n.armLocked()
	n.mu.Unlock()
}

func (n *neighbours) linkClosed(l *link.Link, _ link.TeardownReason) {
	n.mu.Lock()
	if nb, ok := n.byLink[l]; ok {
		delete(n.byLink, l)
		if n.links[nb] == l {
			delete(n.links, nb)
		}
	}
	n.mu.Unlock()
}

// changed queues dst's annotation after an observation.
func (n *neighbours) changed(dst wire.Hash) {
	n.mu.Lock()
	if len(n.links) > 0 {
		n.due[dst] = struct{}{}
		n.armLocked()
	}
	n.mu.Unlock()
}

func (n *neighbours) armLocked() {
	if n.armed || n.closed || len(n.due) == 0 {
		return
	}
	n.armed = true
	time.AfterFunc(annotationDelay, n.flush)
}

// flush sends the due annotations to every neighbour, each told whether
// the path leads back through it.
func (n *neighbours) flush() {
	n.mu.Lock()
	n.armed = false
	if n.closed {
		n.mu.Unlock()
		return
	}
	var es []route.Entry
	for dst := range n.due {
		e, err := n.r.table.Select(dst, n.r.cfg.Policy, route.Constraints{})
		if err != nil {
			continue
		}
		if last, ok := n.sent[dst]; ok && last.RandomHash == e.RandomHash && last.Path == e.Path &&
			last.Unknown == e.Unknown && last.NextHop == e.NextHop {
			continue
		}
		if len(n.sent) >= n.limit() {
			clear(n.sent)
		}
		n.sent[dst] = e
		es = append(es, e)
	}
	clear(n.due)
	type target struct {
		nb wire.Hash
		l  *link.Link
	}
	var ts []target
	for nb, l := range n.links {
		ts = append(ts, target{nb, l})
	}
	n.mu.Unlock()
	for _, t := range ts {
		max := (t.l.MDU() - 2) / annotationSize
		buf := []byte{annotationMsg, annotationV1}
		for k, e := range es {
			buf = appendAnnotation(buf, &e, e.NextHop.Transport == t.nb)
			if (k+1)%max == 0 || k == len(es)-1 {
				if _, err := t.l.SendPacket(wire.Data, wire.ContextNone, buf); err != nil {
					n.r.cfg.Logf("routing: annotations to %s: %v", t.nb, err)
					break
				}
				buf = buf[:2]
			}
		}
	}
}

func appendAnnotation(b []byte, e *route.Entry, reverse bool) []byte {
	b = append(b, e.Destination[:]...)
	b = append(b, e.RandomHash[:]...)
	b = e.Path.Append(b)
	var f byte
	if e.Unknown {
		f |= flagUnknown
	}
	if reverse {
		f |= flagReverse
	}
	return append(b, f)
}

// errAnnotations is a malformed annotation packet.
var errAnnotations = errors.New("routing: malformed annotation packet")

// decodeAnnotations calls fn for every record of an annotation packet. A
// packet of the wrong type, version or length is rejected whole, before
// fn sees any record.
func decodeAnnotations(pt []byte, fn func(dst wire.Hash, a route.Annotation)) error {
	if len(pt) < 2 || pt[0] != annotationMsg || pt[1] != annotationV1 || (len(pt)-2)%annotationSize != 0 {
		return errAnnotations
	}
	for rec := pt[2:]; len(rec) > 0; rec = rec[annotationSize:] {
		var dst wire.Hash
		copy(dst[:], rec)
		var a route.Annotation
		copy(a.RandomHash[:], rec[wire.HashLen:])
		// Every 7-byte string is a valid CompactPathCost.
		_ = a.Path.Decode(rec[wire.HashLen+route.RandomHashLen : annotationSize-1])
		f := rec[annotationSize-1]
		a.Unknown, a.Reverse = f&flagUnknown != 0, f&flagReverse != 0
		fn(dst, a)
	}
	return nil
}

// packet takes a neighbour's annotations. Anything malformed is dropped
// whole.
func (n *neighbours) packet(l *link.Link, pt []byte) {
	nb, upgrades, reverses, err := n.take(l, pt)
	if err != nil {
		n.r.cfg.Logf("routing: from neighbour %s: %v", nb, err)
		return
	}
	for _, dst := range reverses {
		n.r.table.RemoveVia(dst, nb)
	}
	for _, h := range upgrades {
		o, err := route.NewObservation(&h.a, &h.e, n.r.cfg.Unknown)
		if err != nil {
			continue
		}
		if err := n.r.table.Observe(o); err == nil {
			n.changed(h.a.Destination)
		}
	}
}

// take records the annotations of a packet from l's neighbour, and
// returns the copies they upgrade and the destinations the neighbour
// reaches through this node.
func (n *neighbours) take(l *link.Link, pt []byte) (nb wire.Hash, upgrades []heard, reverses []wire.Hash, err error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	nb, ok := n.byLink[l]
	if !ok {
		return nb, nil, nil, nil
	}
	err = decodeAnnotations(pt, func(dst wire.Hash, a route.Annotation) {
		k := noteKey{nb, dst}
		if len(n.notes) >= n.limit() {
			clear(n.notes)
		}
		n.notes[k] = a
		if h, ok := n.heard[k]; ok && h.a.RandomHash == a.RandomHash {
			delete(n.heard, k)
			if a.Reverse {
				reverses = append(reverses, dst)
				return
			}
			h.a.Annotation, h.a.HasAnnotation = a, true
			upgrades = append(upgrades, h)
		}
	})
	return nb, upgrades, reverses, err
}

// annotation is Config.Annotation's default: what the neighbour sent.
func (n *neighbours) annotation(_ *transport.Iface, nb, dst wire.Hash, rh [route.RandomHashLen]byte) (route.Annotation, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	a, ok := n.notes[noteKey{nb, dst}]
	return a, ok && a.RandomHash == rh
}

// unannotated remembers a copy entered without an annotation, to upgrade
// it when one arrives.
func (n *neighbours) unannotated(a *route.Announce, e *ext.Extension) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if len(n.heard) >= n.limit() {
		clear(n.heard)
	}
	n.heard[noteKey{a.NextHop.Transport, a.Destination}] = heard{a: *a, e: *e}
}

// knowLocked adds nb to the neighbours whose links failure rounds watch.
func (n *neighbours) knowLocked(nb wire.Hash) {
	if _, ok := n.known[nb]; ok || len(n.known) >= maxKnown {
		return
	}
	d, err := dest.Hash(&nb, AppName, Aspect)
	if err == nil {
		n.known[nb], n.byDest[d] = d, nb
	}
}

// maxKnown bounds the neighbours failure rounds track.
const maxKnown = 4096

// routineRounds runs the neighbour failure rounds: every round a
// neighbour whose link is down misses one, so that its entries turn
// stale after route.MissedStale rounds and go after route.MissedEvict;
// one whose link is up is seen.
func (n *neighbours) routineRounds(every time.Duration) {
	defer n.r.wg.Done()
	tick := time.NewTicker(every)
	defer tick.Stop()
	missed := map[wire.Hash]int{}
	for {
		select {
		case <-n.ctx.Done():
			return
		case <-tick.C:
		}
		n.mu.Lock()
		up := map[wire.Hash]bool{}
		names := map[wire.Hash]wire.Hash{} // next-hop name → neighbour
		for nb, d := range n.known {
			up[nb] = n.links[nb] != nil
			names[nb], names[d] = nb, nb
		}
		n.mu.Unlock()
		hops := map[route.NextHop]wire.Hash{}
		for _, e := range n.r.table.All(nil) {
			if nb, ok := names[e.NextHop.Transport]; ok {
				hops[e.NextHop] = nb
			}
		}
		for nh, nb := range hops {
			if up[nb] {
				n.r.table.MarkSeen(nh)
			} else {
				n.r.table.MarkMissed(nh)
			}
		}
		for nb, u := range up {
			if u {
				delete(missed, nb)
				continue
			}
			if missed[nb]++; missed[nb] > route.MissedEvict {
				// Its entries are gone; forget it until it links again.
				delete(missed, nb)
				n.mu.Lock()
				delete(n.byDest, n.known[nb])
				delete(n.known, nb)
				n.mu.Unlock()
			}
		}
	}
}

func (n *neighbours) close() {
	n.mu.Lock()
	n.closed = true
	ls := make([]*link.Link, 0, len(n.links))
	for _, l := range n.links {
		ls = append(ls, l)
	}
	n.mu.Unlock()
	n.cancel()
	for _, l := range ls {
		_ = l.Close()
	}
	n.ln.Close()
}
