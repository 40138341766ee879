package msgpack_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"

	"github.com/mehr-net/mehr/rns/msgpack"
)

// same reports whether two generic values, as Decode returns them, are
// identical: same Go types, floats with the same bit pattern (so a NaN
// equals itself), byte strings with the same bytes, and maps with the same
// entries in the same order.
func same(a, b any) bool {
	switch a := a.(type) {
	case nil:
		return b == nil
	case bool, int64, uint64, string:
		return a == b
	case float64:
		f, ok := b.(float64)
		return ok && math.Float64bits(a) == math.Float64bits(f)
	case []byte:
		p, ok := b.([]byte)
		return ok && (a == nil) == (p == nil) && bytes.Equal(a, p)
	case []any:
		l, ok := b.([]any)
		if !ok || len(a) != len(l) || (a == nil) != (l == nil) {
			return false
		}
		for i := range a {
			if !same(a[i], l[i]) {
				return false
			}
		}
		return true
	case msgpack.Map:
		m, ok := b.(msgpack.Map)
		if !ok || len(a) != len(m) || (a == nil) != (m == nil) {
			return false
		}
		for i := range a {
			if !same(a[i].Key, m[i].Key) || !same(a[i].Value, m[i].Value) {
				return false
			}
		}
		return true
	}
	panic(fmt.Sprintf("same: unexpected type %T", a))
}

// orderedJSON decodes one JSON value keeping the order of object members:
// objects become a msgpack.Map, arrays []any, integers int64, other numbers
// float64, and strings whatever str returns for them (the vectors use JSON
// strings both for text and for hex-encoded byte strings).
func orderedJSON(raw []byte, str func(string) (any, error)) (any, error) {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	v, err := orderedValue(d, str)
	if err != nil {
		return nil, err
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, fmt.Errorf("orderedJSON: trailing data")
	}
	return v, nil
}

func orderedValue(d *json.Decoder, str func(string) (any, error)) (any, error) {
	tok, err := d.Token()
	if err != nil {
		return nil, err
	}
	switch tok := tok.(type) {
	case nil, bool:
		return tok, nil
	case string:
		return str(tok)
	case json.Number:
		if i, err := tok.Int64(); err == nil {
			return i, nil
		}
		return tok.Float64()
	case json.Delim:
		switch tok {
		case '{':
			m := msgpack.Map{}
			for d.More() {
				k, err := d.Token()
				if err != nil {
					return nil, err
				}
				v, err := orderedValue(d, str)
				if err != nil {
					return nil, err
				}
				m = append(m, msgpack.KV{Key: k.(string), Value: v})
			}
			_, err := d.Token() // '}'
			return m, err
		case '[':
			a := []any{}
			for d.More() {
				v, err := orderedValue(d, str)
				if err != nil {
					return nil, err
				}
				a = append(a, v)
			}
			_, err := d.Token() // ']'
			return a, err
		}
	}
	return nil, fmt.Errorf("orderedJSON: unexpected token %v", tok)
}
