package sha256x

import (
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"hash"
)

const (
	// Size is the length of a SHA-256 sum in bytes.
	Size = 32
	// BlockSize is SHA-256's block size in bytes.
	BlockSize = 64
)

var initState = [8]uint32{
	0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
	0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
}

// Digest is a SHA-256 computation in progress. The zero value is not
// ready for use: call New or Reset.
type Digest struct {
	h   [8]uint32
	x   [BlockSize]byte // a partial block
	nx  int             // bytes in x
	len uint64          // bytes written
}

var (
	_ hash.Hash   = (*Digest)(nil)
	_ hash.Cloner = (*Digest)(nil)
)

// New returns a new SHA-256 Digest.
func New() *Digest {
	d := new(Digest)
	d.Reset()
	return d
}

// Reset restarts the digest.
func (d *Digest) Reset() {
	d.h = initState
	d.nx = 0
	d.len = 0
}

// Size returns Size.
func (d *Digest) Size() int { return Size }

// BlockSize returns BlockSize.
func (d *Digest) BlockSize() int { return BlockSize }

// Clone returns an independent copy of the digest.
func (d *Digest) Clone() (hash.Cloner, error) {
	c := *d
	return &c, nil
}

// Write adds p to the message. It never fails.
func (d *Digest) Write(p []byte) (int, error) {
	n := len(p)
	d.len += uint64(n)
	if p = d.fill(p); len(p) == 0 {
		return n, nil // a partial block may be left in x
	}
	if k := len(p) &^ (BlockSize - 1); k > 0 {
		blocks(&d.h, p[:k])
		p = p[k:]
	}
	d.nx = copy(d.x[:], p)
	return n, nil
}

// fill tops up a partial block from p, hashing it if it fills, and returns
// the rest of p. Unless p runs out first, the digest has no partial block
// afterwards. It does not count p in d.len.
func (d *Digest) fill(p []byte) []byte {
	if d.nx == 0 {
		return p
	}
	k := copy(d.x[d.nx:], p)
	d.nx += k
	if d.nx == BlockSize {
		blocks(&d.h, d.x[:])
		d.nx = 0
	}
	return p[k:]
}

// Write2 adds pa to a's message and pb to b's, hashing the two side by
// side where both have whole blocks to hash. a and b must be distinct.
func Write2(a *Digest, pa []byte, b *Digest, pb []byte) {
	la, lb := len(pa), len(pb)
	pa, pb = a.fill(pa), b.fill(pb)
	if a.nx == 0 && b.nx == 0 {
		if n := min(len(pa), len(pb)) &^ (BlockSize - 1); n > 0 {
			blocks2(&a.h, &b.h, pa[:n], pb[:n])
			pa, pb = pa[n:], pb[n:]
		}
	}
	// What is left of one (or both, under a block each) goes alone.
	a.len += uint64(la - len(pa))
	b.len += uint64(lb - len(pb))
	a.Write(pa)
	b.Write(pb)
}

// Sum appends the current sum to b without changing the digest.
func (d *Digest) Sum(b []byte) []byte {
	s := d.sum()
	return append(b, s[:]...)
}

// Sum256 returns the current sum without changing the digest.
func (d *Digest) Sum256() [Size]byte { return d.sum() }

func (d *Digest) sum() [Size]byte {
	c := *d
	var pad [BlockSize + 8]byte
	c.Write(pad[:padding(&pad, &c)])
	var out [Size]byte
	for i, v := range c.h {
		binary.BigEndian.PutUint32(out[4*i:], v)
	}
	return out
}

// Sum2 returns the current sums of a and b, finishing both side by side.
func Sum2(a, b *Digest) (sa, sb [Size]byte) {
	ca, cb := *a, *b
	var pa, pb [BlockSize + 8]byte
	na, nb := padding(&pa, &ca), padding(&pb, &cb)
	Write2(&ca, pa[:na], &cb, pb[:nb])
	for i := range 8 {
		binary.BigEndian.PutUint32(sa[4*i:], ca.h[i])
		binary.BigEndian.PutUint32(sb[4*i:], cb.h[i])
	}
	return sa, sb
}

// padding writes into pad the bytes that end d's message (0x80, zeros so
// that the 8 bytes of length end a block, the length) and returns how
// many there are.
func padding(pad *[BlockSize + 8]byte, d *Digest) int {
	pad[0] = 0x80
	n := 1 + (BlockSize+BlockSize-9-d.nx)%BlockSize
	binary.BigEndian.PutUint64(pad[n:], d.len<<3)
	return n + 8
}

// Sum256 returns the SHA-256 sum of data.
func Sum256(data []byte) [Size]byte {
	var d Digest
	d.Reset()
	d.Write(data)
	return d.sum()
}

// Sum256x2 returns the SHA-256 sums of a || as and b || bs, hashing the
// two messages side by side: the map hashes of two resource parts, say,
// which end with the same salt.
func Sum256x2(a, as, b, bs []byte) (sa, sb [Size]byte) {
	var da, db Digest
	da.Reset()
	db.Reset()
	Write2(&da, a, &db, b)
	Write2(&da, as, &db, bs)
	return Sum2(&da, &db)
}

// HMAC is HMAC-SHA-256 with a fixed key.
type HMAC struct {
	inner, outer Digest // outer has taken the padded key already
	start        Digest // inner after the padded key, for Reset
}

// NewHMAC returns HMAC-SHA-256 keyed with key.
func NewHMAC(key []byte) *HMAC {
	if len(key) > BlockSize {
		k := Sum256(key)
		key = k[:]
	}
	var ipad, opad [BlockSize]byte
	copy(ipad[:], key)
	copy(opad[:], key)
	for i := range ipad {
		ipad[i] ^= 0x36
		opad[i] ^= 0x5c
	}
	h := new(HMAC)
	h.start.Reset()
	h.start.Write(ipad[:])
	h.outer.Reset()
	h.outer.Write(opad[:])
	h.inner = h.start
	return h
}

var _ hash.Hash = (*HMAC)(nil)

// Inner returns the digest the message goes into, for Write2.
func (h *HMAC) Inner() *Digest { return &h.inner }

// Write adds p to the message. It never fails.
func (h *HMAC) Write(p []byte) (int, error) { return h.inner.Write(p) }

// Sum appends the MAC of the message so far to b.
func (h *HMAC) Sum(b []byte) []byte {
	in := h.inner.sum()
	o := h.outer
	o.Write(in[:])
	return o.Sum(b)
}

// Reset restarts the message under the same key.
func (h *HMAC) Reset() { h.inner = h.start }

// Size returns Size.
func (h *HMAC) Size() int { return Size }

// BlockSize returns BlockSize.
func (h *HMAC) BlockSize() int { return BlockSize }

// ErrMAC reports a MAC that does not match.
var ErrMAC = errors.New("sha256x: MAC mismatch")

// Verify checks, in constant time, that mac is the MAC of the message so
// far.
func (h *HMAC) Verify(mac []byte) error {
	var sum [Size]byte
	if subtle.ConstantTimeCompare(h.Sum(sum[:0]), mac) != 1 {
		return ErrMAC
	}
	return nil
}
