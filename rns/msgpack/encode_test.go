package msgpack_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/mehr-net/mehr/rns/msgpack"
)

func unhex(tb testing.TB, s string) []byte {
	tb.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		tb.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

// The expected encodings below are what the reference's umsgpack produces
// for the same Python values.

// TestMarshalIntegers checks that every Go integer type that can hold a
// value encodes it in the reference's form, and that Decode returns it as
// int64 (uint64 above math.MaxInt64).
func TestMarshalIntegers(t *testing.T) {
	type myInt int16
	types := []reflect.Type{
		reflect.TypeFor[int](), reflect.TypeFor[int8](), reflect.TypeFor[int16](),
		reflect.TypeFor[int32](), reflect.TypeFor[int64](), reflect.TypeFor[myInt](),
		reflect.TypeFor[uint](), reflect.TypeFor[uint8](), reflect.TypeFor[uint16](),
		reflect.TypeFor[uint32](), reflect.TypeFor[uint64](), reflect.TypeFor[uintptr](),
	}
	tests := []struct {
		neg  bool
		mag  uint64 // absolute value
		want string
	}{
		{false, 0, "00"},
		{false, 1, "01"},
		{false, 127, "7f"},
		{false, 128, "cc80"},
		{false, 255, "ccff"},
		{false, 256, "cd0100"},
		{false, 65535, "cdffff"},
		{false, 65536, "ce00010000"},
		{false, math.MaxUint32, "ceffffffff"},
		{false, math.MaxUint32 + 1, "cf0000000100000000"},
		{false, math.MaxInt64, "cf7fffffffffffffff"},
		{false, math.MaxInt64 + 1, "cf8000000000000000"},
		{false, math.MaxUint64, "cfffffffffffffffff"},
		{true, 1, "ff"},
		{true, 32, "e0"},
		{true, 33, "d0df"},
		{true, 128, "d080"},
		{true, 129, "d1ff7f"},
		{true, 32768, "d18000"},
		{true, 32769, "d2ffff7fff"},
		{true, 1 << 31, "d280000000"},
		{true, 1<<31 + 1, "d3ffffffff7fffffff"},
		{true, 1 << 63, "d38000000000000000"},
	}
	for _, tc := range tests {
		want := unhex(t, tc.want)
		var wantDecoded any = int64(-tc.mag) // two's complement
		if !tc.neg {
			wantDecoded = int64(tc.mag)
			if tc.mag > math.MaxInt64 {
				wantDecoded = tc.mag
			}
		}
		n := 0
		for _, typ := range types {
			v := reflect.New(typ).Elem()
			switch {
			case v.CanInt():
				x := int64(-tc.mag)
				if !tc.neg {
					x = int64(tc.mag)
					if tc.mag > math.MaxInt64 {
						continue
					}
				}
				if v.OverflowInt(x) {
					continue
				}
				v.SetInt(x)
			default:
				if tc.neg || v.OverflowUint(tc.mag) {
					continue
				}
				v.SetUint(tc.mag)
			}
			n++
			got, err := msgpack.Marshal(v.Interface())
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("Marshal(%s(%v)) = %x, %v; want %x", typ, v, got, err, want)
			}
		}
		if n == 0 {
			t.Errorf("no Go type holds %s", tc.want)
		}
		if got, err := msgpack.Decode(want); err != nil || !same(got, wantDecoded) {
			t.Errorf("Decode(%x) = %#v, %v; want %#v", want, got, err, wantDecoded)
		}
	}
}

func TestMarshalLengths(t *testing.T) {
	nils := func(n int) []any { return make([]any, n) }
	entries := func(n int) msgpack.Map {
		m := make(msgpack.Map, n)
		for i := range m {
			m[i] = msgpack.KV{Key: int64(i)}
		}
		return m
	}
	tests := []struct {
		name   string
		value  any
		header string // the first bytes of the encoding
	}{
		{"str0", "", "a0"},
		{"str31", strings.Repeat("x", 31), "bf78"},
		{"str32", strings.Repeat("x", 32), "d92078"},
		{"str255", strings.Repeat("x", 255), "d9ff78"},
		{"str256", strings.Repeat("x", 256), "da010078"},
		{"str65535", strings.Repeat("x", 65535), "daffff78"},
		{"str65536", strings.Repeat("x", 65536), "db0001000078"},
		{"utf8", "é", "a2c3a9"},
		{"bin0", []byte{}, "c400"},
		{"bin1", []byte("x"), "c40178"},
		{"bin255", bytes.Repeat([]byte("x"), 255), "c4ff78"},
		{"bin256", bytes.Repeat([]byte("x"), 256), "c5010078"},
		{"bin65535", bytes.Repeat([]byte("x"), 65535), "c5ffff78"},
		{"bin65536", bytes.Repeat([]byte("x"), 65536), "c60001000078"},
		{"array0", []any{}, "90"},
		{"array15", nils(15), "9fc0"},
		{"array16", nils(16), "dc0010c0"},
		{"array65535", nils(65535), "dcffffc0"},
		{"array65536", nils(65536), "dd00010000c0"},
		{"map0", msgpack.Map{}, "80"},
		{"map15", entries(15), "8f00c001c0"},
		{"map16", entries(16), "de001000c001"},
		{"map65536", entries(65536), "df0001000000c001"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := msgpack.Marshal(tc.value)
			if err != nil {
				t.Fatal(err)
			}
			if h := unhex(t, tc.header); !bytes.HasPrefix(got, h) {
				t.Errorf("encoding starts %x, want %x", got[:min(len(got), len(h))], h)
			}
			back, err := msgpack.Decode(got)
			if err != nil || !same(back, tc.value) {
				t.Errorf("Decode(Marshal(v)) = %.40v, %v", back, err)
			}
		})
	}
}

func TestMarshalTypes(t *testing.T) {
	type hash []byte
	type name string
	type ratio float32
	type inner struct {
		A int64 `msgpack:"a"`
	}
	type withMap struct {
		M msgpack.Map `msgpack:"m"`
		B []byte      `msgpack:"b"`
	}
	var nilPtr *int
	one := 1
	tests := []struct {
		name  string
		value any
		want  string
	}{
		{"nil", nil, "c0"},
		{"false", false, "c2"},
		{"true", true, "c3"},
		{"float64", 1.5, "cb3ff8000000000000"},
		{"float32 is widened", float32(1.5), "cb3ff8000000000000"},
		{"named float32 is widened", ratio(0.25), "cb3fd0000000000000"},
		{"integral float stays a float", 1700001002.0, "cb41d954fd3a800000"},
		{"negative zero", math.Copysign(0, -1), "cb8000000000000000"},
		{"inf", math.Inf(1), "cb7ff0000000000000"},
		{"nil []byte", []byte(nil), "c0"},
		{"empty []byte", []byte{}, "c400"},
		{"named []byte", hash{1, 2}, "c4020102"},
		{"[4]byte", [4]byte{1, 2, 3, 4}, "c40401020304"},
		{"named string", name("hi"), "a26869"},
		{"nil []any", []any(nil), "c0"},
		{"nil Map", msgpack.Map(nil), "c0"},
		{"[]string", []string{"a", "b"}, "92a161a162"},
		{"[][]byte", [][]byte{{1}, nil}, "92c40101c0"},
		{"[]float32", []float32{0.25}, "91cb3fd0000000000000"},
		{"[2]int", [2]int{1, -1}, "9201ff"},
		{"nil pointer", nilPtr, "c0"},
		{"pointer", &one, "01"},
		{"Map keeps order", msgpack.Map{{Key: "z", Value: int64(1)}, {Key: "a", Value: int64(2)}}, "82a17a01a16102"},
		{"Map with non-string keys", msgpack.Map{{Key: 1, Value: "x"}, {Key: []byte{1}, Value: nil}}, "8201a178c40101c0"},
		{"Go map is sorted by encoded key", map[string]int{"bb": 1, "a": 2, "c": 3}, "83a16102a16303a2626201"},
		{"Go map with int keys", map[int]bool{300: true, 1: false}, "8201c2cd012cc3"},
		{"nil Go map", map[string]any(nil), "c0"},
		{"struct", inner{A: 300}, "81a161cd012c"},
		{"struct pointer", &inner{A: -1}, "81a161ff"},
		{"struct with Map field", withMap{M: msgpack.Map{{Key: "k", Value: 1.0}}}, "82a16d81a16bcb3ff0000000000000a162c0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := msgpack.Marshal(tc.value)
			if want := unhex(t, tc.want); err != nil || !bytes.Equal(got, want) {
				t.Errorf("Marshal(%#v) = %x, %v; want %x", tc.value, got, err, want)
			}
		})
	}
}

func TestMarshalErrors(t *testing.T) {
	cyclic := make([]any, 1)
	cyclic[0] = cyclic
	var loop any
	loop = &loop
	deep := func(n int) any {
		var v any = int64(1)
		for range n {
			v = []any{v}
		}
		return v
	}
	tests := []struct {
		name  string
		value any
		want  error
	}{
		{"chan", make(chan int), msgpack.ErrUnsupportedType},
		{"func", func() {}, msgpack.ErrUnsupportedType},
		{"complex", complex(1, 2), msgpack.ErrUnsupportedType},
		{"in a Map", msgpack.Map{{Key: "f", Value: func() {}}}, msgpack.ErrUnsupportedType},
		{"slice containing itself", cyclic, msgpack.ErrTooDeep},
		{"pointer to itself", loop, msgpack.ErrTooDeep},
		{"too deep", deep(msgpack.MaxDepth + 1), msgpack.ErrTooDeep},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got, err := msgpack.Marshal(tc.value); !errors.Is(err, tc.want) {
				t.Errorf("Marshal = %x, %v; want %v", got, err, tc.want)
			}
		})
	}
	// The deepest nesting Decode accepts can be written.
	b, err := msgpack.Marshal(deep(msgpack.MaxDepth))
	if err != nil {
		t.Fatalf("Marshal at MaxDepth: %v", err)
	}
	if _, err := msgpack.Decode(b); err != nil {
		t.Fatalf("Decode at MaxDepth: %v", err)
	}
}

func TestMapGet(t *testing.T) {
	m := msgpack.Map{{Key: []byte("t"), Value: 1}, {Key: "t", Value: 2}, {Key: "t", Value: 3}}
	if v, ok := m.Get("t"); !ok || v != 2 {
		t.Errorf("Get(t) = %v, %v; want the first text key's value 2", v, ok)
	}
	if v, ok := m.Get("x"); ok || v != nil {
		t.Errorf("Get(x) = %v, %v; want nil, false", v, ok)
	}
}
