// Package bzip2 decodes bzip2 data held in memory, as resources carry it,
// and joins blocks compressed apart into one stream.
//
// compress/bzip2 reads from a stream and produces its output a byte at a
// time: every byte goes through a run-length state machine and a
// byte-wise CRC. A resource segment of compressible data (a megabyte of
// zeros is a few hundred bytes of bzip2) spent nearly all of its receive
// time there. [Decode] has the whole input and writes its output into a
// slice: runs are filled at once, the CRC folds eight bytes at a time and
// Huffman codes up to ten bits long are decoded with one table lookup.
//
// [Join] makes one stream of blocks compressed apart.
//
// It decodes what libbz2 (the reference's bz2 module) writes and what
// compress/bzip2 accepts: one or more concatenated streams, blocks of up
// to 900 000 bytes, no randomised blocks (deprecated since bzip2 0.9.5).
// Where the two read odd input differently (a run count of zero followed
// by the same byte), it does what libbz2 does.
package bzip2

import (
	"errors"
	"fmt"
	"sync"
)

var (
	// ErrCorrupt is returned, wrapped with detail, for data that is not
	// valid bzip2.
	ErrCorrupt = errors.New("bzip2: corrupt data")
	// ErrLimit is returned when the output would exceed the caller's
	// limit.
	ErrLimit = errors.New("bzip2: output over limit")
)

func corrupt(what string) error { return fmt.Errorf("%w: %s", ErrCorrupt, what) }

const (
	blockMagic = 0x314159265359 // BCD of pi
	endMagic   = 0x177245385090 // BCD of sqrt(pi)

	maxGroups    = 6
	maxAlpha     = 258 // 256 byte values, RUNA and RUNB (EOB replaces one)
	maxCodeLen   = 20
	groupSize    = 50 // symbols decoded with one table before the next selector
	maxSelectors = 1<<15 - 1
)

// Decode appends the data src decompresses to dst and returns the
// extended slice. It fails with ErrLimit as soon as more than limit bytes
// would be appended, so an input that expands without bound (a
// decompression bomb) costs at most limit bytes, and with an error
// wrapping ErrCorrupt if src is not valid bzip2. On failure the bytes
// appended so far are returned along with the error.
func Decode(dst, src []byte, limit int) ([]byte, error) {
	d, _ := decoders.Get().(*decoder)
	if d == nil {
		d = new(decoder)
	}
	out, err := d.run(dst, src, limit)
	decoders.Put(d)
	return out, err
}

// decoders pools decoder state: tt alone is 3.6 MB for 900 kB blocks.
var decoders sync.Pool

type decoder struct {
	br     bitReader
	tt     []uint32 // the block's bytes (low 8 bits) and inverse-BWT links
	sel    [maxSelectors]uint8
	tables [maxGroups]huffman
	crcBuf [crcChunk]byte
	// oddCode records that a table was not a complete prefix code, for
	// the tests that compare with compress/bzip2.
	oddCode bool
}

func (d *decoder) run(dst, src []byte, limit int) ([]byte, error) {
	d.br = bitReader{src: src}
	d.oddCode = false
	out, err := d.decode(dst, len(dst)+max(limit, 0))
	d.br = bitReader{}
	return out, err
}

// decode reads streams until src ends; end is the largest len(out) may
// reach.
func (d *decoder) decode(out []byte, end int) ([]byte, error) {
	br := &d.br
	for {
		if br.bits(8) != 'B' || br.bits(8) != 'Z' || br.bits(8) != 'h' {
			return out, corrupt("bad stream magic")
		}
		level := int(br.bits(8)) - '0'
		if level < 1 || level > 9 {
			return out, corrupt("bad block size")
		}
		if br.err != nil {
			return out, br.err
		}
		blockMax := level * 100_000
		if len(d.tt) < blockMax {
			d.tt = make([]uint32, blockMax)
		}
		var combined uint32
		for {
			magic := br.bits(24)<<24 | br.bits(24)
			want := uint32(br.bits(32))
			if br.err != nil {
				return out, br.err
			}
			if magic == endMagic {
				if want != combined {
					return out, corrupt("stream checksum mismatch")
				}
				break
			}
			if magic != blockMagic {
				return out, corrupt("bad block magic")
			}
			start := len(out)
			var err error
			if out, err = d.block(out, blockMax, end); err != nil {
				return out, err
			}
			if updateCRC(0, out[start:], &d.crcBuf) != want {
				return out, corrupt("block checksum mismatch")
			}
			combined = foldCRC(combined, want)
		}
		// Streams end on a byte boundary; another may follow.
		br.align()
		if br.empty() {
			return out, nil
		}
	}
}

// foldCRC adds a block's CRC to a stream's.
func foldCRC(stream, block uint32) uint32 { return (stream<<1 | stream>>31) ^ block }

// block decodes one block (its magic and CRC read) and appends its bytes
// to out.
func (d *decoder) block(out []byte, blockMax, end int) ([]byte, error) {
	br := &d.br
	if br.bits(1) != 0 {
		return out, corrupt("randomised block")
	}
	origPtr := int(br.bits(24))

	// The byte values in use: a 16-bit map of 16-value ranges, then a
	// 16-bit map for each range in use.
	var seq [256]byte
	nInUse := 0
	ranges := br.bits(16)
	for i := range 16 {
		if ranges&(0x8000>>i) == 0 {
			continue
		}
		m := br.bits(16)
		for j := range 16 {
			if m&(0x8000>>j) != 0 {
				seq[nInUse] = byte(i*16 + j)
				nInUse++
			}
		}
	}
	if nInUse == 0 {
		return out, corrupt("no symbols in use")
	}
	alpha := nInUse + 2
	eob := uint16(alpha - 1)

	nGroups := int(br.bits(3))
	if nGroups < 2 || nGroups > maxGroups {
		return out, corrupt("bad number of Huffman tables")
	}
	nSel := int(br.bits(15))
	if nSel == 0 {
		return out, corrupt("no selectors")
	}
	// Selectors: move-to-front indexes of tables, in unary.
	mtfG := [maxGroups]uint8{0, 1, 2, 3, 4, 5}
	for i := range nSel {
		j := 0
		for br.bits(1) == 1 {
			if j++; j >= nGroups {
				return out, corrupt("selector out of range")
			}
		}
		if br.err != nil {
			return out, br.err
		}
		g := mtfG[j]
		copy(mtfG[1:j+1], mtfG[:j])
		mtfG[0] = g
		d.sel[i] = g
	}
	// Code lengths, delta coded from a 5-bit start.
	var lens [maxAlpha]uint8
	for g := range nGroups {
		l := int(br.bits(5))
		for s := range alpha {
			for {
				if l < 1 || l > maxCodeLen {
					return out, corrupt("code length out of range")
				}
				if br.bits(1) == 0 {
					break
				}
				l += 1 - 2*int(br.bits(1))
			}
			if br.err != nil {
				return out, br.err
			}
			lens[s] = uint8(l)
		}
		if !d.tables[g].build(lens[:alpha]) {
			d.oddCode = true
		}
	}

	// Symbols: runs of the front byte (RUNA and RUNB digits of a
	// bijective base-2 count) and move-to-front indexes, until EOB.
	tt := d.tt[:blockMax]
	var counts [256]int
	mtf := seq
	n := 0
	run, runBit := 0, 1
	selIdx, left := 0, 0
	var h *huffman
	for {
		if left == 0 {
			if selIdx >= nSel {
				return out, corrupt("more symbols than selectors")
			}
			h = &d.tables[d.sel[selIdx]]
			selIdx++
			left = groupSize
		}
		left--
		sym := h.decode(br)
		if sym == badSymbol {
			if br.err != nil {
				return out, br.err
			}
			return out, corrupt("invalid Huffman code")
		}
		if sym <= 1 {
			run += runBit << sym
			runBit <<= 1
			if run > blockMax {
				return out, corrupt("run past the block size")
			}
			continue
		}
		if run > 0 {
			if run > blockMax-n {
				return out, corrupt("run past the block size")
			}
			b := mtf[0]
			counts[b] += run
			fill := tt[n : n+run]
			for i := range fill {
				fill[i] = uint32(b)
			}
			n += run
			run, runBit = 0, 1
		}
		if sym == eob {
			break
		}
		i := int(sym - 1) // < nInUse: sym <= alpha-2
		b := mtf[i]
		copy(mtf[1:i+1], mtf[:i])
		mtf[0] = b
		if n == blockMax {
			return out, corrupt("block larger than its size")
		}
		tt[n] = uint32(b)
		counts[b]++
		n++
	}
	if origPtr >= n {
		return out, corrupt("origin pointer out of range")
	}
	tt = tt[:n]

	// Inverse BWT: link each position to the next in the upper 24 bits.
	sum := 0
	for b := range counts {
		sum, counts[b] = sum+counts[b], sum
	}
	for i, e := range tt {
		b := byte(e)
		tt[counts[b]] |= uint32(i) << 8
		counts[b]++
	}
	return unRLE(out, tt, tt[origPtr]>>8, end)
}

// unRLE walks the block from pos and undoes bzip2's first run-length
// coding as libbz2 does: after four equal bytes, the next byte is how many
// more copies follow, and a new run starts after it.
func unRLE(out []byte, tt []uint32, pos uint32, end int) ([]byte, error) {
	last, same := -1, 0
	for range len(tt) {
		e := tt[pos]
		pos = e >> 8
		b := byte(e)
		if same == 4 {
			k := int(b)
			if k > end-len(out) {
				return out, ErrLimit
			}
			out = appendRun(out, byte(last), k)
			last, same = -1, 0
			continue
		}
		if int(b) == last {
			same++
		} else {
			last, same = int(b), 1
		}
		if len(out) == end {
			return out, ErrLimit
		}
		out = append(out, b)
	}
	return out, nil
}

// appendRun appends k copies of b.
func appendRun(out []byte, b byte, k int) []byte {
	n := len(out)
	if cap(out)-n < k {
		out = append(out[:cap(out)], make([]byte, n+k-cap(out))...)
	}
	out = out[:n+k]
	run := out[n:]
	if b == 0 {
		clear(run)
	} else if k > 0 {
		run[0] = b
		for i := 1; i < k; i *= 2 {
			copy(run[i:], run[:i])
		}
	}
	return out
}
