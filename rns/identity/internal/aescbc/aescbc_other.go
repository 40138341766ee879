//go:build !amd64 || purego

package aescbc

const haveAsm = false

func expandKey256(key, enc, dec *byte) { panic("aescbc: no assembly") }

func cbcDecrypt256(dec *byte, iv *[16]byte, dst, src *byte, n int) {
	panic("aescbc: no assembly")
}
