package route

import (
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mehr-net/mehr/mehr/pathcost"
	"github.com/mehr-net/mehr/rns/wire"
)

// Table is a Mehr routing table. Create it with New. See the package doc
// for its locking.
type Table struct {
	cfg Config

	// Counters, updated atomically.
	replays   atomic.Uint64
	evictions atomic.Uint64
	expired   atomic.Uint64

	// mu guards the following fields. Select and Candidates hold it for
	// reading and write only entry.lastUsed, which is atomic.
	mu    sync.RWMutex
	dests map[wire.Hash]*dest
	nbrs  map[NextHop]*neighbor
	n     int // entries over all destinations
	tombs int // destinations with no entries, kept for their watermark
}

// dest holds the entries of one destination and its replay watermark.
type dest struct {
	entries []*entry // at most cfg.MaxPerDestination, in insertion order
	lamport uint64   // highest Lamport timestamp accepted
	seen    time.Time
}

// entry is an Entry with its bookkeeping.
type entry struct {
	Entry
	// Times in unix nanoseconds, so that selection compares integers.
	failedUntil int64        // held back by Fail until then
	staleAt     int64        // Expires
	goneAt      int64        // Expires plus one announce interval
	lastUsed    atomic.Int64 // of the last Select or update
	nb          *neighbor
}

// neighbor counts a next hop's missed rounds and the entries through it.
type neighbor struct {
	missed int
	refs   int
}

// Stats are a Table's counters.
type Stats struct {
	Entries      int    // entries now
	Destinations int    // destinations with at least one entry
	Replays      uint64 // observations rejected with ErrReplay
	Evictions    uint64 // entries evicted for room or by neighbour failure
	Expired      uint64 // entries removed after their stale interval
}

// New returns an empty Table.
func New(cfg Config) *Table {
	cfg.setDefaults()
	return &Table{
		cfg:   cfg,
		dests: make(map[wire.Hash]*dest),
		nbrs:  make(map[NextHop]*neighbor),
	}
}

// Observe records an observation: it adds an entry for its destination and
// next hop or updates the one there.
//
// Replay protection: an observation whose Lamport timestamp is below the
// highest one accepted for its destination is rejected with ErrReplay and
// counted. An equal timestamp is the same announce arriving by another
// path and is accepted; when it arrives again by a next hop that already
// has an entry for that timestamp, its values are taken (an annotation may
// have upgraded an unknown segment) but its expiry is not extended, so
// replaying the current announce cannot keep a path alive.
func (t *Table) Observe(o Observation) error {
	now := t.cfg.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	d := t.dests[o.Destination]
	if d != nil && o.Lamport < d.lamport {
		t.replays.Add(1)
		return ErrReplay
	}
	if d == nil {
		t.dropTombLocked()
		d = &dest{entries: make([]*entry, 0, min(t.cfg.MaxPerDestination, 8))}
		t.dests[o.Destination] = d
		t.tombs++
	}
	d.seen = now
	d.lamport = o.Lamport

	var e *entry
	for _, x := range d.entries {
		if x.NextHop == o.NextHop {
			e = x
			break
		}
	}
	if e == nil {
		if len(d.entries) >= t.cfg.MaxPerDestination {
			v := victim(d.entries, now.UnixNano())
			if evictRank(v, now.UnixNano()) == 2 {
				// Every entry is active: keep the shortest paths, so a
				// late copy that came the long way round cannot push
				// out the first, shortest ones.
				v = longest(d.entries)
				if !shorter(&o, v) {
					t.evictions.Add(1)
					return nil
				}
			}
			t.removeLocked(o.Destination, d, v)
			t.evictions.Add(1)
		}
		t.makeRoomLocked(now.UnixNano())
		if len(d.entries) == 0 {
			t.tombs--
		}
		e = &entry{}
		e.Reliability = t.cfg.InitialReliability
		e.nb = t.nbrs[o.NextHop]
		if e.nb == nil {
			e.nb = &neighbor{}
			t.nbrs[o.NextHop] = e.nb
		}
		e.nb.refs++
		d.entries = append(d.entries, e)
		t.n++
	} else if e.Lamport == o.Lamport {
		// The same announce again by the same next hop: new values, old
		// expiry.
		e.setPath(o)
		e.lastUsed.Store(now.UnixNano())
		return nil
	}
	e.Destination = o.Destination
	e.NextHop = o.NextHop
	e.setPath(o)
	e.LastUpdated = now
	e.Expires = now.Add(3 * t.cfg.AnnounceInterval)
	e.staleAt = e.Expires.UnixNano()
	e.goneAt = e.Expires.Add(t.cfg.AnnounceInterval).UnixNano()
	e.lastUsed.Store(now.UnixNano())
	return nil
}

func (e *entry) setPath(o Observation) {
	e.Path = o.Path
	e.Cost = pathcost.DecodeCost(o.Path.Cost)
	e.Latency = pathcost.DecodeLatency(o.Path.Latency)
	e.Bandwidth = pathcost.DecodeBandwidth(o.Path.Bandwidth)
	e.Hops = o.Path.Hops
	e.MTU = pathcost.DecodeMTU(o.Path.MTU)
	e.Unknown = o.Unknown
	e.RandomHash = o.RandomHash
	e.Lamport = o.Lamport
	e.HeardHops = o.HeardHops
}

// state returns e's standing at now.
func (e *entry) state(now int64) State {
	switch {
	case now < e.failedUntil:
		return Failed
	case e.stale(now):
		return Stale
	}
	return Fresh
}

// gone reports whether e is past its stale interval.
func (e *entry) gone(now int64) bool { return now >= e.goneAt }

// stale reports whether e is stale at now, whatever its failure hold.
func (e *entry) stale(now int64) bool {
	return now >= e.staleAt || e.nb.missed >= MissedStale
}

// evictRank orders entries for eviction: gone, then stale, then active.
func evictRank(e *entry, now int64) int {
	switch {
	case e.gone(now):
		return 0
	case e.stale(now):
		return 1
	}
	return 2
}

// evictFirst reports whether a goes before b under the spec's
// memory-pressure rule: least recently used stale entries first, then the
// active entries with the lowest reliability (least recently used among
// equals). Entries past their stale interval go before both.
func evictFirst(a, b *entry, now int64) bool {
	ra, rb := evictRank(a, now), evictRank(b, now)
	if ra != rb {
		return ra < rb
	}
	if ra == 2 && a.Reliability != b.Reliability {
		return a.Reliability < b.Reliability
	}
	return a.lastUsed.Load() < b.lastUsed.Load()
}

// victim picks the entry of es to evict first.
func victim(es []*entry, now int64) *entry {
	var v *entry
	for _, e := range es {
		if v == nil || evictFirst(e, v, now) {
			v = e
		}
	}
	return v
}

// longest returns the entry with the most hops, the dearest among equals.
func longest(es []*entry) *entry {
	var v *entry
	for _, e := range es {
		if v == nil || e.Hops > v.Hops || e.Hops == v.Hops && e.Cost > v.Cost {
			v = e
		}
	}
	return v
}

// shorter reports whether o's path has fewer hops than e's, or as many
// and a lower cost.
func shorter(o *Observation, e *entry) bool {
	if o.Path.Hops != e.Hops {
		return o.Path.Hops < e.Hops
	}
	return pathcost.DecodeCost(o.Path.Cost) < e.Cost
}

// dropTombLocked forgets the oldest destination without entries when
// there are MaxEntries of them, so that watermarks stay bounded too.
func (t *Table) dropTombLocked() {
	if t.tombs < t.cfg.MaxEntries {
		return
	}
	var oldest wire.Hash
	var od *dest
	for h, d := range t.dests {
		if len(d.entries) == 0 && (od == nil || d.seen.Before(od.seen)) {
			oldest, od = h, d
		}
	}
	if od != nil {
		delete(t.dests, oldest)
		t.tombs--
	}
}

// makeRoomLocked evicts one entry, over all destinations, if the table is
// at its cap. It scans the whole table: it runs only when a new entry
// arrives at the cap.
func (t *Table) makeRoomLocked(now int64) {
	if t.n < t.cfg.MaxEntries {
		return
	}
	var vh wire.Hash
	var vd *dest
	var v *entry
	for h, d := range t.dests {
		if len(d.entries) == 0 {
			continue
		}
		if c := victim(d.entries, now); v == nil || evictFirst(c, v, now) {
			v, vh, vd = c, h, d
		}
	}
	if v != nil {
		t.removeLocked(vh, vd, v)
		t.evictions.Add(1)
	}
}

// removeLocked deletes e from d. A destination left without entries stays
// as a tombstone holding its Lamport watermark.
func (t *Table) removeLocked(h wire.Hash, d *dest, e *entry) {
	for i, x := range d.entries {
		if x != e {
			continue
		}
		copy(d.entries[i:], d.entries[i+1:])
		d.entries[len(d.entries)-1] = nil
		d.entries = d.entries[:len(d.entries)-1]
		t.n--
		e.nb.refs--
		if e.nb.refs == 0 && e.nb.missed == 0 {
			delete(t.nbrs, e.NextHop)
		}
		if len(d.entries) == 0 {
			t.tombs++
		}
		return
	}
}

// Fail reports that the path to dest through nh failed (a link request
// timed out, a proof did not come): its reliability drops by a quarter and
// it stays behind every other entry for Config.FailHold, so the next Select
// returns the next best. It reports whether the entry exists.
func (t *Table) Fail(dst wire.Hash, nh NextHop) bool {
	now := t.cfg.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.findLocked(dst, nh)
	if e == nil {
		return false
	}
	e.Reliability -= e.Reliability / 4
	e.failedUntil = now.Add(t.cfg.FailHold).UnixNano()
	return true
}

// RemoveVia removes dst's entries through the neighbour with transport ID
// nb (on any interface), as when that neighbour says its own path leads
// back through this node. It returns how many it removed.
func (t *Table) RemoveVia(dst, nb wire.Hash) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	d := t.dests[dst]
	if d == nil {
		return 0
	}
	k := 0
	for _, e := range slices.Clone(d.entries) {
		if e.NextHop.Transport == nb {
			t.removeLocked(dst, d, e)
			k++
		}
	}
	return k
}

// Cap returns the most entries the table keeps (Config.MaxEntries).
func (t *Table) Cap() int { return t.cfg.MaxEntries }

// Confirm reports that the path to dest through nh delivered (a proof or
// link establishment): its reliability rises by an eighth of the distance
// to 255 and a failure hold is lifted. It reports whether the entry exists.
func (t *Table) Confirm(dst wire.Hash, nh NextHop) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	e := t.findLocked(dst, nh)
	if e == nil {
		return false
	}
	e.Reliability += uint8((int(255-e.Reliability) + 7) / 8)
	e.failedUntil = 0
	return true
}

func (t *Table) findLocked(dst wire.Hash, nh NextHop) *entry {
	d := t.dests[dst]
	if d == nil {
		return nil
	}
	for _, e := range d.entries {
		if e.NextHop == nh {
			return e
		}
	}
	return nil
}

// MarkMissed records that neighbour nh missed one more round (gossip
// round or keepalive, as the caller defines it). After MissedStale
// consecutive misses its entries are stale; at MissedEvict they are
// evicted. It returns the count of consecutive misses.
func (t *Table) MarkMissed(nh NextHop) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	nb := t.nbrs[nh]
	if nb == nil {
		nb = &neighbor{}
		t.nbrs[nh] = nb
	}
	nb.missed++
	if nb.missed >= MissedEvict && nb.refs > 0 {
		for h, d := range t.dests {
			for i := len(d.entries) - 1; i >= 0; i-- {
				if e := d.entries[i]; e.nb == nb {
					t.removeLocked(h, d, e)
					t.evictions.Add(1)
				}
			}
		}
	}
	return nb.missed
}

// MarkSeen records that neighbour nh answered: its miss count is reset and
// its entries are fresh again unless they expired.
func (t *Table) MarkSeen(nh NextHop) {
	t.mu.Lock()
	defer t.mu.Unlock()
	nb := t.nbrs[nh]
	if nb == nil {
		return
	}
	nb.missed = 0
	if nb.refs == 0 {
		delete(t.nbrs, nh)
	}
}

// Expire removes entries past their stale interval and destinations whose
// last entry went more than Config.ReplayMemory ago. Call it periodically
// (once per announce interval is enough: selection ignores such entries
// anyway). It returns the number of entries removed.
func (t *Table) Expire() int {
	now := t.cfg.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	removed := 0
	for h, d := range t.dests {
		for i := len(d.entries) - 1; i >= 0; i-- {
			if e := d.entries[i]; e.gone(now.UnixNano()) {
				t.removeLocked(h, d, e)
				removed++
			}
		}
		if len(d.entries) == 0 && !now.Before(d.seen.Add(t.cfg.ReplayMemory)) {
			delete(t.dests, h)
			t.tombs--
		}
	}
	t.expired.Add(uint64(removed))
	return removed
}

// Lookup appends the entries of h to out, in no particular order, with
// their current State; entries past their stale interval are left out.
// Unlike Select, it does not count as use for LRU eviction.
func (t *Table) Lookup(h wire.Hash, out []Entry) []Entry {
	ns := t.cfg.Now().UnixNano()
	t.mu.RLock()
	defer t.mu.RUnlock()
	if d := t.dests[h]; d != nil {
		out = d.appendLive(out, ns)
	}
	return out
}

// All appends every live entry of every destination to out, in no
// particular order.
func (t *Table) All(out []Entry) []Entry {
	ns := t.cfg.Now().UnixNano()
	t.mu.RLock()
	defer t.mu.RUnlock()
	for _, d := range t.dests {
		out = d.appendLive(out, ns)
	}
	return out
}

// appendLive appends d's entries that are not gone at ns, with their
// state.
func (d *dest) appendLive(out []Entry, ns int64) []Entry {
	for _, e := range d.entries {
		if e.gone(ns) {
			continue
		}
		x := e.Entry
		x.State = e.state(ns)
		out = append(out, x)
	}
	return out
}

// Stats returns the table's counters.
func (t *Table) Stats() Stats {
	t.mu.RLock()
	s := Stats{Entries: t.n, Destinations: len(t.dests) - t.tombs}
	t.mu.RUnlock()
	s.Replays = t.replays.Load()
	s.Evictions = t.evictions.Load()
	s.Expired = t.expired.Load()
	return s
}
