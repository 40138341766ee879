package msgpack

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"unicode/utf8"
)

// MaxDepth is the deepest nesting of arrays and maps that Decode and
// Unmarshal accept and Marshal writes. Every array or map is one level, so
// [[[1]]] is 3 levels deep; when encoding, a pointer also counts as a
// level. The reference's recursive decoder runs out of Python stack a
// little above 300 levels, so the nesting accepted here is accepted there
// too.
const MaxDepth = 256

// smallMap is the number of entries up to which duplicate keys are found by
// comparing every pair; larger maps use a hash set.
const smallMap = 16

// How a value is being checked.
const (
	asValue  = iota // anywhere but a map key
	asKey           // a map key: record its canonical form
	inKeyArr        // inside an array used as a map key
)

// checker walks encoded input once, without allocating for well-formed
// input with small maps, and establishes everything Decode and Unmarshal
// promise: complete values, sizes that fit the input, bounded depth,
// defined type bytes, valid UTF-8 and distinct hashable keys. The
// library's decoder is only ever run on input that passed.
type checker struct {
	b     []byte
	pos   int
	depth int

	// canon holds the canonical forms of the keys of the maps being
	// checked, innermost map last (see canonical key forms below).
	canon []byte
}

// check reports whether b holds exactly one well-formed value.
func check(b []byte) error {
	c := checker{b: b}
	if _, err := c.value(asValue); err != nil {
		return err
	}
	if c.pos != len(b) {
		return fmt.Errorf("%w: %d bytes at offset %d", ErrTrailingData, len(b)-c.pos, c.pos)
	}
	return nil
}

func (c *checker) fail(err error, at int) error {
	return fmt.Errorf("%w at offset %d", err, at)
}

// left returns how many input bytes remain.
func (c *checker) left() uint64 { return uint64(len(c.b) - c.pos) }

// uint reads an n-byte big-endian unsigned integer (n is 1, 2, 4 or 8).
func (c *checker) uint(n int) (uint64, error) {
	if c.left() < uint64(n) {
		return 0, c.fail(ErrTruncated, c.pos)
	}
	var v uint64
	for _, x := range c.b[c.pos : c.pos+n] {
		v = v<<8 | uint64(x)
	}
	c.pos += n
	return v, nil
}

// Canonical key forms. Two scalar keys are the same Python dict key exactly
// when their canonical forms are equal: integral numbers (bools, integers,
// and floats with an integral value in the int64/uint64 range) become 'n'
// (negative) or 'p' (non-negative) followed by 8 bytes, other floats 'f'
// and their 64-bit pattern, nil 'z', str 's' and bin 'b' followed by the
// bytes. NaN keys are never recorded: NaN equals nothing.
const (
	canonNeg   = 'n'
	canonPos   = 'p'
	canonFloat = 'f'
	canonNil   = 'z'
	canonStr   = 's'
	canonBin   = 'b'
)

func (c *checker) canonInt(v int64) {
	if v < 0 {
		c.canon = append(c.canon, canonNeg)
	} else {
		c.canon = append(c.canon, canonPos)
	}
	c.canon = binary.BigEndian.AppendUint64(c.canon, uint64(v))
}

func (c *checker) canonUint(v uint64) {
	c.canon = append(c.canon, canonPos)
	c.canon = binary.BigEndian.AppendUint64(c.canon, v)
}

// canonFloat records f and reports false for NaN, which is not recorded.
func (c *checker) canonFloat(f float64) bool {
	switch {
	case math.IsNaN(f):
		return false
	case f == math.Trunc(f) && f >= -(1<<63) && f < 0:
		c.canonInt(int64(f))
	case f == math.Trunc(f) && f >= 0 && f < (1<<64):
		c.canonUint(uint64(f)) // -0.0 lands here too, as 0
	default:
		c.canon = append(c.canon, canonFloat)
		c.canon = binary.BigEndian.AppendUint64(c.canon, math.Float64bits(f))
	}
	return true
}

// value checks the value at c.pos. With mode asKey it appends the
// canonical form of a scalar key to c.canon and reports true; it reports
// false, appending nothing, for array and NaN keys and in other modes.
func (c *checker) value(mode int) (bool, error) {
	if c.pos >= len(c.b) {
		return false, c.fail(ErrTruncated, c.pos)
	}
	start := c.pos
	code := c.b[c.pos]
	c.pos++
	key := mode == asKey

	switch {
	case code <= 0x7f: // positive fixint
		if key {
			c.canonUint(uint64(code))
		}
		return key, nil
	case code >= 0xe0: // negative fixint
		if key {
			c.canonInt(int64(int8(code)))
		}
		return key, nil
	case code <= 0x8f: // fixmap
		return false, c.mapBody(uint64(code&0x0f), mode, start)
	case code <= 0x9f: // fixarray
		return false, c.arrayBody(uint64(code&0x0f), mode, start)
	case code <= 0xbf: // fixstr
		return key, c.raw(uint64(code&0x1f), canonStr, key, start)
	}

	switch code {
	case 0xc0: // nil
		if key {
			c.canon = append(c.canon, canonNil)
		}
		return key, nil
	case 0xc1:
		return false, c.fail(ErrInvalidCode, start)
	case 0xc2, 0xc3: // false, true: equal to 0 and 1 as keys
		if key {
			c.canonUint(uint64(code - 0xc2))
		}
		return key, nil
	case 0xc4, 0xc5, 0xc6: // bin8, bin16, bin32
		n, err := c.uint(1 << (code - 0xc4))
		if err != nil {
			return false, err
		}
		return key, c.raw(n, canonBin, key, start)
	case 0xc7, 0xc8, 0xc9, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8: // ext
		return false, c.fail(fmt.Errorf("%w: extension type 0x%02x", ErrUnsupportedType, code), start)
	case 0xca: // float32
		v, err := c.uint(4)
		if err != nil {
			return false, err
		}
		return key && c.canonFloat(float64(math.Float32frombits(uint32(v)))), nil
	case 0xcb: // float64
		v, err := c.uint(8)
		if err != nil {
			return false, err
		}
		return key && c.canonFloat(math.Float64frombits(v)), nil
	case 0xcc, 0xcd, 0xce, 0xcf: // uint8 .. uint64
		v, err := c.uint(1 << (code - 0xcc))
		if err != nil {
			return false, err
		}
		if key {
			c.canonUint(v)
		}
		return key, nil
	case 0xd0, 0xd1, 0xd2, 0xd3: // int8 .. int64
		size := 1 << (code - 0xd0)
		v, err := c.uint(size)
		if err != nil {
			return false, err
		}
		if key {
			shift := 64 - 8*size // sign-extend
			c.canonInt(int64(v<<shift) >> shift)
		}
		return key, nil
	case 0xd9, 0xda, 0xdb: // str8, str16, str32
		n, err := c.uint(1 << (code - 0xd9))
		if err != nil {
			return false, err
		}
		return key, c.raw(n, canonStr, key, start)
	case 0xdc, 0xdd: // array16, array32
		n, err := c.uint(2 << (code - 0xdc))
		if err != nil {
			return false, err
		}
		return false, c.arrayBody(n, mode, start)
	default: // 0xde, 0xdf: map16, map32
		n, err := c.uint(2 << (code - 0xde))
		if err != nil {
			return false, err
		}
		return false, c.mapBody(n, mode, start)
	}
}

// raw checks the n payload bytes of a str (tag canonStr) or bin value.
func (c *checker) raw(n uint64, tag byte, key bool, start int) error {
	if c.left() < n {
		return c.fail(ErrTruncated, start)
	}
	p := c.b[c.pos : c.pos+int(n)]
	if tag == canonStr && !utf8.Valid(p) {
		return c.fail(ErrInvalidUTF8, start)
	}
	if key {
		c.canon = append(c.canon, tag)
		c.canon = append(c.canon, p...)
	}
	c.pos += int(n)
	return nil
}

func (c *checker) enter(start int) error {
	c.depth++
	if c.depth > MaxDepth {
		return c.fail(ErrTooDeep, start)
	}
	return nil
}

func (c *checker) arrayBody(n uint64, mode, start int) error {
	if c.left() < n { // every element takes at least one byte
		return c.fail(ErrTruncated, start)
	}
	if err := c.enter(start); err != nil {
		return err
	}
	if mode != asValue {
		// An array key becomes a tuple in the reference; what is in it
		// must be hashable too, but it is never compared.
		mode = inKeyArr
	}
	for ; n > 0; n-- {
		if _, err := c.value(mode); err != nil {
			return err
		}
	}
	c.depth--
	return nil
}

func (c *checker) mapBody(n uint64, mode, start int) error {
	if mode != asValue {
		return c.fail(ErrUnhashableKey, start)
	}
	if c.left()/2 < n { // every entry takes at least two bytes
		return c.fail(ErrTruncated, start)
	}
	if err := c.enter(start); err != nil {
		return err
	}
	base := len(c.canon)
	var (
		ends [smallMap]int       // end of each recorded key in c.canon
		nk   int                 // number of recorded keys
		seen map[string]struct{} // recorded keys of a large map
	)
	for ; n > 0; n-- {
		at, from := c.pos, len(c.canon)
		rec, err := c.value(asKey)
		if err != nil {
			return err
		}
		if rec {
			k := c.canon[from:]
			if nk < smallMap && seen == nil {
				prev := base
				for _, end := range ends[:nk] {
					if bytes.Equal(c.canon[prev:end], k) {
						return c.fail(ErrDuplicateKey, at)
					}
					prev = end
				}
				ends[nk] = len(c.canon)
				nk++
			} else {
				if seen == nil {
					seen = make(map[string]struct{}, 2*smallMap)
					prev := base
					for _, end := range ends[:nk] {
						seen[string(c.canon[prev:end])] = struct{}{}
						prev = end
					}
				}
				if _, dup := seen[string(k)]; dup {
					return c.fail(ErrDuplicateKey, at)
				}
				seen[string(k)] = struct{}{}
				c.canon = c.canon[:from]
			}
		}
		if _, err := c.value(asValue); err != nil {
			return err
		}
	}
	c.canon = c.canon[:base]
	c.depth--
	return nil
}
