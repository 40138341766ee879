package pickle_test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/mehr-net/mehr/rns/msgpack"
	"github.com/mehr-net/mehr/rpc/pickle"
)

// vectorFile is testdata/vectors.json, written by testdata/gen_vectors.py.
type vectorFile struct {
	Python  string `json:"python"`
	Vectors []struct {
		Name   string `json:"name"`
		Pickle string `json:"pickle"`
		Value  any    `json:"value"`
	} `json:"vectors"`
	Refused []struct {
		Name   string `json:"name"`
		Pickle string `json:"pickle"`
	} `json:"refused"`
}

func loadVectors(tb testing.TB) vectorFile {
	tb.Helper()
	raw, err := os.ReadFile("testdata/vectors.json")
	if err != nil {
		tb.Fatal(err)
	}
	var f vectorFile
	if err := json.Unmarshal(raw, &f); err != nil {
		tb.Fatal(err)
	}
	return f
}

func unhex(tb testing.TB, s string) []byte {
	tb.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// expected turns a typed description from gen_vectors.py into the value
// Decode should return.
func expected(tb testing.TB, d any) any {
	tb.Helper()
	a, ok := d.([]any)
	if !ok || len(a) == 0 {
		tb.Fatalf("bad description %v", d)
	}
	switch a[0] {
	case "None":
		return nil
	case "bool":
		return a[1].(bool)
	case "int":
		if i, err := strconv.ParseInt(a[1].(string), 10, 64); err == nil {
			return i
		}
		u, err := strconv.ParseUint(a[1].(string), 10, 64)
		if err != nil {
			tb.Fatal(err)
		}
		return u
	case "float":
		f, err := strconv.ParseFloat(a[1].(string), 64)
		if err != nil {
			tb.Fatal(err)
		}
		return f
	case "str":
		return a[1].(string)
	case "bytes":
		return unhex(tb, a[1].(string))
	case "list", "tuple":
		items := a[1].([]any)
		out := make([]any, len(items))
		for i, x := range items {
			out[i] = expected(tb, x)
		}
		if a[0] == "tuple" {
			return pickle.Tuple(out)
		}
		return out
	case "dict":
		items := a[1].([]any)
		out := make(msgpack.Map, len(items))
		for i, x := range items {
			kv := x.([]any)
			out[i] = msgpack.KV{Key: expected(tb, kv[0]), Value: expected(tb, kv[1])}
		}
		return out
	}
	tb.Fatalf("bad description %v", d)
	return nil
}

// equal compares decoded values strictly: same types, floats by their bits,
// dicts in order.
func equal(a, b any) bool {
	switch a := a.(type) {
	case float64:
		b, ok := b.(float64)
		return ok && math.Float64bits(a) == math.Float64bits(b)
	case []byte:
		b, ok := b.([]byte)
		return ok && bytes.Equal(a, b)
	case []any:
		b, ok := b.([]any)
		return ok && equalSlices(a, b)
	case pickle.Tuple:
		b, ok := b.(pickle.Tuple)
		return ok && equalSlices(a, b)
	case msgpack.Map:
		b, ok := b.(msgpack.Map)
		if !ok || len(a) != len(b) {
			return false
		}
		for i := range a {
			if !equal(a[i].Key, b[i].Key) || !equal(a[i].Value, b[i].Value) {
				return false
			}
		}
		return true
	case nil, bool, int64, uint64, string:
		return a == b
	}
	return false
}

func equalSlices(a, b []any) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

var sentinels = []error{
	pickle.ErrTruncated, pickle.ErrUnsupported, pickle.ErrMalformed, pickle.ErrTooDeep,
	pickle.ErrTooLarge, pickle.ErrUnhashableKey, pickle.ErrInvalidUTF8,
}

func isSentinel(err error) bool {
	for _, s := range sentinels {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

// TestPythonVectors decodes every pickle CPython wrote and compares the
// result with the value it was made from, then checks that Encode writes
// something Decode reads back as the same value.
func TestPythonVectors(t *testing.T) {
	f := loadVectors(t)
	if len(f.Vectors) < 100 {
		t.Fatalf("only %d vectors", len(f.Vectors))
	}
	for _, v := range f.Vectors {
		got, err := pickle.Decode(unhex(t, v.Pickle))
		if err != nil {
			t.Errorf("%s: %v", v.Name, err)
			continue
		}
		want := expected(t, v.Value)
		if !equal(got, want) {
			t.Errorf("%s: got %#v, want %#v", v.Name, got, want)
			continue
		}
		enc, err := pickle.Encode(got)
		if err != nil {
			t.Errorf("%s: Encode: %v", v.Name, err)
			continue
		}
		again, err := pickle.Decode(enc)
		if err != nil || !equal(again, want) {
			t.Errorf("%s: round trip: %#v, %v", v.Name, again, err)
		}
	}
}

func TestPythonRefused(t *testing.T) {
	for _, v := range loadVectors(t).Refused {
		got, err := pickle.Decode(unhex(t, v.Pickle))
		if err == nil {
			t.Errorf("%s: decoded to %#v, want an error", v.Name, got)
		} else if !isSentinel(err) {
			t.Errorf("%s: %v is not a sentinel error", v.Name, err)
		}
	}
}

func TestHandmade(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want any
		err  error
	}{
		// A list memoized empty and filled afterwards: every reference sees
		// the items, as in Python.
		{"fill after memo", "\x80\x04]\x94(h\x00h\x00K\x01e.", nil, pickle.ErrTooDeep},
		{"shared filled list", "\x80\x04]\x94K\x07a]h\x00a\x86.",
			pickle.Tuple{[]any{int64(7)}, []any{[]any{int64(7)}}}, nil},
		{"equal keys merge", "\x80\x04}(K\x01K\x0a\x88K\x0bG?\xf0\x00\x00\x00\x00\x00\x00K\x0cu.",
			msgpack.Map{{Key: int64(1), Value: int64(12)}}, nil},
		{"str and bytes keys differ", "\x80\x04}(\x8c\x01aK\x01C\x01aK\x02u.",
			msgpack.Map{{Key: "a", Value: int64(1)}, {Key: []byte("a"), Value: int64(2)}}, nil},
		{"list key", "\x80\x04}]K\x01s.", nil, pickle.ErrUnhashableKey},
		{"tuple with list key", "\x80\x04}]\x85K\x01s.", nil, pickle.ErrUnhashableKey},
		{"pop below mark", "\x80\x04K\x01(0.", int64(1), nil}, // POP with an empty frame pops the mark
		{"append below mark", "\x80\x04](K\x01a.", nil, pickle.ErrMalformed},
		{"stop below mark", "\x80\x04K\x01(.", nil, pickle.ErrMalformed},
		{"empty", "", nil, pickle.ErrTruncated},
		{"no stop", "\x80\x04K\x01", nil, pickle.ErrTruncated},
		{"protocol 6", "\x80\x06N.", nil, pickle.ErrUnsupported},
		{"huge BINBYTES", "\x80\x04B\xff\xff\xff\xffxx.", nil, pickle.ErrTruncated},
		{"huge BINBYTES8", "\x80\x04\x8e\xff\xff\xff\xff\xff\xff\xff\x7fxx.", nil, pickle.ErrTruncated},
		{"huge frame", "\x80\x04\x95\x00\x00\x00\x00\x00\x00\x00\x01N.", nil, pickle.ErrTruncated},
		{"missing memo", "\x80\x04h\x05.", nil, pickle.ErrMalformed},
		{"bad utf8", "\x80\x04\x8c\x01\xff.", nil, pickle.ErrInvalidUTF8},
		{"odd dict", "\x80\x04(K\x01d.", nil, pickle.ErrMalformed},
		{"long -1", "\x80\x04\x8a\x01\xff.", int64(-1), nil},
		{"long non-minimal", "\x80\x04\x8a\x04\x05\x00\x00\x00.", int64(5), nil},
		{"long -2^63", "\x80\x04\x8a\x08\x00\x00\x00\x00\x00\x00\x00\x80.", int64(math.MinInt64), nil},
		{"long 0", "\x80\x04\x8a\x00.", int64(0), nil},
		{"trailing bytes ignored", "\x80\x04N.garbage", nil, nil},
		{"callable as value", "\x80\x02c_codecs\nencode\n.", nil, pickle.ErrUnsupported},
		{"reduce on non-callable", "\x80\x04K\x01)R.", nil, pickle.ErrUnsupported},
		{"encode non-latin1", "\x80\x02c_codecs\nencode\nX\x02\x00\x00\x00\xc4\x80X\x06\x00\x00\x00latin1\x86R.", nil, pickle.ErrMalformed},
		{"py2 str", "\x80\x02U\x03abc.", "abc", nil},
		{"py2 str non-ascii", "\x80\x02U\x01\xe9.", nil, pickle.ErrUnsupported},
	}
	for _, tc := range cases {
		got, err := pickle.Decode([]byte(tc.in))
		if tc.err != nil {
			if !errors.Is(err, tc.err) {
				t.Errorf("%s: got %#v, %v; want %v", tc.name, got, err, tc.err)
			}
			continue
		}
		if err != nil || !equal(got, tc.want) {
			t.Errorf("%s: got %#v, %v; want %#v", tc.name, got, err, tc.want)
		}
	}
}

// laughsBody returns pickle opcodes that push one value: n nested pairs of
// the same object, tiny as input but 2^n leaves when expanded.
func laughsBody(n int, leaf string) []byte {
	b := []byte(leaf + "\x940")
	for i := 0; i < n; i++ {
		idx := byte(i)
		b = append(b, 'h', idx, 'h', idx, 0x86, 0x94, '0') // (x, x), memoized as i+1
	}
	return append(b, 'h', byte(n))
}

func laughs(n int, leaf string) []byte {
	return append(append([]byte("\x80\x04"), laughsBody(n, leaf)...), '.')
}

func TestExpansionBounded(t *testing.T) {
	// Tuples of tuples: expanding them is refused.
	if _, err := pickle.Decode(laughs(60, "K\x01")); !errors.Is(err, pickle.ErrTooLarge) {
		t.Fatalf("60 levels of shared tuples: %v, want ErrTooLarge", err)
	}
	// A few levels are fine.
	if _, err := pickle.Decode(laughs(4, "K\x01")); err != nil {
		t.Fatal(err)
	}
	// The same structure as a dict key: hashing it is bounded too.
	in := append([]byte("\x80\x04}"), laughsBody(60, "K\x01")...)
	in = append(in, "K\x01s."...)
	if _, err := pickle.Decode(in); !errors.Is(err, pickle.ErrTooLarge) {
		t.Fatalf("shared tuples as a key: %v, want ErrTooLarge", err)
	}
	// Deep nesting without sharing.
	deep := []byte("\x80\x04")
	for i := 0; i < pickle.MaxDepth+5; i++ {
		deep = append(deep, ']', '(')
	}
	deep = append(deep, 'K', 1)
	for i := 0; i < pickle.MaxDepth+5; i++ {
		deep = append(deep, 'e')
	}
	deep = append(deep, '.')
	if _, err := pickle.Decode(deep); !errors.Is(err, pickle.ErrTooDeep) {
		t.Fatalf("deep lists: %v, want ErrTooDeep", err)
	}
}

func TestEncode(t *testing.T) {
	type named []uint16
	h := [16]byte{1, 2, 3}
	in := msgpack.Map{
		{Key: "ints", Value: []any{0, 255, 256, 65535, 65536, -1, math.MinInt32, math.MaxInt32,
			int64(math.MaxInt32) + 1, int64(math.MinInt32) - 1, int64(math.MinInt64), uint64(math.MaxUint64), uint8(200)}},
		{Key: "named", Value: named{1, 2}},
		{Key: "array", Value: h},
		{Key: "map", Value: map[string]any{"b": 2, "a": 1}},
		{Key: "float32", Value: float32(0.5)},
		{Key: "nil slice", Value: []any(nil)},
		{Key: "tuple4", Value: pickle.Tuple{1, 2, 3, 4}},
		{Key: "ptr", Value: &h},
	}
	b, err := pickle.Encode(in)
	if err != nil {
		t.Fatal(err)
	}
	got, err := pickle.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	want := msgpack.Map{
		{Key: "ints", Value: []any{int64(0), int64(255), int64(256), int64(65535), int64(65536), int64(-1),
			int64(math.MinInt32), int64(math.MaxInt32), int64(math.MaxInt32) + 1, int64(math.MinInt32) - 1,
			int64(math.MinInt64), uint64(math.MaxUint64), int64(200)}},
		{Key: "named", Value: []any{int64(1), int64(2)}},
		{Key: "array", Value: h[:]},
		{Key: "map", Value: msgpack.Map{{Key: "a", Value: int64(1)}, {Key: "b", Value: int64(2)}}},
		{Key: "float32", Value: 0.5},
		{Key: "nil slice", Value: nil},
		{Key: "tuple4", Value: pickle.Tuple{int64(1), int64(2), int64(3), int64(4)}},
		{Key: "ptr", Value: h[:]},
	}
	if !equal(got, want) {
		t.Fatalf("got %#v\nwant %#v", got, want)
	}

	if _, err := pickle.Encode("\xff"); !errors.Is(err, pickle.ErrInvalidUTF8) {
		t.Errorf("invalid UTF-8: %v", err)
	}
	if _, err := pickle.Encode(make(chan int)); !errors.Is(err, pickle.ErrUnsupported) {
		t.Errorf("channel: %v", err)
	}
	loop := []any{nil}
	loop[0] = loop
	if _, err := pickle.Encode(loop); !errors.Is(err, pickle.ErrTooDeep) {
		t.Errorf("self-containing slice: %v", err)
	}
}

// TestPythonLoadsEncode has CPython unpickle what Encode writes for every
// vector and compare it with what CPython's own pickle held. It needs
// python3 and is skipped without it.
func TestPythonLoadsEncode(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not found")
	}
	var pairs [][2]string
	for _, v := range loadVectors(t).Vectors {
		got, err := pickle.Decode(unhex(t, v.Pickle))
		if err != nil {
			t.Fatalf("%s: %v", v.Name, err)
		}
		enc, err := pickle.Encode(got)
		if err != nil {
			t.Fatalf("%s: %v", v.Name, err)
		}
		pairs = append(pairs, [2]string{v.Pickle, hex.EncodeToString(enc)})
	}
	in, _ := json.Marshal(pairs)
	cmd := exec.Command(py, "-c", `
import json, pickle, sys
def d(v):
    if isinstance(v, (bytes, bytearray)): return ("bytes", bytes(v))
    if isinstance(v, float): return ("float", v.hex())
    if isinstance(v, (list, tuple)): return (type(v).__name__, [d(x) for x in v])
    if isinstance(v, dict): return ("dict", [(d(k), d(x)) for k, x in v.items()])
    return (type(v).__name__, v)
bad = 0
for orig, ours in json.load(sys.stdin):
    a = pickle.loads(bytes.fromhex(orig)); b = pickle.loads(bytes.fromhex(ours))
    if d(a) != d(b):
        bad += 1
        print("mismatch:", repr(a)[:200], repr(b)[:200])
print("checked", sys.version.split()[0])
sys.exit(1 if bad else 0)
`)
	cmd.Stdin = strings.NewReader(string(in))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("python3: %v\n%s", err, out)
	}
	t.Logf("%s", strings.TrimSpace(string(out)))
}

// FuzzUnpickle feeds arbitrary bytes to Decode: it must not panic, must
// refuse with a sentinel error, and whatever it accepts must survive a
// round trip through Encode.
func FuzzUnpickle(f *testing.F) {
	vf := loadVectors(f)
	for _, v := range vf.Vectors {
		if b := unhex(f, v.Pickle); len(b) < 2048 {
			f.Add(b)
		}
	}
	for _, v := range vf.Refused {
		f.Add(unhex(f, v.Pickle))
	}
	f.Add(laughs(8, "K\x01"))
	f.Add([]byte("\x80\x04]\x94K\x07a]h\x00a\x86."))
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := pickle.Decode(data)
		if err != nil {
			if !isSentinel(err) {
				t.Fatalf("not a sentinel error: %v", err)
			}
			return
		}
		enc, err := pickle.Encode(v)
		if err != nil {
			t.Fatalf("Encode(%#v): %v", v, err)
		}
		again, err := pickle.Decode(enc)
		if err != nil || !equal(v, again) {
			t.Fatalf("round trip: %#v -> %#v, %v", v, again, err)
		}
	})
}
