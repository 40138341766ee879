package resource

import (
	"crypto/sha256"
	"hash"
	"runtime"
	"sync"
)

// parallelMin is the smallest input worth splitting over several routines.
const parallelMin = 64 << 10

// workers returns how many routines should share n bytes of work.
func workers(n int) int {
	if n < parallelMin {
		return 1
	}
	return max(1, min(runtime.GOMAXPROCS(0), n/(parallelMin/2)))
}

// hashAndProof returns SHA-256(data || salt) and SHA-256(data || that
// hash), hashing data once: the resource hash and its proof share the
// prefix.
func hashAndProof(data, salt []byte) (h, proof [HashLen]byte) {
	d := sha256.New()
	d.Write(data)
	return finishHashAndProof(d, salt)
}

// finishHashAndProof is hashAndProof for a digest that has already taken
// data.
func finishHashAndProof(d hash.Hash, salt []byte) (h, proof [HashLen]byte) {
	c, err := d.(hash.Cloner).Clone()
	if err != nil {
		// Unreachable (SHA-256 states clone); zero sums fail the
		// receiver's hash check instead of crashing.
		return h, proof
	}
	d.Write(salt)
	d.Sum(h[:0])
	c.Write(h[:])
	c.Sum(proof[:0])
	return h, proof
}

// buildHashmap fills r.Hashmap with the map hashes of every part, sharing
// the work between routines for large resources.
func (r *Resource) buildHashmap(n int, mapHasher func(part, randomHash []byte) [MapHashLen]byte) {
	r.Hashmap = make([]byte, n*MapHashLen)
	w := workers(len(r.Stream))
	per := ceilDiv(n, w)
	fill := func(lo, hi int) {
		var hs hasher
		for i := lo; i < hi; i++ {
			var m [MapHashLen]byte
			if mapHasher != nil {
				m = mapHasher(r.Part(i), r.RandomHash[:])
			} else {
				m = hs.mapHash(r.Part(i), r.RandomHash[:])
			}
			copy(r.Hashmap[i*MapHashLen:], m[:])
		}
	}
	if w == 1 {
		fill(0, n)
		return
	}
	var wg sync.WaitGroup
	for lo := per; lo < n; lo += per {
		wg.Go(func() { fill(lo, min(lo+per, n)) })
	}
	fill(0, min(per, n))
	wg.Wait()
}
