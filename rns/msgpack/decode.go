package msgpack

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"unicode/utf8"

	"github.com/vmihailenco/msgpack/v5"
	"github.com/vmihailenco/msgpack/v5/msgpcode"
)

// Decode decodes b, which must hold exactly one msgpack value, into generic
// Go values: nil, bool, int64 (uint64 only above math.MaxInt64), float64
// (a 32-bit float is widened), string for str, []byte for bin, []any for
// arrays and [Map] for maps, with entries in the order they appear in b.
// Nothing in the result aliases b.
//
// Malformed input is reported with the sentinel errors listed in the
// package documentation, before anything is allocated for it.
func Decode(b []byte) (any, error) {
	if err := check(b); err != nil {
		return nil, err
	}
	return decodeChecked(b)
}

// decodeChecked decodes input that passed check.
func decodeChecked(b []byte) (any, error) {
	d := msgpack.GetDecoder()
	defer msgpack.PutDecoder(d)
	d.Reset(bytes.NewReader(b))
	bl := builder{checked: true}
	return bl.value(d)
}

// Unmarshal decodes b, which must hold exactly one msgpack value, into the
// value v points to.
//
// A *any or *Map target gets the generic values Decode returns. Other
// targets are filled by the library's decoder: struct fields are matched by
// their msgpack tags or names, integers and floats convert to the field's
// type, and a map decoded into an interface-typed field or element becomes
// a Map (other values there take the library's default Go types).
//
// Malformed input is reported with the sentinel errors listed in the
// package documentation before v is touched; input that is well formed but
// does not fit v fails with an error wrapping [ErrType], possibly after
// part of v was filled in.
func Unmarshal(b []byte, v any) error {
	if err := check(b); err != nil {
		return err
	}
	if p, ok := v.(*any); ok && p != nil {
		x, err := decodeChecked(b)
		if err != nil {
			return err
		}
		*p = x
		return nil
	}
	d := msgpack.GetDecoder()
	defer msgpack.PutDecoder(d)
	d.Reset(bytes.NewReader(b)) // also clears all options
	d.SetMapDecoder(func(d *msgpack.Decoder) (any, error) {
		var bl builder
		return bl.value(d)
	})
	if err := d.Decode(v); err != nil {
		return fmt.Errorf("%w: %w", ErrType, err)
	}
	return nil
}

// builder turns the values a library Decoder reads into the generic values
// of Decode. It uses only the library's primitives to read bytes.
type builder struct {
	// checked means the input passed check, so sizes can be trusted for
	// preallocation and nesting is already bounded.
	checked bool
	depth   int
}

// unchecked is how many entries builder preallocates, at most, for an
// array or map whose declared size has not been checked against the input.
const unchecked = 16

func (bl *builder) value(d *msgpack.Decoder) (any, error) {
	c, err := d.PeekCode()
	if err != nil {
		return nil, readErr(err)
	}
	switch {
	case msgpcode.IsFixedNum(c):
		return bl.int(d)
	case msgpcode.IsFixedMap(c), c == msgpcode.Map16, c == msgpcode.Map32:
		return bl.mapValue(d)
	case msgpcode.IsFixedArray(c), c == msgpcode.Array16, c == msgpcode.Array32:
		return bl.array(d)
	case msgpcode.IsString(c):
		s, err := d.DecodeString()
		if err != nil {
			return nil, readErr(err)
		}
		if !utf8.ValidString(s) {
			return nil, ErrInvalidUTF8
		}
		return s, nil
	case msgpcode.IsBin(c):
		p, err := d.DecodeBytes()
		if err != nil {
			return nil, readErr(err)
		}
		return p, nil
	case msgpcode.IsExt(c):
		return nil, fmt.Errorf("%w: extension type 0x%02x", ErrUnsupportedType, c)
	}
	switch c {
	case msgpcode.Nil:
		return nil, readErr(d.DecodeNil())
	case msgpcode.False, msgpcode.True:
		v, err := d.DecodeBool()
		return v, readErr(err)
	case msgpcode.Float, msgpcode.Double:
		v, err := d.DecodeFloat64()
		return v, readErr(err)
	case msgpcode.Int8, msgpcode.Int16, msgpcode.Int32, msgpcode.Int64:
		return bl.int(d)
	case msgpcode.Uint8, msgpcode.Uint16, msgpcode.Uint32, msgpcode.Uint64:
		u, err := d.DecodeUint64()
		if err != nil {
			return nil, readErr(err)
		}
		if u > math.MaxInt64 {
			return u, nil
		}
		return int64(u), nil
	}
	return nil, fmt.Errorf("%w: 0x%02x", ErrInvalidCode, c)
}

func (bl *builder) int(d *msgpack.Decoder) (any, error) {
	v, err := d.DecodeInt64()
	if err != nil {
		return nil, readErr(err)
	}
	return v, nil
}

// size caps the preallocation for n entries of unchecked input.
func (bl *builder) size(n int) int {
	if bl.checked {
		return n
	}
	return min(n, unchecked)
}

func (bl *builder) enter() error {
	bl.depth++
	if bl.depth > MaxDepth {
		return ErrTooDeep
	}
	return nil
}

func (bl *builder) array(d *msgpack.Decoder) (any, error) {
	n, err := d.DecodeArrayLen()
	if err != nil {
		return nil, readErr(err)
	}
	if err := bl.enter(); err != nil {
		return nil, err
	}
	a := make([]any, 0, bl.size(n))
	for range n {
		v, err := bl.value(d)
		if err != nil {
			return nil, err
		}
		a = append(a, v)
	}
	bl.depth--
	return a, nil
}

func (bl *builder) mapValue(d *msgpack.Decoder) (any, error) {
	n, err := d.DecodeMapLen()
	if err != nil {
		return nil, readErr(err)
	}
	if err := bl.enter(); err != nil {
		return nil, err
	}
	m := make(Map, 0, bl.size(n))
	for range n {
		k, err := bl.value(d)
		if err != nil {
			return nil, err
		}
		if _, ok := k.(Map); ok {
			return nil, ErrUnhashableKey
		}
		v, err := bl.value(d)
		if err != nil {
			return nil, err
		}
		m = append(m, KV{k, v})
	}
	bl.depth--
	return m, nil
}

// readErr turns the library's end-of-input errors into ErrTruncated.
func readErr(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: %w", ErrTruncated, err)
	}
	return err
}

func wrongType(v, target any) error {
	return fmt.Errorf("%w: cannot decode %T into %T", ErrType, v, target)
}
