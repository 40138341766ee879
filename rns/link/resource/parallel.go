package resource

import (
	"crypto/sha256"
	"hash"
	"sync"

	"github.com/mehr-net/mehr/rns/identity"
)

// parallelMin is the smallest input worth splitting over several routines.
const parallelMin = 64 << 10

// workStep is how much of a stream a stage of the pipelines that build
// and verify streams processes before it hands it on to the next stage:
// small enough for the stages to overlap and to stay in cache, large
// enough that handing over costs little. 16 KB steps measured 4 % slower
// and 256 KB steps 9 % slower than 64 KB on BenchmarkResourceThroughput.
const workStep = 64 << 10

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

// seal lays prefix and payload out in r.Stream (the token enc encrypts
// in place), encrypts it and fills r.Hashmap. It encrypts workStep bytes
// at a time, each laid out just before, while it is in cache. For large
// streams a second routine follows the encryption, feeding the HMAC and
// hashing each part whose bytes are final, so that encryption, the only
// serial step, is all that remains on the caller's routine.
func (r *Resource) seal(enc *identity.StreamEncrypter, prefix, payload []byte, mapHasher func(part, randomHash []byte) [MapHashLen]byte) {
	size := len(r.Stream)
	n := ceilDiv(size, r.SDU)
	r.Hashmap = make([]byte, n*MapHashLen)
	var hs hasher
	mapped := 0 // parts hashed
	// follow authenticates and maps the stream up to final bytes.
	follow := func(final int) {
		enc.Authenticate(final)
		for ; mapped < n && min((mapped+1)*r.SDU, size) <= final; mapped++ {
			var m [MapHashLen]byte
			if mapHasher != nil {
				m = mapHasher(r.Part(mapped), r.RandomHash[:])
			} else {
				m = hs.mapHash(r.Part(mapped), r.RandomHash[:])
			}
			copy(r.Hashmap[mapped*MapHashLen:], m[:])
		}
	}
	var progress chan int
	var wg sync.WaitGroup
	if size >= parallelMin {
		progress = make(chan int, 16)
		wg.Go(func() {
			for final := range progress {
				follow(final)
			}
		})
	}
	plain := r.Stream[identity.TokenIVLen : identity.TokenIVLen+len(prefix)+len(payload)]
	laid := copy(plain, prefix)
	for pos := 0; pos < size-identity.TokenMACLen; {
		if to := min(pos+workStep-identity.TokenIVLen, len(plain)); to > laid {
			copy(plain[laid:to], payload[laid-len(prefix):])
			laid = to
		}
		pos = enc.Encrypt(pos + workStep)
		if progress != nil {
			progress <- pos
		} else {
			follow(pos)
		}
	}
	if progress != nil {
		close(progress)
		wg.Wait()
	}
	enc.Finish()
	follow(size) // the parts that hold the HMAC
}
