package link

import (
	"time"

	"github.com/mehr-net/mehr/rns/transport"
	"github.com/mehr-net/mehr/rns/wire"
)

// This file holds the read-backs of a link's internal state that
// applications and diagnostics use (the reference exposes them as Link
// attributes), and building packets without sending them.

// KeyState says which ephemeral key material a link holds. An active link
// holds all of it; a closed one none (the reference's link_closed purge).
type KeyState struct {
	Private bool // the ephemeral X25519 private key (and signing key)
	Public  bool // the ephemeral X25519 public key
	Shared  bool // the X25519 shared secret
	Derived bool // the HKDF-derived session key
}

// Keys reports which key material the link currently holds.
func (l *Link) Keys() KeyState {
	l.mu.Lock()
	defer l.mu.Unlock()
	return KeyState{
		Private: l.own != nil,
		Public:  l.own != nil,
		Shared:  l.shared != nil,
		Derived: l.key != nil,
	}
}

// LocalKeys returns the public halves of the link's own keys: the
// ephemeral X25519 key and the signing key (the ephemeral Ed25519 key on
// the initiator, the destination's on the responder). ok is false once the
// link closed and purged them.
func (l *Link) LocalKeys() (x25519, ed25519 [KeyLen]byte, ok bool) {
	l.mu.Lock()
	own := l.own
	l.mu.Unlock()
	if own == nil {
		return x25519, ed25519, false
	}
	return own.X25519Public(), own.Ed25519Public(), true
}

// Mode returns the link's encryption mode.
func (l *Link) Mode() Mode { return l.mode }

// EstablishmentTimeout returns how long the link may take to become
// active: on the responder EstablishmentTimeoutPerHop × max(1, hops of
// the request) + KeepaliveMax, on the initiator the first hop's timeout
// (one MTU at the next hop's bitrate, plus EstablishmentTimeoutPerHop)
// plus EstablishmentTimeoutPerHop × max(1, hops to the destination), as
// in the reference.
func (l *Link) EstablishmentTimeout() time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.timeout
}

// AttachedInterface returns the interface the link is bound to (nil
// while an initiator's link is pending). Link packets that arrive on any
// other interface are dropped.
func (l *Link) AttachedInterface() *transport.Iface {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.attached
}

// LastData returns when the link last sent or received a packet other
// than a keepalive; zero means never.
func (l *Link) LastData() time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lastData
}

// BuildPacket builds a link packet of type typ and context ctx carrying
// payload, encrypted when Encrypted(typ, ctx), exactly as SendPacket
// would send it, without sending it. The link must be active.
func (l *Link) BuildPacket(typ wire.PacketType, ctx wire.Context, payload []byte) ([]byte, error) {
	raw, _, err := l.buildPacket(typ, ctx, payload)
	return raw, err
}

// PhyStats are the physical-layer statistics of the last packet a link
// received, where the interface reports them (RSSI in dBm, SNR in dB,
// link quality in percent).
type PhyStats struct {
	RSSI, SNR, Q float64
	// Valid says the fields were reported.
	Valid bool
}

// TrackPhyStats turns the tracking of physical-layer statistics on or off
// (off by default, as in the reference).
func (l *Link) TrackPhyStats(on bool) {
	l.mu.Lock()
	l.trackPhy = on
	l.mu.Unlock()
}

// RecordPhyStats stores the physical-layer statistics of a received
// packet, for drivers and transports that see them per frame.
func (l *Link) RecordPhyStats(s PhyStats) {
	l.mu.Lock()
	l.phy = s
	l.mu.Unlock()
}

// PhyStats returns the stored statistics. ok is false, whatever is
// stored, while tracking is off or when nothing was recorded.
func (l *Link) PhyStats() (s PhyStats, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.trackPhy || !l.phy.Valid {
		return PhyStats{}, false
	}
	return l.phy, true
}
