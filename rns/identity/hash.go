package identity

import "crypto/sha256"

// Sizes, in bytes. Each mirrors a constant of the reference's RNS.Identity
// (which states most of them in bits) or RNS.Cryptography.Token.
const (
	// KeySize is the length of a public or private identity key
	// (Identity.KEYSIZE/8): X25519 half first, Ed25519 half second.
	KeySize = 64

	// FullHashLen is the length of a full SHA-256 hash
	// (Identity.HASHLENGTH/8).
	FullHashLen = sha256.Size

	// HashLen is the length of a truncated hash, such as an identity or
	// destination hash (Identity.TRUNCATED_HASHLENGTH/8).
	HashLen = 16

	// NameHashLen is the length of a destination name hash
	// (Identity.NAME_HASH_LENGTH/8).
	NameHashLen = 10

	// RatchetSize is the length of a ratchet key, public or private
	// (Identity.RATCHETSIZE/8). Ratchets are X25519 keys.
	RatchetSize = 32

	// RatchetIDLen is the length of a ratchet ID (Identity.NAME_HASH_LENGTH/8,
	// which the reference reuses for ratchet IDs).
	RatchetIDLen = 10

	// SigLen is the length of an Ed25519 signature (Identity.SIGLENGTH/8).
	SigLen = 64

	// DerivedKeyLen is the length of the token key derived when encrypting
	// to an identity (Identity.DERIVED_KEY_LENGTH).
	DerivedKeyLen = 64

	// TokenIVLen is the length of the IV that starts every token.
	TokenIVLen = 16

	// TokenMACLen is the length of the HMAC-SHA256 that ends every token.
	TokenMACLen = sha256.Size

	// TokenOverhead is the number of bytes a token adds to the padded
	// ciphertext: IV plus HMAC (Token.TOKEN_OVERHEAD).
	TokenOverhead = TokenIVLen + TokenMACLen

	// x25519Len is the length of one X25519 key or shared secret, which is
	// also the length of each half of an identity key.
	x25519Len = 32
)

// FullHash returns the SHA-256 hash of b (Identity.full_hash).
func FullHash(b []byte) [FullHashLen]byte {
	return sha256.Sum256(b)
}

// TruncatedHash returns the first [HashLen] bytes of the SHA-256 hash of b
// (Identity.truncated_hash).
func TruncatedHash(b []byte) [HashLen]byte {
	full := sha256.Sum256(b)
	return [HashLen]byte(full[:HashLen])
}
