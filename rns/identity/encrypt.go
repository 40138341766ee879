package identity

import (
	"crypto/ecdh"
	"fmt"
	"io"
)

// Encrypt encrypts plaintext to the identity, as Identity.encrypt does: it
// reads a fresh ephemeral X25519 private key (32 bytes) and then a token IV
// (16 bytes) from rand, which nil means crypto/rand, and calls
// [Identity.EncryptWith].
func (id *Identity) Encrypt(rand io.Reader, plaintext, ratchetPublic []byte) ([]byte, error) {
	var r [x25519Len + TokenIVLen]byte
	if err := readRandom(rand, r[:]); err != nil {
		return nil, err
	}
	return id.EncryptWith([x25519Len]byte(r[:x25519Len]), [TokenIVLen]byte(r[x25519Len:]), plaintext, ratchetPublic)
}

// EncryptWith encrypts plaintext to the identity with the given ephemeral
// X25519 private key and token IV. Both must be fresh random values for
// every message; this form exists so that tests can reproduce the
// reference's output byte for byte.
//
// The result is the ephemeral public key (32 bytes) followed by a [Token]
// whose 64-byte key is HKDF(shared secret, salt = identity hash, no
// context). The shared secret is taken with ratchetPublic, a 32-byte ratchet
// key the destination announced, or with the identity's own X25519 key when
// ratchetPublic is empty.
//
// Only the public key is needed. The errors are [ErrNoKeys] for the zero
// Identity, [ErrKeySize] for a
// ratchetPublic of the wrong length and [ErrLowOrder] for a target key that
// is a low-order point.
func (id *Identity) EncryptWith(ephemeralPrivate [32]byte, iv [TokenIVLen]byte, plaintext, ratchetPublic []byte) ([]byte, error) {
	if id.keyless() {
		return nil, ErrNoKeys
	}
	target := id.public[:x25519Len]
	if len(ratchetPublic) != 0 {
		if len(ratchetPublic) != RatchetSize {
			return nil, fmt.Errorf("%w: ratchet public key is %d bytes, want %d", ErrKeySize, len(ratchetPublic), RatchetSize)
		}
		target = ratchetPublic
	}
	ephemeral, err := newX25519(ephemeralPrivate[:])
	if err != nil {
		return nil, err
	}
	shared, err := exchange(ephemeral, target)
	if err != nil {
		return nil, err
	}
	tok, err := id.token(shared)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, x25519Len+TokenLen(len(plaintext)))
	out = append(out, ephemeral.PublicKey().Bytes()...)
	return tok.AppendEncrypt(out, iv, plaintext), nil
}

// token returns the Token keyed from a shared secret with this identity.
func (id *Identity) token(shared [32]byte) (*Token, error) {
	var key [DerivedKeyLen]byte
	appendHKDF(key[:0], DerivedKeyLen, shared[:], id.hash[:], nil)
	return NewToken(key[:])
}

// Decrypt decrypts a ciphertext made by [Identity.Encrypt], mirroring
// Identity.decrypt. It first tries each private ratchet key in ratchets, in
// order, skipping keys that are malformed or fail; ratchetID is the ID of
// the ratchet that worked. If none did and enforceRatchets is set, it
// returns [ErrRatchetRequired]. Otherwise it tries the identity's long-term
// X25519 key and returns a nil ratchetID.
//
// It returns [ErrNoPrivateKey] for a public-only identity,
// [ErrCiphertextTooShort] for a ciphertext of 32 bytes or less, and
// otherwise the error of the long-term attempt ([ErrLowOrder] or a token
// error such as [ErrTokenHMAC]).
func (id *Identity) Decrypt(ciphertext []byte, ratchets [][]byte, enforceRatchets bool) (plaintext, ratchetID []byte, err error) {
	if id.keyless() {
		return nil, nil, ErrNoKeys
	}
	if id.edPrivate == nil {
		return nil, nil, ErrNoPrivateKey
	}
	if len(ciphertext) <= x25519Len {
		return nil, nil, ErrCiphertextTooShort
	}
	peer, token := ciphertext[:x25519Len], ciphertext[x25519Len:]

	for _, r := range ratchets {
		k, err := newX25519(r)
		if err != nil {
			continue
		}
		if pt, err := id.decryptWith(k, peer, token); err == nil {
			rid := RatchetID(k.PublicKey().Bytes())
			return pt, rid[:], nil
		}
	}
	if enforceRatchets {
		return nil, nil, ErrRatchetRequired
	}
	pt, err := id.decryptWith(id.x25519Key, peer, token)
	if err != nil {
		return nil, nil, err
	}
	return pt, nil, nil
}

// decryptWith decrypts token with the secret shared between k and peer.
func (id *Identity) decryptWith(k *ecdh.PrivateKey, peer, token []byte) ([]byte, error) {
	shared, err := exchange(k, peer)
	if err != nil {
		return nil, err
	}
	tok, err := id.token(shared)
	if err != nil {
		return nil, err
	}
	return tok.Decrypt(token)
}
