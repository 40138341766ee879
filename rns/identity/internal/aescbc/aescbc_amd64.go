//go:build amd64 && !purego

package aescbc

import "golang.org/x/sys/cpu"

var haveAsm = cpu.X86.HasAES && cpu.X86.HasSSE2

// expandKey256 writes the 15 AES-256 encryption round keys of key into enc
// and the matching decryption round keys (reversed, InvMixColumns applied
// to the inner ones) into dec.
//
//go:noescape
func expandKey256(key, enc, dec *byte)

// cbcDecrypt256 decrypts n bytes (whole blocks) of src into dst with the
// decryption round keys dec, chaining from iv, and leaves the last
// ciphertext block in iv.
//
//go:noescape
func cbcDecrypt256(dec *byte, iv *[16]byte, dst, src *byte, n int)
