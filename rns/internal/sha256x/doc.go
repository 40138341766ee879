// Package sha256x is SHA-256 (FIPS 180-4) that can hash two independent
// messages at once.
//
// The SHA extensions of x86 CPUs hash one message at about 2 cycles per
// byte, and no faster however the code is written: each SHA256RNDS2 needs
// the result of the one before, and waits for it. Two messages have two
// such chains, which the CPU runs side by side, so [Write2] hashes two
// messages in about the time one takes. The resource code has pairs like
// that everywhere: a stream's HMAC and the hash of its plaintext, and the
// map hashes of neighbouring parts.
//
// [Digest] is a hash.Hash and hash.Cloner whose sums equal crypto/sha256's,
// and [HMAC] is HMAC-SHA-256 (RFC 2104) over it. Without the SHA
// extensions, or with the purego build tag, the same API runs on portable
// Go code.
package sha256x
