package bzip2

import (
	"encoding/binary"
	"hash/crc32"
	"math/bits"
)

// bzip2 checks each block with CRC-32 (polynomial 0x04C11DB7) taken most
// significant bit first, the opposite bit order of hash/crc32's IEEE
// CRC, which has the same polynomial and the same starting and final
// inversion. The IEEE CRC of the input with each byte's bits reversed is
// therefore the bzip2 CRC with its 32 bits reversed. hash/crc32 computes
// it with carry-less multiplication where the CPU has it: reversing and
// folding runs at several GB/s, against under 2 GB/s for the best table
// method (slicing by 8). The bits are reversed 16 bytes at a time where
// the CPU has SSSE3's byte shuffle, else 8 at a time.

// crcChunk is how much input updateCRC reverses at a time.
const crcChunk = 4096

// updateCRC returns the block CRC of the bytes it summarised followed by p
// (start from 0), reversing bits in buf.
func updateCRC(crc uint32, p []byte, buf *[crcChunk]byte) uint32 {
	c := bits.Reverse32(crc)
	for len(p) > 0 {
		n := min(len(p), len(buf))
		reverseBits(buf[:n], p[:n])
		c = crc32.Update(c, crc32.IEEETable, buf[:n])
		p = p[n:]
	}
	return bits.Reverse32(c)
}

// reverseBitsGeneric writes each byte of src with its bits reversed to
// dst, eight bytes at a time.
func reverseBitsGeneric(dst, src []byte) {
	const (
		m1 = 0x5555555555555555
		m2 = 0x3333333333333333
		m4 = 0x0f0f0f0f0f0f0f0f
	)
	dst = dst[:len(src)]
	i := 0
	for ; i+8 <= len(src); i += 8 {
		x := binary.LittleEndian.Uint64(src[i:])
		x = x>>1&m1 | x&m1<<1
		x = x>>2&m2 | x&m2<<2
		x = x>>4&m4 | x&m4<<4
		binary.LittleEndian.PutUint64(dst[i:], x)
	}
	for ; i < len(src); i++ {
		dst[i] = bits.Reverse8(src[i])
	}
}
