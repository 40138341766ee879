package bzip2

import "encoding/binary"

// Stream layout, in bits: a 32-bit header ("BZh" and the level digit),
// blocks that each start with a 48-bit magic and their 32-bit CRC, then
// the 48-bit end magic, the 32-bit stream CRC (foldCRC of the block CRCs)
// and zero bits to the byte.
const (
	headerBits = 32
	trailBits  = 48 + 32
)

// Join makes one level-9 stream of the blocks of single-block streams, in
// order, so that blocks compressed apart (side by side) decode as one
// stream: several streams back to back are not the same to every
// decoder (the reference's reads only the first). It reports false if a
// stream is not a header, one block of at most 900 kB and the end.
func Join(streams [][]byte) ([]byte, bool) {
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
		w.copyBits(s[headerBits/8:], end-headerBits)
		crc = foldCRC(crc, blockCRC)
	}
	w.write(endMagic>>24, 24)
	w.write(endMagic&0xffffff, 24)
	w.write(uint64(crc), 32)
	return w.flush(), true
}

// oneBlock returns the bit offset where the one block of stream s ends and
// the block's CRC, or false if s is not a header, one block and the end.
func oneBlock(s []byte) (end int, crc uint32, ok bool) {
	if len(s) < 22 || string(s[:3]) != "BZh" || s[3] < '1' || s[3] > '9' {
		return 0, 0, false
	}
	crc = binary.BigEndian.Uint32(s[10:]) // after the header and block magic
	// The end is 0 to 7 zero bits before the last byte boundary. With
	// one block, the stream CRC is the block's.
	for pad := range 8 {
		end = 8*len(s) - pad - trailBits
		if end >= headerBits+48+32 && readBits(s, end, 48) == endMagic && uint32(readBits(s, end+48, 32)) == crc &&
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
