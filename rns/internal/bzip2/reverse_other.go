//go:build !amd64 || purego

package bzip2

func reverseBits(dst, src []byte) { reverseBitsGeneric(dst, src) }
