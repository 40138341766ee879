package identity_test

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"testing"

	"github.com/mehr-net/mehr/rns/identity"
)

// Sizes of the benchmarked payloads: the largest DATA payload at MTU 500,
// and the largest plaintext a packet encrypted to an identity can carry
// (RNS.Packet ENCRYPTED_MDU).
const (
	benchMDU          = 464
	benchEncryptedMDU = 383
)

func BenchmarkTokenEncrypt464(b *testing.B) {
	tok, err := identity.NewToken(testKey("bench", 64))
	if err != nil {
		b.Fatal(err)
	}
	pt := make([]byte, benchMDU)
	dst := make([]byte, 0, identity.TokenLen(benchMDU))
	iv := [16]byte{1}
	b.SetBytes(benchMDU)
	b.ReportAllocs()
	for b.Loop() {
		dst = tok.AppendEncrypt(dst[:0], iv, pt)
	}
}

func BenchmarkTokenDecrypt464(b *testing.B) {
	tok, err := identity.NewToken(testKey("bench", 64))
	if err != nil {
		b.Fatal(err)
	}
	token := tok.AppendEncrypt(nil, [16]byte{1}, make([]byte, benchMDU))
	dst := make([]byte, 0, len(token))
	b.SetBytes(benchMDU)
	b.ReportAllocs()
	for b.Loop() {
		if dst, err = tok.AppendDecrypt(dst[:0], token); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAESCBCHMAC464 is the floor for BenchmarkTokenEncrypt464: a bare
// AES-256-CBC encryption and HMAC-SHA256 of 464 bytes (already padded to 480)
// with the standard library. The cipher, the CBC mode and the HMAC are set up
// outside the loop; the CBC mode is rewound with its SetIV method (the way
// crypto/tls reuses it), falling back to a new mode per message where the
// standard library does not offer SetIV.
func BenchmarkAESCBCHMAC464(b *testing.B) {
	key := testKey("bench", 64)
	block, err := aes.NewCipher(key[32:])
	if err != nil {
		b.Fatal(err)
	}
	mac := hmac.New(sha256.New, key[:32])
	iv := make([]byte, 16)
	buf := make([]byte, 16+480, 16+480+32)
	enc := cipher.NewCBCEncrypter(block, iv)
	rewind, canRewind := enc.(interface{ SetIV([]byte) })
	b.SetBytes(benchMDU)
	b.ReportAllocs()
	for b.Loop() {
		copy(buf, iv)
		if canRewind {
			rewind.SetIV(iv)
		} else {
			enc = cipher.NewCBCEncrypter(block, iv)
		}
		enc.CryptBlocks(buf[16:], buf[16:])
		mac.Reset()
		mac.Write(buf)
		_ = mac.Sum(buf)
	}
}

// BenchmarkEd25519Verify is one raw crypto/ed25519 verification of a
// 32-byte message (a packet hash, as in proofs): the floor for Verify.
func BenchmarkEd25519Verify(b *testing.B) {
	seed := testKey("bench ed25519", 32)
	priv := ed25519.NewKeyFromSeed(seed)
	pub := priv.Public().(ed25519.PublicKey)
	msg := testKey("message", 32)
	sig := ed25519.Sign(priv, msg)
	b.ReportAllocs()
	for b.Loop() {
		if !ed25519.Verify(pub, msg, sig) {
			b.Fatal("invalid signature")
		}
	}
}

// BenchmarkVerify is Identity.Verify on the same input as
// BenchmarkEd25519Verify.
func BenchmarkVerify(b *testing.B) {
	id, err := identity.FromPrivateKey(append(make([]byte, 32), testKey("bench ed25519", 32)...))
	if err != nil {
		b.Fatal(err)
	}
	msg := testKey("message", 32)
	sig, err := id.Sign(msg)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if !id.Verify(msg, sig[:]) {
			b.Fatal("invalid signature")
		}
	}
}

func BenchmarkSign(b *testing.B) {
	id, err := identity.FromPrivateKey(testKey("bench id", 64))
	if err != nil {
		b.Fatal(err)
	}
	msg := testKey("message", 32)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := id.Sign(msg); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkIdentityEncrypt encrypts a full ENCRYPTED_MDU plaintext to an
// identity, drawing the ephemeral key and IV from crypto/rand.
func BenchmarkIdentityEncrypt(b *testing.B) {
	id, err := identity.FromPrivateKey(testKey("bench id", 64))
	if err != nil {
		b.Fatal(err)
	}
	pub := publicOnly(b, id)
	pt := make([]byte, benchEncryptedMDU)
	b.SetBytes(benchEncryptedMDU)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := pub.Encrypt(rand.Reader, pt, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkIdentityDecrypt(b *testing.B) {
	id, err := identity.FromPrivateKey(testKey("bench id", 64))
	if err != nil {
		b.Fatal(err)
	}
	pt := make([]byte, benchEncryptedMDU)
	ct, err := id.Encrypt(nil, pt, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(benchEncryptedMDU)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := id.Decrypt(ct, nil, false); err != nil {
			b.Fatal(err)
		}
	}
}

// benchLinkMDU8192 is a link's MDU at the 8192-byte MTU negotiated over
// TCP (RNS.Link.MDU for that MTU): the ceiling figure for bulk transfers in
// docs/PERFORMANCE.md is token encryption of packets this size on one core.
const benchLinkMDU8192 = 8111

func BenchmarkTokenEncryptMDU8192(b *testing.B) {
	tok, err := identity.NewToken(testKey("bench", 64))
	if err != nil {
		b.Fatal(err)
	}
	pt := make([]byte, benchLinkMDU8192)
	dst := make([]byte, 0, identity.TokenLen(benchLinkMDU8192))
	iv := [16]byte{1}
	b.SetBytes(benchLinkMDU8192)
	b.ReportAllocs()
	for b.Loop() {
		dst = tok.AppendEncrypt(dst[:0], iv, pt)
	}
}
