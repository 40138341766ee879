//go:build !amd64 || purego

package sha256x

func blocks(h *[8]uint32, p []byte) { blocksGeneric(h, p) }

func blocks2(ha, hb *[8]uint32, pa, pb []byte) {
	blocksGeneric(ha, pa)
	blocksGeneric(hb, pb)
}
