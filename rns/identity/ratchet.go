package identity

import (
	"crypto/sha256"
	"io"
)

// GenerateRatchet returns a new ratchet private key read from rand (a nil
// rand means crypto/rand). A ratchet is an X25519 key pair that a
// destination rotates and announces, so that senders encrypt to it instead
// of the long-term identity key.
func GenerateRatchet(rand io.Reader) ([RatchetSize]byte, error) {
	var k [RatchetSize]byte
	if err := readRandom(rand, k[:]); err != nil {
		return [RatchetSize]byte{}, err
	}
	return k, nil
}

// RatchetPublic returns the X25519 public key of a ratchet (or any X25519)
// private key. It returns [ErrKeySize] unless private is 32 bytes.
func RatchetPublic(private []byte) ([RatchetSize]byte, error) {
	k, err := newX25519(private)
	if err != nil {
		return [RatchetSize]byte{}, err
	}
	return [RatchetSize]byte(k.PublicKey().Bytes()), nil
}

// RatchetID returns the ID of a ratchet public key: the first
// [RatchetIDLen] bytes of its SHA-256 hash (Identity._get_ratchet_id).
func RatchetID(public []byte) [RatchetIDLen]byte {
	h := sha256.Sum256(public)
	return [RatchetIDLen]byte(h[:RatchetIDLen])
}
