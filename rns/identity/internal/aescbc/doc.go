// Package aescbc decrypts AES-256-CBC many blocks at a time.
//
// The standard library decrypts CBC one block per call on amd64, which
// leaves the AES unit waiting on each round's result: CBC decryption, unlike
// encryption, has no chain between blocks, so the rounds of eight blocks
// can run interleaved. On amd64 with AES-NI this package does that, about
// four times faster; elsewhere, and for AES-128 keys, it falls back to the
// standard library one block at a time. Encryption stays with the standard
// library: CBC encryption is serial by construction.
//
// Only decryption lives here because it is what the receiver of a
// resource spends most of its AES time on (see docs/PERFORMANCE.md); the
// output is tested equal to crypto/cipher's CBC decrypter.
package aescbc
