package aescbc

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"testing"
)

// stdDecrypt is the reference: crypto/cipher's CBC decrypter.
func stdDecrypt(t testing.TB, key, iv, src []byte) []byte {
	block, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]byte, len(src))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(out, src)
	return out
}

func TestMatchesStandardLibrary(t *testing.T) {
	for _, keyLen := range []int{16, 32} {
		for _, n := range []int{0, 1, 2, 7, 8, 9, 15, 16, 17, 31, 64, 507, 4096} {
			key := make([]byte, keyLen)
			iv := make([]byte, BlockSize)
			src := make([]byte, n*BlockSize)
			rand.Read(key)
			rand.Read(iv)
			rand.Read(src)
			want := stdDecrypt(t, key, iv, src)
			d, err := NewDecrypter(key)
			if err != nil {
				t.Fatal(err)
			}

			// Into another buffer, in one call.
			var c [BlockSize]byte
			copy(c[:], iv)
			got := make([]byte, len(src))
			d.CryptBlocks(&c, got, src)
			if !bytes.Equal(got, want) {
				t.Fatalf("key %d, %d blocks: output differs", keyLen, n)
			}
			if n > 0 && !bytes.Equal(c[:], src[len(src)-BlockSize:]) {
				t.Fatalf("key %d, %d blocks: iv not left at the last ciphertext block", keyLen, n)
			}

			// In place, in uneven steps chained through iv.
			buf := bytes.Clone(src)
			copy(c[:], iv)
			for off, step := 0, 1; off < len(buf); step = step*3 + 1 {
				end := min(len(buf), off+step*BlockSize)
				d.CryptBlocks(&c, buf[off:end], buf[off:end])
				off = end
			}
			if !bytes.Equal(buf, want) {
				t.Fatalf("key %d, %d blocks: in-place output differs", keyLen, n)
			}

			// Over the block before the ciphertext, as a token is
			// decrypted over its IV, and 5 bytes before it.
			for _, back := range []int{BlockSize, 5} {
				buf := append(make([]byte, back), src...)
				copy(c[:], iv)
				d.CryptBlocks(&c, buf[:len(src)], buf[back:])
				if !bytes.Equal(buf[:len(src)], want) {
					t.Fatalf("key %d, %d blocks: output %d bytes before the input differs", keyLen, n, back)
				}
			}
		}
	}
}

// TestKnownAnswer decrypts the AES-256 example of FIPS 197 appendix C.3
// (one block, IV zero, so CBC is the bare block cipher).
func TestKnownAnswer(t *testing.T) {
	key := make([]byte, 32)
	for i := range key {
		key[i] = byte(i)
	}
	ct := []byte{0x8e, 0xa2, 0xb7, 0xca, 0x51, 0x67, 0x45, 0xbf, 0xea, 0xfc, 0x49, 0x90, 0x4b, 0x49, 0x60, 0x89}
	want := []byte{0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff}
	d, err := NewDecrypter(key)
	if err != nil {
		t.Fatal(err)
	}
	var iv [BlockSize]byte
	got := make([]byte, 16)
	d.CryptBlocks(&iv, got, ct)
	if !bytes.Equal(got, want) {
		t.Fatalf("got %x, want %x", got, want)
	}
}

func TestBadKey(t *testing.T) {
	if _, err := NewDecrypter(make([]byte, 20)); err == nil {
		t.Fatal("20-byte key accepted")
	}
}

func FuzzMatchesStandardLibrary(f *testing.F) {
	f.Add(make([]byte, 32), make([]byte, 16), make([]byte, 160))
	f.Fuzz(func(t *testing.T, key, iv, src []byte) {
		if len(key) != 32 && len(key) != 16 || len(iv) != BlockSize {
			return
		}
		src = src[:len(src)&^(BlockSize-1)]
		want := stdDecrypt(t, key, iv, src)
		d, err := NewDecrypter(key)
		if err != nil {
			t.Fatal(err)
		}
		var c [BlockSize]byte
		copy(c[:], iv)
		got := bytes.Clone(src)
		d.CryptBlocks(&c, got, got)
		if !bytes.Equal(got, want) {
			t.Fatal("output differs")
		}
	})
}

func BenchmarkDecrypt8K(b *testing.B) {
	key := make([]byte, 32)
	src := make([]byte, 8192)
	d, _ := NewDecrypter(key)
	var iv [BlockSize]byte
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		d.CryptBlocks(&iv, src, src)
	}
}

func BenchmarkStdDecrypt8K(b *testing.B) {
	key := make([]byte, 32)
	src := make([]byte, 8192)
	block, _ := aes.NewCipher(key)
	cbc := cipher.NewCBCDecrypter(block, make([]byte, 16))
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		cbc.CryptBlocks(src, src)
	}
}
