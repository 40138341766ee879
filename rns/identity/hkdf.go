package identity

import (
	"crypto/hmac"
	"crypto/sha256"
)

// HKDF derives length bytes from deriveFrom with HKDF-SHA256 (RFC 5869),
// exactly as the reference's RNS.Cryptography.hkdf does:
//
//   - a nil or empty salt stands for 32 zero bytes (the RFC default);
//   - a nil context (the RFC's "info") is empty;
//   - the block counter is one byte that wraps from 255 to 0 instead of
//     failing, so lengths above 255*32 bytes are accepted, as the reference
//     accepts them.
//
// Only a length below 1 is an error ([ErrHKDFLength]). An empty deriveFrom
// is allowed, as it is in the reference for byte-string input.
func HKDF(length int, deriveFrom, salt, context []byte) ([]byte, error) {
	if length < 1 {
		return nil, ErrHKDFLength
	}
	return appendHKDF(make([]byte, 0, length), length, deriveFrom, salt, context), nil
}

// zeroSalt is the salt HKDF uses when none is given.
var zeroSalt [sha256.Size]byte

// appendHKDF appends length derived bytes to dst. length must be positive.
func appendHKDF(dst []byte, length int, ikm, salt, info []byte) []byte {
	if len(salt) == 0 {
		salt = zeroSalt[:]
	}
	extract := hmac.New(sha256.New, salt)
	extract.Write(ikm)
	var prk, block [sha256.Size]byte
	extract.Sum(prk[:0])

	expand := hmac.New(sha256.New, prk[:])
	prev := block[:0]
	var counter [1]byte
	for want := length; want > 0; {
		counter[0]++ // wraps to 0 after 255, like the reference's (i+1)%256
		expand.Reset()
		expand.Write(prev)
		expand.Write(info)
		expand.Write(counter[:])
		prev = expand.Sum(block[:0])
		n := min(want, len(prev))
		dst = append(dst, prev[:n]...)
		want -= n
	}
	return dst
}
