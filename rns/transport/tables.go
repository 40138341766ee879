package transport

import (
	"time"

	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/wire"
)

// PathEntry is one row of the path table (the reference's path_table
// entry: timestamp, next hop, hops, expiry, random blobs, receiving
// interface, announce packet hash).
type PathEntry struct {
	Timestamp   time.Time
	NextHop     wire.Hash // transport ID of the next hop, or the destination itself
	Hops        uint8
	Expires     time.Time
	RandomBlobs [][10]byte
	Interface   *Iface
	PacketHash  [wire.FullHashLen]byte
	// Announce is the announce as received (raw, without IFAC), kept to
	// answer path requests and to rebroadcast (the reference's announce
	// cache).
	Announce []byte
}

// announceEntry is a pending announce rebroadcast (announce_table).
type announceEntry struct {
	timestamp         time.Time
	retransmitAt      time.Time
	retries           int
	receivedFrom      wire.Hash
	hops              uint8
	raw               []byte // the announce as received
	localRebroadcasts int
	blockRebroadcasts bool   // send with context PATH_RESPONSE
	attached          *Iface // send only here (path responses)
}

// reverseEntry routes a proof back to where its packet came from.
type reverseEntry struct {
	received, outbound *Iface
	timestamp          time.Time
}

// linkEntry relays one link through this node (link_table).
type linkEntry struct {
	timestamp    time.Time
	nextHop      wire.Hash
	nextIface    *Iface
	remaining    uint8 // hops from here to the destination
	received     *Iface
	taken        uint8 // hops the link request had taken to reach us
	destination  wire.Hash
	validated    bool
	proofTimeout time.Time
}

// discoveryPR remembers a path request we forwarded for another node, so
// the answering announce goes back to the requesting interface.
type discoveryPR struct {
	timeout    time.Time
	requesting *Iface
}

// queuedAnnounce waits for an interface's announce cap.
type queuedAnnounce struct {
	destination wire.Hash
	time        time.Time
	hops        uint8
	emitted     int64
	raw         []byte
}

// Known is what an announce taught us about a destination (the
// reference's known_destinations entry).
type Known struct {
	Seen       time.Time
	PacketHash [wire.FullHashLen]byte
	PublicKey  [identity.KeySize]byte
	AppData    []byte
}

// Destination is a local endpoint registered with transport.
type Destination interface {
	// Hash is the destination hash (or link ID for links).
	Hash() wire.Hash
	// Type is the destination type packets to it carry.
	Type() wire.DestType
	// Receive is called on the receive routine for every DATA or
	// LINKREQUEST packet addressed to the destination, after the
	// transport lock is released. p and its slices are valid only during
	// the call.
	Receive(p *Packet)
}

// PathResponder is implemented by destinations that can answer a path
// request with a fresh announce (context PATH_RESPONSE).
type PathResponder interface {
	PathResponse(tag []byte) ([]byte, error)
}

// Packet is a received packet handed to a destination or handler.
type Packet struct {
	wire.Packet
	// Hash is the full packet hash. It is zero for resource parts
	// (context RESOURCE), which are never filtered or proved one by one.
	Hash [wire.FullHashLen]byte
	// Interface is the interface it arrived on.
	Interface *Iface
}

// AnnounceHandler is called for every valid announce that updates the path
// table and matches the handler's filter.
type AnnounceHandler func(a AnnounceInfo)

// AnnounceInfo describes a received announce.
type AnnounceInfo struct {
	Destination  wire.Hash
	Identity     *identity.Identity
	AppData      []byte
	Hops         uint8
	PathResponse bool
	PacketHash   [wire.FullHashLen]byte
}

type announceHandler struct {
	nameHash      *[10]byte // nil: every announce
	pathResponses bool
	fn            AnnounceHandler
}
