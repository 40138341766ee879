//go:build amd64 && !purego

package bzip2

import "golang.org/x/sys/cpu"

var haveSSSE3 = cpu.X86.HasSSSE3

// reverseBitsSSSE3 reverses the bits of each of the n bytes at src into
// dst; n is a multiple of 16.
//
//go:noescape
func reverseBitsSSSE3(dst, src *byte, n int)

// reverseBits writes each byte of src with its bits reversed to dst,
// which is at least as long.
func reverseBits(dst, src []byte) {
	i := 0
	if haveSSSE3 {
		if i = len(src) &^ 15; i > 0 {
			_ = dst[i-1]
			reverseBitsSSSE3(&dst[0], &src[0], i)
		}
	}
	reverseBitsGeneric(dst[i:], src[i:])
}
