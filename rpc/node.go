package rpc

import (
	"time"

	"github.com/mehr-net/mehr/rns/iface"
	"github.com/mehr-net/mehr/rns/transport"
	"github.com/mehr-net/mehr/rns/wire"
)

// Node is what the server asks to answer requests: the daemon implements
// it over its transport. Methods are called from several goroutines at
// once and must be safe for that; they should return quickly, since a
// Python program waits for the answer (and, for first_hop_timeout, before
// it can send a packet at all).
//
// Hashes are 16-byte destination, identity or transport hashes. Times are
// converted to Unix timestamps in seconds (a float, as Python's
// time.time() gives); the zero time.Time becomes 0, which is also what the
// reference stores for "never".
type Node interface {
	// InterfaceStats returns what rnstatus shows (get interface_stats).
	InterfaceStats() Stats
	// PathTable returns every path (get path_table). The server applies
	// the request's max_hops filter itself.
	PathTable() []PathEntry
	// RateTable returns the announce rate table (get rate_table).
	RateTable() []RateEntry
	// NextHop returns the transport hash of the next hop towards dest, and
	// false if no path is known (get next_hop). For a destination
	// registered locally the reference answers with its own transport
	// identity's hash.
	NextHop(dest wire.Hash) (wire.Hash, bool)
	// NextHopInterface returns the name (str(interface) in the reference,
	// such as "TCPInterface[Client on example/4242]") of the interface the
	// path to dest goes through, and false if no path is known
	// (get next_hop_if_name; the server answers "None" then, as the
	// reference does).
	NextHopInterface(dest wire.Hash) (string, bool)
	// FirstHopTimeout returns how long a packet to dest may take over its
	// first hop (get first_hop_timeout). FirstHopTimeout(bitrate) computes
	// it the way the reference does; with no path it is
	// DefaultPerHopTimeout.
	FirstHopTimeout(dest wire.Hash) time.Duration
	// LinkCount returns the number of entries in the link table
	// (get link_count).
	LinkCount() int
	// DropPath expires the path to dest and reports whether there was one
	// (drop path).
	DropPath(dest wire.Hash) bool
	// DropAllVia expires every path whose next hop is transportID and
	// returns how many there were (drop all_via).
	DropAllVia(transportID wire.Hash) int
	// DropAnnounceQueues empties the outgoing announce queues of all
	// interfaces (drop announce_queues; the reference answers None).
	DropAnnounceQueues()
}

// PacketSignals is implemented by a Node that records the signal quality
// of received packets (get packet_rssi, packet_snr, packet_q). The hash is
// a packet's full 32-byte hash. Without it, or for an unknown packet, the
// server answers None, as the reference does for packets it has no
// reading for.
type PacketSignals interface {
	PacketRSSI(packet [wire.FullHashLen]byte) (float64, bool)
	PacketSNR(packet [wire.FullHashLen]byte) (float64, bool)
	PacketQ(packet [wire.FullHashLen]byte) (float64, bool)
}

// BlackholeResult is the outcome of blackholing or lifting a blackhole;
// the reference answers True, None or False.
type BlackholeResult uint8

// Blackhole results.
const (
	BlackholeFailed    BlackholeResult = iota // False: the change could not be made
	BlackholeDone                             // True: the identity was (un)blackholed
	BlackholeUnchanged                        // None: it already was (or was not) blackholed
)

// Blackholes is implemented by a Node that keeps a blackhole list of
// identities (get blackholed_identities and is_blackholed,
// blackhole_identity, unblackhole_identity; rnpath -b, -B, -U). Without
// it the list is empty and changes fail.
type Blackholes interface {
	BlackholedIdentities() []BlackholeEntry
	IsBlackholed(identity wire.Hash) bool
	// BlackholeIdentity blackholes identity until the given time (zero:
	// indefinitely) for the given reason (may be empty), with this node's
	// transport identity as the source.
	BlackholeIdentity(identity wire.Hash, until time.Time, reason string) BlackholeResult
	UnblackholeIdentity(identity wire.Hash) BlackholeResult
}

// KnownDestinations is implemented by a Node that keeps the reference's
// store of known destinations (destination_data used, retain, unretain
// and identity_data retain, which programs send to keep the public keys
// of destinations they use from being cleaned up). Each returns whether a
// known destination was affected. Without it the server answers False, as
// the reference does for unknown destinations.
type KnownDestinations interface {
	UsedDestinationData(dest wire.Hash) bool
	RetainDestinationData(dest wire.Hash) bool
	UnretainDestinationData(dest wire.Hash) bool
	// RetainIdentity retains every known destination of the identity.
	RetainIdentity(identity wire.Hash) bool
}

// Stats is the answer to get interface_stats: the reference's dict with
// "interfaces", "rxb", "txb", "rxs", "txs", and, when transport is
// enabled, "transport_id", "network_id", "transport_uptime" and
// "probe_responder", then "rss".
type Stats struct {
	Interfaces []InterfaceStats
	// RXB and TXB count all bytes received and sent; RXS and TXS are the
	// current speeds in bits per second.
	RXB, TXB uint64
	RXS, TXS float64

	// Transport enables the transport keys below.
	Transport bool
	// TransportID is the transport identity's hash.
	TransportID wire.Hash
	// NetworkID is the network identity's hash, nil for None.
	NetworkID *wire.Hash
	// Uptime is how long transport has been running.
	Uptime time.Duration
	// ProbeResponder is the probe destination's hash, nil (None) when the
	// node does not answer probes.
	ProbeResponder *wire.Hash

	// RSS is the resident memory of the process in bytes; 0 sends None,
	// as the reference does without psutil.
	RSS uint64
}

// InterfaceStats is one entry of "interfaces" in the interface_stats
// answer. The reference builds it from its interface objects; the
// comments name the keys.
type InterfaceStats struct {
	// Name is str(interface), such as "TCPServerInterface[Backbone/0.0.0.0:4242]"
	// or "Shared Instance[rns/default]" ("name"). rnstatus decides by its
	// prefix which interfaces to list and how.
	Name string
	// ShortName is the configured name ("short_name").
	ShortName string
	// Hash is the interface hash ("hash"); if zero, the server fills in
	// what the reference uses: the SHA-256 of Name.
	Hash [32]byte
	// Type is the reference's class name, such as "TCPServerInterface",
	// "LocalServerInterface" or "AutoInterface" ("type").
	Type string

	// Clients is the number of connected clients of a server interface,
	// nil (None) for others ("clients"). For the shared instance's own
	// interface it counts every attached program, the asking one included.
	Clients *int
	// ParentName and ParentHash describe the interface that spawned this
	// one, such as a TCP server for each of its clients
	// ("parent_interface_name", "parent_interface_hash"); sent when
	// ParentName is not empty. A zero ParentHash is filled in from
	// ParentName like Hash.
	ParentName string
	ParentHash [32]byte
	// Extra holds keys the reference sends only for some interface types
	// (RNode "airtime_short", "noise_floor", "battery_percent", I2P
	// "tunnelstate", ...). They are sent in order before "bitrate", where
	// the reference puts them. Values must be plain data that both
	// rns/msgpack and rpc/pickle encode: nil, bool, integers, floats,
	// string, []byte, []any or msgpack.Map.
	Extra []Field

	// Bitrate is the nominal speed in bits per second, 0 for None
	// ("bitrate").
	Bitrate int64
	// RXS and TXS are the current speeds in bits per second ("rxs", "txs").
	RXS, TXS float64
	// Peers is the number of reachable peers of an interface that has
	// them (AutoInterface), nil to leave the key out ("peers").
	Peers *int
	// IFACSignature, IFACSize (in bytes) and IFACNetname describe the
	// interface's access code; all three are None when IFACSignature is
	// nil, and the name is None when empty ("ifac_signature",
	// "ifac_size", "ifac_netname").
	IFACSignature []byte
	IFACSize      int
	IFACNetname   string
	// AutoconnectSource names the discovery source of an auto-connected
	// interface, empty for None ("autoconnect_source").
	AutoconnectSource string
	// AnnounceQueue is the number of queued outgoing announces, nil to
	// leave the key out ("announce_queue").
	AnnounceQueue *int
	// BlockedIPs is the number of blocked addresses of a server
	// interface, nil to leave the key out ("blocked_ips").
	BlockedIPs *int

	// RXB and TXB count the bytes received and sent ("rxb", "txb").
	RXB, TXB uint64
	// Announce and path request frequencies, per second
	// ("incoming_announce_frequency", "outgoing_announce_frequency",
	// "incoming_pr_frequency", "outgoing_pr_frequency").
	IncomingAnnounceFrequency, OutgoingAnnounceFrequency float64
	IncomingPRFrequency, OutgoingPRFrequency             float64
	// Announce rate control; nil for None ("announce_rate_target",
	// "announce_rate_penalty", "announce_rate_grace").
	AnnounceRateTarget, AnnounceRatePenalty, AnnounceRateGrace *int
	// HeldAnnounces is the number of announces held back by ingress
	// control ("held_announces").
	HeldAnnounces int
	// Burst state of ingress control ("burst_active", "burst_activated",
	// "pr_burst_active", "pr_burst_activated").
	BurstActive         bool
	BurstActivated      time.Time
	PRBurstActive       bool
	PRBurstActivated    time.Time
	Status              bool       // online ("status")
	Mode                iface.Mode // ("mode"); 0 is sent as iface.ModeFull
	Gravity             int        // ("gravity")
	AnnouncesToInternal *bool      // nil for None ("announces_to_internal")
}

// Field is one extra key of an interface's stats.
type Field struct {
	Key   string
	Value any
}

// PathEntry is one entry of the path_table answer, which rnpath -t lists.
type PathEntry struct {
	Destination wire.Hash // "hash"
	Timestamp   time.Time // when the path was learned ("timestamp")
	NextHop     wire.Hash // "via"
	Hops        int       // "hops"
	Expires     time.Time // "expires"
	Interface   string    // the receiving interface's name ("interface")
}

// RateEntry is one entry of the rate_table answer, which rnpath -r lists.
type RateEntry struct {
	Destination    wire.Hash   // "hash"
	Last           time.Time   // last announce ("last")
	RateViolations int         // "rate_violations"
	BlockedUntil   time.Time   // "blocked_until"
	Timestamps     []time.Time // recent announces, oldest first ("timestamps")
}

// BlackholeEntry is one entry of the blackholed_identities answer: a dict
// from identity hash to {"source", "until", "reason"}.
type BlackholeEntry struct {
	Identity wire.Hash
	Source   wire.Hash // the transport identity that blackholed it
	Until    time.Time // zero: indefinitely (None)
	Reason   string    // empty: None
}

// Reference constants (RNS.Reticulum).
const (
	// DefaultPerHopTimeout is DEFAULT_PER_HOP_TIMEOUT, the first-hop
	// timeout when the next hop's speed is unknown.
	DefaultPerHopTimeout = transport.DefaultPerHopTimeout
)

// FirstHopTimeout returns the first-hop timeout the reference computes
// for a next hop of the given bitrate (Transport.first_hop_timeout); see
// transport.FirstHopTimeoutAt.
func FirstHopTimeout(bitrate int64) time.Duration { return transport.FirstHopTimeoutAt(bitrate) }
