package resource

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"sync"

	dsbzip2 "github.com/dsnet/compress/bzip2"

	"github.com/mehr-net/mehr/rns/internal/bzip2"
)

// Compress returns data compressed as one bzip2 stream. The reference's
// bz2.compress uses level 9 (900 kB blocks); Compress picks the smallest
// level whose block holds all of data, up to 9, which compresses the same
// but needs far less memory for small inputs. The bytes differ from
// libbz2's, but any bzip2 decoder reads them.
//
// Data of two pieces or more (compressPiece) is compressed a block per
// piece, the pieces side by side, and the blocks joined into one stream
// (one stream, not several back to back: the reference reads only the
// first). bzip2 blocks are independent, so this costs only the context
// one block has less than the longest would have had.
func Compress(data []byte) ([]byte, error) {
	n := ceilDiv(len(data), compressPiece)
	if n < 2 {
		return compressStream(nil, data, min(max(ceilDiv(len(data), 100_000), 1), 9))
	}
	size := ceilDiv(len(data), n)
	streams := make([][]byte, n)
	errs := make([]error, n)
	workers := min(n, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				piece := data[i*size : min((i+1)*size, len(data))]
				streams[i], errs[i] = compressStream(nil, piece, 9)
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if out, ok := joinBlocks(streams); ok {
		return out, nil
	}
	return compressStream(nil, data, 9) // unreachable with dsnet's output
}

// compressPiece is the most data Compress gives one block: its first
// run-length coding, at most 5/4 of it, fits the 900 kB block of level 9.
const compressPiece = 512 << 10

// compressStream appends data compressed as one bzip2 stream at level to
// dst.
func compressStream(dst, data []byte, level int) ([]byte, error) {
	buf := bytes.NewBuffer(dst)
	w, _ := writers[level].Get().(*dsbzip2.Writer)
	if w == nil {
		var err error
		if w, err = dsbzip2.NewWriter(buf, &dsbzip2.WriterConfig{Level: level}); err != nil {
			return nil, fmt.Errorf("resource: bzip2 writer: %w", err)
		}
	} else if err := w.Reset(buf); err != nil {
		return nil, fmt.Errorf("resource: bzip2 writer: %w", err)
	}
	if _, err := w.Write(data); err != nil {
		return nil, fmt.Errorf("resource: bzip2 write: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("resource: bzip2 close: %w", err)
	}
	// Drop the reference to buf before pooling the writer.
	if w.Reset(io.Discard) == nil {
		writers[level].Put(w)
	}
	return buf.Bytes(), nil
}

// bzip2 stream layout, in bits: a 32-bit header ("BZh" and the level
// digit), blocks that each start with a 48-bit magic and their 32-bit CRC,
// then the 48-bit end magic, the 32-bit stream CRC and zero bits to the
// byte. The stream CRC folds the block CRCs: c = c<<<1 ^ block.
const (
	bzHeaderBits = 32
	bzEndMagic   = 0x177245385090
	bzTrailBits  = 48 + 32
)

// joinBlocks makes one level-9 stream of the blocks of single-block
// streams, in order. It reports false if a stream is not one block
// followed by its end.
func joinBlocks(streams [][]byte) ([]byte, bool) {
	total := 0
	for _, s := range streams {
		total += len(s)
	}
	var w bitWriter
	w.buf = make([]byte, 0, total)
	w.buf = append(w.buf, 'B', 'Z', 'h', '9')
	var crc uint32
	for _, s := range streams {
		end, blockCRC, ok := oneBlock(s)
		if !ok {
			return nil, false
		}
		w.copyBits(s[bzHeaderBits/8:], end-bzHeaderBits)
		crc = (crc<<1 | crc>>31) ^ blockCRC
	}
	w.write(bzEndMagic>>24, 24)
	w.write(bzEndMagic&0xffffff, 24)
	w.write(uint64(crc), 32)
	return w.flush(), true
}

// oneBlock returns the bit offset where the one block of stream s ends and
// the block's CRC, or false if s is not a header, one block and the end.
func oneBlock(s []byte) (end int, crc uint32, ok bool) {
	if len(s) < 22 || string(s[:3]) != "BZh" {
		return 0, 0, false
	}
	crc = binary.BigEndian.Uint32(s[10:]) // after the header and block magic
	// The end is 0 to 7 zero bits before the last byte boundary. With
	// one block, the stream CRC is the block's.
	for pad := range 8 {
		end = 8*len(s) - pad - bzTrailBits
		if end >= bzHeaderBits+48+32 && readBits(s, end, 48) == bzEndMagic && uint32(readBits(s, end+48, 32)) == crc &&
			readBits(s, 8*len(s)-pad, pad) == 0 {
			return end, crc, true
		}
	}
	return 0, 0, false
}

// readBits returns the n <= 56 bits of s from bit off, most significant
// first.
func readBits(s []byte, off, n int) uint64 {
	var v uint64
	for i := range n {
		b := off + i
		v = v<<1 | uint64(s[b/8]>>(7-b%8)&1)
	}
	return v
}

// bitWriter appends bits most significant first.
type bitWriter struct {
	buf []byte
	acc uint64 // pending bits, in the low nacc bits
	n   uint
}

// write appends the k <= 32 low bits of v.
func (w *bitWriter) write(v uint64, k uint) {
	w.acc = w.acc<<k | v&(1<<k-1)
	w.n += k
	for w.n >= 8 {
		w.n -= 8
		w.buf = append(w.buf, byte(w.acc>>w.n))
	}
}

// copyBits appends the first n bits of src.
func (w *bitWriter) copyBits(src []byte, n int) {
	if w.n == 0 {
		w.buf = append(w.buf, src[:n/8]...)
	} else {
		for _, b := range src[:n/8] {
			w.write(uint64(b), 8)
		}
	}
	if r := n % 8; r > 0 {
		w.write(uint64(src[n/8]>>(8-r)), uint(r))
	}
}

// flush pads the last byte with zero bits and returns the bytes.
func (w *bitWriter) flush() []byte {
	if w.n > 0 {
		w.write(0, 8-w.n)
	}
	return w.buf
}

// writers pools bzip2 writers by level: a writer's block-sorting state is
// several MB, which allocating per segment turned into most of a
// compressed transfer's garbage.
var writers [10]sync.Pool

// Sampling: data larger than compressSampleMin is compressed only when a
// sample of it (compressSamples slices of compressSampleLen bytes, spread
// evenly) looks compressible to two cheap tests: its byte entropy is below
// compressMaxEntropy bits per byte, or more than compressMinRepeat of its
// 8-byte windows repeat an earlier window (what bzip2's block sort
// exploits in data whose bytes look random, such as a repeated random
// block). bzip2 costs about 200 ms per MB of incompressible data; the
// tests cost well under a millisecond per MB, and senders may always send
// uncompressed.
const (
	compressSampleMin  = 256 << 10
	compressSamples    = 4
	compressSampleLen  = 16 << 10
	compressMaxEntropy = 7.5
	compressMinRepeat  = 1.0 / 16
)

// worthCompressing reports whether data is likely to compress meaningfully.
func worthCompressing(data []byte) bool {
	if len(data) < compressSampleMin {
		return true
	}
	var hist [256]int
	var seen [1 << 12]int32 // window hash -> sample offset+1 of its last occurrence
	repeats, windows := 0, 0
	step := (len(data) - compressSampleLen) / (compressSamples - 1)
	for i := range compressSamples {
		sample := data[i*step : i*step+compressSampleLen]
		for _, c := range sample {
			hist[c]++
		}
		clear(seen[:])
		for j := 0; j+8 <= len(sample); j++ {
			w := binary.LittleEndian.Uint64(sample[j:])
			h := (w * 0x9E3779B97F4A7C15) >> 52
			if p := seen[h]; p > 0 && binary.LittleEndian.Uint64(sample[p-1:]) == w {
				repeats++
			}
			seen[h] = int32(j + 1)
			windows++
		}
	}
	if float64(repeats) > compressMinRepeat*float64(windows) {
		return true
	}
	total := float64(compressSamples * compressSampleLen)
	entropy := 0.0
	for _, n := range hist {
		if n > 0 {
			p := float64(n) / total
			entropy -= p * math.Log2(p)
		}
	}
	return entropy < compressMaxEntropy
}

// Decompress decodes the bzip2 data and returns the output, failing with
// ErrTooLarge as soon as it would exceed limit bytes and with ErrCorrupt if
// data is not valid bzip2. At most limit bytes of output are ever produced,
// so a decompression bomb costs no more than the limit.
func Decompress(data []byte, limit int) ([]byte, error) {
	// Room for a whole segment at once: a segment decompresses to at
	// most MaxEfficientSize, and growing a buffer from small by doubling
	// cost four times that in copies and garbage. Larger outputs (a
	// single-segment resource may claim up to its limit) grow as they
	// come, so a claimed size alone never reserves memory.
	out, err := bzip2.Decode(make([]byte, 0, min(max(limit, 0), MaxEfficientSize)), data, limit)
	switch {
	case errors.Is(err, bzip2.ErrLimit):
		return nil, fmt.Errorf("%w: decompressed data over %d bytes", ErrTooLarge, limit)
	case err != nil:
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	return out, nil
}
