package resource

import (
	"crypto/sha256"
	"hash"
	"sync"

	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/internal/sha256x"
)

// parallelMin is the smallest input worth splitting over several routines.
const parallelMin = 64 << 10

// workStep is how much of a stream a stage of the pipelines that build
// and verify streams processes before it hands it on to the next stage:
// small enough for the stages to overlap and to stay in cache, large
// enough that handing over costs little. 16 KB steps measured 4 % slower
// and 256 KB steps 9 % slower than 64 KB on BenchmarkResourceThroughput.
const workStep = 64 << 10

// followerDelay is how far seal encrypts before the routine that follows
// it starts. Segments are built ahead, right after the previous one's
// advertisement goes out: a build that takes both processors at once
// holds up that advertisement and the part request that answers it on
// their way through the nodes, and the whole path then waits. Encrypting
// the first steps alone leaves the other processor to them (relayed
// random data: 264 to 301 MB/s, medians of six alternating runs; direct
// transfers unchanged). Less than 16 steps: seal's channel holds them.
const followerDelay = 3 * workStep

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
//
// The follower starts once followerDelay bytes are encrypted. It hashes
// two messages at a time (sha256x.Write2): the HMAC alongside plain,
// which goes into ph unless ph is nil, and the map hashes two parts at a
// time.
func (r *Resource) seal(enc *identity.StreamEncrypter, prefix, payload []byte, mapHasher func(part, randomHash []byte) [MapHashLen]byte, ph *sha256x.Digest, plain []byte) {
	size := len(r.Stream)
	n := ceilDiv(size, r.SDU)
	r.Hashmap = make([]byte, n*MapHashLen)
	var hs hasher
	mapped := 0 // parts hashed
	authed := 0 // stream bytes authenticated
	hashed := 0 // bytes of plain hashed
	partEnd := func(i int) int { return min((i+1)*r.SDU, size) }
	// follow authenticates and maps the stream up to final bytes, and
	// hashes as much more of plain as it authenticates.
	follow := func(final int) {
		if a := min(final, size-identity.TokenMACLen); a > authed {
			var p []byte
			if ph != nil {
				k := min(hashed+a-authed, len(plain))
				p, hashed = plain[hashed:k], k
			}
			enc.AuthenticateAlong(a, ph, p)
			authed = a
		}
		for ; mapped < n && partEnd(mapped) <= final; mapped++ {
			var m [MapHashLen]byte
			switch {
			case mapHasher != nil:
				m = mapHasher(r.Part(mapped), r.RandomHash[:])
			case mapped+1 < n && partEnd(mapped+1) <= final:
				a, b := sha256x.Sum256x2(r.Part(mapped), r.RandomHash[:], r.Part(mapped+1), r.RandomHash[:])
				copy(r.Hashmap[mapped*MapHashLen:], a[:MapHashLen])
				mapped++
				m = [MapHashLen]byte(b[:MapHashLen])
			case mapped+1 < n && final < size:
				return // its neighbour is not final yet: hash them together later
			default:
				m = hs.mapHash(r.Part(mapped), r.RandomHash[:])
			}
			copy(r.Hashmap[mapped*MapHashLen:], m[:])
		}
	}
	var progress chan int
	var wg sync.WaitGroup
	following := false
	startFollower := func() {
		following = true
		wg.Go(func() {
			for final := range progress {
				follow(final)
			}
		})
	}
	if size >= parallelMin {
		progress = make(chan int, 16) // room for followerDelay's steps
	}
	laidOut := r.Stream[identity.TokenIVLen : identity.TokenIVLen+len(prefix)+len(payload)]
	laid := copy(laidOut, prefix)
	for pos := 0; pos < size-identity.TokenMACLen; {
		if to := min(pos+workStep-identity.TokenIVLen, len(laidOut)); to > laid {
			copy(laidOut[laid:to], payload[laid-len(prefix):])
			laid = to
		}
		pos = enc.Encrypt(pos + workStep)
		if progress == nil {
			follow(pos)
			continue
		}
		progress <- pos
		if !following && pos >= followerDelay {
			startFollower()
		}
	}
	if progress != nil {
		close(progress)
		if !following {
			startFollower() // it drains what was sent
		}
		wg.Wait()
	}
	enc.Finish()
	follow(size) // the parts that hold the HMAC
	if ph != nil {
		ph.Write(plain[hashed:])
	}
}
