package identity

import "errors"

// Sentinel errors. Functions may wrap them with context; test with
// [errors.Is].
var (
	// ErrKeySize reports a key, file or scalar of the wrong length.
	ErrKeySize = errors.New("identity: wrong key size")

	// ErrNoPrivateKey reports an operation that needs the private half of
	// an identity that holds only the public half.
	ErrNoPrivateKey = errors.New("identity: no private key")

	// ErrNoKeys reports an operation on the zero Identity, which holds no
	// key at all (the reference's Identity(create_keys=False) before a
	// key is loaded, whose operations raise KeyError).
	ErrNoKeys = errors.New("identity: no keys loaded")

	// ErrLowOrder reports an X25519 exchange whose result is all zeroes,
	// which happens exactly when the peer key is a low-order point (such as
	// the all-zero key). The reference rejects these exchanges too.
	ErrLowOrder = errors.New("identity: X25519 peer key is a low-order point")

	// ErrCiphertextTooShort reports an identity ciphertext that cannot hold
	// an ephemeral public key and a token.
	ErrCiphertextTooShort = errors.New("identity: ciphertext too short")

	// ErrRatchetRequired reports that ratchets were enforced and none of the
	// given ratchet keys decrypted the ciphertext.
	ErrRatchetRequired = errors.New("identity: no ratchet key decrypts the ciphertext")

	// ErrHKDFLength reports a requested HKDF output length below 1.
	ErrHKDFLength = errors.New("identity: invalid HKDF output length")

	// ErrTokenTooShort reports a token shorter than IV + one cipher block +
	// HMAC (64 bytes).
	ErrTokenTooShort = errors.New("identity: token too short")

	// ErrTokenMisaligned reports a token whose ciphertext is not a whole
	// number of AES blocks.
	ErrTokenMisaligned = errors.New("identity: token ciphertext is not a whole number of blocks")

	// ErrTokenHMAC reports a token whose HMAC does not verify: it was
	// corrupted, forged, or made with another key.
	ErrTokenHMAC = errors.New("identity: token HMAC mismatch")

	// ErrPadding reports invalid PKCS#7 padding.
	ErrPadding = errors.New("identity: invalid PKCS#7 padding")
)
