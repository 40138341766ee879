package route

import (
	"math"
	"math/bits"
	"time"

	"github.com/mehr-net/mehr/mehr/ext"
	"github.com/mehr-net/mehr/mehr/pathcost"
	"github.com/mehr-net/mehr/rns/wire"
)

// UnknownMTU is the bottleneck MTU given to a path with a hop that sent no
// annotation: Reticulum's base MTU, which every hop supports
// (docs/design/path-cost.md §3).
const UnknownMTU = 500

// Announce is what the caller knows about one validated announce copy of
// Mehr's own aspect, apart from its app_data.
type Announce struct {
	Destination wire.Hash
	// NextHop is the neighbour the copy came from and the interface it
	// arrived on.
	NextHop NextHop
	// Hops is the header's hop count after this node's increment: 1 when
	// the announcing node is a direct neighbour. 0 is invalid.
	Hops       uint8
	RandomHash [RandomHashLen]byte
	// LastHop is this node's measurement of the hop to NextHop: the
	// interface's bitrate and MTU, the link's latency and the neighbour's
	// price. For a neighbour with no advertised price, use the unknown-hop
	// price.
	LastHop pathcost.Hop
	// Annotation is the neighbour's own path to the destination, if it sent
	// one for this announce (HasAnnotation).
	Annotation    Annotation
	HasAnnotation bool
}

// Annotation is a Mehr neighbour's claim about its own path to a
// destination, bound to one announce by its random hash
// (docs/design/path-cost.md §2). The caller decodes it from the neighbour
// link.
type Annotation struct {
	RandomHash [RandomHashLen]byte
	Path       pathcost.Compact
	// Unknown is the neighbour's own unknown-segment flag.
	Unknown bool
	// Reverse says the neighbour's own path leads back through the node
	// it tells (split horizon): an entry through that neighbour would
	// loop, so the node keeps none.
	Reverse bool
}

// UnknownHop prices a hop that sent no annotation (a Python relay, or a
// Mehr relay whose annotation has not arrived): a configured price,
// latency and bandwidth floor; its MTU is UnknownMTU.
type UnknownHop struct {
	Cost      uint64        // μMHR per byte
	Latency   time.Duration // per hop
	Bandwidth uint64        // bit/s; a LoRa-class rate is a sensible floor
}

// NewObservation combines a decoded extension, the announce copy it came
// in and the neighbour's annotation into an Observation
// (docs/design/path-cost.md §2–3):
//
//   - with an annotation, the path is the annotation followed by the last
//     hop; if the header counts more hops than the annotation accounts for,
//     the missing ones are priced as unknown hops;
//   - without one, the path is the origin's CompactPathCost, Hops−1 unknown
//     relays and the last hop, flagged Unknown when Hops > 1.
//
// The path's hop count is never below the header's (nor below what the
// annotation accounts for).
//
// The extension must carry a Lamport timestamp (ErrNoLamport), Hops must
// not be 0 (ErrHops) and the annotation must carry the announce's random
// hash (ErrAnnotation). NewObservation does not allocate.
func NewObservation(a *Announce, e *ext.Extension, u UnknownHop) (Observation, error) {
	if !e.HasLamport {
		return Observation{}, ErrNoLamport
	}
	if a.Hops == 0 {
		return Observation{}, ErrHops
	}
	o := Observation{
		Destination: a.Destination,
		NextHop:     a.NextHop,
		RandomHash:  a.RandomHash,
		Lamport:     e.Lamport,
		HeardHops:   a.Hops,
	}
	var p pathcost.Compact
	var known uint8 // hops the values account for, the last hop included
	if a.HasAnnotation {
		if a.Annotation.RandomHash != a.RandomHash {
			return Observation{}, ErrAnnotation
		}
		p = a.Annotation.Path
		o.Unknown = a.Annotation.Unknown
		known = satAdd8(p.Hops, 1)
	} else {
		// The origin's own part: its first hop's price, bandwidth and MTU,
		// with hop count 0 whatever the origin wrote.
		p = e.PathCost
		p.Hops = 0
		known = 1
	}
	if a.Hops > known {
		p = addUnknown(p, a.Hops-known, u)
		o.Unknown = true
	}
	o.Path = p.AddHop(a.LastHop)
	return o, nil
}

// ParseObservation decodes app (the announce's app_data, which must be a
// MehrExtension: the caller has checked that the announce is of Mehr's own
// aspect) and calls NewObservation. Errors from the extension decoder are
// returned unchanged (ext.ErrMagic, ext.ErrTruncated, ...). It does not
// allocate and does not keep app.
func ParseObservation(a *Announce, app []byte, u UnknownHop) (Observation, error) {
	var e ext.Extension
	if err := e.Decode(app); err != nil {
		return Observation{}, err
	}
	return NewObservation(a, &e, u)
}

// addUnknown extends p by n unannotated hops: their price n times (one
// rounding step, not n), the unknown latency, the bandwidth floor and
// UnknownMTU.
func addUnknown(p pathcost.Compact, n uint8, u UnknownHop) pathcost.Compact {
	hi, lo := bits.Mul64(u.Cost, uint64(n))
	if hi != 0 {
		lo = math.MaxUint64
	}
	p.Cost = pathcost.AddCost(p.Cost, lo)
	p.Latency = pathcost.WorseLatency(p.Latency, u.Latency)
	p.Bandwidth = pathcost.MinBandwidth(p.Bandwidth, u.Bandwidth)
	p.MTU = pathcost.MinMTU(p.MTU, UnknownMTU)
	p.Hops = satAdd8(p.Hops, n)
	return p
}

func satAdd8(a, b uint8) uint8 {
	if s := a + b; s >= a {
		return s
	}
	return math.MaxUint8
}
