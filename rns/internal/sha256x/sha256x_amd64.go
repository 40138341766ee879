//go:build amd64 && !purego

package sha256x

import "golang.org/x/sys/cpu"

// haveSHA reports the SHA extensions and the SSE levels the assembly uses
// besides (PSHUFB, PALIGNR, PBLENDW).
var haveSHA = hasSHAExtensions() && cpu.X86.HasSSSE3 && cpu.X86.HasSSE41

// hasSHAExtensions reads CPUID leaf 7 (EBX bit 29), which x/sys/cpu does
// not report for x86.
func hasSHAExtensions() bool {
	maxLeaf, _, _, _ := cpuid(0, 0)
	if maxLeaf < 7 {
		return false
	}
	_, ebx, _, _ := cpuid(7, 0)
	return ebx&(1<<29) != 0
}

//go:noescape
func cpuid(leaf, sub uint32) (eax, ebx, ecx, edx uint32)

// blocksSHA hashes n blocks at p into h.
//
//go:noescape
func blocksSHA(h *[8]uint32, p *byte, n int)

// blocksSHA2 hashes n blocks at pa into ha and n blocks at pb into hb,
// interleaving the two.
//
//go:noescape
func blocksSHA2(ha, hb *[8]uint32, pa, pb *byte, n int)

func blocks(h *[8]uint32, p []byte) {
	if n := len(p) / BlockSize; n > 0 {
		if haveSHA {
			blocksSHA(h, &p[0], n)
		} else {
			blocksGeneric(h, p)
		}
	}
}

// blocks2 hashes pa into ha and pb into hb; both hold the same number of
// whole blocks.
func blocks2(ha, hb *[8]uint32, pa, pb []byte) {
	n := min(len(pa), len(pb)) / BlockSize
	if n == 0 {
		return
	}
	if haveSHA {
		blocksSHA2(ha, hb, &pa[0], &pb[0], n)
		return
	}
	blocksGeneric(ha, pa[:n*BlockSize])
	blocksGeneric(hb, pb[:n*BlockSize])
}
