// Package announce builds and validates Reticulum announces.
//
// An announce is an unencrypted ANNOUNCE packet to a SINGLE destination
// whose payload is
//
//	public_key(64) name_hash(10) random_hash(10) [ratchet(32)] signature(64) app_data
//
// The ratchet is present exactly when the header's context flag is set. The
// Ed25519 signature covers destination_hash || public_key || name_hash ||
// random_hash || ratchet || app_data, so the only byte a relay may change is
// the header's hops. random_hash is 5 random bytes followed by the emission
// time as 5 big-endian bytes of seconds. Context is NONE, or PATH_RESPONSE
// when the announce answers a path request. This mirrors Destination.announce
// and Identity.validate_announce of the reference (RNS 1.4.2) and is checked
// against vectors/reticulum/announces.json.
package announce

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"time"

	"github.com/mehr-net/mehr/rns/dest"
	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/wire"
)

// Field sizes of the announce payload.
const (
	PublicKeyLen  = identity.KeySize // X25519 public || Ed25519 public
	NameHashLen   = dest.NameHashLen // name hash
	RandomHashLen = 10               // 5 random bytes || 5 bytes of seconds
	RatchetLen    = 32               // X25519 ratchet public key
	SignatureLen  = ed25519.SignatureSize
	// MinLen is the smallest valid payload: no ratchet, no app_data.
	MinLen = PublicKeyLen + NameHashLen + RandomHashLen + SignatureLen

	offName   = PublicKeyLen
	offRandom = offName + NameHashLen
	offRest   = offRandom + RandomHashLen // ratchet, or signature when no ratchet
)

// Errors returned by Parse, Validate and Build.
var (
	ErrNotAnnounce = errors.New("announce: not an ANNOUNCE packet to a SINGLE destination")
	ErrShort       = errors.New("announce: payload shorter than its fixed fields")
	ErrSignature   = errors.New("announce: invalid signature")
	ErrDestination = errors.New("announce: destination hash does not match name hash and public key")
	ErrNoPrivate   = errors.New("announce: identity has no private key")
	ErrRatchet     = errors.New("announce: ratchet must be 32 bytes")
	ErrTooLarge    = errors.New("announce: packet exceeds MTU")
)

// Announce is a parsed announce. Its slices alias the packet it was parsed
// from.
type Announce struct {
	Destination  wire.Hash
	PublicKey    []byte // 64 bytes
	NameHash     []byte // 10 bytes
	RandomHash   []byte // 10 bytes
	Ratchet      []byte // 32 bytes, or nil
	Signature    []byte // 64 bytes
	AppData      []byte // nil when absent
	PathResponse bool   // context PATH_RESPONSE
}

// Parse splits the payload of p into its fields without checking the
// signature. It does not allocate.
func Parse(p *wire.Packet) (Announce, error) {
	if p.PacketType != wire.Announce || p.DestType != wire.Single {
		return Announce{}, ErrNotAnnounce
	}
	d := p.Data
	min := MinLen
	if p.ContextFlag {
		min += RatchetLen
	}
	if len(d) < min {
		return Announce{}, ErrShort
	}
	a := Announce{
		Destination:  p.Destination,
		PublicKey:    d[:PublicKeyLen:PublicKeyLen],
		NameHash:     d[offName:offRandom:offRandom],
		RandomHash:   d[offRandom:offRest:offRest],
		PathResponse: p.Context == wire.ContextPathResponse,
	}
	sig := offRest
	if p.ContextFlag {
		a.Ratchet = d[offRest : offRest+RatchetLen : offRest+RatchetLen]
		sig += RatchetLen
	}
	a.Signature = d[sig : sig+SignatureLen : sig+SignatureLen]
	if len(d) > min {
		a.AppData = d[min:]
	}
	return a, nil
}

// AppendSignedData appends the bytes the announce signature covers.
func (a *Announce) AppendSignedData(dst []byte) []byte {
	dst = append(dst, a.Destination[:]...)
	dst = append(dst, a.PublicKey...)
	dst = append(dst, a.NameHash...)
	dst = append(dst, a.RandomHash...)
	dst = append(dst, a.Ratchet...)
	return append(dst, a.AppData...)
}

// IdentityHash returns the hash of the announced identity.
func (a *Announce) IdentityHash() wire.Hash {
	sum := sha256.Sum256(a.PublicKey)
	return wire.Hash(sum[:wire.HashLen])
}

// Emitted returns the emission time carried in the random hash.
func (a *Announce) Emitted() time.Time {
	return time.Unix(EmittedSeconds(a.RandomHash), 0)
}

// EmittedSeconds decodes the 5-byte big-endian seconds of a random hash.
func EmittedSeconds(randomHash []byte) int64 {
	if len(randomHash) < RandomHashLen {
		return 0
	}
	var b [8]byte
	copy(b[3:], randomHash[5:RandomHashLen])
	return int64(binary.BigEndian.Uint64(b[:]))
}

// Validate parses p and checks it the way the reference does: the
// signature must verify under the announced Ed25519 key, and the
// destination hash must equal the hash of the name hash and the announced
// identity. On success the parsed announce is returned. It does not
// allocate for announces up to the MTU.
func Validate(p *wire.Packet) (Announce, error) {
	a, err := Parse(p)
	if err != nil {
		return Announce{}, err
	}
	var buf [wire.MTU]byte
	signed := a.AppendSignedData(buf[:0])
	if !ed25519.Verify(ed25519.PublicKey(a.PublicKey[32:]), signed, a.Signature) {
		return Announce{}, ErrSignature
	}
	ih := a.IdentityHash()
	if dest.HashFrom(dest.NameHash(a.NameHash), &ih) != a.Destination {
		return Announce{}, ErrDestination
	}
	return a, nil
}

// RandomHash builds the random part of an announce: the first 5 bytes of
// SHA-256(random) followed by the time as 5 big-endian bytes of seconds.
// The reference draws random as 16 bytes from the system's random source.
func RandomHash(random []byte, t time.Time) [RandomHashLen]byte {
	var out [RandomHashLen]byte
	sum := sha256.Sum256(random)
	copy(out[:5], sum[:5])
	var sec [8]byte
	binary.BigEndian.PutUint64(sec[:], uint64(t.Unix()))
	copy(out[5:], sec[3:])
	return out
}

// Params describes an announce to build.
type Params struct {
	Destination  *dest.Destination // SINGLE, with a private identity
	AppData      []byte            // nil for none
	Ratchet      []byte            // 32-byte ratchet public key, or nil
	RandomHash   [RandomHashLen]byte
	PathResponse bool
}

// Append builds the whole announce packet (HEADER_1, hops 0) and appends
// it to dst.
func Append(dst []byte, pr *Params) ([]byte, error) {
	d := pr.Destination
	if d == nil || d.Type != wire.Single || d.Identity == nil {
		return dst, ErrNotAnnounce
	}
	if _, ok := d.Identity.PrivateKey(); !ok {
		return dst, ErrNoPrivate
	}
	if pr.Ratchet != nil && len(pr.Ratchet) != RatchetLen {
		return dst, ErrRatchet
	}
	pub := d.Identity.PublicKey()
	a := Announce{
		Destination: d.Hash,
		PublicKey:   pub[:],
		NameHash:    d.NameHash[:],
		RandomHash:  pr.RandomHash[:],
		Ratchet:     pr.Ratchet,
		AppData:     pr.AppData,
	}
	sig, err := d.Identity.Sign(a.AppendSignedData(nil))
	if err != nil {
		return dst, err
	}
	h := wire.Header{
		ContextFlag: pr.Ratchet != nil,
		DestType:    wire.Single,
		PacketType:  wire.Announce,
		Destination: d.Hash,
	}
	if pr.PathResponse {
		h.Context = wire.ContextPathResponse
	}
	if h.Len()+MinLen+len(pr.Ratchet)+len(pr.AppData) > wire.MTU {
		return dst, ErrTooLarge
	}
	dst = h.Append(dst)
	dst = append(dst, a.PublicKey...)
	dst = append(dst, a.NameHash...)
	dst = append(dst, a.RandomHash...)
	dst = append(dst, a.Ratchet...)
	dst = append(dst, sig[:]...)
	return append(dst, a.AppData...), nil
}

// AppendRebroadcast appends the form a transport node rebroadcasts a
// received announce in: HEADER_2 with propagation TRANSPORT, its own
// transport ID, the given hops (the received hops plus one) and context,
// and the context flag and payload of the received packet unchanged.
func AppendRebroadcast(dst []byte, p *wire.Packet, transportID wire.Hash, hops uint8, ctx wire.Context) []byte {
	h := wire.Header{
		HeaderType:  wire.Header2,
		ContextFlag: p.ContextFlag,
		Propagation: wire.Transport,
		DestType:    p.DestType,
		PacketType:  wire.Announce,
		Hops:        hops,
		TransportID: transportID,
		Destination: p.Destination,
		Context:     ctx,
	}
	return append(h.Append(dst), p.Data...)
}
