package msgpack

import (
	"bytes"
	"encoding"
	"fmt"
	"reflect"
	"slices"

	"github.com/vmihailenco/msgpack/v5"
)

// Marshal returns the msgpack encoding of v, following the rules in the
// package documentation: integers in their smallest form, floats as 64-bit
// floats, string as str, []byte as bin, and a [Map] in its own order.
//
// It fails with [ErrUnsupportedType] for values with no msgpack form, with
// [ErrTooDeep] for values nested more than [MaxDepth] levels (which catches
// slices and maps that contain themselves), and with the library's error
// for a struct it cannot encode.
func Marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	e := newEncoder(&buf)
	err := encodeValue(e, v, 0)
	msgpack.PutEncoder(e)
	if err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// newEncoder returns a pooled library encoder writing to w, set up so that
// what it encodes by itself (struct fields) follows the reference as far
// as the library allows: smallest integer forms, floats never turned into
// integers, and sorted rather than random keys for the Go maps it sorts.
// Return it with msgpack.PutEncoder.
func newEncoder(w *bytes.Buffer) *msgpack.Encoder {
	e := msgpack.GetEncoder()
	e.Reset(w) // also clears all options
	e.UseCompactInts(true)
	e.UseCompactFloats(false)
	e.SetSortMapKeys(true)
	return e
}

// encodeValue writes v at nesting depth depth. The common generic types are
// handled without reflection; the rest goes through encodeReflect.
func encodeValue(e *msgpack.Encoder, v any, depth int) error {
	switch v := v.(type) {
	case nil:
		return e.EncodeNil()
	case bool:
		return e.EncodeBool(v)
	case int:
		return e.EncodeInt(int64(v))
	case int8:
		return e.EncodeInt(int64(v))
	case int16:
		return e.EncodeInt(int64(v))
	case int32:
		return e.EncodeInt(int64(v))
	case int64:
		return e.EncodeInt(v)
	case uint:
		return e.EncodeUint(uint64(v))
	case uint8:
		return e.EncodeUint(uint64(v))
	case uint16:
		return e.EncodeUint(uint64(v))
	case uint32:
		return e.EncodeUint(uint64(v))
	case uint64:
		return e.EncodeUint(v)
	case float32:
		return e.EncodeFloat64(float64(v))
	case float64:
		return e.EncodeFloat64(v)
	case string:
		return e.EncodeString(v)
	case []byte:
		return e.EncodeBytes(v) // nil encodes as nil
	case Map:
		return encodeMap(e, v, depth)
	case []any:
		if v == nil {
			return e.EncodeNil()
		}
		if depth >= MaxDepth {
			return ErrTooDeep
		}
		if err := e.EncodeArrayLen(len(v)); err != nil {
			return err
		}
		for _, x := range v {
			if err := encodeValue(e, x, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	return encodeReflect(e, reflect.ValueOf(v), depth)
}

func encodeMap(e *msgpack.Encoder, m Map, depth int) error {
	if m == nil {
		return e.EncodeNil()
	}
	if depth >= MaxDepth {
		return ErrTooDeep
	}
	if err := e.EncodeMapLen(len(m)); err != nil {
		return err
	}
	for _, kv := range m {
		if err := encodeValue(e, kv.Key, depth+1); err != nil {
			return err
		}
		if err := encodeValue(e, kv.Value, depth+1); err != nil {
			return err
		}
	}
	return nil
}

var (
	customEncoderType   = reflect.TypeFor[msgpack.CustomEncoder]()
	marshalerType       = reflect.TypeFor[msgpack.Marshaler]()
	binaryMarshalerType = reflect.TypeFor[encoding.BinaryMarshaler]()
	textMarshalerType   = reflect.TypeFor[encoding.TextMarshaler]()
)

// ownEncoding reports whether t chose its own encoding through one of the
// interfaces the library honours.
func ownEncoding(t reflect.Type) bool {
	for _, i := range [...]reflect.Type{customEncoderType, marshalerType, binaryMarshalerType, textMarshalerType} {
		if t.Implements(i) || reflect.PointerTo(t).Implements(i) {
			return true
		}
	}
	return false
}

// encodeReflect writes named and composite types by kind, so that, for
// example, a named byte slice is still bin, a named float32 is still
// widened and the elements of any slice follow the same rules. Structs and
// types with their own encoding go to the library.
func encodeReflect(e *msgpack.Encoder, v reflect.Value, depth int) error {
	t := v.Type()
	if ownEncoding(t) {
		return e.EncodeValue(v)
	}
	switch t.Kind() {
	case reflect.Bool:
		return e.EncodeBool(v.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return e.EncodeInt(v.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return e.EncodeUint(v.Uint())
	case reflect.Float32, reflect.Float64:
		return e.EncodeFloat64(v.Float())
	case reflect.String:
		return e.EncodeString(v.String())
	case reflect.Slice:
		if v.IsNil() {
			return e.EncodeNil()
		}
		if t.Elem().Kind() == reflect.Uint8 {
			return e.EncodeBytes(v.Bytes())
		}
		return encodeList(e, v, depth)
	case reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			b := make([]byte, v.Len())
			reflect.Copy(reflect.ValueOf(b), v)
			return e.EncodeBytes(b)
		}
		return encodeList(e, v, depth)
	case reflect.Map:
		if v.IsNil() {
			return e.EncodeNil()
		}
		return encodeGoMap(e, v, depth)
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return e.EncodeNil()
		}
		if t.Kind() == reflect.Pointer && t.Elem().Kind() == reflect.Struct {
			return e.EncodeValue(v) // keeps the struct addressable
		}
		if depth >= MaxDepth { // a pointer counts as a level: p = &p must end
			return ErrTooDeep
		}
		return encodeValue(e, v.Elem().Interface(), depth+1)
	case reflect.Struct:
		return e.EncodeValue(v)
	}
	return fmt.Errorf("%w: %s", ErrUnsupportedType, t)
}

func encodeList(e *msgpack.Encoder, v reflect.Value, depth int) error {
	if depth >= MaxDepth {
		return ErrTooDeep
	}
	n := v.Len()
	if err := e.EncodeArrayLen(n); err != nil {
		return err
	}
	for i := range n {
		if err := encodeValue(e, v.Index(i).Interface(), depth+1); err != nil {
			return err
		}
	}
	return nil
}

// encodeGoMap writes a Go map with its entries sorted by the bytes of their
// encoded keys, the only order a Go map can be given for any key type.
func encodeGoMap(e *msgpack.Encoder, v reflect.Value, depth int) error {
	if depth >= MaxDepth {
		return ErrTooDeep
	}
	type entry struct {
		key []byte
		val reflect.Value
	}
	entries := make([]entry, 0, v.Len())
	var buf bytes.Buffer
	ke := newEncoder(&buf)
	defer msgpack.PutEncoder(ke)
	for it := v.MapRange(); it.Next(); {
		buf.Reset()
		if err := encodeValue(ke, it.Key().Interface(), depth+1); err != nil {
			return err
		}
		entries = append(entries, entry{bytes.Clone(buf.Bytes()), it.Value()})
	}
	slices.SortFunc(entries, func(a, b entry) int { return bytes.Compare(a.key, b.key) })
	if err := e.EncodeMapLen(len(entries)); err != nil {
		return err
	}
	w := e.Writer()
	for _, en := range entries {
		if _, err := w.Write(en.key); err != nil {
			return err
		}
		if err := encodeValue(e, en.val.Interface(), depth+1); err != nil {
			return err
		}
	}
	return nil
}
