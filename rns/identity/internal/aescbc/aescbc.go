package aescbc

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/subtle"
	"fmt"
)

// BlockSize is the AES block size.
const BlockSize = aes.BlockSize

// A Decrypter decrypts AES-CBC under one key. It holds no chaining state:
// callers pass the previous ciphertext block to every call, so one
// Decrypter may be used by many routines at once.
type Decrypter struct {
	dec   [15 * BlockSize]byte // AES-256 decryption round keys (fast path)
	fast  bool
	block cipher.Block // fallback
}

// NewDecrypter returns a Decrypter for a 16-byte (AES-128) or 32-byte
// (AES-256) key.
func NewDecrypter(key []byte) (*Decrypter, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("aescbc: %w", err)
	}
	d := &Decrypter{block: block}
	if len(key) == 32 && haveAsm {
		var enc [15 * BlockSize]byte
		expandKey256(&key[0], &enc[0], &d.dec[0])
		d.fast = true
	}
	return d, nil
}

// CryptBlocks decrypts src, a whole number of blocks, into the start of
// dst. dst may be src, start anywhere before it, or not overlap it: each
// ciphertext block is read before any output at or after it is written
// (so a token can be decrypted in place over its own IV). iv is the
// ciphertext block before src (the IV for the first call); CryptBlocks
// leaves in it the last block of src, ready for the call that decrypts
// what follows.
func (d *Decrypter) CryptBlocks(iv *[BlockSize]byte, dst, src []byte) {
	if len(src)%BlockSize != 0 {
		panic("aescbc: input not full blocks")
	}
	if len(dst) < len(src) {
		panic("aescbc: output smaller than input")
	}
	if len(src) == 0 {
		return
	}
	if d.fast {
		cbcDecrypt256(&d.dec[0], iv, &dst[0], &src[0], len(src))
		return
	}
	var c [BlockSize]byte
	for off := 0; off < len(src); off += BlockSize {
		copy(c[:], src[off:off+BlockSize])
		d.block.Decrypt(dst[off:off+BlockSize], c[:])
		subtle.XORBytes(dst[off:off+BlockSize], dst[off:off+BlockSize], iv[:])
		*iv = c
	}
}
