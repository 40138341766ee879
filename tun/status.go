package tun

import (
	"net/netip"
	"slices"
	"sync/atomic"
	"time"

	"github.com/mehr-net/mehr/rns/wire"
)

// Status is a snapshot of the adapter for `mehr ip`.
type Status struct {
	Address     netip.Addr
	Prefix      netip.Prefix
	Destination wire.Hash
	MTU         int
	Peers       []PeerStatus // by address
	Collisions  []Collision
	Counters    Counters
}

// PeerStatus describes one peer.
type PeerStatus struct {
	Address     netip.Addr
	Destination wire.Hash
	Source      string // SourceAnnounce or SourceLink
	// Link is "none", "establishing" or the link's state (ACTIVE, STALE,
	// ...); LinkMTU is the link's MTU when there is one.
	Link    string
	LinkMTU int
	// Initiator is set when this node opened the link.
	Initiator bool
	Pending   int
	LastError string

	TxPackets, TxBytes, RxPackets, RxBytes uint64
	// Dropped counts packets to or from the peer that were dropped;
	// Spoofed those from it whose source address was not its own.
	Dropped, Spoofed uint64
	// Establishments counts links this node opened to the peer.
	Establishments uint64
	// Collisions counts announces of other destinations that mapped to
	// this peer's address.
	Collisions uint64
}

// Collision reports two IP destinations whose hashes map to the same
// address. The first seen (Kept) keeps the address.
type Collision struct {
	Address        netip.Addr
	Kept, Rejected wire.Hash
	Count          uint64
	First          time.Time
}

// Counters are the adapter's packet counters.
type Counters struct {
	// Device side.
	Read, ReadErrors, WriteErrors uint64
	IPv4, Malformed, Multicast    uint64 // dropped from the device
	NoRoute, Unknown, TooBig      uint64 // answered with ICMPv6 (rate permitting)
	ICMPSent, ICMPLimited         uint64
	QueueDrops, LinkFailures      uint64
	SendErrors, Unfragmentable    uint64
	Fragmented                    uint64
	// Link side.
	BadFrames, BadPackets, Unidentified    uint64
	Spoofed, NotForUs                      uint64
	Reassembled, FragDrops, FragDuplicates uint64
	Collisions                             uint64
}

type counters struct {
	read, readErrors, writeErrors          atomic.Uint64
	ipv4, malformed, multicast             atomic.Uint64
	noRoute, unknown, tooBig               atomic.Uint64
	icmpSent, icmpLimited                  atomic.Uint64
	queueDrops, linkFailures               atomic.Uint64
	sendErrors, unfragmentable, fragmented atomic.Uint64
	badFrames, badPackets, unidentified    atomic.Uint64
	spoofed, notForUs                      atomic.Uint64
	reassembled, fragDrops, fragDuplicates atomic.Uint64
	collisions                             atomic.Uint64
}

func (c *counters) snapshot() Counters {
	return Counters{
		Read: c.read.Load(), ReadErrors: c.readErrors.Load(), WriteErrors: c.writeErrors.Load(),
		IPv4: c.ipv4.Load(), Malformed: c.malformed.Load(), Multicast: c.multicast.Load(),
		NoRoute: c.noRoute.Load(), Unknown: c.unknown.Load(), TooBig: c.tooBig.Load(),
		ICMPSent: c.icmpSent.Load(), ICMPLimited: c.icmpLimited.Load(),
		QueueDrops: c.queueDrops.Load(), LinkFailures: c.linkFailures.Load(),
		SendErrors: c.sendErrors.Load(), Unfragmentable: c.unfragmentable.Load(), Fragmented: c.fragmented.Load(),
		BadFrames: c.badFrames.Load(), BadPackets: c.badPackets.Load(), Unidentified: c.unidentified.Load(),
		Spoofed: c.spoofed.Load(), NotForUs: c.notForUs.Load(),
		Reassembled: c.reassembled.Load(), FragDrops: c.fragDrops.Load(), FragDuplicates: c.fragDuplicates.Load(),
		Collisions: c.collisions.Load(),
	}
}

// Status returns a snapshot of the adapter.
func (a *Adapter) Status() Status {
	s := Status{Address: a.Address(), Prefix: a.prefix, Destination: a.dest.Hash(), MTU: a.mtu, Counters: a.c.snapshot()}
	a.mu.Lock()
	s.Collisions = slices.Clone(a.collisions)
	a.mu.Unlock()
	for _, p := range a.peers.Load().byAddr {
		ps := PeerStatus{
			Address: netip.AddrFrom16(p.addr), Destination: p.hash, Source: p.source, Link: "none",
			TxPackets: p.txPackets.Load(), TxBytes: p.txBytes.Load(), RxPackets: p.rxPackets.Load(), RxBytes: p.rxBytes.Load(),
			Dropped: p.dropped.Load(), Spoofed: p.spoofed.Load(), Establishments: p.establishments.Load(), Collisions: p.collisions.Load(),
		}
		p.mu.Lock()
		l := p.link
		if l == nil && p.establishing {
			ps.Link = "establishing"
		}
		ps.Pending, ps.LastError = len(p.pending), p.lastErr
		p.mu.Unlock()
		if l != nil {
			ps.Link, ps.LinkMTU, ps.Initiator = l.Status().String(), l.MTU(), l.Initiator()
		}
		s.Peers = append(s.Peers, ps)
	}
	slices.SortFunc(s.Peers, func(x, y PeerStatus) int { return x.Address.Compare(y.Address) })
	return s
}
