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

// UnpadPKCS7 returns b without its PKCS#7 padding, as a subslice of b,
// with the reference's rule: the last byte n says how many bytes to strip
// (0 strips none), and only n above 16 or above len(b) is an error
// ([ErrPadding]). The other padding bytes are not examined, so a token
// the reference decrypts, mehr decrypts too; tokens are authenticated
// before they are unpadded, so only a key holder can send odd padding.
func UnpadPKCS7(b []byte) ([]byte, error) {
	n, err := unpaddedLen(b)
	if err != nil {
		return nil, err
	}
	return b[:n], nil
}

// unpaddedLen returns the length of b without its PKCS#7 padding.
func unpaddedLen(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, ErrPadding
	}
	n := int(b[len(b)-1])
	if n > aes.BlockSize || n > len(b) {
		return 0, ErrPadding
	}
	return len(b) - n, nil
}
