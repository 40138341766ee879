package bzip2

import (
	"encoding/binary"
	"fmt"
	"io"
)

// bitReader reads src most significant bit first. b holds the next n bits
// at its top; reads past the end of src set err and return zeros.
type bitReader struct {
	src []byte
	pos int    // next byte of src to load into b
	b   uint64 // bits, next at bit 63
	n   uint   // bits in b
	err error
}

// refill loads whole bytes into b until it holds at least 56 bits or src
// ends.
func (r *bitReader) refill() {
	if r.pos+8 <= len(r.src) {
		// Bits of a byte only partly taken are loaded again, and equal,
		// next time: or-ing them twice is harmless.
		r.b |= binary.BigEndian.Uint64(r.src[r.pos:]) >> r.n
		k := (63 - r.n) >> 3
		r.pos += int(k)
		r.n += k << 3
		return
	}
	for r.n <= 56 && r.pos < len(r.src) {
		r.b |= uint64(r.src[r.pos]) << (56 - r.n)
		r.pos++
		r.n += 8
	}
}

// bits reads k <= 32 bits.
func (r *bitReader) bits(k uint) uint64 {
	if r.n < k {
		r.refill()
		if r.n < k {
			r.fail()
			return 0
		}
	}
	v := r.b >> (64 - k)
	r.b <<= k
	r.n -= k
	return v
}

func (r *bitReader) fail() {
	if r.err == nil {
		r.err = fmt.Errorf("%w: %w", ErrCorrupt, io.ErrUnexpectedEOF)
	}
}

// align drops the bits up to the next byte boundary.
func (r *bitReader) align() {
	k := r.n & 7
	r.b <<= k
	r.n -= k
}

// empty reports whether every byte of src has been read.
func (r *bitReader) empty() bool { return r.n == 0 && r.pos == len(r.src) }

// fastBits is the longest code huffman.fast decodes with one lookup;
// longer codes, rare in practice, are found by length.
const fastBits = 10

// badSymbol is what decode returns for a code no symbol has, or past the
// end of the input.
const badSymbol = 0xffff

// huffman is one of a block's code tables. Codes are canonical as libbz2
// assigns them: by length, then by symbol, shorter codes numerically
// first.
type huffman struct {
	// fast maps the next fastBits bits to symbol<<5 | code length, or 0
	// when the code is longer.
	fast [1 << fastBits]uint16
	// Codes of length l are first[l] to limit[l]-1; their symbols are
	// perm[index[l]:], in order.
	first, limit [maxCodeLen + 1]uint32
	index        [maxCodeLen + 1]uint16
	perm         [maxAlpha]uint16
	maxLen       uint
}

// build makes the table for code lengths lens (each 1 to maxCodeLen) and
// reports whether they make a complete prefix code. libbz2 decodes any
// lengths, and so does build: in an incomplete code some bit strings are
// no symbol's, and they fail to decode; in an over-subscribed one some
// symbols have no bit string. (compress/bzip2 assigns codes from the
// other end and reads such tables differently; no compressor writes
// them.)
func (h *huffman) build(lens []uint8) (complete bool) {
	var count [maxCodeLen + 1]int
	for _, l := range lens {
		count[l]++
	}
	code, idx := uint32(0), 0
	h.maxLen = 0
	for l := 1; l <= maxCodeLen; l++ {
		h.first[l] = code
		h.index[l] = uint16(idx)
		code += uint32(count[l])
		h.limit[l] = code
		idx += count[l]
		if count[l] > 0 {
			h.maxLen = uint(l)
		}
		if l < maxCodeLen {
			code <<= 1
		}
	}
	clear(h.fast[:])
	var next [maxCodeLen + 1]uint16
	for s, l := range lens {
		h.perm[h.index[l]+next[l]] = uint16(s)
		c := h.first[l] + uint32(next[l])
		next[l]++
		// Codes past the code space (c >= 1<<l, over-subscribed) are
		// never read.
		if l <= fastBits && c < 1<<l {
			lo := c << (fastBits - l)
			e := uint16(s)<<5 | uint16(l)
			for i := range uint32(1) << (fastBits - l) {
				h.fast[lo+i] = e
			}
		}
	}
	return code == 1<<maxCodeLen
}

// decode reads one symbol.
func (h *huffman) decode(r *bitReader) uint16 {
	if r.n < maxCodeLen {
		r.refill()
	}
	if e := h.fast[r.b>>(64-fastBits)]; e != 0 {
		l := uint(e & 31)
		if l > r.n {
			r.fail()
			return badSymbol
		}
		r.b <<= l
		r.n -= l
		return e >> 5
	}
	for l := uint(fastBits + 1); l <= h.maxLen; l++ {
		c := uint32(r.b >> (64 - l))
		if c < h.limit[l] {
			if l > r.n {
				r.fail()
				return badSymbol
			}
			r.b <<= l
			r.n -= l
			return h.perm[uint32(h.index[l])+c-h.first[l]]
		}
	}
	return badSymbol
}
