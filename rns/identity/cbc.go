package identity

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"io"
)

// EncryptCBC is the bare AES-CBC block cipher the reference exposes as
// RNS.Cryptography.AES.AES_128_CBC / AES_256_CBC.encrypt: no padding, so
// plaintext must be a whole number of blocks and the result has its length.
// A 16-byte key selects AES-128, a 32-byte key AES-256; iv is one block.
func EncryptCBC(key, iv, plaintext []byte) ([]byte, error) {
	mode, err := cbc(key, iv, plaintext, true)
	if err != nil {
		return nil, err
	}
	out := make([]byte, len(plaintext))
	mode.CryptBlocks(out, plaintext)
	return out, nil
}

// DecryptCBC reverses [EncryptCBC]; it does not remove padding.
func DecryptCBC(key, iv, ciphertext []byte) ([]byte, error) {
	mode, err := cbc(key, iv, ciphertext, false)
	if err != nil {
		return nil, err
	}
	out := make([]byte, len(ciphertext))
	mode.CryptBlocks(out, ciphertext)
	return out, nil
}

func cbc(key, iv, data []byte, enc bool) (cipher.BlockMode, error) {
	if len(key) != 16 && len(key) != 32 {
		return nil, fmt.Errorf("%w: AES key is %d bytes, want 16 or 32", ErrKeySize, len(key))
	}
	if len(iv) != aes.BlockSize {
		return nil, fmt.Errorf("%w: IV is %d bytes, want %d", ErrKeySize, len(iv), aes.BlockSize)
	}
	if len(data)%aes.BlockSize != 0 {
		return nil, ErrTokenMisaligned
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	if enc {
		return cipher.NewCBCEncrypter(block, iv), nil
	}
	return cipher.NewCBCDecrypter(block, iv), nil
}

// VerifyHMAC reports whether the last 32 bytes of token authenticate the
// rest under t's signing key, as the reference's Token.verify_hmac does. It
// does not decrypt. A token of 32 bytes or fewer is [ErrTokenTooShort], as
// the reference raises for it.
func (t *Token) VerifyHMAC(token []byte) (bool, error) {
	if len(token) <= sha256.Size {
		return false, ErrTokenTooShort
	}
	body, sum := token[:len(token)-sha256.Size], token[len(token)-sha256.Size:]
	m := hmac.New(sha256.New, t.macKey)
	m.Write(body)
	return hmac.Equal(m.Sum(nil), sum), nil
}

// GenerateTokenKeySize returns a new random token key of size bytes: 32 for
// AES-128-CBC or 64 for AES-256-CBC (the reference's Token.generate_key for
// AES_128_CBC and AES_256_CBC). A nil rand means crypto/rand.
func GenerateTokenKeySize(rand io.Reader, size int) ([]byte, error) {
	if size != 32 && size != 64 {
		return nil, fmt.Errorf("%w: token key of %d bytes, want 32 or 64", ErrKeySize, size)
	}
	k := make([]byte, size)
	if err := readRandom(rand, k); err != nil {
		return nil, err
	}
	return k, nil
}
