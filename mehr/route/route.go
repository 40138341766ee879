package route

import (
	"errors"
	"time"

	"github.com/mehr-net/mehr/mehr/pathcost"
	"github.com/mehr-net/mehr/rns/wire"
)

// RandomHashLen is the length of an announce's random hash (Python RNS
// Identity.RANDOM_HASH_LENGTH / 8: 5 random bytes and 5 bytes of seconds).
const RandomHashLen = 10

// Defaults used for the zero fields of Config.
const (
	// DefaultAnnounceInterval is the spec's periodic refresh, 30 minutes,
	// so entries expire after 90 minutes as the spec's default says.
	DefaultAnnounceInterval = 30 * time.Minute
	// DefaultMaxEntries caps the entries of a Table over all destinations.
	DefaultMaxEntries = 4096
	// DefaultMaxPerDestination caps the entries (next hops) kept for one
	// destination.
	DefaultMaxPerDestination = 8
	// DefaultFailHold is how long Fail keeps an entry behind the others.
	DefaultFailHold = 2 * time.Minute
	// DefaultReliability is the reliability of a new entry: no evidence
	// either way.
	DefaultReliability = 128
	// DefaultReplayMemory is how long a destination's highest Lamport
	// timestamp is remembered after its last entry is gone.
	DefaultReplayMemory = 24 * time.Hour
)

// Neighbour failure thresholds (mehr-network-protocol.md, "Link failure
// detection"): consecutive missed rounds after which a neighbour's entries
// are stale, and after which they are evicted.
const (
	MissedStale = 3
	MissedEvict = 10
)

// Errors returned by Observe, NewObservation and ParseObservation, and by
// Select and Candidates. Callers branch with errors.Is.
var (
	ErrReplay     = errors.New("route: announce has a Lamport timestamp below the highest seen for its destination")
	ErrNoPath     = errors.New("route: no entry for the destination")
	ErrConstraint = errors.New("route: no entry satisfies the constraints")
	ErrNoLamport  = errors.New("route: extension carries no Lamport timestamp")
	ErrHops       = errors.New("route: announce hop count is 0")
	ErrAnnotation = errors.New("route: annotation belongs to another announce")
)

// NextHop identifies where a path leaves this node: the next hop's
// transport ID and an identifier of the interface it is reached on, which
// the caller assigns (an index or a hash of the interface name). It is an
// opaque comparable key.
type NextHop struct {
	Transport wire.Hash
	Interface uint64
}

// Observation is what one validated announce copy, with its annotation and
// this node's measurement of the last hop, says about one path: the input
// of Table.Observe. Path holds the accumulated CompactPathCost from this
// node to the destination (hop count included).
type Observation struct {
	Destination wire.Hash
	NextHop     NextHop
	Path        pathcost.Compact
	// Unknown is set when some hop of the path sent no annotation and was
	// priced conservatively (docs/design/path-cost.md §3).
	Unknown    bool
	RandomHash [RandomHashLen]byte
	Lamport    uint64
	// HeardHops is the announce header's hop count on arrival (after
	// this node's increment): the neighbour's own distance in the flood
	// is one less. Forwarding uses it to stay loop-free (Feasible).
	HeardHops uint8
}

// State is an entry's standing in selection.
type State uint8

// Entry states, best first.
const (
	// Fresh entries were refreshed within three announce intervals and lead
	// to a neighbour that answers.
	Fresh State = iota
	// Stale entries have expired but not yet been evicted, or lead to a
	// neighbour that missed MissedStale rounds. They are used only when no
	// fresh entry is left.
	Stale
	// Failed entries were reported by Fail less than FailHold ago. They
	// are used only when nothing else is left.
	Failed
)

func (s State) String() string {
	switch s {
	case Fresh:
		return "fresh"
	case Stale:
		return "stale"
	case Failed:
		return "failed"
	}
	return "State(?)"
}

// Entry is a RoutingEntry: one path to a destination through one next hop,
// with the decoded values of its CompactPathCost (decoded conservatively by
// package pathcost: cost and latency never below, bandwidth and MTU never
// above the truth).
type Entry struct {
	Destination wire.Hash
	NextHop     NextHop

	Cost      uint64        // cumulative cost, μMHR per byte
	Latency   time.Duration // worst per-hop latency
	Bandwidth uint64        // bottleneck bandwidth, bit/s
	Hops      uint8         // hops to the destination
	MTU       uint64        // bottleneck MTU, bytes
	Path      pathcost.Compact

	// Reliability is 1–255 (255 perfect); it starts at
	// Config.InitialReliability and moves with Fail and Confirm.
	Reliability uint8
	Unknown     bool
	// HeardHops is Observation.HeardHops of the copy the entry was last
	// updated from.
	HeardHops uint8

	LastUpdated time.Time
	Expires     time.Time // fresh until Expires, stale for one more interval
	RandomHash  [RandomHashLen]byte
	Lamport     uint64

	// State is computed when the entry is returned.
	State State
	// Score is the policy score the entry was ranked by (lower is better),
	// set by Select and Candidates. Scores compare only within one call.
	Score float64
}

// Config configures a Table. Zero fields take the defaults above.
type Config struct {
	// AnnounceInterval is the expected interval between announces of a
	// destination: entries expire after three and are evicted after four.
	AnnounceInterval time.Duration
	// MaxEntries caps the entries over all destinations (memory cap; an
	// entry with its bookkeeping takes about EntryBytes bytes).
	MaxEntries int
	// MaxPerDestination caps the entries of one destination.
	MaxPerDestination int
	// FailHold is how long a failed entry stays behind the others.
	FailHold time.Duration
	// InitialReliability is the reliability of a new entry (1–255).
	InitialReliability uint8
	// ReplayMemory is how long a destination's highest Lamport timestamp
	// outlives its last entry.
	ReplayMemory time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// OnViolation, if set, is called when Select or Candidates finds no
	// entry that satisfies the constraints (the spec's
	// PathConstraintViolation). got is the entry returned instead, if any.
	// It runs without the Table's lock held.
	OnViolation func(dest wire.Hash, c Constraints, got Entry, ok bool)
}

// EntryBytes is an estimate of the memory one entry takes with its share of
// the maps and slices when every destination has one entry (the worst
// case), for turning a byte budget into Config.MaxEntries. TestEntryBytes
// measures it.
const EntryBytes = 400

func (c *Config) setDefaults() {
	if c.AnnounceInterval <= 0 {
		c.AnnounceInterval = DefaultAnnounceInterval
	}
	if c.MaxEntries <= 0 {
		c.MaxEntries = DefaultMaxEntries
	}
	if c.MaxPerDestination <= 0 {
		c.MaxPerDestination = DefaultMaxPerDestination
	}
	if c.MaxPerDestination > c.MaxEntries {
		c.MaxPerDestination = c.MaxEntries
	}
	if c.FailHold <= 0 {
		c.FailHold = DefaultFailHold
	}
	if c.InitialReliability == 0 {
		c.InitialReliability = DefaultReliability
	}
	if c.ReplayMemory <= 0 {
		c.ReplayMemory = DefaultReplayMemory
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}
