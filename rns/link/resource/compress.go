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
	if out, ok := bzip2.Join(streams); ok {
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
