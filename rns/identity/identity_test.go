package identity_test

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"golang.org/x/crypto/hkdf"

	"github.com/mehr-net/mehr/internal/testutil"
	"github.com/mehr-net/mehr/rns/identity"
)

// detRand returns a deterministic random source for tests.
func detRand(seed uint64) io.Reader {
	return rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8), 7})
}

func TestGenerateRoundtrip(t *testing.T) {
	r := detRand(1)
	a, err := identity.Generate(r)
	if err != nil {
		t.Fatal(err)
	}
	b, err := identity.Generate(r)
	if err != nil {
		t.Fatal(err)
	}
	if a.Hash() == b.Hash() {
		t.Fatal("two generated identities share a hash")
	}
	if a.String() != "<"+a.HexHash()+">" || len(a.HexHash()) != 2*identity.HashLen {
		t.Errorf("String %q, HexHash %q", a.String(), a.HexHash())
	}
	k, ok := a.PrivateKey()
	if !ok || !a.HasPrivateKey() {
		t.Fatal("generated identity has no private key")
	}
	again, err := identity.FromPrivateKey(k[:])
	if err != nil || again.PublicKey() != a.PublicKey() {
		t.Fatalf("FromPrivateKey(PrivateKey()): %v", err)
	}
	pubA := publicOnly(t, a)
	if _, ok := pubA.PrivateKey(); ok || pubA.HasPrivateKey() {
		t.Error("public-only identity reports a private key")
	}
	if pubA.Hash() != a.Hash() || pubA.X25519Public() != a.X25519Public() || pubA.Ed25519Public() != a.Ed25519Public() {
		t.Error("public-only identity differs")
	}

	msg := []byte("signed message")
	sig, err := a.Sign(msg)
	if err != nil {
		t.Fatal(err)
	}
	edPub := a.Ed25519Public()
	if !ed25519.Verify(edPub[:], msg, sig[:]) || !pubA.Verify(msg, sig[:]) {
		t.Error("signature does not verify")
	}
	if pubA.Verify(msg, sig[:63]) || pubA.Verify(msg, append(sig[:], 0)) || b.Verify(msg, sig[:]) {
		t.Error("malformed or foreign signature verifies")
	}

	// ECDH is symmetric.
	xb := b.X25519Public()
	ab, err := a.ECDH(xb[:])
	if err != nil {
		t.Fatal(err)
	}
	xa := a.X25519Public()
	ba, err := b.ECDH(xa[:])
	if err != nil || ab != ba {
		t.Fatalf("ECDH not symmetric: %v", err)
	}

	// Encryption round trips for all sizes around block boundaries, with
	// the long-term key and with a ratchet.
	ratchet, err := identity.GenerateRatchet(r)
	if err != nil {
		t.Fatal(err)
	}
	rpub, err := identity.RatchetPublic(ratchet[:])
	if err != nil {
		t.Fatal(err)
	}
	rid := identity.RatchetID(rpub[:])
	for n := 0; n <= 70; n++ {
		pt := bytes.Repeat([]byte{byte(n)}, n)
		ct, err := pubA.Encrypt(r, pt, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(ct) != 32+identity.TokenLen(n) {
			t.Errorf("ciphertext of %d bytes for %d plaintext bytes", len(ct), n)
		}
		got, gotID, err := a.Decrypt(ct, [][]byte{ratchet[:]}, false)
		if err != nil || !bytes.Equal(got, pt) || gotID != nil {
			t.Fatalf("n=%d: Decrypt: %x %x %v", n, got, gotID, err)
		}
		if _, _, err := b.Decrypt(ct, nil, false); !errors.Is(err, identity.ErrTokenHMAC) {
			t.Errorf("n=%d: foreign Decrypt: err = %v", n, err)
		}

		ct, err = pubA.Encrypt(nil, pt, rpub[:])
		if err != nil {
			t.Fatal(err)
		}
		got, gotID, err = a.Decrypt(ct, [][]byte{ratchet[:]}, true)
		if err != nil || !bytes.Equal(got, pt) || !bytes.Equal(gotID, rid[:]) {
			t.Fatalf("n=%d: ratchet Decrypt: %x %x %v", n, got, gotID, err)
		}
	}
}

func TestSave(t *testing.T) {
	dir := t.TempDir()
	id, err := identity.Generate(nil)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "identity")
	// An existing, world-readable file is replaced with a private one.
	if err := os.WriteFile(p, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := id.Save(p); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	loaded, err := identity.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if loaded.PublicKey() != id.PublicKey() {
		t.Error("loaded identity differs")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("Save left %d files behind", len(entries))
	}
}

// stdlibToken is the slow reference: Token encryption written with the
// standard library's CBC mode and HMAC, straight from the format.
func stdlibToken(key []byte, iv [16]byte, plaintext []byte) []byte {
	half := len(key) / 2
	block, _ := aes.NewCipher(key[half:])
	padded := identity.PadPKCS7(nil, plaintext)
	out := append(iv[:], make([]byte, len(padded))...)
	cipher.NewCBCEncrypter(block, iv[:]).CryptBlocks(out[16:], padded)
	mac := hmac.New(sha256.New, key[:half])
	mac.Write(out)
	return mac.Sum(out)
}

func TestTokenDifferential(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 500 {
		key := make([]byte, []int{32, 64}[i%2])
		fill(rng, key)
		var iv [16]byte
		fill(rng, iv[:])
		pt := make([]byte, rng.IntN(600))
		fill(rng, pt)

		tok, err := identity.NewToken(key)
		if err != nil {
			t.Fatal(err)
		}
		want := stdlibToken(key, iv, pt)
		got := tok.AppendEncrypt(nil, iv, pt)
		if !bytes.Equal(got, want) {
			t.Fatalf("case %d: AppendEncrypt differs from the standard-library reference", i)
		}
		dec, err := tok.Decrypt(got)
		if err != nil || !bytes.Equal(dec, pt) {
			t.Fatalf("case %d: Decrypt: %v", i, err)
		}
	}
}

func fill(rng *rand.Rand, b []byte) {
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
}

func TestTokenInPlace(t *testing.T) {
	tok, err := identity.NewToken(testKey("in place", 64))
	if err != nil {
		t.Fatal(err)
	}
	iv := [16]byte{0xee}
	for n := 0; n < 50; n++ {
		pt := bytes.Repeat([]byte{'p'}, n)
		want := tok.AppendEncrypt(nil, iv, pt)

		// Plaintext sitting where the ciphertext goes (after the IV) and
		// where the IV goes.
		for _, at := range []int{0, 16, 20} {
			buf := make([]byte, at+identity.TokenLen(n)+16)
			copy(buf[at:], pt)
			got := tok.AppendEncrypt(buf[:0], iv, buf[at:at+n])
			if !bytes.Equal(got, want) {
				t.Fatalf("n=%d at=%d: in-place encryption differs", n, at)
			}
		}

		// Decrypting into token[:0].
		buf := append([]byte(nil), want...)
		got, err := tok.AppendDecrypt(buf[:0], buf)
		if err != nil || !bytes.Equal(got, pt) {
			t.Fatalf("n=%d: in-place decryption: %x, %v", n, got, err)
		}

		// Appending after a prefix keeps it.
		got, err = tok.AppendDecrypt([]byte("hdr"), want)
		if err != nil || string(got) != "hdr"+string(pt) {
			t.Fatalf("n=%d: AppendDecrypt after a prefix: %q, %v", n, got, err)
		}
		enc := tok.AppendEncrypt([]byte("hdr"), iv, pt)
		if string(enc[:3]) != "hdr" || !bytes.Equal(enc[3:], want) {
			t.Fatalf("n=%d: AppendEncrypt after a prefix", n)
		}
	}
}

func TestTokenEncryptRandom(t *testing.T) {
	key, err := identity.GenerateTokenKey(detRand(3))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := identity.NewToken(key[:])
	if err != nil || tok.AESKeyLen() != 32 {
		t.Fatalf("NewToken: %v", err)
	}
	a, err := tok.Encrypt(nil, []byte("group message"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := tok.Encrypt(nil, []byte("group message"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(a[:16], b[:16]) {
		t.Error("two encryptions share an IV")
	}
	if _, err := tok.Encrypt(bytes.NewReader(make([]byte, 15)), nil); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("short random source: err = %v", err)
	}
	if _, err := identity.GenerateTokenKey(bytes.NewReader(nil)); err == nil {
		t.Error("GenerateTokenKey with an empty random source succeeded")
	}
	if _, err := identity.GenerateRatchet(bytes.NewReader(nil)); err == nil {
		t.Error("GenerateRatchet with an empty random source succeeded")
	}
	if _, err := identity.Generate(bytes.NewReader(nil)); err == nil {
		t.Error("Generate with an empty random source succeeded")
	}
}

// TestTokenConcurrent shares one Token between goroutines; run it with -race.
func TestTokenConcurrent(t *testing.T) {
	tok, err := identity.NewToken(testKey("concurrent", 64))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Go(func() {
			buf := make([]byte, 0, 600)
			out := make([]byte, 0, 600)
			for i := range 200 {
				pt := bytes.Repeat([]byte{byte(g)}, i)
				buf = tok.AppendEncrypt(buf[:0], [16]byte{byte(g), byte(i)}, pt)
				var err error
				out, err = tok.AppendDecrypt(out[:0], buf)
				if err != nil || !bytes.Equal(out, pt) {
					errs <- errors.Join(errors.New("roundtrip failed"), err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestHKDFDifferential(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 300 {
		ikm := make([]byte, rng.IntN(80))
		fill(rng, ikm)
		var salt, info []byte
		switch i % 4 {
		case 0: // nil salt and info
		case 1:
			salt, info = []byte{}, []byte{}
		default:
			salt = make([]byte, rng.IntN(100)+1)
			info = make([]byte, rng.IntN(40)+1)
			fill(rng, salt)
			fill(rng, info)
		}
		n := rng.IntN(255*32) + 1
		got, err := identity.HKDF(n, ikm, salt, info)
		if err != nil {
			t.Fatal(err)
		}
		want := make([]byte, n)
		if _, err := io.ReadFull(hkdf.New(sha256.New, ikm, salt, info), want); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("case %d (length %d): HKDF differs from x/crypto/hkdf", i, n)
		}
	}
}

// TestHKDFCounterWrap checks the reference's behaviour past 255 blocks,
// where RFC 5869 stops: the one-byte counter wraps to 0.
func TestHKDFCounterWrap(t *testing.T) {
	ikm, salt, info := []byte("ikm"), []byte("salt"), []byte("info")
	long, err := identity.HKDF(257*32, ikm, salt, info)
	if err != nil {
		t.Fatal(err)
	}
	short, _ := identity.HKDF(255*32, ikm, salt, info)
	if !bytes.Equal(long[:255*32], short) {
		t.Fatal("longer output does not extend the shorter one")
	}
	ext := hmac.New(sha256.New, salt)
	ext.Write(ikm)
	prk := ext.Sum(nil)
	prev := long[254*32 : 255*32]
	for _, counter := range []byte{0, 1} {
		m := hmac.New(sha256.New, prk)
		m.Write(prev)
		m.Write(info)
		m.Write([]byte{counter})
		block := m.Sum(nil)
		off := (256 + int(counter)) * 32
		if !bytes.Equal(long[off-32:off], block) {
			t.Fatalf("block with counter %d differs", counter)
		}
		prev = block
	}
}

func TestAllocs(t *testing.T) {
	tok, err := identity.NewToken(testKey("allocs", 64))
	if err != nil {
		t.Fatal(err)
	}
	pt := make([]byte, 464)
	buf := make([]byte, 0, identity.TokenLen(len(pt)))
	out := make([]byte, 0, len(pt)+16)
	token := tok.AppendEncrypt(nil, [16]byte{}, pt)
	testutil.MaxAllocs(t, 200, 0, func() {
		buf = tok.AppendEncrypt(buf[:0], [16]byte{1}, pt)
	})
	testutil.MaxAllocs(t, 200, 0, func() {
		var err error
		if out, err = tok.AppendDecrypt(out[:0], token); err != nil {
			t.Fatal(err)
		}
	})
	testutil.MaxAllocs(t, 200, 0, func() {
		_, _ = tok.AppendDecrypt(out[:0], token[:len(token)-16])
	})
	testutil.MaxAllocs(t, 200, 0, func() {
		_ = identity.TruncatedHash(pt)
		_ = identity.FullHash(pt)
		_ = identity.RatchetID(pt[:32])
	})
	id, _ := identity.FromPrivateKey(testKey("allocs id", 64))
	sig, _ := id.Sign(pt)
	testutil.MaxAllocs(t, 200, 0, func() {
		if !id.Verify(pt, sig[:]) {
			t.Fatal("signature does not verify")
		}
	})
}
