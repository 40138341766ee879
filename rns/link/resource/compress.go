package resource

import (
	"bytes"
	stdbzip2 "compress/bzip2"
	"fmt"
	"io"

	"github.com/dsnet/compress/bzip2"
)

// Compress returns data compressed as one bzip2 stream. The reference's
// bz2.compress uses level 9 (900 kB blocks); Compress picks the smallest
// level whose block holds all of data, up to 9, which compresses the same
// but needs far less memory for small inputs. The bytes differ from
// libbz2's, but any bzip2 decoder reads them.
func Compress(data []byte) ([]byte, error) {
	var buf bytes.Buffer
	level := min(max((len(data)+99_999)/100_000, 1), 9)
	w, err := bzip2.NewWriter(&buf, &bzip2.WriterConfig{Level: level})
	if err != nil {
		return nil, fmt.Errorf("resource: bzip2 writer: %w", err)
	}
	if _, err := w.Write(data); err != nil {
		return nil, fmt.Errorf("resource: bzip2 write: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("resource: bzip2 close: %w", err)
	}
	return buf.Bytes(), nil
}

// Sampling: data larger than compressSampleMin is compressed only when a
// sample of it (compressSamples slices of compressSampleLen bytes, spread
// evenly) shrinks below compressSampleRatio of its size. bzip2 costs about
// 200 ms per MB of incompressible data; the sample costs a sixteenth of
// that, and senders may always send uncompressed.
const (
	compressSampleMin   = 256 << 10
	compressSamples     = 4
	compressSampleLen   = 16 << 10
	compressSampleRatio = 0.9375 // 15/16
)

// worthCompressing reports whether data is likely to compress meaningfully.
func worthCompressing(data []byte) bool {
	if len(data) < compressSampleMin {
		return true
	}
	sample := make([]byte, 0, compressSamples*compressSampleLen)
	step := (len(data) - compressSampleLen) / (compressSamples - 1)
	for i := range compressSamples {
		off := i * step
		sample = append(sample, data[off:off+compressSampleLen]...)
	}
	c, err := Compress(sample)
	return err != nil || float64(len(c)) < compressSampleRatio*float64(len(sample))
}

// Decompress decodes the bzip2 data and returns the output, failing with
// ErrTooLarge as soon as it would exceed limit bytes and with ErrCorrupt if
// data is not valid bzip2. At most limit+1 bytes of output are ever produced,
// so a decompression bomb costs no more than the limit.
func Decompress(data []byte, limit int) ([]byte, error) {
	if limit < 0 {
		limit = 0
	}
	r := io.LimitReader(stdbzip2.NewReader(bytes.NewReader(data)), int64(limit)+1)
	var out bytes.Buffer
	out.Grow(min(limit+1, 64<<10))
	n, err := out.ReadFrom(r)
	if err != nil {
		return nil, fmt.Errorf("%w: bzip2: %v", ErrCorrupt, err)
	}
	if n > int64(limit) {
		return nil, fmt.Errorf("%w: decompressed data over %d bytes", ErrTooLarge, limit)
	}
	return out.Bytes(), nil
}
