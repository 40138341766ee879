package identity

import "crypto/aes"

// PadPKCS7 appends data to dst followed by PKCS#7 padding to a multiple of
// the 16-byte AES block size, and returns the extended slice. A full block
// of padding is added when len(data) is already a multiple of 16.
func PadPKCS7(dst, data []byte) []byte {
	n := aes.BlockSize - len(data)%aes.BlockSize
	dst = append(dst, data...)
	for range n {
		dst = append(dst, byte(n))
	}
	return dst
}

// UnpadPKCS7 returns b without its PKCS#7 padding, as a subslice of b. It
// returns [ErrPadding] unless b is a non-empty whole number of 16-byte blocks
// ending in n bytes of value n, 1 <= n <= 16.
//
// This is stricter than the reference, which only rejects a final byte
// above 16 and does not look at the other padding bytes. Every conforming
// sender pads correctly, and tokens are authenticated before they are
// unpadded, so the difference shows only on tokens that a key holder has
// deliberately malformed.
func UnpadPKCS7(b []byte) ([]byte, error) {
	n, err := unpaddedLen(b)
	if err != nil {
		return nil, err
	}
	return b[:n], nil
}

// unpaddedLen returns the length of b without its PKCS#7 padding.
func unpaddedLen(b []byte) (int, error) {
	if len(b) == 0 || len(b)%aes.BlockSize != 0 {
		return 0, ErrPadding
	}
	n := int(b[len(b)-1])
	if n == 0 || n > aes.BlockSize {
		return 0, ErrPadding
	}
	for _, c := range b[len(b)-n:] {
		if int(c) != n {
			return 0, ErrPadding
		}
	}
	return len(b) - n, nil
}
