//go:build !amd64 || purego

package bzip2

const haveSSSE3 = false

func reverseBits(dst, src []byte) { reverseBitsGeneric(dst, src) }
