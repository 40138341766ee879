// Package framing implements the two byte-stream framings Reticulum uses on
// streams and serial lines: the HDLC-like framing of the TCP, serial, I2P,
// backbone and local interfaces, and KISS framing (KISS TNCs, RNode radios,
// TCP with kiss_framing).
//
// Encoders are append-style pure functions over caller-supplied buffers
// (AppendHDLC, AppendKISS, AppendKISSTXDelay, ...); they allocate only when
// dst lacks the capacity for the result.
//
// Decoders are stream deframers fed successive reads in arbitrary chunks.
// Their Decode method consumes input up to the end of the first complete
// frame and returns that frame, which aliases the decoder's own buffer and is
// valid until the next call. The buffer is bounded by MaxFrame and reused, so
// a decoder in its steady state does not allocate. Malformed input never
// panics: frames outside the configured size bounds are dropped, counted in
// Stats and reported with ErrFrameTooShort or ErrFrameTooLarge, and bytes
// outside frames are discarded.
//
// The wire formats, as the Python reference (RNS 1.4.2) writes them:
//
//	HDLC: 0x7E || escaped payload || 0x7E
//	      0x7D -> 0x7D 0x5D, 0x7E -> 0x7D 0x5E (escape byte escaped first)
//	KISS: 0xC0 || command || escaped payload || 0xC0
//	      0xDB -> 0xDB 0xDD, 0xC0 -> 0xDB 0xDC (escape byte escaped first)
//
// The decoders undo malformed escapes exactly as the reference readers do
// (see HDLCDecoder and KISSDecoder), so a frame decodes to the same bytes a
// Python node would see. The HDLC decoder, set up with TCPMinFrame, splits
// a stream into exactly the frames the reference TCP reader delivers; a
// fuzz test checks it against a model of that reader.
//
// A decoder is not safe for concurrent use; each stream owns one.
package framing

import (
	"errors"
	"math"
)

// Sentinel errors reported by the decoders for dropped frames. Callers
// branch on them with errors.Is.
var (
	// ErrFrameTooLarge reports a frame whose decoded length exceeded the
	// decoder's MaxFrame. Its bytes were discarded as they arrived, so
	// memory never grows past MaxFrame.
	ErrFrameTooLarge = errors.New("framing: frame larger than the maximum frame size")

	// ErrFrameTooShort reports a non-empty HDLC frame shorter than the
	// decoder's MinFrame.
	ErrFrameTooShort = errors.New("framing: frame shorter than the minimum frame size")
)

// DefaultMaxFrame is the decoded frame size limit a decoder uses when its
// MaxFrame is zero or negative. It is the hardware MTU of the reference's
// TCP interface (HW_MTU 262144). The reference accepts frames up to its
// interface's HW_MTU plus the IFAC size, so a driver sets MaxFrame to that
// sum; drivers on slower media use their own, smaller limit.
const DefaultMaxFrame = 262144

// Stats counts what a decoder has seen since it was created.
type Stats struct {
	// Frames is the number of complete frames returned.
	Frames uint64
	// TooShort is the number of frames dropped with ErrFrameTooShort.
	TooShort uint64
	// TooLarge is the number of frames dropped with ErrFrameTooLarge.
	TooLarge uint64
	// Discarded is the number of bytes seen outside any frame (before the
	// first delimiter, or after Reset) and thrown away.
	Discarded uint64
}

// minGrow is the first capacity a decoder allocates for its frame buffer.
const minGrow = 512

// appendBounded appends b to buf, growing buf's capacity at most to max.
// The caller guarantees len(buf)+len(b) <= max.
func appendBounded(buf, b []byte, max int) []byte {
	need := len(buf) + len(b)
	if need > cap(buf) {
		c := 2 * cap(buf)
		if c < minGrow {
			c = minGrow
		}
		if c < need {
			c = need
		}
		if c > max {
			c = max
		}
		nb := make([]byte, len(buf), c)
		copy(nb, buf)
		buf = nb
	}
	return append(buf, b...)
}

// addLen adds k to a frame length, saturating instead of overflowing so that
// an endless frame can never wrap around below the size limit.
func addLen(n, k int) int {
	if n > math.MaxInt-k {
		return math.MaxInt
	}
	return n + k
}

// frameBuf is the bounded frame buffer and counters the HDLC and KISS
// decoders share.
type frameBuf struct {
	buf     []byte // decoded bytes of the frame in progress, up to the maximum
	n       int    // decoded length of the frame in progress, even past the maximum
	dropLen int
	stats   Stats
}

// put appends one decoded byte, counting but not storing bytes past max.
func (f *frameBuf) put(c byte, max int) {
	f.n = addLen(f.n, 1)
	if f.n > max {
		return
	}
	if len(f.buf) < cap(f.buf) {
		f.buf = append(f.buf, c)
		return
	}
	f.buf = appendBounded(f.buf, []byte{c}, max)
}

// putRun appends a run of decoded bytes, storing at most up to max.
func (f *frameBuf) putRun(b []byte, max int) {
	start := f.n
	f.n = addLen(f.n, len(b))
	if start >= max {
		return
	}
	if f.n > max {
		b = b[:max-start]
	}
	f.buf = appendBounded(f.buf, b, max)
}

// DroppedLen returns the decoded length of the frame whose drop the last
// Decode reported, or 0 if no frame has been dropped yet.
func (f *frameBuf) DroppedLen() int { return f.dropLen }

// Stats returns the decoder's counters. KISS frames are never too short,
// so a KISSDecoder's TooShort stays zero.
func (f *frameBuf) Stats() Stats { return f.stats }
