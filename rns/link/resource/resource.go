package resource

import (
	"crypto/sha256"
	"errors"
	"hash"

	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/wire"
)

// Sizes and limits, named after the fields of RNS/Resource.py.
const (
	// PrefixLen is the length of the random prefix in front of the stream
	// plaintext (Resource.RANDOM_HASH_SIZE).
	PrefixLen = 4
	// RandomHashLen is the length of the random hash that salts the resource
	// and map hashes (Resource.RANDOM_HASH_SIZE).
	RandomHashLen = 4
	// MapHashLen is the length of one map hash (Resource.MAPHASH_LEN).
	MapHashLen = 4
	// HashLen is the length of the resource hash, the original hash and the
	// proof (Identity.HASHLENGTH/8).
	HashLen = identity.FullHashLen
	// MaxEfficientSize is the largest segment (Resource.MAX_EFFICIENT_SIZE).
	// Larger data is sent as several segments.
	MaxEfficientSize = 1<<20 - 1
	// MetadataMaxSize is the largest packed metadata
	// (Resource.METADATA_MAX_SIZE); its length must fit in 3 bytes.
	MetadataMaxSize = 1<<24 - 1
	// MaxTransferSize is the largest transfer size an advertisement may
	// announce (ResourceAdvertisement.unpack: MAX_EFFICIENT_SIZE*3).
	MaxTransferSize = 3 * MaxEfficientSize
	// AdvertisementOverhead is the space reserved for the advertisement's
	// fields besides the hashmap (ResourceAdvertisement.OVERHEAD).
	AdvertisementOverhead = 134
	// HashmapMaxLen is the number of map hashes in an advertisement or a
	// hashmap update (ResourceAdvertisement.HASHMAP_MAX_LEN). The reference
	// computes it from the link MDU at the default MTU, whatever the link's
	// actual MTU: 74.
	HashmapMaxLen = (wire.LinkMDU - AdvertisementOverhead) / MapHashLen
	// Window is the initial request window (Resource.WINDOW).
	Window = 4
	// WindowMax is the largest request window (Resource.WINDOW_MAX).
	WindowMax = 75
	// CollisionGuardSize is how many consecutive map hashes must be distinct
	// (ResourceAdvertisement.COLLISION_GUARD_SIZE).
	CollisionGuardSize = 2*WindowMax + HashmapMaxLen
	// SDUOverhead is what a part packet may need besides its payload: the
	// largest header and the smallest IFAC (Reticulum.HEADER_MAXSIZE +
	// Reticulum.IFAC_MIN_SIZE).
	SDUOverhead = wire.HeaderMaxSize + wire.IFACMinSize
)

// Request flags, the first byte of a part request.
const (
	HashmapNotExhausted = 0x00 // Resource.HASHMAP_IS_NOT_EXHAUSTED
	HashmapExhausted    = 0xFF // Resource.HASHMAP_IS_EXHAUSTED
)

// Flags is the advertisement's flags field f.
type Flags uint8

// Flag bits (ResourceAdvertisement.__init__). Append-only.
const (
	FlagEncrypted  Flags = 1 << 0
	FlagCompressed Flags = 1 << 1
	FlagSplit      Flags = 1 << 2
	FlagRequest    Flags = 1 << 3
	FlagResponse   Flags = 1 << 4
	FlagMetadata   Flags = 1 << 5
)

// Status is the state of a transfer, numbered as the reference's
// Resource.NONE ... Resource.REJECTED. Append-only.
type Status uint8

// Transfer states.
const (
	StatusNone          Status = 0x00
	StatusQueued        Status = 0x01
	StatusAdvertised    Status = 0x02
	StatusTransferring  Status = 0x03
	StatusAwaitingProof Status = 0x04
	StatusAssembling    Status = 0x05
	StatusComplete      Status = 0x06
	StatusFailed        Status = 0x07
	StatusCorrupt       Status = 0x08
	StatusRejected      Status = 0x09
)

// Sentinel errors. Functions wrap them with detail; test with errors.Is.
var (
	// ErrAdvertisement reports an advertisement that does not decode or
	// whose fields are missing, of the wrong type or out of range.
	ErrAdvertisement = errors.New("resource: malformed advertisement")
	// ErrMTU reports a link MTU too small to carry any part.
	ErrMTU = errors.New("resource: link MTU too small")
	// ErrKey reports a link key the Token refuses.
	ErrKey = errors.New("resource: bad link key")
	// ErrTooLarge reports data, metadata or decompressed output over its
	// limit.
	ErrTooLarge = errors.New("resource: too large")
	// ErrCompressed reports a caller-supplied compressed payload that does
	// not decompress to the data.
	ErrCompressed = errors.New("resource: compressed payload does not match data")
	// ErrCollision reports two equal map hashes within the collision guard
	// window; build again with another random hash.
	ErrCollision = errors.New("resource: map hash collision")
	// ErrRequest reports a malformed part request, or one for another
	// resource.
	ErrRequest = errors.New("resource: malformed part request")
	// ErrHashmapUpdate reports a malformed hashmap update.
	ErrHashmapUpdate = errors.New("resource: malformed hashmap update")
	// ErrPart reports a part that matches no outstanding map hash or has
	// the wrong length.
	ErrPart = errors.New("resource: unexpected part")
	// ErrIncomplete reports assembling before every part arrived.
	ErrIncomplete = errors.New("resource: parts missing")
	// ErrCorrupt reports a stream that does not decrypt or decompress, or
	// data whose hash is not the resource hash.
	ErrCorrupt = errors.New("resource: corrupt data")
	// ErrProof reports a proof that does not prove this resource.
	ErrProof = errors.New("resource: invalid proof")
	// ErrFailed reports a packet for a transfer already canceled or
	// failed; it is ignored.
	ErrFailed = errors.New("resource: transfer failed")
)

// SDU returns the part size on a link with the given MTU (Resource.sdu:
// link MTU - HEADER_MAXSIZE - IFAC_MIN_SIZE, 464 at MTU 500). An MTU of 0
// means the default wire.MTU.
func SDU(mtu int) (int, error) {
	if mtu == 0 {
		mtu = wire.MTU
	}
	if mtu <= SDUOverhead || mtu > 1<<20 {
		return 0, ErrMTU
	}
	return mtu - SDUOverhead, nil
}

// MetadataBlock returns the metadata block sent in front of the data: the
// 3-byte big-endian length of packed (msgpack) followed by packed.
func MetadataBlock(packed []byte) ([]byte, error) {
	if len(packed) > MetadataMaxSize {
		return nil, ErrTooLarge
	}
	n := len(packed)
	b := make([]byte, 0, 3+n)
	b = append(b, byte(n>>16), byte(n>>8), byte(n))
	return append(b, packed...), nil
}

// AppendPacket appends a HEADER_1 packet of type pt with context ctx to the
// link linkID, carrying payload as is (encrypt it first if it needs to be).
func AppendPacket(dst []byte, linkID wire.Hash, pt wire.PacketType, ctx wire.Context, payload []byte) []byte {
	h := wire.Header{DestType: wire.Link, PacketType: pt, Destination: linkID, Context: ctx}
	return append(h.Append(dst), payload...)
}

// hasher computes the salted hashes of this package with one reusable
// SHA-256 state.
type hasher struct {
	h   hash.Hash
	buf []byte // reused Sum output, so that hashing does not allocate
}

func (s *hasher) sum(a, b []byte) (out [HashLen]byte) {
	if s.h == nil {
		s.h = sha256.New()
		s.buf = make([]byte, 0, HashLen)
	}
	s.h.Reset()
	s.h.Write(a)
	s.h.Write(b)
	s.buf = s.h.Sum(s.buf[:0])
	copy(out[:], s.buf)
	return out
}

// MapHash returns the map hash of a part: SHA-256(part || random hash)
// truncated to MapHashLen bytes (Resource.get_map_hash).
func MapHash(part, randomHash []byte) [MapHashLen]byte {
	var hs hasher
	return hs.mapHash(part, randomHash)
}

func (s *hasher) mapHash(part []byte, randomHash []byte) (m [MapHashLen]byte) {
	full := s.sum(part, randomHash)
	copy(m[:], full[:MapHashLen])
	return m
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }
