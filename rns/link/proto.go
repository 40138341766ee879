package link

import (
	"crypto/subtle"
	"encoding/binary"
	"fmt"
	"math"
	"time"

	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/wire"
)

// Mode is a link encryption mode, carried in the top 3 bits of the
// signalling bytes (RNS.Link.MODE_*). Append-only once released.
type Mode uint8

// Link modes. Only ModeAES256CBC is enabled.
const (
	ModeAES128CBC Mode = 0x00 // RNS.Link.MODE_AES128_CBC (not enabled)
	ModeAES256CBC Mode = 0x01 // RNS.Link.MODE_AES256_CBC, the default
	ModeAES256GCM Mode = 0x02 // RNS.Link.MODE_AES256_GCM (reserved)
	// ModeDefault is the mode links are established with
	// (RNS.Link.MODE_DEFAULT).
	ModeDefault = ModeAES256CBC
)

// MTUDiscovery says that link requests signal the MTU of the next hop's
// interface when that interface autoconfigures its MTU (the reference's
// link_mtu_discovery, on by default); mehr always does.
const MTUDiscovery = true

// Signalling byte masks (RNS.Link.MTU_BYTEMASK and MODE_BYTEMASK): the MTU
// takes the low 21 bits of the 3 signalling bytes, the mode the top 3.
const (
	MTUByteMask  = 0x1FFFFF
	ModeByteMask = 0xE0
)

// Enabled reports whether m may be used (RNS.Link.ENABLED_MODES).
func (m Mode) Enabled() bool { return m == ModeAES256CBC }

// Status is the state of a link (RNS.Link.PENDING ... CLOSED); the values
// are the reference's. Append-only once released.
type Status uint8

// Link states.
const (
	StatusPending   Status = 0x00 // request sent or received, no keys yet
	StatusHandshake Status = 0x01 // keys derived, waiting for proof or RTT
	StatusActive    Status = 0x02 // established
	StatusStale     Status = 0x03 // no inbound traffic for the stale time
	StatusClosed    Status = 0x04 // torn down
)

var statusNames = [...]string{"PENDING", "HANDSHAKE", "ACTIVE", "STALE", "CLOSED"}

func (s Status) String() string {
	if int(s) < len(statusNames) {
		return statusNames[s]
	}
	return fmt.Sprintf("Status(%d)", uint8(s))
}

// TeardownReason says why a link closed (RNS.Link.TIMEOUT ...); the values
// are the reference's. Append-only once released.
type TeardownReason uint8

// Teardown reasons.
const (
	ReasonNone             TeardownReason = 0x00
	ReasonTimeout          TeardownReason = 0x01 // RNS.Link.TIMEOUT
	ReasonInitiatorClosed  TeardownReason = 0x02 // RNS.Link.INITIATOR_CLOSED
	ReasonDestinationClose TeardownReason = 0x03 // RNS.Link.DESTINATION_CLOSED
)

// Sizes and timing constants of the reference's RNS.Link.
const (
	// KeyLen is an ephemeral X25519 or Ed25519 public key
	// (RNS.Link.ECPUBSIZE/2).
	KeyLen = 32
	// SigLen is an Ed25519 signature (RNS.Identity.SIGLENGTH/8).
	SigLen = identity.SigLen
	// IdentifyLen is a LINKIDENTIFY plaintext: public key and signature.
	IdentifyLen = identity.KeySize + SigLen
	// PacketProofLen is an explicit packet proof: full packet hash and
	// signature (RNS.PacketReceipt.EXPL_LENGTH).
	PacketProofLen = wire.FullHashLen + SigLen
	// DerivedKeyLen is the session key of an AES-256-CBC link.
	DerivedKeyLen = 64

	// KeepaliveRequest and KeepaliveReply are the one-byte payloads of
	// KEEPALIVE packets from the initiator and from the responder.
	KeepaliveRequest = 0xFF
	KeepaliveReply   = 0xFE

	// KeepaliveMax is the longest keepalive interval
	// (RNS.Link.KEEPALIVE_MAX), reached at an RTT of KeepaliveMaxRTT.
	KeepaliveMax    = 360 * time.Second
	keepaliveMaxRTT = 1.75 // seconds, RNS.Link.KEEPALIVE_MAX_RTT
	// KeepaliveMin is the shortest keepalive interval
	// (RNS.Link.KEEPALIVE_MIN).
	KeepaliveMin = 5 * time.Second
	// StaleFactor multiplies the keepalive interval into the stale time
	// (RNS.Link.STALE_FACTOR).
	StaleFactor = 2
	// KeepaliveTimeoutFactor multiplies the RTT into the grace time a
	// stale link gets before it is torn down
	// (RNS.Link.KEEPALIVE_TIMEOUT_FACTOR).
	KeepaliveTimeoutFactor = 4
	// StaleGrace is added to that grace time (RNS.Link.STALE_GRACE).
	StaleGrace = 5 * time.Second
	// EstablishmentTimeoutPerHop is RNS.Link.ESTABLISHMENT_TIMEOUT_PER_HOP
	// (RNS.Reticulum.DEFAULT_PER_HOP_TIMEOUT).
	EstablishmentTimeoutPerHop = 6 * time.Second
)

// MDU returns the largest plaintext of one link packet on a link with the
// given MTU, computed as the reference's update_mdu does.
func MDU(mtu int) int {
	n := mtu - wire.IFACMinSize - wire.HeaderMinSize - wire.TokenOverhead
	if n < 0 {
		return 0 // below any real MTU; the reference would go negative
	}
	return n/16*16 - 1
}

// Keepalive returns the keepalive interval for a link with the given RTT:
// RTT × 360/1.75 seconds, clamped to [KeepaliveMin, KeepaliveMax].
func Keepalive(rtt time.Duration) time.Duration {
	s := rtt.Seconds() * (KeepaliveMax.Seconds() / keepaliveMaxRTT)
	s = math.Max(math.Min(s, KeepaliveMax.Seconds()), KeepaliveMin.Seconds())
	return time.Duration(s * float64(time.Second))
}

// AppendSignalling appends the 3 signalling bytes for mtu and mode. It
// fails with ErrMode for a mode that is not enabled, as the reference's
// signalling_bytes does.
func AppendSignalling(dst []byte, mtu int, mode Mode) ([]byte, error) {
	if !mode.Enabled() {
		return dst, fmt.Errorf("%w: mode %d", ErrMode, mode)
	}
	return wire.AppendSignalling(dst, mtu, uint8(mode)), nil
}

// DecodeSignalling decodes 3 signalling bytes into an MTU and a mode.
func DecodeSignalling(b []byte) (mtu int, mode Mode, ok bool) {
	m, md, ok := wire.Signalling(b)
	return m, Mode(md), ok
}

// Request is a decoded link request payload.
type Request struct {
	X25519  [KeyLen]byte // initiator's ephemeral X25519 public key
	Ed25519 [KeyLen]byte // initiator's ephemeral Ed25519 public key
	// MTU and Mode come from the signalling bytes; a legacy request
	// without them means MTU wire.MTU and the default mode.
	MTU        int
	Mode       Mode
	Signalling bool // the request carried signalling bytes
}

// AppendRequest appends a link request payload: the initiator's X25519
// and Ed25519 public keys and the signalling bytes for mtu and mode.
func AppendRequest(dst []byte, x25519, ed25519 [KeyLen]byte, mtu int, mode Mode) ([]byte, error) {
	if !mode.Enabled() {
		return dst, fmt.Errorf("%w: mode %d", ErrMode, mode)
	}
	dst = append(dst, x25519[:]...)
	dst = append(dst, ed25519[:]...)
	return wire.AppendSignalling(dst, mtu, uint8(mode)), nil
}

// ParseRequest decodes a link request payload (the data of a LINKREQUEST
// packet), as the reference's validate_request does: 64 bytes of keys,
// optionally followed by signalling bytes. An MTU of 0 in the signalling
// bytes means wire.MTU.
func ParseRequest(data []byte) (Request, error) {
	var r Request
	switch len(data) {
	case wire.LinkKeysLen:
		r.MTU, r.Mode = wire.MTU, ModeDefault
	case wire.LinkKeysLen + wire.SignallingLen:
		r.MTU, r.Mode, _ = DecodeSignalling(data[wire.LinkKeysLen:])
		r.Signalling = true
		if r.MTU == 0 {
			r.MTU = wire.MTU
		}
	default:
		return r, ErrRequestLen
	}
	if !r.Mode.Enabled() {
		return r, fmt.Errorf("%w: mode %d", ErrMode, r.Mode)
	}
	copy(r.X25519[:], data[:KeyLen])
	copy(r.Ed25519[:], data[KeyLen:wire.LinkKeysLen])
	return r, nil
}

// AppendRequestPacket appends a complete LINKREQUEST packet to the
// destination with the given hash carrying payload.
func AppendRequestPacket(dst []byte, destination wire.Hash, payload []byte) []byte {
	h := wire.Header{DestType: wire.Single, PacketType: wire.LinkRequest, Destination: destination}
	return append(h.Append(dst), payload...)
}

// ID returns the link ID of a link request packet (raw, without IFAC).
func ID(raw []byte) (wire.Hash, error) { return wire.LinkID(raw) }

// AppendProofSignedData appends what an LRPROOF signature covers: link ID,
// responder X25519 key, destination Ed25519 key and signalling bytes
// (which may be empty).
func AppendProofSignedData(dst []byte, id wire.Hash, responderX25519, destinationEd25519 [KeyLen]byte, signalling []byte) []byte {
	dst = append(dst, id[:]...)
	dst = append(dst, responderX25519[:]...)
	dst = append(dst, destinationEd25519[:]...)
	return append(dst, signalling...)
}

// AppendProof appends an LRPROOF payload: the destination identity's
// signature, the responder's X25519 key and the signalling bytes for the
// granted mtu and mode. The reference always answers with signalling
// bytes, even to a legacy request.
func AppendProof(dst []byte, id wire.Hash, responderX25519 [KeyLen]byte, destination *identity.Identity, mtu int, mode Mode) ([]byte, error) {
	var sb [wire.SignallingLen]byte
	if _, err := AppendSignalling(sb[:0], mtu, mode); err != nil {
		return dst, err
	}
	var buf [wire.HashLen + 2*KeyLen + wire.SignallingLen]byte
	signed := AppendProofSignedData(buf[:0], id, responderX25519, destination.Ed25519Public(), sb[:])
	sig, err := destination.Sign(signed)
	if err != nil {
		return dst, err
	}
	dst = append(dst, sig[:]...)
	dst = append(dst, responderX25519[:]...)
	return append(dst, sb[:]...), nil
}

// AppendProofPacket appends a complete LRPROOF packet for link id carrying
// payload.
func AppendProofPacket(dst []byte, id wire.Hash, payload []byte) []byte {
	h := wire.Header{DestType: wire.Link, PacketType: wire.Proof, Destination: id, Context: wire.ContextLRProof}
	return append(h.Append(dst), payload...)
}

// Proof is a validated LRPROOF payload.
type Proof struct {
	X25519 [KeyLen]byte // responder's ephemeral X25519 public key
	MTU    int          // granted MTU (wire.MTU when the proof has no signalling)
	Mode   Mode
}

// ValidateProof checks an LRPROOF payload for link id against the
// destination's identity and the mode the initiator requested, as the
// reference's validate_proof does.
func ValidateProof(data []byte, id wire.Hash, destination *identity.Identity, mode Mode) (Proof, error) {
	var p Proof
	var sb []byte
	// The mode is read first, from the byte after the responder key when
	// the proof is longer than the legacy form, and a proof for another
	// mode is refused before its size is checked (validate_proof).
	got := ModeDefault
	if len(data) > wire.LinkProofLen {
		got = Mode(data[wire.LinkProofLen] >> 5)
	}
	if got != mode {
		return p, fmt.Errorf("%w: mode %d in link proof", ErrMode, got)
	}
	switch len(data) {
	case wire.LinkProofLen:
		p.MTU, p.Mode = wire.MTU, ModeDefault
	case wire.LinkProofLen + wire.SignallingLen:
		sb = data[wire.LinkProofLen:]
		p.MTU, p.Mode, _ = DecodeSignalling(sb)
	default:
		return p, ErrProofLen
	}
	if p.Mode != mode || !p.Mode.Enabled() {
		return p, fmt.Errorf("%w: mode %d in link proof", ErrMode, p.Mode)
	}
	copy(p.X25519[:], data[SigLen:wire.LinkProofLen])
	var buf [wire.HashLen + 2*KeyLen + wire.SignallingLen]byte
	signed := AppendProofSignedData(buf[:0], id, p.X25519, destination.Ed25519Public(), sb)
	if !destination.Verify(signed, data[:SigLen]) {
		return p, ErrSignature
	}
	if p.MTU == 0 {
		p.MTU = wire.MTU
	}
	return p, nil
}

// DeriveKey returns the session key of a link from the X25519 shared
// secret: HKDF-SHA256 of 64 bytes, salted with the link ID, with an empty
// context.
func DeriveKey(shared [32]byte, id wire.Hash, mode Mode) ([]byte, error) {
	if !mode.Enabled() {
		return nil, fmt.Errorf("%w: mode %d", ErrMode, mode)
	}
	return identity.HKDF(DerivedKeyLen, shared[:], id[:], nil)
}

// AppendRTT appends the RTT payload: rtt in seconds as a msgpack float64.
func AppendRTT(dst []byte, rtt float64) []byte {
	dst = append(dst, 0xcb)
	return binary.BigEndian.AppendUint64(dst, math.Float64bits(rtt))
}

// ParseRTT decodes an RTT payload. It accepts msgpack floats and integers,
// as the reference's unpacker does.
func ParseRTT(b []byte) (float64, error) {
	if len(b) == 0 {
		return 0, ErrRTT
	}
	t, rest := b[0], b[1:]
	var v float64
	switch {
	case t <= 0x7f:
		v = float64(t)
	case t >= 0xe0:
		v = float64(int8(t))
	case t == 0xcb && len(rest) >= 8:
		v, rest = math.Float64frombits(binary.BigEndian.Uint64(rest)), rest[8:]
	case t == 0xca && len(rest) >= 4:
		v, rest = float64(math.Float32frombits(binary.BigEndian.Uint32(rest))), rest[4:]
	case t == 0xcc && len(rest) >= 1:
		v, rest = float64(rest[0]), rest[1:]
	case t == 0xcd && len(rest) >= 2:
		v, rest = float64(binary.BigEndian.Uint16(rest)), rest[2:]
	case t == 0xce && len(rest) >= 4:
		v, rest = float64(binary.BigEndian.Uint32(rest)), rest[4:]
	case t == 0xcf && len(rest) >= 8:
		v, rest = float64(binary.BigEndian.Uint64(rest)), rest[8:]
	default:
		return 0, ErrRTT
	}
	if len(rest) != 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, ErrRTT
	}
	return v, nil
}

// AppendIdentifySignedData appends what a LINKIDENTIFY signature covers:
// link ID and the identity's public key.
func AppendIdentifySignedData(dst []byte, id wire.Hash, publicKey [identity.KeySize]byte) []byte {
	dst = append(dst, id[:]...)
	return append(dst, publicKey[:]...)
}

// AppendIdentify appends a LINKIDENTIFY plaintext revealing who on link id:
// its public key and its signature over link ID and public key.
func AppendIdentify(dst []byte, id wire.Hash, who *identity.Identity) ([]byte, error) {
	pub := who.PublicKey()
	var buf [wire.HashLen + identity.KeySize]byte
	sig, err := who.Sign(AppendIdentifySignedData(buf[:0], id, pub))
	if err != nil {
		return dst, err
	}
	dst = append(dst, pub[:]...)
	return append(dst, sig[:]...), nil
}

// ParseIdentify validates a LINKIDENTIFY plaintext for link id and returns
// the identity it reveals.
func ParseIdentify(plaintext []byte, id wire.Hash) (*identity.Identity, error) {
	if len(plaintext) != IdentifyLen {
		return nil, ErrIdentifyLen
	}
	who, err := identity.FromPublicKey(plaintext[:identity.KeySize])
	if err != nil {
		return nil, err
	}
	var buf [wire.HashLen + identity.KeySize]byte
	if !who.Verify(AppendIdentifySignedData(buf[:0], id, who.PublicKey()), plaintext[identity.KeySize:]) {
		return nil, ErrSignature
	}
	return who, nil
}

// IsClose reports whether a decrypted LINKCLOSE plaintext closes link id.
func IsClose(plaintext []byte, id wire.Hash) bool {
	return subtle.ConstantTimeCompare(plaintext, id[:]) == 1
}

// AppendPacketProof appends an explicit packet proof payload: the proved
// packet's full hash and signer's signature over it. signer is the link's
// signing key: the destination identity on the responder, the ephemeral
// Ed25519 key on the initiator.
func AppendPacketProof(dst []byte, packetHash [wire.FullHashLen]byte, signer *identity.Identity) ([]byte, error) {
	sig, err := signer.Sign(packetHash[:])
	if err != nil {
		return dst, err
	}
	dst = append(dst, packetHash[:]...)
	return append(dst, sig[:]...), nil
}

// ValidatePacketProof checks an explicit packet proof payload against the
// full hash of the packet it should prove and the peer's link signing key
// (verifier needs only its public half). Unlike the reference, which reads
// the first 96 bytes of any proof, it requires exactly PacketProofLen.
func ValidatePacketProof(data []byte, packetHash [wire.FullHashLen]byte, verifier *identity.Identity) error {
	if len(data) != PacketProofLen || subtle.ConstantTimeCompare(data[:wire.FullHashLen], packetHash[:]) != 1 {
		return ErrPacketProof
	}
	if !verifier.Verify(packetHash[:], data[wire.FullHashLen:]) {
		return ErrSignature
	}
	return nil
}
