package sha256x

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"math/rand/v2"
	"testing"
)

func randBytes(r *rand.Rand, n int) []byte {
	p := make([]byte, n)
	for i := range p {
		p[i] = byte(r.Uint32())
	}
	return p
}

// TestKnownAnswers checks the FIPS 180-4 examples ("abc" and the two-block
// message) and the empty message.
func TestKnownAnswers(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
		{"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
	} {
		s := Sum256([]byte(c.in))
		if got := hexString(s[:]); got != c.want {
			t.Errorf("SHA-256(%q) = %s, want %s", c.in, got, c.want)
		}
	}
}

func hexString(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

// TestMatchesStandardLibrary hashes messages of every length up to a few
// blocks, and some long ones, written in pieces of random sizes, alone and
// in pairs, and compares them with crypto/sha256.
func TestMatchesStandardLibrary(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	lengths := []int{}
	for n := 0; n <= 4*BlockSize+1; n++ {
		lengths = append(lengths, n)
	}
	lengths = append(lengths, 1000, 4096, 8111, 8192, 65536+17)
	for _, n := range lengths {
		a, b := randBytes(r, n), randBytes(r, r.IntN(n+1))
		wa, wb := sha256.Sum256(a), sha256.Sum256(b)
		if got := Sum256(a); got != wa {
			t.Fatalf("Sum256 of %d bytes differs", n)
		}
		d := New()
		for p := a; len(p) > 0; {
			k := min(len(p), r.IntN(200)+1)
			d.Write(p[:k])
			p = p[k:]
		}
		if got := d.Sum(nil); !bytes.Equal(got, wa[:]) {
			t.Fatalf("pieces of %d bytes differ", n)
		}
		// Pairs, split at random places, sometimes mid-block.
		da, db := New(), New()
		pa, pb := a, b
		for len(pa) > 0 || len(pb) > 0 {
			ka, kb := min(len(pa), r.IntN(300)), min(len(pb), r.IntN(300))
			if r.IntN(2) == 0 {
				kb = min(len(pb), ka) // equal steps, as the callers make them
			}
			Write2(da, pa[:ka], db, pb[:kb])
			pa, pb = pa[ka:], pb[kb:]
		}
		if sa, sb := Sum2(da, db); sa != wa || sb != wb {
			t.Fatalf("Write2 of %d and %d bytes differs", len(a), len(b))
		}
		if sa, sb := Sum256x2(a, b[:min(len(b), 4)], b, a[:min(len(a), 4)]); sa != sha256.Sum256(append(bytes.Clone(a), b[:min(len(b), 4)]...)) ||
			sb != sha256.Sum256(append(bytes.Clone(b), a[:min(len(a), 4)]...)) {
			t.Fatalf("Sum256x2 of %d and %d bytes differs", len(a), len(b))
		}
	}
}

func TestClone(t *testing.T) {
	d := New()
	d.Write([]byte("prefix shared by two messages, longer than one block of sixty-four bytes"))
	c, _ := d.Clone()
	d.Write([]byte("one"))
	c.(*Digest).Write([]byte("two"))
	if a, b := d.Sum256(), c.(*Digest).Sum256(); a != sha256.Sum256([]byte("prefix shared by two messages, longer than one block of sixty-four bytesone")) ||
		b != sha256.Sum256([]byte("prefix shared by two messages, longer than one block of sixty-four bytestwo")) {
		t.Fatal("clone not independent")
	}
}

func TestHMAC(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, kl := range []int{0, 16, 32, 64, 65, 100} {
		key := randBytes(r, kl)
		for _, n := range []int{0, 1, 63, 64, 65, 1000, 8208} {
			msg := randBytes(r, n)
			want := hmac.New(sha256.New, key)
			want.Write(msg)
			h := NewHMAC(key)
			h.Write(msg[:n/2])
			Write2(h.Inner(), msg[n/2:], New(), msg)
			if got := h.Sum(nil); !bytes.Equal(got, want.Sum(nil)) {
				t.Fatalf("HMAC with %d-byte key over %d bytes differs", kl, n)
			}
			if h.Verify(want.Sum(nil)) != nil {
				t.Fatal("Verify refused the right MAC")
			}
			bad := want.Sum(nil)
			bad[5] ^= 1
			if h.Verify(bad) == nil || h.Verify(bad[:31]) == nil {
				t.Fatal("Verify took a wrong MAC")
			}
			h.Reset()
			h.Write(msg)
			if got := h.Sum(nil); !bytes.Equal(got, want.Sum(nil)) {
				t.Fatal("HMAC after Reset differs")
			}
		}
	}
}

func FuzzMatchesStandardLibrary(f *testing.F) {
	f.Add([]byte("abc"), []byte{}, uint8(0))
	f.Add(bytes.Repeat([]byte{0x5a}, 200), bytes.Repeat([]byte{0xa5}, 300), uint8(65))
	f.Fuzz(func(t *testing.T, a, b []byte, step uint8) {
		da, db := New(), New()
		s := int(step) + 1
		for i := 0; i < max(len(a), len(b)); i += s {
			Write2(da, a[min(i, len(a)):min(i+s, len(a))], db, b[min(i, len(b)):min(i+s, len(b))])
		}
		if sa, sb := Sum2(da, db); sa != sha256.Sum256(a) || sb != sha256.Sum256(b) {
			t.Fatalf("sums of %d and %d bytes in steps of %d differ", len(a), len(b), s)
		}
	})
}

func benchmarkOne(b *testing.B, n int) {
	p := make([]byte, n)
	b.SetBytes(int64(n))
	b.ReportAllocs()
	for b.Loop() {
		Sum256(p)
	}
}

func benchmarkTwo(b *testing.B, n int) {
	p, q := make([]byte, n), make([]byte, n)
	b.SetBytes(int64(2 * n))
	b.ReportAllocs()
	for b.Loop() {
		Sum256x2(p, nil, q, nil)
	}
}

func benchmarkStdlib(b *testing.B, n int) {
	p := make([]byte, n)
	b.SetBytes(int64(n))
	b.ReportAllocs()
	for b.Loop() {
		sha256.Sum256(p)
	}
}

func BenchmarkSum256_8K(b *testing.B)       { benchmarkOne(b, 8192) }
func BenchmarkSum256x2_8K(b *testing.B)     { benchmarkTwo(b, 8192) }
func BenchmarkStdlibSum256_8K(b *testing.B) { benchmarkStdlib(b, 8192) }
