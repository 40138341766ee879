package msgpack

import "github.com/vmihailenco/msgpack/v5"

// KV is one entry of a [Map].
type KV struct {
	Key   any
	Value any
}

// Map is a msgpack map that keeps its entries in order. [Marshal] writes the
// entries in slice order and [Decode] returns received maps as a Map in the
// order they arrived, so a Go program can send maps with exactly the key
// order of the reference (Python dicts keep insertion order) and see the
// order a peer used.
//
// A nil Map encodes as nil; an empty non-nil Map as an empty map. Marshal
// writes the entries as given: a Map that holds the same key twice encodes
// to a map that Decode (and the reference) refuse.
//
// Map implements the library's CustomEncoder and CustomDecoder, so it can
// also be a field of a struct passed to Marshal or Unmarshal.
type Map []KV

var (
	_ msgpack.CustomEncoder = Map(nil)
	_ msgpack.CustomDecoder = (*Map)(nil)
)

// Get returns the value of the first entry whose key is the text string
// key, and whether there is one.
func (m Map) Get(key string) (any, bool) {
	for _, kv := range m {
		if k, ok := kv.Key.(string); ok && k == key {
			return kv.Value, true
		}
	}
	return nil, false
}

// EncodeMsgpack implements msgpack.CustomEncoder with the encoding rules of
// [Marshal].
func (m Map) EncodeMsgpack(e *msgpack.Encoder) error {
	return encodeMap(e, m, 0)
}

// DecodeMsgpack implements msgpack.CustomDecoder: it reads a map (or nil)
// with its entries in order, decoding keys and values as [Decode] does.
//
// Called through this package's Unmarshal, the input has already been
// checked in full. Called directly by the library on unchecked input, it
// still bounds nesting and allocation and validates UTF-8, but it does not
// look for duplicate keys.
func (m *Map) DecodeMsgpack(d *msgpack.Decoder) error {
	var b builder
	v, err := b.value(d)
	if err != nil {
		return err
	}
	switch v := v.(type) {
	case nil:
		*m = nil
	case Map:
		*m = v
	default:
		return wrongType(v, m)
	}
	return nil
}
