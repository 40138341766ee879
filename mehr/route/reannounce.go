package route

import "time"

// Re-announce defaults (mehr-network-protocol.md, "Announce Propagation
// Rules").
const (
	// DefaultRefresh is the periodic refresh: every 30 minutes.
	DefaultRefresh = 30 * time.Minute
	// DefaultMaxHops is the spec's default max_hops, which is also
	// Reticulum's hop limit (PATHFINDER_M = 128).
	DefaultMaxHops = 128
)

// Reason says why an announce is due. Values are append-only.
type Reason uint8

// Reasons, in the order ShouldReannounce checks them.
const (
	NoReason        Reason = iota // nothing is due
	First                         // never announced
	InterfaceChange               // an interface came up or changed
	CostChange                    // the cost moved by more than 25 %
	Refresh                       // the refresh interval has passed
	HopLimit                      // not due: the hop count reached max_hops
)

func (r Reason) String() string {
	switch r {
	case NoReason:
		return "none"
	case First:
		return "first"
	case InterfaceChange:
		return "interface-change"
	case CostChange:
		return "cost-change"
	case Refresh:
		return "refresh"
	case HopLimit:
		return "hop-limit"
	}
	return "Reason(?)"
}

// Reannounce is the input of ShouldReannounce.
type Reannounce struct {
	// LastCost is the cost (μMHR per byte, decoded) in the last announce;
	// Cost is the current one.
	LastCost, Cost uint64
	// InterfaceChanged reports an interface change since the last announce.
	InterfaceChanged bool
	// LastAnnounce is when the last announce went out; zero if never.
	LastAnnounce time.Time
	Now          time.Time
	// Refresh is the periodic refresh interval; 0 means DefaultRefresh.
	Refresh time.Duration
	// Hops is the announce's hop count so far (0 at the origin) and MaxHops
	// its limit (0 means DefaultMaxHops): an announce that has travelled
	// MaxHops hops is not sent on.
	Hops, MaxHops uint8
}

// ShouldReannounce reports whether an announce is due now, and why: the
// spec's triggers are a first announce, an interface change, a cost change
// of more than 25 % either way, and the 30-minute refresh. An announce at
// its hop limit is never due (HopLimit, false). It is pure.
func ShouldReannounce(r Reannounce) (Reason, bool) {
	maxHops := r.MaxHops
	if maxHops == 0 {
		maxHops = DefaultMaxHops
	}
	if r.Hops >= maxHops {
		return HopLimit, false
	}
	if r.LastAnnounce.IsZero() {
		return First, true
	}
	if r.InterfaceChanged {
		return InterfaceChange, true
	}
	if costChanged(r.LastCost, r.Cost) {
		return CostChange, true
	}
	refresh := r.Refresh
	if refresh <= 0 {
		refresh = DefaultRefresh
	}
	if r.Now.Sub(r.LastAnnounce) >= refresh {
		return Refresh, true
	}
	return NoReason, false
}

// costChanged reports |cost − last| > last/4 exactly, without overflow:
// 4·diff > last holds exactly when diff > floor(last/4).
func costChanged(last, cost uint64) bool {
	diff := cost - last
	if cost < last {
		diff = last - cost
	}
	return diff > last/4
}
