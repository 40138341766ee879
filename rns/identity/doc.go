// Package identity implements Reticulum identities and the cryptography
// they rest on, byte for byte as the Python reference (RNS 1.4.2) does it.
//
// An [Identity] is a pair of keys: an X25519 key for key agreement and an
// Ed25519 key for signatures. Its public key is the 32-byte X25519 public key
// followed by the 32-byte Ed25519 public key ([KeySize] bytes in all), and
// its hash is the first [HashLen] bytes of SHA-256 over that public key. The
// private key, which is also the on-disk identity file format written by the
// reference's rnid tool, is the 32-byte X25519 private key followed by the
// 32-byte Ed25519 seed.
//
// Encrypting to an identity uses a fresh ephemeral X25519 key: the shared
// secret with the target's X25519 key (or with one of its announced ratchet
// keys) is stretched with [HKDF] to a 64-byte [Token] key, salted with the
// target's identity hash. The ciphertext is the ephemeral public key followed
// by the token.
//
// A [Token] is Fernet without the version byte and timestamp:
//
//	token = IV (16) || AES-CBC(PKCS#7(plaintext)) || HMAC-SHA256(IV || ciphertext) (32)
//
// A 64-byte token key selects AES-256-CBC (HMAC key = first 32 bytes,
// AES key = last 32); a 32-byte key selects AES-128-CBC (16 + 16). Links and
// GROUP destinations use tokens directly.
//
// # Hot path
//
// Token encryption and decryption are per-packet operations. [NewToken]
// expands the AES key schedule once and keeps HMAC states in a per-token
// pool, so [Token.AppendEncrypt] and [Token.AppendDecrypt] allocate nothing
// when dst has room for the result. Identity encryption and decryption are
// dominated by the X25519 scalar multiplications and allocate freely.
//
// # Safety
//
// Nothing in this package panics on bytes received from the network;
// malformed input is reported with the sentinel errors declared in
// errors.go, which callers test with [errors.Is]. Identities and tokens are
// immutable after construction and safe for concurrent use.
package identity
