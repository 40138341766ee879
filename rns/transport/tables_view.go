package transport

import (
	"time"

	"github.com/mehr-net/mehr/rns/wire"
)

// This file holds the read and seed access to the transport tables that
// white-box tests, diagnostics (rnstatus-like tools) and the conformance
// bridge use. Every method returns or takes copies: callers never hold a
// pointer into a table, so none of this touches the forwarding hot path.

// AnnounceEntry is a copy of one pending announce rebroadcast (the
// reference's announce_table entry).
type AnnounceEntry struct {
	// Timestamp is when the entry was made.
	Timestamp time.Time
	// RetransmitAt is when the next (re)transmission is due.
	RetransmitAt time.Time
	// Retries counts the transmissions so far.
	Retries int
	// ReceivedFrom is the transport ID the announce came through, or the
	// destination itself when it arrived without a transport header.
	ReceivedFrom wire.Hash
	// Hops is the announce's hop count as received.
	Hops uint8
	// Packet is the announce as stored (raw, hops updated); PacketHash is
	// its full packet hash.
	Packet     []byte
	PacketHash [wire.FullHashLen]byte
	// LocalRebroadcasts counts the neighbours heard rebroadcasting it.
	LocalRebroadcasts int
	// BlockRebroadcasts marks a path response (sent with context
	// PATH_RESPONSE, so that it is not rebroadcast further).
	BlockRebroadcasts bool
	// Attached is the only interface it goes out on, or nil for all.
	Attached *Iface
}

// PendingAnnounce returns a copy of the announce-table entry for h.
func (t *Transport) PendingAnnounce(h wire.Hash) (AnnounceEntry, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	ae, ok := t.announces[h]
	if !ok {
		return AnnounceEntry{}, false
	}
	return ae.export(), true
}

// PendingAnnounces returns a copy of the announce table.
func (t *Transport) PendingAnnounces() map[wire.Hash]AnnounceEntry {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make(map[wire.Hash]AnnounceEntry, len(t.announces))
	for h, ae := range t.announces {
		out[h] = ae.export()
	}
	return out
}

func (ae *announceEntry) export() AnnounceEntry {
	e := AnnounceEntry{
		Timestamp: ae.timestamp, RetransmitAt: ae.retransmitAt, Retries: ae.retries,
		ReceivedFrom: ae.receivedFrom, Hops: ae.hops,
		Packet:            append([]byte(nil), ae.raw...),
		LocalRebroadcasts: ae.localRebroadcasts, BlockRebroadcasts: ae.blockRebroadcasts,
		Attached: ae.attached,
	}
	e.PacketHash, _ = wire.PacketHash(ae.raw)
	return e
}

// SetAnnounceTimes moves the creation time and the retransmission time of
// the pending announce for h; a zero time leaves that field alone. It
// reports whether there was such an announce. With ForceJobs, it lets a
// test fire a retransmission without waiting.
func (t *Transport) SetAnnounceTimes(h wire.Hash, timestamp, retransmitAt time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	ae, ok := t.announces[h]
	if !ok {
		return false
	}
	if !timestamp.IsZero() {
		ae.timestamp = timestamp
	}
	if !retransmitAt.IsZero() {
		ae.retransmitAt = retransmitAt
	}
	return true
}

// SetPathTimes moves the last-use time and the expiry of the path to h; a
// zero time leaves that field alone. It reports whether a path was known.
// The table cull expires a path by its timestamp; announce replacement
// looks at its expiry.
func (t *Transport) SetPathTimes(h wire.Hash, timestamp, expires time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	pe, ok := t.paths[h]
	if !ok {
		return false
	}
	if !timestamp.IsZero() {
		pe.Timestamp = timestamp
	}
	if !expires.IsZero() {
		pe.Expires = expires
	}
	return true
}

// ReverseEntry is a copy of one reverse-table entry: a packet forwarded
// from Received out of Outbound, whose proof is routed back.
type ReverseEntry struct {
	Received, Outbound *Iface
	Timestamp          time.Time
}

// ReverseTable returns a copy of the reverse table, keyed by the
// forwarded packets' truncated hashes.
func (t *Transport) ReverseTable() map[wire.Hash]ReverseEntry {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make(map[wire.Hash]ReverseEntry, len(t.reverse))
	for h, re := range t.reverse {
		out[h] = ReverseEntry{Received: re.received, Outbound: re.outbound, Timestamp: re.timestamp}
	}
	return out
}

// SeedReverse installs a reverse-table entry, as if a packet with
// truncated hash key had been forwarded.
func (t *Transport) SeedReverse(key wire.Hash, e ReverseEntry) {
	t.mu.Lock()
	t.reverse[key] = reverseEntry{received: e.Received, outbound: e.Outbound, timestamp: e.Timestamp}
	t.mu.Unlock()
}

// LinkEntry is a copy of one link-table entry: a link relayed through
// this node.
type LinkEntry struct {
	Timestamp time.Time
	// NextHop is the next hop's transport ID towards the destination;
	// NextIface is the interface towards it.
	NextHop   wire.Hash
	NextIface *Iface
	// RemainingHops is the hop count from here to the destination.
	RemainingHops uint8
	// Received is the interface the link request arrived on; TakenHops
	// the hops it had taken to reach this node.
	Received  *Iface
	TakenHops uint8
	// Destination is the link's destination hash.
	Destination wire.Hash
	// Validated is set once the link proof has been relayed.
	Validated bool
	// ProofTimeout is when an unvalidated entry is dropped.
	ProofTimeout time.Time
}

// LinkTable returns a copy of the link table, keyed by link ID.
func (t *Transport) LinkTable() map[wire.Hash]LinkEntry {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make(map[wire.Hash]LinkEntry, len(t.links))
	for id, le := range t.links {
		out[id] = LinkEntry{
			Timestamp: le.timestamp, NextHop: le.nextHop, NextIface: le.nextIface,
			RemainingHops: le.remaining, Received: le.received, TakenHops: le.taken,
			Destination: le.destination, Validated: le.validated, ProofTimeout: le.proofTimeout,
		}
	}
	return out
}

// SeedLink installs a link-table entry, as if a link request for link id
// had been relayed.
func (t *Transport) SeedLink(id wire.Hash, e LinkEntry) {
	t.mu.Lock()
	t.links[id] = &linkEntry{
		timestamp: e.Timestamp, nextHop: e.NextHop, nextIface: e.NextIface,
		remaining: e.RemainingHops, received: e.Received, taken: e.TakenHops,
		destination: e.Destination, validated: e.Validated, proofTimeout: e.ProofTimeout,
	}
	t.mu.Unlock()
}
