package identity

import (
	"crypto/ecdh"
	"crypto/ed25519"
	"encoding/hex"
	"fmt"
	"io"
)

// An Identity is a Reticulum identity (RNS.Identity): an X25519 key for key
// agreement and an Ed25519 key for signatures. The public half is always
// present; the private half is present for identities made by [Generate],
// [FromPrivateKey] and [Load]. The zero Identity holds no key: Sign,
// Encrypt, Decrypt and ECDH on it return [ErrNoKeys] and Verify is false.
// An Identity is immutable and safe for concurrent use.
type Identity struct {
	public [KeySize]byte // X25519 public || Ed25519 public
	hash   [HashLen]byte

	// The private half, or nil edPrivate for a public-only identity.
	x25519Private [x25519Len]byte    // as given, unclamped
	x25519Key     *ecdh.PrivateKey   // the same key, ready for exchanges
	edPrivate     ed25519.PrivateKey // seed || public, as crypto/ed25519 wants
}

// Generate returns a new identity whose private key is read from rand. A
// nil rand means crypto/rand.
func Generate(rand io.Reader) (*Identity, error) {
	var k [KeySize]byte
	if err := readRandom(rand, k[:]); err != nil {
		return nil, err
	}
	return FromPrivateKey(k[:])
}

// FromPrivateKey returns the identity with the given [KeySize]-byte private
// key: the X25519 private key followed by the Ed25519 seed. This is also the
// identity file format. The X25519 half is kept as given, unclamped, and is
// clamped only inside each scalar multiplication, as in the reference.
func FromPrivateKey(b []byte) (*Identity, error) {
	if len(b) != KeySize {
		return nil, fmt.Errorf("%w: private key is %d bytes, want %d", ErrKeySize, len(b), KeySize)
	}
	xKey, err := newX25519(b[:x25519Len])
	if err != nil {
		return nil, err
	}
	id := &Identity{x25519Key: xKey}
	copy(id.x25519Private[:], b[:x25519Len])
	copy(id.public[:x25519Len], xKey.PublicKey().Bytes())
	id.edPrivate = ed25519.NewKeyFromSeed(b[x25519Len:])
	copy(id.public[x25519Len:], id.edPrivate[ed25519.SeedSize:])
	id.hash = TruncatedHash(id.public[:])
	return id, nil
}

// FromPublicKey returns a public-only identity with the given
// [KeySize]-byte public key: the X25519 public key followed by the Ed25519
// public key. Like the reference, it accepts any 64 bytes; a key that is not
// a valid point shows up later, as failed verifications or [ErrLowOrder].
func FromPublicKey(b []byte) (*Identity, error) {
	if len(b) != KeySize {
		return nil, fmt.Errorf("%w: public key is %d bytes, want %d", ErrKeySize, len(b), KeySize)
	}
	id := &Identity{public: [KeySize]byte(b)}
	id.hash = TruncatedHash(id.public[:])
	return id, nil
}

// PublicKey returns the public key: X25519 public key, then Ed25519 public
// key.
func (id *Identity) PublicKey() [KeySize]byte { return id.public }

// PrivateKey returns the private key (X25519 private key, then Ed25519
// seed), and whether the identity has one.
func (id *Identity) PrivateKey() (k [KeySize]byte, ok bool) {
	if id.edPrivate == nil {
		return k, false
	}
	copy(k[:x25519Len], id.x25519Private[:])
	copy(k[x25519Len:], id.edPrivate.Seed())
	return k, true
}

// keyless reports whether id is the zero Identity: every constructor
// sets the hash, which is never all zeroes for a real key.
func (id *Identity) keyless() bool { return id.hash == [HashLen]byte{} }

// HasPrivateKey reports whether the identity holds its private key.
func (id *Identity) HasPrivateKey() bool { return id.edPrivate != nil }

// Hash returns the identity hash: the truncated hash of the public key.
func (id *Identity) Hash() [HashLen]byte { return id.hash }

// HexHash returns the identity hash in lowercase hex, without delimiters.
func (id *Identity) HexHash() string { return hex.EncodeToString(id.hash[:]) }

// String returns the identity hash in the reference's display form,
// "<hexhash>".
func (id *Identity) String() string { return "<" + id.HexHash() + ">" }

// X25519Public returns the X25519 (encryption) half of the public key.
func (id *Identity) X25519Public() [32]byte { return [32]byte(id.public[:x25519Len]) }

// Ed25519Public returns the Ed25519 (signing) half of the public key.
func (id *Identity) Ed25519Public() [32]byte { return [32]byte(id.public[x25519Len:]) }

// Sign returns the Ed25519 signature of msg (RFC 8032, deterministic). It
// returns [ErrNoPrivateKey] for a public-only identity.
func (id *Identity) Sign(msg []byte) ([SigLen]byte, error) {
	var sig [SigLen]byte
	if id.keyless() {
		return sig, ErrNoKeys
	}
	if id.edPrivate == nil {
		return sig, ErrNoPrivateKey
	}
	copy(sig[:], ed25519.Sign(id.edPrivate, msg))
	return sig, nil
}

// Verify reports whether sig is a valid Ed25519 signature of msg by this
// identity. A signature of the wrong length is invalid.
func (id *Identity) Verify(msg, sig []byte) bool {
	if len(sig) != SigLen || id.keyless() {
		return false
	}
	return ed25519.Verify(id.public[x25519Len:], msg, sig)
}

// ECDH returns the raw X25519 shared secret (the unhashed u-coordinate)
// between the identity's X25519 private key and peerPublic. It returns
// [ErrNoPrivateKey] for a public-only identity, [ErrKeySize] unless
// peerPublic is 32 bytes, and [ErrLowOrder] if the result is all zeroes.
func (id *Identity) ECDH(peerPublic []byte) ([32]byte, error) {
	if id.keyless() {
		return [32]byte{}, ErrNoKeys
	}
	if id.edPrivate == nil {
		return [32]byte{}, ErrNoPrivateKey
	}
	return exchange(id.x25519Key, peerPublic)
}

// X25519 is done with crypto/ecdh rather than golang.org/x/crypto/curve25519:
// the latter wraps crypto/ecdh but builds a new private key, with a base-point
// multiplication to derive its public key, on every call, which doubles the
// cost of each exchange.

// newX25519 returns the X25519 private key for a 32-byte scalar, which
// crypto/ecdh keeps unclamped and clamps when multiplying, as the reference
// does. Creating it computes the public key.
func newX25519(private []byte) (*ecdh.PrivateKey, error) {
	if len(private) != x25519Len {
		return nil, fmt.Errorf("%w: X25519 private key is %d bytes, want %d", ErrKeySize, len(private), x25519Len)
	}
	k, err := ecdh.X25519().NewPrivateKey(private)
	if err != nil { // only in FIPS 140-only mode, which forbids X25519
		return nil, fmt.Errorf("identity: X25519: %w", err)
	}
	return k, nil
}

// exchange returns the X25519 shared secret of k and peer, rejecting a peer
// of the wrong size and a low-order peer (all-zero result).
func exchange(k *ecdh.PrivateKey, peer []byte) ([32]byte, error) {
	if len(peer) != x25519Len {
		return [32]byte{}, fmt.Errorf("%w: X25519 public key is %d bytes, want %d", ErrKeySize, len(peer), x25519Len)
	}
	pub, err := ecdh.X25519().NewPublicKey(peer)
	if err != nil { // unreachable: any 32 bytes are accepted
		return [32]byte{}, fmt.Errorf("identity: X25519: %w", err)
	}
	shared, err := k.ECDH(pub)
	if err != nil {
		// The key and the peer are both X25519 keys of the right size, so
		// the only failure left is an all-zero result.
		return [32]byte{}, ErrLowOrder
	}
	return [32]byte(shared), nil
}
