package msgpack_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"math"
	"runtime"
	"strings"
	"testing"

	"github.com/mehr-net/mehr/rns/msgpack"
)

// malformed is input every decoding entry point must refuse with the given
// sentinel error. Hex strings may contain spaces.
var malformed = []struct {
	name string
	in   []byte
	want error
}{
	{"empty", nil, msgpack.ErrTruncated},
	{"uint16 cut", hb("cd01"), msgpack.ErrTruncated},
	{"int64 cut", hb("d3 00000000"), msgpack.ErrTruncated},
	{"float64 cut", hb("cb 3ff0"), msgpack.ErrTruncated},
	{"float32 cut", hb("ca 3f"), msgpack.ErrTruncated},
	{"fixstr cut", hb("a5 68656c"), msgpack.ErrTruncated},
	{"str8 length cut", hb("d9"), msgpack.ErrTruncated},
	{"bin16 length cut", hb("c5 01"), msgpack.ErrTruncated},
	{"bin8 cut", hb("c4 04 0102"), msgpack.ErrTruncated},
	{"array cut", hb("93 01 02"), msgpack.ErrTruncated},
	{"array16 header cut", hb("dc 00"), msgpack.ErrTruncated},
	{"map value missing", hb("81 a174"), msgpack.ErrTruncated},
	{"map32 header cut", hb("df 0000"), msgpack.ErrTruncated},
	{"nested cut", hb("92 91 93 01"), msgpack.ErrTruncated},
	{"request cut", hb("93cb41d954fd3a800000c410df0651fed175642f8d28fdebd0305c60c404706967"), msgpack.ErrTruncated},

	{"huge bin32", hb("c6 ffffffff 00"), msgpack.ErrTruncated},
	{"huge str32", hb("db ffffffff 6162"), msgpack.ErrTruncated},
	{"huge str16", hb("da ffff 61"), msgpack.ErrTruncated},
	{"huge array32", append(hb("dd ffffffff"), make([]byte, 64)...), msgpack.ErrTruncated},
	{"huge array16", append(hb("dc ffff"), make([]byte, 64)...), msgpack.ErrTruncated},
	{"huge map32", append(hb("df ffffffff"), make([]byte, 64)...), msgpack.ErrTruncated},
	{"map count over half the input", append(hb("de 0021"), make([]byte, 65)...), msgpack.ErrTruncated},
	{"huge array inside map", hb("81 a161 dd 7fffffff c0"), msgpack.ErrTruncated},

	{"arrays too deep", append(bytes.Repeat([]byte{0x91}, msgpack.MaxDepth+1), 0xc0), msgpack.ErrTooDeep},
	{"maps too deep", append(bytes.Repeat(hb("81 a0"), msgpack.MaxDepth+1), 0xc0), msgpack.ErrTooDeep},
	{"array keys too deep", append(append([]byte{0x81}, bytes.Repeat([]byte{0x91}, msgpack.MaxDepth)...), 0xc0, 0x00), msgpack.ErrTooDeep},
	{"a megabyte of nesting", bytes.Repeat([]byte{0x91}, 1<<20), msgpack.ErrTooDeep},

	{"reserved c1", hb("c1"), msgpack.ErrInvalidCode},
	{"reserved c1 in array", hb("92 01 c1"), msgpack.ErrInvalidCode},
	{"reserved c1 as key", hb("81 c1 00"), msgpack.ErrInvalidCode},
	{"fixext1", hb("d4 05 01"), msgpack.ErrUnsupportedType},
	{"fixext16", append(hb("d8 05"), make([]byte, 16)...), msgpack.ErrUnsupportedType},
	{"ext8", hb("c7 00 05"), msgpack.ErrUnsupportedType},
	{"ext32 huge", hb("c9 ffffffff 05"), msgpack.ErrUnsupportedType},
	{"timestamp32", hb("d6 ff 00000000"), msgpack.ErrUnsupportedType},

	{"invalid utf8", hb("a1 ff"), msgpack.ErrInvalidUTF8},
	{"overlong utf8", hb("a2 c080"), msgpack.ErrInvalidUTF8},
	{"utf8 surrogate", hb("a3 eda080"), msgpack.ErrInvalidUTF8},
	{"utf8 cut by length", hb("a1 c3 a9"), msgpack.ErrInvalidUTF8},
	{"invalid utf8 key", hb("81 a1fe 00"), msgpack.ErrInvalidUTF8},

	{"trailing byte", hb("01 02"), msgpack.ErrTrailingData},
	{"two values", hb("c0 c0"), msgpack.ErrTrailingData},
	{"padding", hb("91 01 00"), msgpack.ErrTrailingData},

	{"duplicate str key", hb("82 a174 01 a174 02"), msgpack.ErrDuplicateKey},
	{"duplicate bin key", hb("82 c40101 00 c40101 00"), msgpack.ErrDuplicateKey},
	{"duplicate nil key", hb("82 c0 00 c0 00"), msgpack.ErrDuplicateKey},
	{"true is 1", hb("82 01 00 c3 00"), msgpack.ErrDuplicateKey},
	{"false is 0.0", hb("82 c2 00 cb0000000000000000 00"), msgpack.ErrDuplicateKey},
	{"-0.0 is 0", hb("82 00 00 cb8000000000000000 00"), msgpack.ErrDuplicateKey},
	{"1.0 is 1", hb("82 cb3ff0000000000000 00 01 00"), msgpack.ErrDuplicateKey},
	{"float32 1 is 1", hb("82 ca3f800000 00 01 00"), msgpack.ErrDuplicateKey},
	{"int8 1 is fixint 1", hb("82 d001 00 01 00"), msgpack.ErrDuplicateKey},
	{"uint64 1 is int16 1", hb("82 cf0000000000000001 00 d10001 00"), msgpack.ErrDuplicateKey},
	{"-1 in two forms", hb("82 ff 00 d3ffffffffffffffff 00"), msgpack.ErrDuplicateKey},
	{"2^63 as uint64 and float", hb("82 cf8000000000000000 00 cb43e0000000000000 00"), msgpack.ErrDuplicateKey},
	{"-2^63 as int64 and float", hb("82 d38000000000000000 00 cbc3e0000000000000 00"), msgpack.ErrDuplicateKey},
	{"1.5 twice", hb("82 cb3ff8000000000000 00 cb3ff8000000000000 00"), msgpack.ErrDuplicateKey},
	{"duplicate in large map", largeMap(40, 39), msgpack.ErrDuplicateKey},
	{"duplicate across small and large", largeMap(40, 0), msgpack.ErrDuplicateKey},
	{"duplicate in nested map", hb("91 82 a161 01 a161 02"), msgpack.ErrDuplicateKey},

	{"map key", hb("81 80 00"), msgpack.ErrUnhashableKey},
	{"map in array key", hb("81 91 80 00"), msgpack.ErrUnhashableKey},
	{"map deep in array key", hb("81 91 92 01 81 01 01 00"), msgpack.ErrUnhashableKey},
}

// hb decodes hex with optional spaces; for package-level tables.
func hb(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err) // a typo in a table literal; tests cannot run
	}
	return b
}

// largeMap returns a map of n distinct fixint keys in which key k is
// repeated as the last key.
func largeMap(n, k int) []byte {
	b := []byte{0xde, byte((n + 1) >> 8), byte(n + 1)}
	for i := range n {
		b = append(b, byte(i), 0xc0)
	}
	return append(b, byte(k), 0xc0)
}

func TestDecodeMalformed(t *testing.T) {
	for _, tc := range malformed {
		t.Run(tc.name, func(t *testing.T) {
			if v, err := msgpack.Decode(tc.in); !errors.Is(err, tc.want) || v != nil {
				t.Errorf("Decode = %.40v, %v; want %v", v, err, tc.want)
			}
			var x any = "untouched"
			if err := msgpack.Unmarshal(tc.in, &x); !errors.Is(err, tc.want) || x != "untouched" {
				t.Errorf("Unmarshal(*any) = %v, left %.40v; want %v", err, x, tc.want)
			}
			var m msgpack.Map
			if err := msgpack.Unmarshal(tc.in, &m); !errors.Is(err, tc.want) || m != nil {
				t.Errorf("Unmarshal(*Map) = %v; want %v", err, tc.want)
			}
			var adv advertisement
			if err := msgpack.Unmarshal(tc.in, &adv); !errors.Is(err, tc.want) {
				t.Errorf("Unmarshal(*struct) = %v; want %v", err, tc.want)
			}
		})
	}
}

// TestDecodeHugeLengthAllocations checks that a few bytes declaring a huge
// size are refused without allocating for that size.
func TestDecodeHugeLengthAllocations(t *testing.T) {
	inputs := [][]byte{
		hb("c6 ffffffff"), hb("db ffffffff"), hb("dd ffffffff c0c0c0c0"),
		hb("df ffffffff c0c0c0c0"), hb("dc ffff c0c0"), hb("de ffff c0c0"),
	}
	var before, after runtime.MemStats
	const runs = 100
	runtime.ReadMemStats(&before)
	for range runs {
		for _, in := range inputs {
			var v any
			_ = msgpack.Unmarshal(in, &v)
			var s []any
			_ = msgpack.Unmarshal(in, &s)
			var p []byte
			_ = msgpack.Unmarshal(in, &p)
		}
	}
	runtime.ReadMemStats(&after)
	perCall := (after.TotalAlloc - before.TotalAlloc) / (runs * uint64(len(inputs)) * 3)
	if perCall > 1024 {
		t.Errorf("%d bytes allocated per refused input, want at most 1 KiB", perCall)
	}
}

// TestDecodeAllocationBound checks the documented bound on what Decode
// allocates for well-formed input built to allocate as much as possible.
func TestDecodeAllocationBound(t *testing.T) {
	const n = 65535
	inputs := map[string][]byte{
		"empty maps":   append(hb("dc ffff"), bytes.Repeat([]byte{0x80}, n)...),
		"empty arrays": append(hb("dc ffff"), bytes.Repeat([]byte{0x90}, n)...),
		"empty bins":   append(hb("dd 0000ffff"), bytes.Repeat(hb("c400"), n)...),
		"nested":       append(hb("dc ffff"), bytes.Repeat(hb("9190"), n)...),
	}
	for name, in := range inputs {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		if _, err := msgpack.Decode(in); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		runtime.ReadMemStats(&after)
		if per := float64(after.TotalAlloc-before.TotalAlloc) / float64(len(in)); per > 64 {
			t.Errorf("%s: %.1f bytes allocated per input byte, want at most 64", name, per)
		} else {
			t.Logf("%s: %.1f bytes allocated per input byte", name, per)
		}
	}
}

// TestDecodeAccepted covers input the reference accepts that is unusual:
// non-canonical forms, keys Python considers distinct, and the limits.
func TestDecodeAccepted(t *testing.T) {
	deepArrays := append(bytes.Repeat([]byte{0x91}, msgpack.MaxDepth), 0xc0)
	nan := math.Float64frombits(0x7ff8000000000000)
	tests := []struct {
		name  string
		in    []byte
		want  any
		canon string // Marshal of the result, if it differs from in
	}{
		{"int8 1", hb("d001"), int64(1), "01"},
		{"uint64 5", hb("cf0000000000000005"), int64(5), "05"},
		{"int64 300", hb("d3000000000000012c"), int64(300), "cd012c"},
		{"uint64 max", hb("cfffffffffffffffff"), uint64(math.MaxUint64), ""},
		{"int64 min", hb("d38000000000000000"), int64(math.MinInt64), ""},
		{"float32 widened", hb("ca3e800000"), 0.25, "cb3fd0000000000000"},
		{"str8 short", hb("d903616263"), "abc", "a3616263"},
		{"array16 short", hb("dc000101"), []any{int64(1)}, "9101"},
		{"map16 short", hb("de0001a16101"), msgpack.Map{{Key: "a", Value: int64(1)}}, "81a16101"},
		{"empty bin", hb("c400"), []byte{}, ""},
		{"empty str", hb("a0"), "", ""},
		{"str and bin keys differ", hb("82 a161 01 c40161 02"),
			msgpack.Map{{Key: "a", Value: int64(1)}, {Key: []byte("a"), Value: int64(2)}}, ""},
		{"NaN keys never equal", hb("82 cb7ff8000000000000 00 cb7ff8000000000000 01"),
			msgpack.Map{{Key: nan, Value: int64(0)}, {Key: nan, Value: int64(1)}}, ""},
		{"array keys are not compared", hb("82 9101 00 9101 01"),
			msgpack.Map{{Key: []any{int64(1)}, Value: int64(0)}, {Key: []any{int64(1)}, Value: int64(1)}}, ""},
		{"1.5 and 1 differ", hb("82 cb3ff8000000000000 00 01 00"),
			msgpack.Map{{Key: 1.5, Value: int64(0)}, {Key: int64(1), Value: int64(0)}}, ""},
		{"2^64 float is not an int", hb("82 cb43f0000000000000 00 cfffffffffffffffff 00"),
			msgpack.Map{{Key: float64(1 << 64), Value: int64(0)}, {Key: uint64(math.MaxUint64), Value: int64(0)}}, ""},
		{"same key in sibling maps", hb("92 81a16101 81a16101"),
			[]any{msgpack.Map{{Key: "a", Value: int64(1)}}, msgpack.Map{{Key: "a", Value: int64(1)}}}, ""},
		{"distinct keys in large map", largeMap(40, 40), nil, ""},
		{"MaxDepth arrays", deepArrays, nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := msgpack.Decode(tc.in)
			if err != nil {
				t.Fatalf("Decode(%x): %v", tc.in, err)
			}
			if tc.want != nil && !same(got, tc.want) {
				t.Errorf("Decode(%x) = %#v, want %#v", tc.in, got, tc.want)
			}
			want := tc.in
			if tc.canon != "" {
				want = hb(tc.canon)
			}
			if re, err := msgpack.Marshal(got); err != nil || !bytes.Equal(re, want) {
				t.Errorf("Marshal(Decode(x)) = %x, %v; want %x", re, err, want)
			}
		})
	}
}

func TestUnmarshalTyped(t *testing.T) {
	type request struct {
		_msgpack  struct{} `msgpack:",as_array"`
		Timestamp float64
		PathHash  []byte
		Data      any
	}
	in := hb("93cb41d954fd3a800000c410df0651fed175642f8d28fdebd0305c60c40470696e67")
	var r request
	if err := msgpack.Unmarshal(in, &r); err != nil {
		t.Fatal(err)
	}
	if r.Timestamp != 1700001002.0 || len(r.PathHash) != 16 || !same(r.Data, []byte("ping")) {
		t.Errorf("Unmarshal = %+v", r)
	}
	if re, err := msgpack.Marshal(&r); err != nil || !bytes.Equal(re, in) {
		t.Errorf("Marshal(&request) = %x, %v; want %x", re, err, in)
	}

	// Maps inside interface-typed fields decode as Map, in order.
	var holder struct {
		M any `msgpack:"m"`
	}
	if err := msgpack.Unmarshal(hb("81 a16d 82 a17a 01 a161 02"), &holder); err != nil {
		t.Fatal(err)
	}
	if want := (msgpack.Map{{Key: "z", Value: int64(1)}, {Key: "a", Value: int64(2)}}); !same(holder.M, want) {
		t.Errorf("interface field = %#v, want %#v", holder.M, want)
	}

	var n int
	for _, tc := range []struct {
		name string
		in   []byte
		v    any
	}{
		{"str into int", hb("a161"), &n},
		{"array into int", hb("9101"), &n},
		{"map into Map target of array", hb("9101"), new(msgpack.Map)},
		{"non-pointer", hb("01"), n},
		{"nil", hb("01"), nil},
		{"nil *any", hb("01"), (*any)(nil)},
	} {
		if err := msgpack.Unmarshal(tc.in, tc.v); !errors.Is(err, msgpack.ErrType) {
			t.Errorf("%s: Unmarshal = %v, want ErrType", tc.name, err)
		}
	}
}
