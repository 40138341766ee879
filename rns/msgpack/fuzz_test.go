package msgpack_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/mehr-net/mehr/rns/msgpack"
)

var sentinels = []error{
	msgpack.ErrTruncated, msgpack.ErrTrailingData, msgpack.ErrTooDeep,
	msgpack.ErrInvalidCode, msgpack.ErrUnsupportedType, msgpack.ErrInvalidUTF8,
	msgpack.ErrUnhashableKey, msgpack.ErrDuplicateKey,
}

func isSentinel(err error) bool {
	for _, s := range sentinels {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

// FuzzUnmarshal feeds arbitrary bytes to every decoding entry point. None
// may panic; refusals must be sentinel errors and agree between Decode and
// Unmarshal; and whatever Decode accepts must survive Marshal: the encoding
// decodes to an equal value and is stable under a second round trip.
func FuzzUnmarshal(f *testing.F) {
	for _, s := range vectorSeeds(f) {
		f.Add([]byte(s))
	}
	for _, tc := range malformed {
		if len(tc.in) < 4096 {
			f.Add(tc.in)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := msgpack.Decode(data)
		if cerr := msgpack.Check(data); (cerr == nil) != (err == nil) {
			t.Fatalf("check says %v, Decode says %v", cerr, err)
		}
		var x any
		xerr := msgpack.Unmarshal(data, &x)
		if (err == nil) != (xerr == nil) || (err == nil && !same(v, x)) {
			t.Fatalf("Decode = %#v, %v; Unmarshal(*any) = %#v, %v", v, err, x, xerr)
		}

		// Typed targets: no panics, and the same refusals.
		var m msgpack.Map
		merr := msgpack.Unmarshal(data, &m)
		var adv advertisement
		aerr := msgpack.Unmarshal(data, &adv)
		var list []any
		lerr := msgpack.Unmarshal(data, &list)
		for _, e := range []error{merr, aerr, lerr} {
			if err != nil && (e == nil || e.Error() != err.Error()) {
				t.Fatalf("Decode refused with %v, typed Unmarshal with %v", err, e)
			}
			if err == nil && e != nil && !errors.Is(e, msgpack.ErrType) {
				t.Fatalf("Decode accepted, typed Unmarshal failed with %v", e)
			}
		}
		if _, ok := v.(msgpack.Map); ok && (merr != nil || !same(msgpack.Map(m), v)) {
			t.Fatalf("Unmarshal(*Map) = %#v, %v; Decode = %#v", m, merr, v)
		}

		if err != nil {
			if !isSentinel(err) {
				t.Fatalf("Decode error %v is not a sentinel error", err)
			}
			return
		}
		enc, err := msgpack.Marshal(v)
		if err != nil {
			t.Fatalf("Marshal(Decode(%x)): %v", data, err)
		}
		w, err := msgpack.Decode(enc)
		if err != nil {
			t.Fatalf("Decode(Marshal(Decode(%x))) = %x: %v", data, enc, err)
		}
		if !same(v, w) {
			t.Fatalf("round trip of %x: %#v became %#v", data, v, w)
		}
		enc2, err := msgpack.Marshal(w)
		if err != nil || !bytes.Equal(enc, enc2) {
			t.Fatalf("second Marshal = %x, %v; first %x", enc2, err, enc)
		}
		if len(enc) > 2*len(data) {
			t.Fatalf("re-encoding grew %d bytes to %d", len(data), len(enc))
		}
	})
}
