package bzip2

import (
	"bufio"
	"bytes"
	stdbzip2 "compress/bzip2"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"math/bits"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	dsbzip2 "github.com/dsnet/compress/bzip2"
)

// crcBitwise is the block CRC one bit at a time, as the format describes
// it.
func crcBitwise(p []byte) uint32 {
	c := ^uint32(0)
	for _, b := range p {
		c ^= uint32(b) << 24
		for range 8 {
			if c&0x80000000 != 0 {
				c = c<<1 ^ 0x04C11DB7
			} else {
				c <<= 1
			}
		}
	}
	return ^c
}

func TestCRC(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	p := make([]byte, 300)
	for i := range p {
		p[i] = byte(r.Uint32())
	}
	var buf [crcChunk]byte
	for n := range len(p) {
		if got, want := updateCRC(0, p[:n], &buf), crcBitwise(p[:n]); got != want {
			t.Fatalf("%d bytes: crc %08x, want %08x", n, got, want)
		}
		// In two pieces.
		if got, want := updateCRC(updateCRC(0, p[:n/3], &buf), p[n/3:n], &buf), crcBitwise(p[:n]); got != want {
			t.Fatalf("%d bytes in two: crc %08x, want %08x", n, got, want)
		}
	}
	// Longer than the reversal buffer, at odd lengths.
	long := make([]byte, 3*crcChunk+77)
	for i := range long {
		long[i] = byte(r.Uint32())
	}
	for _, n := range []int{crcChunk - 1, crcChunk, 2*crcChunk + 17, len(long)} {
		if got, want := updateCRC(0, long[:n], &buf), crcBitwise(long[:n]); got != want {
			t.Fatalf("%d bytes: crc %08x, want %08x", n, got, want)
		}
	}
	// The check value of CRC-32/BZIP2.
	if got := updateCRC(0, []byte("123456789"), &buf); got != 0xFC891918 {
		t.Fatalf("check value %08x, want fc891918", got)
	}
}

// TestReverseBits checks the reversal updateCRC uses, and the generic one
// that other CPUs use, against bits.Reverse8 at every alignment and
// length up to a few vectors.
func TestReverseBits(t *testing.T) {
	src := make([]byte, 100)
	for i := range src {
		src[i] = byte(i * 37)
	}
	for name, reverse := range map[string]func(dst, src []byte){"reverseBits": reverseBits, "reverseBitsGeneric": reverseBitsGeneric} {
		for off := range 16 {
			for n := range len(src) - off {
				dst := make([]byte, n+1)
				dst[n] = 0xa5
				reverse(dst[:n], src[off:off+n])
				for i := range n {
					if dst[i] != bits.Reverse8(src[off+i]) {
						t.Fatalf("%s, offset %d length %d: byte %d is %08b, want %08b", name, off, n, i, dst[i], bits.Reverse8(src[off+i]))
					}
				}
				if dst[n] != 0xa5 {
					t.Fatalf("%s, offset %d length %d: wrote past the end", name, off, n)
				}
			}
		}
	}
}

// TestLibbz2 decodes what CPython's bz2 module (libbz2) wrote
// (testdata/gen.py).
func TestLibbz2(t *testing.T) {
	f, err := os.Open("testdata/SHA256SUMS")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cases := 0
	for s := bufio.NewScanner(f); s.Scan(); {
		fields := strings.Fields(s.Text())
		if len(fields) != 3 {
			t.Fatalf("bad line %q", s.Text())
		}
		sum, name := fields[0], fields[1]
		size, err := strconv.Atoi(fields[2])
		if err != nil {
			t.Fatal(err)
		}
		src, err := os.ReadFile(filepath.Join("testdata", name+".bz2"))
		if err != nil {
			t.Fatal(err)
		}
		got, err := Decode(nil, src, size)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		h := sha256.Sum256(got)
		if len(got) != size || hex.EncodeToString(h[:]) != sum {
			t.Fatalf("%s: %d bytes, sha256 %x; want %d, %s", name, len(got), h, size, sum)
		}
		if size > 0 {
			if _, err := Decode(nil, src, size-1); !errors.Is(err, ErrLimit) {
				t.Fatalf("%s with limit %d: %v, want ErrLimit", name, size-1, err)
			}
		}
		cases++
	}
	if cases != 7 {
		t.Fatalf("%d samples, want 7", cases)
	}
}

// samples are inputs of every shape the decoder has a path for.
func samples() map[string][]byte {
	r := rand.New(rand.NewPCG(3, 4))
	random := make([]byte, 300_000)
	for i := range random {
		random[i] = byte(r.Uint32())
	}
	text := make([]byte, 0, 1<<20)
	words := []string{"alpha ", "beta ", "gamma ", "delta\n", "epsilon ", "zeta, "}
	for len(text) < cap(text)-10 {
		text = append(text, words[r.IntN(len(words))]...)
	}
	var runs []byte
	for k := range 600 {
		runs = append(runs, bytes.Repeat([]byte{byte(k % 7)}, k%300)...)
	}
	return map[string][]byte{
		"empty":  {},
		"one":    {'x'},
		"four":   []byte("zzzz"),
		"five":   []byte("zzzzz"),
		"zeros":  make([]byte, 1<<20),
		"ff":     bytes.Repeat([]byte{0xff}, 1<<20),
		"runs":   runs,
		"text":   text,
		"random": random,
		"alphabet": func() []byte {
			var b []byte
			for i := range 256 * 40 {
				b = append(b, byte(i), byte(i*7))
			}
			return b
		}(),
	}
}

func compress(t testing.TB, data []byte, level int) []byte {
	var buf bytes.Buffer
	w, err := dsbzip2.NewWriter(&buf, &dsbzip2.WriterConfig{Level: level})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestRoundTrip(t *testing.T) {
	for name, data := range samples() {
		for _, level := range []int{1, 9} {
			src := compress(t, data, level)
			got, err := Decode([]byte("prefix"), src, len(data))
			if err != nil {
				t.Fatalf("%s level %d: %v", name, level, err)
			}
			if string(got[:6]) != "prefix" || !bytes.Equal(got[6:], data) {
				t.Fatalf("%s level %d: output differs", name, level)
			}
			std, err := io.ReadAll(stdbzip2.NewReader(bytes.NewReader(src)))
			if err != nil || !bytes.Equal(std, data) {
				t.Fatalf("%s level %d: compress/bzip2 disagrees: %v", name, level, err)
			}
		}
	}
}

func TestLimit(t *testing.T) {
	data := make([]byte, 10<<20)
	src := compress(t, data, 9)
	for _, limit := range []int{0, 1, 4, 5, 1000, 900_000, len(data) - 1} {
		out, err := Decode(nil, src, limit)
		if !errors.Is(err, ErrLimit) {
			t.Fatalf("limit %d: %v, want ErrLimit", limit, err)
		}
		if len(out) > limit {
			t.Fatalf("limit %d: %d bytes produced", limit, len(out))
		}
	}
	if out, err := Decode(nil, src, len(data)); err != nil || len(out) != len(data) {
		t.Fatalf("exact limit: %d bytes, %v", len(out), err)
	}
	if _, err := Decode(nil, src, -1); !errors.Is(err, ErrLimit) {
		t.Fatalf("negative limit: %v", err)
	}
}

// TestCorrupt cuts and flips valid streams: every result is an error
// wrapping ErrCorrupt, or, if the damage slipped past the CRCs, what
// compress/bzip2 decodes too.
func TestCorrupt(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for name, data := range samples() {
		data = data[:min(len(data), 20_000)]
		src := compress(t, data, 1)
		step := max(1, len(src)/100)
		for n := 0; n < len(src); n += step {
			if _, err := Decode(nil, src[:n], len(data)); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("%s cut to %d of %d bytes: %v", name, n, len(src), err)
			}
		}
		for range 100 {
			bad := bytes.Clone(src)
			bad[r.IntN(len(bad))] ^= 1 << r.IntN(8)
			checkAgainstStd(t, bad, len(data)+1)
		}
	}
	for _, src := range [][]byte{
		nil, []byte("BZ"), []byte("BZh0"), []byte("BZx9"), []byte("BZh9\x17\x72\x45\x38\x50\x90\x00\x00\x00\x01"),
		append(compress(t, []byte("a"), 9), 'j', 'u', 'n', 'k'),
	} {
		if _, err := Decode(nil, src, 100); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("%q: %v, want ErrCorrupt", src, err)
		}
	}
}

// TestJoinRefuses: Join takes only streams of one block.
func TestJoinRefuses(t *testing.T) {
	one := compress(t, []byte("one block"), 9)
	// 250 kB of text at level 1: three blocks.
	text := bytes.Repeat([]byte("0123456789abcdefghij"), 250_000/20)
	for i := range text {
		text[i] ^= byte(i * 7 >> 5)
	}
	three := compress(t, text, 1)
	for _, streams := range [][][]byte{
		{one, three},
		{one, one[:len(one)-1]},
		{one, nil},
		{one, []byte("BZh9 but too short")},
	} {
		if _, ok := Join(streams); ok {
			t.Fatal("joined streams that are not one block each")
		}
	}
	if _, ok := Join([][]byte{one, one}); !ok {
		t.Fatal("refused two one-block streams")
	}
}

// TestJoin: blocks of streams compressed apart decode as one stream with
// the data of all of them, and only one end.
func TestJoin(t *testing.T) {
	s := samples()
	parts := [][]byte{s["text"][:300_000], s["zeros"][:1000], s["random"][:5000], s["runs"]}
	var streams [][]byte
	var want []byte
	for _, p := range parts {
		streams = append(streams, compress(t, p, 9))
		want = append(want, p...)
	}
	for n := 1; n <= len(streams); n++ {
		joined, ok := Join(streams[:n])
		if !ok {
			t.Fatalf("%d streams refused", n)
		}
		w := 0
		for _, p := range parts[:n] {
			w += len(p)
		}
		checkAgainstStd(t, joined, w)
		got, err := Decode(nil, joined, w)
		if err != nil || !bytes.Equal(got, want[:w]) {
			t.Fatalf("%d streams joined: %v", n, err)
		}
		// One end: the magic, the CRC and at most 7 bits of padding.
		var win uint64
		ends := 0
		for i := range 8 * len(joined) {
			win = (win<<1 | uint64(joined[i/8]>>(7-i%8)&1)) & (1<<48 - 1)
			if i >= 47 && win == endMagic {
				ends++
			}
		}
		if ends != 1 {
			t.Fatalf("%d streams joined: %d end magics", n, ends)
		}
	}
}

// testDecoder is reused by checkAgainstStd: a new one allocates 3.6 MB.
var testDecoder struct {
	sync.Mutex
	decoder
}

// checkAgainstStd decodes src with both decoders: they must agree on
// whether it is valid and, if it is, on its bytes, unless src has a code
// table that is not a complete prefix code, which they read differently
// (compress/bzip2 unlike libbz2).
func checkAgainstStd(t testing.TB, src []byte, limit int) {
	t.Helper()
	testDecoder.Lock()
	defer testDecoder.Unlock()
	d := &testDecoder.decoder
	got, err := d.run(nil, src, limit)
	if err != nil && !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrLimit) {
		t.Fatalf("error %v wraps neither ErrCorrupt nor ErrLimit", err)
	}
	if len(got) > limit {
		t.Fatalf("%d bytes over limit %d", len(got), limit)
	}
	std, stdErr := io.ReadAll(io.LimitReader(stdbzip2.NewReader(bytes.NewReader(src)), int64(limit)+1))
	if stdErr == nil && len(std) > limit {
		stdErr = ErrLimit
	}
	if d.oddCode {
		return
	}
	if (err == nil) != (stdErr == nil) {
		t.Fatalf("Decode: %v; compress/bzip2: %v", err, stdErr)
	}
	if err == nil && !bytes.Equal(got, std) {
		t.Fatalf("outputs differ: %d and %d bytes", len(got), len(std))
	}
}

// FuzzDecode checks Decode against compress/bzip2 (checkAgainstStd) on
// the small libbz2 samples and streams of dsnet's, mutated.
func FuzzDecode(f *testing.F) {
	entries, _ := filepath.Glob("testdata/*.bz2")
	for _, e := range entries {
		// Large samples slow every execution down; small ones have all
		// the structure.
		if src, err := os.ReadFile(e); err == nil && len(src) <= 1024 {
			f.Add(src)
		}
	}
	for _, data := range [][]byte{nil, []byte("aaaaaaaabbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbcccc"), []byte("hello, world"), samples()["alphabet"]} {
		f.Add(compress(f, data, 1))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		checkAgainstStd(t, src, 1<<18)
	})
}

func benchInputs() map[string][]byte {
	s := samples()
	return map[string][]byte{"zeros": s["zeros"], "text": s["text"], "random": s["random"]}
}

func BenchmarkDecode(b *testing.B) {
	for name, data := range benchInputs() {
		src := compress(b, data, 9)
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			out := make([]byte, 0, len(data))
			for b.Loop() {
				var err error
				if out, err = Decode(out[:0], src, len(data)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkStdlib is compress/bzip2 on the same inputs, for comparison.
func BenchmarkStdlib(b *testing.B) {
	for name, data := range benchInputs() {
		src := compress(b, data, 9)
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			out := make([]byte, len(data))
			for b.Loop() {
				if _, err := io.ReadFull(stdbzip2.NewReader(bytes.NewReader(src)), out); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkCRC(b *testing.B) {
	p := make([]byte, 64<<10)
	b.SetBytes(int64(len(p)))
	var buf [crcChunk]byte
	for b.Loop() {
		updateCRC(0, p, &buf)
	}
}
