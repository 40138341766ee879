package resource

import (
	"fmt"
	"math"

	"github.com/mehr-net/mehr/rns/msgpack"
)

// Advertisement is a resource advertisement (ResourceAdvertisement), sent
// encrypted on the link with context RESOURCE_ADV.
type Advertisement struct {
	TransferSize  int                 // t: length of the encrypted stream
	DataSize      int                 // d: uncompressed size (of all segments)
	Parts         int                 // n: number of parts
	Hash          [HashLen]byte       // h: resource hash
	RandomHash    [RandomHashLen]byte // r
	OriginalHash  [HashLen]byte       // o: hash of the first segment
	SegmentIndex  int                 // i: from 1
	TotalSegments int                 // l
	RequestID     []byte              // q: nil for none
	Flags         Flags               // f
	Hashmap       []byte              // m: the first map hashes
}

// Keys lists the advertisement's msgpack keys in the order the reference
// packs them.
var Keys = [...]string{"t", "d", "n", "h", "r", "o", "i", "l", "q", "f", "m"}

// Marshal returns the advertisement's msgpack plaintext, with the keys in
// the reference's order.
func (a *Advertisement) Marshal() ([]byte, error) {
	var q any
	if a.RequestID != nil {
		q = a.RequestID
	}
	return msgpack.Marshal(msgpack.Map{
		{Key: "t", Value: a.TransferSize},
		{Key: "d", Value: a.DataSize},
		{Key: "n", Value: a.Parts},
		{Key: "h", Value: a.Hash[:]},
		{Key: "r", Value: a.RandomHash[:]},
		{Key: "o", Value: a.OriginalHash[:]},
		{Key: "i", Value: a.SegmentIndex},
		{Key: "l", Value: a.TotalSegments},
		{Key: "q", Value: q},
		{Key: "f", Value: int(a.Flags)},
		{Key: "m", Value: a.Hashmap},
	})
}

// DecodeAdvertisement parses an advertisement plaintext, which is untrusted.
// Every key the reference reads must be present with the right type (extra
// keys are ignored, as the reference does), and the values must be
// consistent: 1 <= t <= MaxTransferSize, n >= 1, d >= 0, 1 <= i <= l, hashes
// of their exact lengths, a request ID of at most HashLen bytes or nil,
// flags in 0..255, and a hashmap of 1 to min(n, HashmapMaxLen) map hashes.
// Failures wrap ErrAdvertisement.
func DecodeAdvertisement(b []byte) (*Advertisement, error) {
	v, err := msgpack.Decode(b)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrAdvertisement, err)
	}
	m, ok := v.(msgpack.Map)
	if !ok {
		return nil, fmt.Errorf("%w: not a map", ErrAdvertisement)
	}
	var a Advertisement
	var d decoder
	d.m = m
	a.TransferSize = d.int("t", 1, MaxTransferSize)
	a.DataSize = d.int("d", 0, math.MaxInt)
	a.Parts = d.int("n", 1, MaxTransferSize)
	d.fixed("h", a.Hash[:])
	d.fixed("r", a.RandomHash[:])
	d.fixed("o", a.OriginalHash[:])
	a.SegmentIndex = d.int("i", 1, math.MaxInt32)
	a.TotalSegments = d.int("l", 1, math.MaxInt32)
	a.Flags = Flags(d.int("f", 0, 0xFF))
	if q, ok := d.get("q"); ok && q != nil {
		id, isBin := q.([]byte)
		if !isBin || len(id) == 0 || len(id) > HashLen {
			d.fail("q")
		}
		a.RequestID = id
	}
	if hm, ok := d.get("m"); ok {
		h, isBin := hm.([]byte)
		if !isBin || len(h) == 0 || len(h)%MapHashLen != 0 || len(h)/MapHashLen > HashmapMaxLen {
			d.fail("m")
		}
		a.Hashmap = h
	}
	if d.err != nil {
		return nil, d.err
	}
	if a.SegmentIndex > a.TotalSegments {
		return nil, fmt.Errorf("%w: segment %d of %d", ErrAdvertisement, a.SegmentIndex, a.TotalSegments)
	}
	if len(a.Hashmap)/MapHashLen > a.Parts {
		return nil, fmt.Errorf("%w: %d map hashes for %d parts", ErrAdvertisement, len(a.Hashmap)/MapHashLen, a.Parts)
	}
	return &a, nil
}

// decoder reads fields of a decoded map and keeps the first error.
type decoder struct {
	m   msgpack.Map
	err error
}

func (d *decoder) fail(key string) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: field %q", ErrAdvertisement, key)
	}
}

func (d *decoder) get(key string) (any, bool) {
	v, ok := d.m.Get(key)
	if !ok {
		d.fail(key)
	}
	return v, ok
}

func (d *decoder) int(key string, lo, hi int64) int {
	v, ok := d.get(key)
	if !ok {
		return 0
	}
	n, isInt := v.(int64)
	if !isInt || n < lo || n > hi {
		d.fail(key)
		return 0
	}
	return int(n)
}

func (d *decoder) fixed(key string, dst []byte) {
	v, ok := d.get(key)
	if !ok {
		return
	}
	b, isBin := v.([]byte)
	if !isBin || len(b) != len(dst) {
		d.fail(key)
		return
	}
	copy(dst, b)
}
