package transport

import (
	"io"
	"time"

	"github.com/mehr-net/mehr/rns/identity"
)

// Timing and size constants of the reference (RNS.Transport, RNS.Reticulum).
const (
	// PathfinderR is how many times an announce is retransmitted.
	PathfinderR = 1
	// PathfinderG is the grace period between retransmissions.
	PathfinderG = 5 * time.Second
	// PathfinderRW is the random window added to announce rebroadcasts.
	PathfinderRW = 500 * time.Millisecond
	// PathfinderE is how long a path learned on a normal interface lives.
	PathfinderE = 7 * 24 * time.Hour
	// APPathTime is the path lifetime on access-point interfaces.
	APPathTime = 24 * time.Hour
	// RoamingPathTime is the path lifetime on roaming interfaces.
	RoamingPathTime = 6 * time.Hour
	// LocalRebroadcastsMax is how many rebroadcasts of an announce by
	// neighbours make this node drop its own pending rebroadcast.
	LocalRebroadcastsMax = 2
	// PathRequestTimeout is how long a client waits for a path.
	PathRequestTimeout = 15 * time.Second
	// PathRequestGrace delays path responses so that directly reachable
	// peers answer first.
	PathRequestGrace = 400 * time.Millisecond
	// PathRequestRG is the extra grace on roaming interfaces.
	PathRequestRG = 1500 * time.Millisecond
	// PathRequestMI is the minimum interval between automatic path
	// requests for one destination.
	PathRequestMI = 20 * time.Second
	// PathRequestGateTimeout ends the memory of a sent path request.
	PathRequestGateTimeout = 120 * time.Second
	// ReverseTimeout expires reverse-table entries.
	ReverseTimeout = 8 * time.Minute
	// DestinationTimeout expires unused path-table entries.
	DestinationTimeout = 7 * 24 * time.Hour
	// LinkTimeout expires validated link-table entries without traffic
	// (RNS.Link.STALE_TIME * 1.25; STALE_TIME is 2 * KEEPALIVE = 720 s).
	LinkTimeout = 900 * time.Second
	// LinkEstablishmentPerHop is the link-request proof time per hop
	// (RNS.Link.ESTABLISHMENT_TIMEOUT_PER_HOP).
	LinkEstablishmentPerHop = 6 * time.Second
	// MaxRandomBlobs is how many announce random blobs a path keeps.
	MaxRandomBlobs = 64
	// AnnounceCap is the default share of an interface's bitrate that
	// rebroadcast announces may use (RNS.Reticulum.ANNOUNCE_CAP, 2 %).
	AnnounceCap = 0.02
	// MaxQueuedAnnounces bounds each interface's announce queue.
	MaxQueuedAnnounces = 16384
	// QueuedAnnounceLife drops queued announces older than this.
	QueuedAnnounceLife = 24 * time.Hour
	// MaxPathRequestTags bounds the remembered path-request tags.
	MaxPathRequestTags = 32000
	// MaxReceipts bounds the outstanding packet receipts.
	MaxReceipts = 1024
	// JobInterval is how often the job routine runs.
	JobInterval = 250 * time.Millisecond
	// DefaultHashlistSize is the default number of packet hashes the
	// duplicate filter remembers before its older half is forgotten.
	DefaultHashlistSize = 1 << 17
)

// Config configures a Transport. The zero value of every optional field
// selects the default.
type Config struct {
	// Identity is the transport identity; its hash is this node's
	// transport ID. Required.
	Identity *identity.Identity

	// Enabled makes this node a transport node (enable_transport): it
	// rebroadcasts announces, forwards packets for others and answers path
	// requests from its path table.
	Enabled bool

	// HashlistSize is how many recent packet hashes the duplicate filter
	// remembers (at least; it forgets the older half when full).
	HashlistSize int

	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// Rand is the randomness for path-request tags and rebroadcast
	// jitter; nil means crypto/rand.
	Rand io.Reader
	// Logf receives debug logging; nil discards it.
	Logf func(format string, args ...any)
	// NoJobs disables the job goroutine; tests then call RunJobs.
	NoJobs bool

	// ExplicitProofs makes Prove send explicit proofs (the packet's full
	// hash, then the signature) instead of the reference's default
	// implicit ones (the signature only): use_implicit_proof = No.
	ExplicitProofs bool

	// BlackholeChanged, when set, is called (without locks held) after
	// Blackhole or Unblackhole changed the blackhole table.
	BlackholeChanged func()

	// Ratchets receives the ratchets that valid announces carry; nil means
	// a table kept in memory only.
	Ratchets *identity.KnownRatchets

	// Validated, when set, is a set of checked announces shared with other
	// transports in this process (simulations of many nodes); nil checks
	// every announce copy's signature, as the reference does.
	Validated *ValidatedAnnounces
}
