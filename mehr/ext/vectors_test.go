package ext_test

// The vectors in vectors/mehr/extension.json are generated from the cases
// below by
//
//	go test ./mehr/ext -run TestVectors -update
//
// and checked in. Without -update, TestVectors checks every vector in the
// file (each must be consumed) and fails if the file differs from what the
// cases generate. TestVectorFiles fails on a file in vectors/mehr that no
// test consumes.

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/mehr-net/mehr/mehr/ext"
	"github.com/mehr-net/mehr/mehr/pathcost"
	"github.com/mehr-net/mehr/vectors"
)

var update = flag.Bool("update", false, "rewrite vectors/mehr/extension.json from the cases")

const vectorFile = "extension.json"

// consumers names, for every file in vectors/mehr, the test that checks
// each of its vectors. A new file must be added here with its consumer.
var consumers = map[string]string{
	"pathcost.json":  "mehr/pathcost TestVectors",
	"extension.json": "mehr/ext TestVectors",
}

func mehrDir() string { return filepath.Join(vectors.Dir(), "..", "mehr") }

func TestVectorFiles(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(mehrDir(), "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		name := filepath.Base(f)
		names = append(names, name)
		if _, ok := consumers[name]; !ok {
			t.Errorf("vectors/mehr/%s is consumed by no test", name)
		}
	}
	for name := range consumers {
		if !slices.Contains(names, name) {
			t.Errorf("vectors/mehr/%s is missing", name)
		}
	}
}

type hexBytes []byte

func (h hexBytes) MarshalJSON() ([]byte, error) { return json.Marshal(hex.EncodeToString(h)) }

func (h *hexBytes) UnmarshalJSON(b []byte) error {
	var v vectors.Hex
	err := v.UnmarshalJSON(b)
	*h = hexBytes(v)
	return err
}

// lamport is an optional uint64 written as a decimal string; null when the
// extension has no Lamport TLV.
type lamport struct {
	v  uint64
	ok bool
}

func (l lamport) MarshalJSON() ([]byte, error) {
	if !l.ok {
		return []byte("null"), nil
	}
	return json.Marshal(strconv.FormatUint(l.v, 10))
}

func (l *lamport) UnmarshalJSON(b []byte) error {
	*l = lamport{}
	if string(b) == "null" {
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := strconv.ParseUint(s, 10, 64)
	*l = lamport{v, err == nil}
	return err
}

type tlv struct {
	Type  uint8    `json:"type"`
	Value hexBytes `json:"value"`
	Known bool     `json:"known"`
}

type validVector struct {
	Description string   `json:"description"`
	Encoded     hexBytes `json:"encoded"`
	PathCost    hexBytes `json:"path_cost"`
	Lamport     lamport  `json:"lamport"`
	TLVs        []tlv    `json:"tlvs"`
	Canonical   hexBytes `json:"canonical"`
}

type invalidVector struct {
	Description string   `json:"description"`
	Encoded     hexBytes `json:"encoded"`
	Error       string   `json:"error"`
}

type meta struct {
	Area      string   `json:"area"`
	Generator string   `json:"generator"`
	Encoding  string   `json:"encoding"`
	Notes     []string `json:"notes"`
}

type document struct {
	Meta    meta            `json:"meta"`
	Valid   []validVector   `json:"valid"`
	Invalid []invalidVector `json:"invalid"`
}

var errNames = map[string]error{
	"magic":     ext.ErrMagic,
	"version":   ext.ErrVersion,
	"truncated": ext.ErrTruncated,
	"length":    ext.ErrLength,
	"duplicate": ext.ErrDuplicate,
}

func errName(err error) string {
	for name, e := range errNames {
		if errors.Is(err, e) {
			return name
		}
	}
	return "?" + err.Error()
}

func le64(v uint64) []byte { return binary.LittleEndian.AppendUint64(nil, v) }

// valid cases: a path cost and the TLVs that follow the fixed part.
type validCase struct {
	d    string
	pc   pathcost.Compact
	tlvs []ext.TLV
}

type invalidCase struct {
	d  string
	in []byte
}

var (
	loraPath = pathcost.Compact{Cost: pathcost.EncodeCost(150), Latency: 1800, Bandwidth: pathcost.EncodeBandwidth(1200), Hops: 3, MTU: pathcost.EncodeMTU(484)}
	fixed    = (&ext.Extension{PathCost: loraPath}).Append(nil)
)

func validCases() []validCase {
	return []validCase{
		{"fixed part only: the 9-byte minimum", loraPath, nil},
		{"origin path cost with a Lamport timestamp", pathcost.Origin(), []ext.TLV{{Type: ext.TypeLamport, Value: le64(1)}}},
		{"Lamport timestamp byte order (little-endian)", loraPath, []ext.TLV{{Type: ext.TypeLamport, Value: le64(0x0102030405060708)}}},
		{"largest Lamport timestamp", loraPath, []ext.TLV{{Type: ext.TypeLamport, Value: le64(1<<64 - 1)}}},
		{"unknown empty TLV is skipped", loraPath, []ext.TLV{{Type: 0x02, Value: []byte{}}}},
		{"unknown TLVs before and after the Lamport one are skipped", loraPath, []ext.TLV{
			{Type: 0x80, Value: []byte("future")}, {Type: ext.TypeLamport, Value: le64(42)}, {Type: 0xff, Value: []byte{0x4e, 0x01}},
		}},
		{"unknown TLV type 0 with a 255-byte value", loraPath, []ext.TLV{{Type: 0x00, Value: bytes.Repeat([]byte{0xa5}, 255)}}},
		{"all-ones path cost", pathcost.Compact{Cost: 0xffff, Latency: 0xffff, Bandwidth: 255, Hops: 255, MTU: 255}, nil},
	}
}

func invalidCases() []invalidCase {
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	lam := cat(fixed, []byte{0x01, 8}, le64(7))
	return []invalidCase{
		{"empty", []byte{}},
		{"magic only", []byte{0x4e}},
		{"wrong magic", cat([]byte{0x4d}, fixed[1:])},
		{"app_data of another application that starts with N", []byte("Nora")},
		{"version 0", cat([]byte{0x4e, 0x00}, fixed[2:])},
		{"version 2", cat([]byte{0x4e, 0x02}, fixed[2:])},
		{"path cost cut short", fixed[:8]},
		{"TLV type without length", cat(fixed, []byte{0x01})},
		{"TLV value cut short", cat(fixed, []byte{0x80, 4, 1, 2, 3})},
		{"Lamport value of 7 bytes", cat(fixed, []byte{0x01, 7}, le64(7)[:7])},
		{"Lamport value of 9 bytes", cat(fixed, []byte{0x01, 9}, le64(7), []byte{0})},
		{"two Lamport TLVs", cat(lam, []byte{0x01, 8}, le64(8))},
	}
}

func build(tb testing.TB) document {
	d := document{Meta: meta{
		Area:      "MehrExtension: announce app_data of Mehr's own aspect",
		Generator: "go test ./mehr/ext -run TestVectors -update",
		Encoding:  "see vectors/mehr/README.md",
		Notes: []string{
			"layout: magic 0x4e, version 0x01, 7-byte CompactPathCost, then TLVs (type u8, length u8, value) to the end of app_data",
			"TLV type 0x01 is the Lamport timestamp, u64 little-endian, exactly 8 bytes; every other type is unknown and skipped",
			"canonical is what a decoder that drops unknown TLVs re-encodes: the fixed part, then known TLVs in ascending type order",
			"errors: magic, version, truncated (input ends inside a field), length (known TLV of the wrong length), duplicate (known TLV twice)",
		},
	}}
	for _, c := range validCases() {
		b := (&ext.Extension{PathCost: c.pc}).Append(nil)
		v := validVector{Description: c.d, PathCost: c.pc.Append(nil), TLVs: []tlv{}}
		for _, t := range c.tlvs {
			var err error
			if b, err = ext.AppendTLV(b, t.Type, t.Value); err != nil {
				tb.Fatal(err)
			}
			v.TLVs = append(v.TLVs, tlv{uint8(t.Type), t.Value, t.Type == ext.TypeLamport})
		}
		var e ext.Extension
		if err := e.Decode(b); err != nil {
			tb.Fatalf("%s: %v", c.d, err)
		}
		v.Encoded, v.Lamport, v.Canonical = b, lamport{e.Lamport, e.HasLamport}, e.Append(nil)
		d.Valid = append(d.Valid, v)
	}
	for _, c := range invalidCases() {
		var e ext.Extension
		err := e.Decode(c.in)
		if err == nil {
			tb.Fatalf("%s: decoded", c.d)
		}
		d.Invalid = append(d.Invalid, invalidVector{c.d, c.in, errName(err)})
	}
	return d
}

func TestVectors(t *testing.T) {
	path := filepath.Join(mehrDir(), vectorFile)
	want, err := json.MarshalIndent(build(t), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	want = append(want, '\n')
	if *update {
		if err := os.WriteFile(path, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := os.ReadFile(path); err != nil || !bytes.Equal(got, want) {
		t.Errorf("%s is out of date with the cases (%v); run with -update and review the diff", vectorFile, err)
	}

	s := vectors.Load(t, filepath.Join("..", "mehr", vectorFile))
	var valid []validVector
	s.Section(t, "valid", &valid)
	for _, v := range valid {
		var e ext.Extension
		if err := e.Decode(v.Encoded); err != nil {
			t.Errorf("%q: %v", v.Description, err)
			continue
		}
		if got := e.PathCost.Append(nil); !bytes.Equal(got, v.PathCost) {
			t.Errorf("%q: path cost %x, vector %x", v.Description, got, []byte(v.PathCost))
		}
		if e.HasLamport != v.Lamport.ok || e.Lamport != v.Lamport.v {
			t.Errorf("%q: Lamport %d/%v, vector %+v", v.Description, e.Lamport, e.HasLamport, v.Lamport)
		}
		if got := e.Append(nil); !bytes.Equal(got, v.Canonical) || e.Len() != len(got) {
			t.Errorf("%q: re-encoded %x (Len %d), vector %x", v.Description, got, e.Len(), []byte(v.Canonical))
		}
		// The TLV list as listed, walked with ReadTLV.
		rest := v.Encoded[ext.FixedSize:]
		for i, want := range v.TLVs {
			var got ext.TLV
			if got, rest, err = ext.ReadTLV(rest); err != nil || uint8(got.Type) != want.Type || !bytes.Equal(got.Value, want.Value) {
				t.Errorf("%q: TLV %d = %v %x, %v; vector %+v", v.Description, i, got.Type, got.Value, err, want)
			}
		}
		if len(rest) != 0 {
			t.Errorf("%q: %d bytes after the listed TLVs", v.Description, len(rest))
		}
		s.Use("valid")
	}
	var invalid []invalidVector
	s.Section(t, "invalid", &invalid)
	for _, v := range invalid {
		var e ext.Extension
		if err := e.Decode(v.Encoded); err == nil || !errors.Is(err, errNames[v.Error]) {
			t.Errorf("%q: err %v, vector %q", v.Description, err, v.Error)
		}
		s.Use("invalid")
	}
}

// FuzzDecode: Decode never panics, and whatever it accepts re-encodes to a
// canonical form that decodes to the same extension and is a fixed point.
func FuzzDecode(f *testing.F) {
	s := vectors.Open(f, filepath.Join("..", "mehr", vectorFile))
	var valid []validVector
	s.Section(f, "valid", &valid)
	for _, v := range valid {
		f.Add([]byte(v.Encoded))
	}
	var invalid []invalidVector
	s.Section(f, "invalid", &invalid)
	for _, v := range invalid {
		f.Add([]byte(v.Encoded))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var e ext.Extension
		if err := e.Decode(b); err != nil {
			if errName(err)[0] == '?' {
				t.Fatalf("undeclared error %v", err)
			}
			return
		}
		c := e.Append(nil)
		var back ext.Extension
		if err := back.Decode(c); err != nil || back != e || !bytes.Equal(back.Append(nil), c) {
			t.Fatalf("%x: canonical %x decodes to %+v, %v; want %+v", b, c, back, err, e)
		}
		if !bytes.Equal(c[:ext.FixedSize], b[:ext.FixedSize]) {
			t.Fatalf("%x: fixed part changed to %x", b, c[:ext.FixedSize])
		}
	})
}

// TestCorrupted flips every bit of every valid vector: Decode returns nil
// or one of the declared errors, and what it accepts re-encodes canonically.
func TestCorrupted(t *testing.T) {
	s := vectors.Open(t, filepath.Join("..", "mehr", vectorFile))
	var valid []validVector
	s.Section(t, "valid", &valid)
	for _, v := range valid {
		b := bytes.Clone(v.Encoded)
		for i := range len(b) * 8 {
			b[i/8] ^= 1 << (i % 8)
			var e ext.Extension
			if err := e.Decode(b); err != nil {
				if errName(err)[0] == '?' {
					t.Fatalf("%x: undeclared error %v", b, err)
				}
			} else {
				var back ext.Extension
				if err := back.Decode(e.Append(nil)); err != nil || back != e {
					t.Fatalf("%x: canonical form decodes to %+v, %v", b, back, err)
				}
			}
			b[i/8] ^= 1 << (i % 8)
		}
	}
}
