// Package stamp implements the proof-of-work stamps of LXMF (LXStamper),
// which Reticulum's interface discovery announces also carry.
//
// A stamp is 32 bytes whose SHA-256, hashed after a work block derived
// from some material (a message ID, a discovery announce's info hash),
// starts with at least cost zero bits. The work block is rounds HKDF
// expansions of the material, 256 bytes each, the n-th salted with
// SHA-256(material || msgpack(n)); making it large makes every attempt
// expensive in memory bandwidth as well as hashing.
package stamp

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"hash"
	"math/bits"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/msgpack"
)

// Size is the length of a stamp.
const Size = 32

// Work block rounds LXMF and Reticulum use.
const (
	RoundsMessage   = 3000 // LXMF message stamps
	RoundsPropagate = 1000 // propagation node stamps
	RoundsPeering   = 25   // propagation node peering keys
	RoundsDiscovery = 20   // interface discovery announces
)

// DefaultDiscoveryValue is the stamp value interface discovery announces
// are made with and required to have unless configured otherwise (the
// reference's InterfaceAnnouncer.DEFAULT_STAMP_VALUE, 1.4.2).
const DefaultDiscoveryValue = 16

// MaxRounds bounds the work block size a caller may ask for (64 MiB).
const MaxRounds = 1 << 18

// Errors.
var (
	ErrRounds = errors.New("stamp: work block rounds out of range")
	ErrCost   = errors.New("stamp: cost out of range (0..256)")
)

// Workblock derives the work block of material.
func Workblock(material []byte, rounds int) ([]byte, error) {
	if rounds < 0 || rounds > MaxRounds {
		return nil, ErrRounds
	}
	wb := make([]byte, 0, rounds*256)
	salt := make([]byte, 0, len(material)+9)
	for n := range rounds {
		idx, err := msgpack.Marshal(n)
		if err != nil {
			return nil, err
		}
		salt = append(append(salt[:0], material...), idx...)
		s := sha256.Sum256(salt)
		part, err := identity.HKDF(256, material, s[:], nil)
		if err != nil {
			return nil, err
		}
		wb = append(wb, part...)
	}
	return wb, nil
}

// Value returns the number of leading zero bits of SHA-256(workblock ||
// stamp): the cost the stamp meets.
func Value(workblock, stamp []byte) int {
	h := digest(workblock, stamp)
	v := 0
	for _, b := range h {
		if b != 0 {
			return v + bits.LeadingZeros8(b)
		}
		v += 8
	}
	return v
}

// Valid reports whether stamp meets cost: SHA-256(workblock || stamp),
// read as a big-endian number, is at most 2^(256-cost).
func Valid(stamp []byte, cost int, workblock []byte) bool {
	if cost < 0 || cost > 256 {
		return false
	}
	h := digest(workblock, stamp)
	return atMost(h, cost)
}

// atMost reports whether h <= 2^(256-cost).
func atMost(h [32]byte, cost int) bool {
	if cost == 0 {
		return true // 2^256 exceeds every digest
	}
	// 2^(256-cost) has bit (256-cost) set: byte (cost-1)/8 from the left.
	z := cost - 1 // leading zero bits of the threshold
	for i := 0; i < z/8; i++ {
		if h[i] != 0 {
			return false
		}
	}
	i := z / 8
	t := byte(0x80) >> (z % 8)
	if h[i] != t {
		return h[i] < t
	}
	for _, b := range h[i+1:] { // equal so far: h <= t only if the rest is zero
		if b != 0 {
			return false
		}
	}
	return true
}

func digest(workblock, stamp []byte) [32]byte {
	d := sha256.New()
	d.Write(workblock)
	d.Write(stamp)
	var out [32]byte
	d.Sum(out[:0])
	return out
}

// Generate searches for a stamp of at least cost for material, on every
// CPU, until one is found or ctx ends. It returns the stamp and its value.
func Generate(ctx context.Context, material []byte, cost, rounds int) ([]byte, int, error) {
	if cost < 0 || cost > 256 {
		return nil, 0, ErrCost
	}
	wb, err := Workblock(material, rounds)
	if err != nil {
		return nil, 0, err
	}
	return search(ctx, wb, cost)
}

func search(ctx context.Context, wb []byte, cost int) ([]byte, int, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var found atomic.Pointer[[Size]byte]
	var wg sync.WaitGroup
	for range max(1, runtime.GOMAXPROCS(0)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var s [Size]byte
			if _, err := rand.Read(s[:]); err != nil {
				return
			}
			// Hash the work block once; clone its state per attempt.
			base := sha256.New()
			base.Write(wb)
			for n := 0; ; n++ {
				if n%1024 == 0 && ctx.Err() != nil {
					return
				}
				d := cloneHash(base, wb)
				d.Write(s[:])
				var h [32]byte
				d.Sum(h[:0])
				if atMost(h, cost) {
					st := s
					if found.CompareAndSwap(nil, &st) {
						cancel()
					}
					return
				}
				increment(&s)
			}
		}()
	}
	wg.Wait()
	if s := found.Load(); s != nil {
		return s[:], Value(wb, s[:]), nil
	}
	return nil, 0, ctx.Err()
}

// increment counts s up by one, as a little-endian number.
func increment(s *[Size]byte) {
	for i := range s {
		s[i]++
		if s[i] != 0 {
			return
		}
	}
}

// cloneHash copies a hash's state, so the work block is hashed once per
// worker rather than once per attempt.
func cloneHash(h hash.Hash, wb []byte) hash.Hash {
	if c, ok := h.(hash.Cloner); ok {
		if d, err := c.Clone(); err == nil {
			return d
		}
	}
	d := sha256.New()
	d.Write(wb)
	return d
}
