package identity_test

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mehr-net/mehr/rns/identity"
)

// testKey returns n deterministic key bytes derived from label.
func testKey(label string, n int) []byte {
	k, err := identity.HKDF(n, []byte(label), nil, nil)
	if err != nil {
		panic(err) // unreachable for n >= 1; keeps helpers usable in benchmarks
	}
	return k
}

// publicOnly returns the public half of id as a new identity.
func publicOnly(t testing.TB, id *identity.Identity) *identity.Identity {
	t.Helper()
	k := id.PublicKey()
	pub, err := identity.FromPublicKey(k[:])
	if err != nil {
		t.Fatal(err)
	}
	return pub
}

// rawToken builds a token from an arbitrary (possibly badly padded) padded
// plaintext with the standard library, authenticating it correctly, so that
// the padding check can be reached.
func rawToken(t testing.TB, key []byte, iv [16]byte, padded []byte) []byte {
	t.Helper()
	half := len(key) / 2
	block, err := aes.NewCipher(key[half:])
	if err != nil {
		t.Fatal(err)
	}
	out := append([]byte(nil), iv[:]...)
	ct := make([]byte, len(padded))
	cipher.NewCBCEncrypter(block, iv[:]).CryptBlocks(ct, padded)
	out = append(out, ct...)
	mac := hmac.New(sha256.New, key[:half])
	mac.Write(out)
	return mac.Sum(out)
}

func TestTokenDecryptMalformed(t *testing.T) {
	for _, keyLen := range []int{64, 32} {
		key := testKey("malformed", keyLen)
		tok, err := identity.NewToken(key)
		if err != nil {
			t.Fatal(err)
		}
		iv := [16]byte{1, 2, 3}
		valid := tok.AppendEncrypt(nil, iv, []byte("a valid plaintext of 33 bytes...."))
		flip := func(i int) []byte {
			b := append([]byte(nil), valid...)
			b[(i+len(b))%len(b)] ^= 0x01
			return b
		}
		other, _ := identity.NewToken(testKey("other key", keyLen))
		block := func(last []byte) []byte {
			p := bytes.Repeat([]byte{'x'}, 16-len(last))
			return rawToken(t, key, iv, append(append(bytes.Repeat([]byte{'y'}, 16), p...), last...))
		}
		tests := []struct {
			name  string
			tok   *identity.Token
			token []byte
			want  error
		}{
			{"nil", tok, nil, identity.ErrTokenTooShort},
			{"hmac only", tok, valid[:32], identity.ErrTokenTooShort},
			{"iv and hmac, no ciphertext", tok, make([]byte, 48), identity.ErrTokenTooShort},
			{"63 bytes", tok, valid[:63], identity.ErrTokenTooShort},
			{"65 bytes", tok, append(append([]byte(nil), valid[:64]...), 0), identity.ErrTokenMisaligned},
			{"last byte dropped", tok, valid[:len(valid)-1], identity.ErrTokenMisaligned},
			{"iv bit flipped", tok, flip(0), identity.ErrTokenHMAC},
			{"ciphertext bit flipped", tok, flip(20), identity.ErrTokenHMAC},
			{"hmac bit flipped", tok, flip(-1), identity.ErrTokenHMAC},
			{"one block truncated", tok, append(append([]byte(nil), valid[:len(valid)-48]...), valid[len(valid)-32:]...), identity.ErrTokenHMAC},
			{"one block appended", tok, append(bytes.Repeat([]byte{0}, 16), valid...), identity.ErrTokenHMAC},
			{"all zero", tok, make([]byte, 96), identity.ErrTokenHMAC},
			{"other key", other, valid, identity.ErrTokenHMAC},
			// Padding is read as the reference reads it (TestUnpadPKCS7Lax):
			// only a count above 16 is an error.
			{"padding byte 17", tok, block([]byte{17}), identity.ErrPadding},
			{"padding byte 255", tok, block([]byte{255}), identity.ErrPadding},
			{"padding 32", tok, block(bytes.Repeat([]byte{32}, 16)), identity.ErrPadding},
		}
		for _, tt := range tests {
			t.Run(strings.ReplaceAll(tt.name, " ", "_")+"/key"+string(rune('0'+keyLen/32)), func(t *testing.T) {
				dst := []byte("prefix")
				got, err := tt.tok.AppendDecrypt(dst, tt.token)
				if !errors.Is(err, tt.want) {
					t.Fatalf("AppendDecrypt: err = %v, want %v", err, tt.want)
				}
				if string(got) != "prefix" {
					t.Errorf("AppendDecrypt returned %q on error, want dst", got)
				}
				if pt, err := tt.tok.Decrypt(tt.token); !errors.Is(err, tt.want) || pt != nil {
					t.Errorf("Decrypt: %x, %v; want nil, %v", pt, err, tt.want)
				}
			})
		}
	}
}

func TestKeySizes(t *testing.T) {
	for _, n := range []int{0, 1, 16, 31, 33, 48, 63, 65, 128} {
		if _, err := identity.NewToken(make([]byte, n)); !errors.Is(err, identity.ErrKeySize) {
			t.Errorf("NewToken(%d bytes): err = %v, want ErrKeySize", n, err)
		}
	}
	for _, n := range []int{0, 32, 63, 65, 128} {
		if _, err := identity.FromPrivateKey(make([]byte, n)); !errors.Is(err, identity.ErrKeySize) {
			t.Errorf("FromPrivateKey(%d bytes): err = %v, want ErrKeySize", n, err)
		}
		if _, err := identity.FromPublicKey(make([]byte, n)); !errors.Is(err, identity.ErrKeySize) {
			t.Errorf("FromPublicKey(%d bytes): err = %v, want ErrKeySize", n, err)
		}
	}
	for _, n := range []int{0, 31, 33, 64} {
		if _, err := identity.RatchetPublic(make([]byte, n)); !errors.Is(err, identity.ErrKeySize) {
			t.Errorf("RatchetPublic(%d bytes): err = %v, want ErrKeySize", n, err)
		}
	}
	for _, n := range []int{0, -1, -100} {
		if _, err := identity.HKDF(n, []byte{1}, nil, nil); !errors.Is(err, identity.ErrHKDFLength) {
			t.Errorf("HKDF(%d): err = %v, want ErrHKDFLength", n, err)
		}
	}
}

// lowOrderPoints are X25519 public keys whose product with any scalar is
// zero: the points of order 1, 2, 4 and 8, and non-canonical encodings of
// them (RFC 7748 section 6.1; cr.yp.to/ecdh.html).
var lowOrderPoints = []string{
	"0000000000000000000000000000000000000000000000000000000000000000",
	"0100000000000000000000000000000000000000000000000000000000000000",
	"e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
	"5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
	"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	"edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	"eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
}

func TestECDHMalformed(t *testing.T) {
	alice, err := identity.FromPrivateKey(testKey("alice", 64))
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{0, 31, 33, 64} {
		if _, err := alice.ECDH(make([]byte, n)); !errors.Is(err, identity.ErrKeySize) {
			t.Errorf("ECDH(%d bytes): err = %v, want ErrKeySize", n, err)
		}
	}
	for _, h := range lowOrderPoints {
		p, _ := hex.DecodeString(h)
		if _, err := alice.ECDH(p); !errors.Is(err, identity.ErrLowOrder) {
			t.Errorf("ECDH(%s): err = %v, want ErrLowOrder", h, err)
		}
		// Encrypting to a low-order identity key or ratchet fails the
		// same way, and so does decrypting from a low-order ephemeral key.
		lowID, _ := identity.FromPublicKey(append(append([]byte(nil), p...), make([]byte, 32)...))
		if _, err := lowID.EncryptWith([32]byte{1}, [16]byte{}, []byte("x"), nil); !errors.Is(err, identity.ErrLowOrder) {
			t.Errorf("EncryptWith to %s: err = %v, want ErrLowOrder", h, err)
		}
		if _, err := alice.EncryptWith([32]byte{1}, [16]byte{}, []byte("x"), p); !errors.Is(err, identity.ErrLowOrder) {
			t.Errorf("EncryptWith to ratchet %s: err = %v, want ErrLowOrder", h, err)
		}
		ct := append(append([]byte(nil), p...), make([]byte, 64)...)
		if _, _, err := alice.Decrypt(ct, nil, false); !errors.Is(err, identity.ErrLowOrder) {
			t.Errorf("Decrypt from %s: err = %v, want ErrLowOrder", h, err)
		}
	}
	pub := publicOnly(t, alice)
	if _, err := pub.ECDH(make([]byte, 32)); !errors.Is(err, identity.ErrNoPrivateKey) {
		t.Errorf("public-only ECDH: err = %v, want ErrNoPrivateKey", err)
	}
}

func TestIdentityDecryptMalformed(t *testing.T) {
	alice, err := identity.FromPrivateKey(testKey("alice", 64))
	if err != nil {
		t.Fatal(err)
	}
	pubAlice := publicOnly(t, alice)
	valid, err := pubAlice.EncryptWith([32]byte(testKey("eph", 32)), [16]byte{9}, []byte("hello alice, this is three blocks"), nil)
	if err != nil {
		t.Fatal(err)
	}
	mut := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), valid...)) }
	tests := []struct {
		name       string
		id         *identity.Identity
		ciphertext []byte
		ratchets   [][]byte
		enforce    bool
		want       error
	}{
		{"public only", pubAlice, valid, nil, false, identity.ErrNoPrivateKey},
		{"nil", alice, nil, nil, false, identity.ErrCiphertextTooShort},
		{"ephemeral key only", alice, valid[:32], nil, false, identity.ErrCiphertextTooShort},
		{"one token byte", alice, valid[:33], nil, false, identity.ErrTokenTooShort},
		{"token without ciphertext", alice, valid[:32+48], nil, false, identity.ErrTokenTooShort},
		{"truncated by one", alice, valid[:len(valid)-1], nil, false, identity.ErrTokenMisaligned},
		{"truncated by a block", alice, valid[:len(valid)-16], nil, false, identity.ErrTokenHMAC},
		{"ephemeral key flipped", alice, mut(func(b []byte) []byte { b[0] ^= 2; return b }), nil, false, identity.ErrTokenHMAC},
		{"token flipped", alice, mut(func(b []byte) []byte { b[40] ^= 1; return b }), nil, false, identity.ErrTokenHMAC},
		{"enforced, no ratchets", alice, valid, nil, true, identity.ErrRatchetRequired},
		{"enforced, malformed ratchets", alice, valid, [][]byte{nil, {1}, make([]byte, 64)}, true, identity.ErrRatchetRequired},
	}
	for _, tt := range tests {
		t.Run(strings.ReplaceAll(tt.name, " ", "_"), func(t *testing.T) {
			pt, rid, err := tt.id.Decrypt(tt.ciphertext, tt.ratchets, tt.enforce)
			if !errors.Is(err, tt.want) || pt != nil || rid != nil {
				t.Fatalf("Decrypt: %x, %x, %v; want nil, nil, %v", pt, rid, err, tt.want)
			}
		})
	}
	// Malformed ratchets are skipped when not enforced.
	pt, rid, err := alice.Decrypt(valid, [][]byte{nil, {1}, make([]byte, 32)}, false)
	if err != nil || string(pt) != "hello alice, this is three blocks" || rid != nil {
		t.Errorf("Decrypt past malformed ratchets: %q, %x, %v", pt, rid, err)
	}

	for _, n := range []int{1, 31, 33, 64} {
		if _, err := alice.EncryptWith([32]byte{1}, [16]byte{}, nil, make([]byte, n)); !errors.Is(err, identity.ErrKeySize) {
			t.Errorf("EncryptWith(ratchet of %d bytes): err = %v, want ErrKeySize", n, err)
		}
	}
	if _, err := alice.Encrypt(bytes.NewReader(make([]byte, 47)), nil, nil); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("Encrypt with a short random source: err = %v, want io.ErrUnexpectedEOF", err)
	}
}

func TestUnpadPKCS7Malformed(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
	}{
		{"empty", nil},
		{"pad 17", bytes.Repeat([]byte{17}, 32)},
		{"pad 255", bytes.Repeat([]byte{255}, 16)},
		{"pad over data", []byte{1, 2, 4}},
	}
	for _, tt := range tests {
		t.Run(strings.ReplaceAll(tt.name, " ", "_"), func(t *testing.T) {
			if got, err := identity.UnpadPKCS7(tt.in); !errors.Is(err, identity.ErrPadding) || got != nil {
				t.Errorf("UnpadPKCS7(%x) = %x, %v; want nil, ErrPadding", tt.in, got, err)
			}
		})
	}
}

// TestUnpadPKCS7Lax pins the reference's rule: the padding's content is
// not checked, and a last byte of 0 strips nothing.
func TestUnpadPKCS7Lax(t *testing.T) {
	for _, tt := range []struct{ in, want []byte }{
		{append(bytes.Repeat([]byte{0xaa}, 15), 5), bytes.Repeat([]byte{0xaa}, 11)},
		{append(bytes.Repeat([]byte{0xaa}, 15), 0), append(bytes.Repeat([]byte{0xaa}, 15), 0)},
		{append(make([]byte, 13), 2, 3, 3), make([]byte, 13)},
		{bytes.Repeat([]byte{1}, 15), bytes.Repeat([]byte{1}, 14)},
	} {
		if got, err := identity.UnpadPKCS7(tt.in); err != nil || !bytes.Equal(got, tt.want) {
			t.Errorf("UnpadPKCS7(%x) = %x, %v; want %x", tt.in, got, err, tt.want)
		}
	}
}

func TestLoadMalformed(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []int{0, 1, 32, 63, 65, 128, 4096} {
		p := filepath.Join(dir, "id")
		if err := os.WriteFile(p, make([]byte, n), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := identity.Load(p)
		if !errors.Is(err, identity.ErrKeySize) {
			t.Errorf("Load(%d-byte file): err = %v, want ErrKeySize", n, err)
		} else if !strings.Contains(err.Error(), p) {
			t.Errorf("Load error %q does not name the file", err)
		}
	}
	if _, err := identity.Load(filepath.Join(dir, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load(missing): err = %v, want fs.ErrNotExist", err)
	}
	if _, err := identity.Load(dir); err == nil {
		t.Error("Load(directory) succeeded")
	}

	id, _ := identity.FromPrivateKey(testKey("save", 64))
	pub := publicOnly(t, id)
	if err := pub.Save(filepath.Join(dir, "pub")); !errors.Is(err, identity.ErrNoPrivateKey) {
		t.Errorf("public-only Save: err = %v, want ErrNoPrivateKey", err)
	}
	if err := id.Save(filepath.Join(dir, "missing", "dir", "id")); err == nil {
		t.Error("Save into a missing directory succeeded")
	}
}

// TestZeroIdentity: the zero Identity holds no key; every operation that
// needs one reports ErrNoKeys instead of computing with zeroes.
func TestZeroIdentity(t *testing.T) {
	var id identity.Identity
	if _, err := id.Sign([]byte("m")); !errors.Is(err, identity.ErrNoKeys) {
		t.Errorf("Sign: %v", err)
	}
	if _, err := id.Encrypt(nil, []byte("m"), nil); !errors.Is(err, identity.ErrNoKeys) {
		t.Errorf("Encrypt: %v", err)
	}
	if _, _, err := id.Decrypt(make([]byte, 96), nil, false); !errors.Is(err, identity.ErrNoKeys) {
		t.Errorf("Decrypt: %v", err)
	}
	if _, err := id.ECDH(make([]byte, 32)); !errors.Is(err, identity.ErrNoKeys) {
		t.Errorf("ECDH: %v", err)
	}
	if id.Verify([]byte("m"), make([]byte, 64)) || id.HasPrivateKey() {
		t.Error("zero identity verifies or claims a private key")
	}
	// A public-only identity, even of the all-zero key, is not keyless.
	pub, err := identity.FromPublicKey(make([]byte, 64))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pub.Sign([]byte("m")); !errors.Is(err, identity.ErrNoPrivateKey) {
		t.Errorf("public-only Sign: %v", err)
	}
}
