package resource

import (
	"bytes"
	stdbzip2 "compress/bzip2"
	"io"
	"math/rand/v2"
	"testing"
)

// randomAndHex returns n random bytes from seed and the same bytes' low
// nibbles as hex digits.
func randomAndHex(n int, seed uint64) (random, hex []byte) {
	r := rand.New(rand.NewPCG(seed, seed+1))
	random, hex = make([]byte, n), make([]byte, n)
	for i := range random {
		random[i] = byte(r.Uint32())
		hex[i] = "0123456789abcdef"[random[i]&15]
	}
	return random, hex
}

// TestWorthCompressing: the sampling tests skip bzip2 for random data and
// keep it for everything bzip2 shrinks, including data whose bytes look
// random but repeat (a random block over and over) and data with a small
// alphabet.
func TestWorthCompressing(t *testing.T) {
	random, hex := randomAndHex(1<<20, 1)
	for _, c := range []struct {
		name string
		data []byte
		want bool
	}{
		{"random", random, false},
		{"repeated random block", bytes.Repeat(random[:1000], 1<<20/1000), true},
		{"text", bytes.Repeat([]byte("the quick brown fox jumps over the lazy dog "), 1<<20/44), true},
		{"zeros", make([]byte, 1<<20), true},
		{"hex digits", hex, true},
		{"small random", random[:1000], true}, // below the sampling size: always tried
	} {
		if got := worthCompressing(c.data); got != c.want {
			t.Errorf("%s: worthCompressing = %v, want %v", c.name, got, c.want)
		}
	}
}

// TestCompressJoinsBlocks: data of two pieces or more is compressed a
// block per piece into a single stream that compress/bzip2 and Decompress
// read back, at the sizes around the piece boundaries.
func TestCompressJoinsBlocks(t *testing.T) {
	_, hex := randomAndHex(3<<20, 3)
	for _, size := range []int{compressPiece, compressPiece + 1, 2*compressPiece - 1, 2*compressPiece + 7, 3 << 20} {
		for name, data := range map[string][]byte{
			"zeros": make([]byte, size),
			"hex":   hex[:size],
			// Runs of 4 to 8 bytes, which bzip2's first run-length
			// coding grows by up to a quarter.
			"runs": func() []byte {
				var b []byte
				for i := 0; len(b) < size; i++ {
					b = append(b, bytes.Repeat([]byte{byte(i)}, 4)...)
				}
				return b[:size]
			}(),
		} {
			c, err := Compress(data)
			if err != nil {
				t.Fatalf("%s %d: %v", name, size, err)
			}
			if ends := endMagics(c); !bytes.HasPrefix(c, []byte("BZh")) || len(ends) != 1 || ends[0] < 8*len(c)-80-7 {
				t.Fatalf("%s %d: not one stream (stream ends at bits %v of %d)", name, size, ends, 8*len(c))
			}
			got, err := Decompress(c, size)
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("%s %d: Decompress: %v", name, size, err)
			}
			std, err := io.ReadAll(stdbzip2.NewReader(bytes.NewReader(c)))
			if err != nil || !bytes.Equal(std, data) {
				t.Fatalf("%s %d: compress/bzip2: %v", name, size, err)
			}
		}
	}
}

// endMagics returns the bit offsets of bzip2's end-of-stream magic in s:
// one stream has one, in its last ten bytes (the magic, the stream CRC and
// up to 7 bits of padding; a 48-bit pattern turns up by chance about once
// in 2^48 bits).
func endMagics(s []byte) []int {
	const endMagic = 0x177245385090
	var at []int
	var w uint64
	for i := range 8 * len(s) {
		w = (w<<1 | uint64(s[i/8]>>(7-i%8)&1)) & (1<<48 - 1)
		if i >= 47 && w == endMagic {
			at = append(at, i-47)
		}
	}
	return at
}
