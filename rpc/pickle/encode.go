package pickle

import (
	"encoding/binary"
	"fmt"
	"math"
	"reflect"
	"sort"
	"unicode/utf8"

	"github.com/mehr-net/mehr/rns/msgpack"
)

// Protocol is the pickle protocol Encode writes.
const Protocol = 3

// Encode returns a protocol-3 pickle of v that Python's pickle.loads turns
// into the corresponding Python value: nil as None, bool, every Go integer
// type as int, float32 and float64 as float, string as str (it must be
// valid UTF-8), []byte and byte arrays as bytes, [Tuple] as tuple, other
// slices and arrays as list, msgpack.Map as dict in its order, and maps
// with string keys as dict sorted by key. As in rns/msgpack, a nil slice,
// map or pointer is written as None, so an empty list must be non-nil. Other types fail with
// ErrUnsupported, and nesting beyond MaxDepth (which includes a slice that
// contains itself) with ErrTooDeep.
func Encode(v any) ([]byte, error) {
	b := []byte{opProto, Protocol}
	b, err := encode(b, v, 0)
	if err != nil {
		return nil, err
	}
	return append(b, opStop), nil
}

func encode(b []byte, v any, depth int) ([]byte, error) {
	if depth > MaxDepth {
		return nil, fmt.Errorf("%w: more than %d levels", ErrTooDeep, MaxDepth)
	}
	switch v := v.(type) {
	case nil:
		return append(b, opNone), nil
	case bool:
		if v {
			return append(b, opNewTrue), nil
		}
		return append(b, opNewFalse), nil
	case int:
		return appendInt(b, int64(v)), nil
	case int8:
		return appendInt(b, int64(v)), nil
	case int16:
		return appendInt(b, int64(v)), nil
	case int32:
		return appendInt(b, int64(v)), nil
	case int64:
		return appendInt(b, v), nil
	case uint:
		return appendUint(b, uint64(v)), nil
	case uint8:
		return appendInt(b, int64(v)), nil
	case uint16:
		return appendInt(b, int64(v)), nil
	case uint32:
		return appendInt(b, int64(v)), nil
	case uint64:
		return appendUint(b, v), nil
	case float32:
		return appendFloat(b, float64(v)), nil
	case float64:
		return appendFloat(b, v), nil
	case string:
		if !utf8.ValidString(v) {
			return nil, ErrInvalidUTF8
		}
		if uint64(len(v)) > math.MaxUint32 {
			return nil, fmt.Errorf("%w: str of %d bytes", ErrUnsupported, len(v))
		}
		b = append(b, opBinUnicode)
		b = binary.LittleEndian.AppendUint32(b, uint32(len(v)))
		return append(b, v...), nil
	case []byte:
		if v == nil {
			return append(b, opNone), nil
		}
		return appendBytes(b, v)
	case Tuple:
		if v == nil {
			return append(b, opNone), nil
		}
		return encodeTuple(b, v, depth)
	case []any:
		if v == nil {
			return append(b, opNone), nil
		}
		return encodeList(b, len(v), func(i int) any { return v[i] }, depth)
	case msgpack.Map:
		if v == nil {
			return append(b, opNone), nil
		}
		b = append(b, opEmptyDict)
		if len(v) == 0 {
			return b, nil
		}
		b = append(b, opMark)
		for _, kv := range v {
			var err error
			if b, err = encode(b, kv.Key, depth+1); err != nil {
				return nil, err
			}
			if b, err = encode(b, kv.Value, depth+1); err != nil {
				return nil, err
			}
		}
		return append(b, opSetItems), nil
	}
	return encodeReflect(b, reflect.ValueOf(v), depth)
}

// encodeReflect handles named types, other slices and arrays, maps with
// string keys and pointers.
func encodeReflect(b []byte, rv reflect.Value, depth int) ([]byte, error) {
	switch rv.Kind() {
	case reflect.Bool:
		return encode(b, rv.Bool(), depth)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return appendInt(b, rv.Int()), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return appendUint(b, rv.Uint()), nil
	case reflect.Float32, reflect.Float64:
		return appendFloat(b, rv.Float()), nil
	case reflect.String:
		return encode(b, rv.String(), depth)
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return append(b, opNone), nil
		}
		return encode(b, rv.Elem().Interface(), depth+1)
	case reflect.Slice:
		if rv.IsNil() {
			return append(b, opNone), nil
		}
		fallthrough
	case reflect.Array:
		if rv.Type().Elem().Kind() == reflect.Uint8 {
			p := make([]byte, rv.Len())
			reflect.Copy(reflect.ValueOf(p), rv)
			return appendBytes(b, p)
		}
		return encodeList(b, rv.Len(), func(i int) any { return rv.Index(i).Interface() }, depth)
	case reflect.Map:
		if rv.IsNil() {
			return append(b, opNone), nil
		}
		if rv.Type().Key().Kind() != reflect.String {
			break
		}
		keys := rv.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
		m := make(msgpack.Map, len(keys))
		for i, k := range keys {
			m[i] = msgpack.KV{Key: k.String(), Value: rv.MapIndex(k).Interface()}
		}
		return encode(b, m, depth)
	}
	if !rv.IsValid() {
		return append(b, opNone), nil
	}
	return nil, fmt.Errorf("%w: Go type %s", ErrUnsupported, rv.Type())
}

func encodeList(b []byte, n int, at func(int) any, depth int) ([]byte, error) {
	b = append(b, opEmptyList)
	if n == 0 {
		return b, nil
	}
	b = append(b, opMark)
	for i := 0; i < n; i++ {
		var err error
		if b, err = encode(b, at(i), depth+1); err != nil {
			return nil, err
		}
	}
	return append(b, opAppends), nil
}

func encodeTuple(b []byte, t Tuple, depth int) ([]byte, error) {
	if len(t) == 0 {
		return append(b, opEmptyTuple), nil
	}
	if len(t) > 3 {
		b = append(b, opMark)
	}
	for _, e := range t {
		var err error
		if b, err = encode(b, e, depth+1); err != nil {
			return nil, err
		}
	}
	if len(t) > 3 {
		return append(b, opTuple), nil
	}
	return append(b, opTuple1+byte(len(t)-1)), nil
}

// appendInt writes an integer the way Python's pickler does from protocol
// 2 on: BININT1, BININT2 or BININT where the value fits, else LONG1 with
// the shortest two's complement encoding.
func appendInt(b []byte, v int64) []byte {
	switch {
	case v >= 0 && v <= 0xff:
		return append(b, opBinInt1, byte(v))
	case v >= 0 && v <= 0xffff:
		return binary.LittleEndian.AppendUint16(append(b, opBinInt2), uint16(v))
	case v >= math.MinInt32 && v <= math.MaxInt32:
		return binary.LittleEndian.AppendUint32(append(b, opBinInt), uint32(int32(v)))
	}
	le := binary.LittleEndian.AppendUint64(nil, uint64(v))
	return appendLong1(b, le)
}

func appendUint(b []byte, v uint64) []byte {
	if v <= math.MaxInt64 {
		return appendInt(b, int64(v))
	}
	le := binary.LittleEndian.AppendUint64(nil, v)
	return appendLong1(b, append(le, 0)) // a zero byte keeps it positive
}

// appendLong1 writes LONG1 with le, a little-endian two's complement
// integer, shortened to its minimal length.
func appendLong1(b, le []byte) []byte {
	for len(le) > 1 {
		last, prev := le[len(le)-1], le[len(le)-2]
		if (last == 0x00 && prev&0x80 == 0) || (last == 0xff && prev&0x80 != 0) {
			le = le[:len(le)-1]
			continue
		}
		break
	}
	b = append(b, opLong1, byte(len(le)))
	return append(b, le...)
}

func appendFloat(b []byte, f float64) []byte {
	return binary.BigEndian.AppendUint64(append(b, opBinFloat), math.Float64bits(f))
}

func appendBytes(b, p []byte) ([]byte, error) {
	if uint64(len(p)) > math.MaxUint32 {
		return nil, fmt.Errorf("%w: bytes of %d bytes", ErrUnsupported, len(p))
	}
	if len(p) < 256 {
		b = append(b, opShortBinBytes, byte(len(p)))
	} else {
		b = binary.LittleEndian.AppendUint32(append(b, opBinBytes), uint32(len(p)))
	}
	return append(b, p...), nil
}
