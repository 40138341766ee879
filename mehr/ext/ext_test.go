package ext_test

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/mehr-net/mehr/internal/testutil"
	"github.com/mehr-net/mehr/mehr/ext"
	"github.com/mehr-net/mehr/mehr/pathcost"
)

var sample = ext.Extension{
	PathCost:   pathcost.Compact{Cost: 0x0123, Latency: 250, Bandwidth: 106, Hops: 2, MTU: 35},
	Lamport:    0x0102030405060708,
	HasLamport: true,
}

func TestSizes(t *testing.T) {
	if ext.FixedSize != 9 {
		t.Fatalf("FixedSize = %d, want 9 (magic + version + 7-byte CompactPathCost)", ext.FixedSize)
	}
	var e ext.Extension
	if n := len(e.Append(nil)); n != 9 || e.Len() != 9 {
		t.Fatalf("bare extension is %d bytes (Len %d), want 9", n, e.Len())
	}
	if n := len(sample.Append(nil)); n != 19 || sample.Len() != 19 {
		t.Fatalf("with Lamport: %d bytes (Len %d), want 19", n, sample.Len())
	}
}

func TestLayout(t *testing.T) {
	want := []byte{
		0x4e, 0x01, // magic, version
		0x23, 0x01, 0xfa, 0x00, 106, 2, 35, // CompactPathCost
		0x01, 0x08, 0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, // Lamport TLV
	}
	if got := sample.Append(nil); !bytes.Equal(got, want) {
		t.Fatalf("Append\n got %x\nwant %x", got, want)
	}
	var e ext.Extension
	if err := e.Decode(want); err != nil || e != sample {
		t.Fatalf("Decode = %+v, %v", e, err)
	}
}

func TestUnknownTLVsSkipped(t *testing.T) {
	b := (&ext.Extension{PathCost: sample.PathCost}).Append(nil)
	var err error
	for _, tlv := range []ext.TLV{
		{Type: 0x00, Value: nil},
		{Type: 0x7f, Value: bytes.Repeat([]byte{0xee}, 255)},
		{Type: ext.TypeLamport, Value: []byte{8, 7, 6, 5, 4, 3, 2, 1}},
		{Type: 0xff, Value: []byte{ext.Magic, ext.Version}},
	} {
		if b, err = ext.AppendTLV(b, tlv.Type, tlv.Value); err != nil {
			t.Fatal(err)
		}
	}
	var e ext.Extension
	if err := e.Decode(b); err != nil || e != sample {
		t.Fatalf("Decode = %+v, %v; want %+v", e, err, sample)
	}
	// Walking the list sees all four.
	rest, n := b[ext.FixedSize:], 0
	for len(rest) > 0 {
		if _, rest, err = ext.ReadTLV(rest); err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 4 {
		t.Fatalf("walked %d TLVs, want 4", n)
	}
}

func TestMalformed(t *testing.T) {
	fixed := (&ext.Extension{}).Append(nil)
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	for _, tc := range []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, ext.ErrTruncated},
		{"magic only", []byte{0x4e}, ext.ErrTruncated},
		{"wrong magic", []byte{0x4d, 1, 0, 0, 0, 0, 0, 0, 0}, ext.ErrMagic},
		{"LXMF-style name", []byte("Nora"), ext.ErrVersion},
		{"version 0", []byte{0x4e, 0, 0, 0, 0, 0, 0, 0, 0}, ext.ErrVersion},
		{"version 2", []byte{0x4e, 2, 0, 0, 0, 0, 0, 0, 0}, ext.ErrVersion},
		{"short path cost", fixed[:8], ext.ErrTruncated},
		{"lone TLV type", cat(fixed, []byte{0x05}), ext.ErrTruncated},
		{"short TLV value", cat(fixed, []byte{0x05, 3, 1, 2}), ext.ErrTruncated},
		{"short unknown after Lamport", cat(sample.Append(nil), []byte{0x80, 1}), ext.ErrTruncated},
		{"Lamport 7 bytes", cat(fixed, []byte{0x01, 7, 1, 2, 3, 4, 5, 6, 7}), ext.ErrLength},
		{"Lamport 9 bytes", cat(fixed, []byte{0x01, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9}), ext.ErrLength},
		{"Lamport twice", cat(sample.Append(nil), []byte{0x01, 8, 1, 2, 3, 4, 5, 6, 7, 8}), ext.ErrDuplicate},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := sample
			if err := e.Decode(tc.in); !errors.Is(err, tc.want) {
				t.Fatalf("err %v, want %v", err, tc.want)
			}
			if e != (ext.Extension{}) {
				t.Fatalf("failed Decode left %+v", e)
			}
		})
	}
}

// TestTruncations: every proper prefix of a valid extension either fails
// with ErrTruncated or is itself valid (ends on a TLV boundary).
func TestTruncations(t *testing.T) {
	b, _ := ext.AppendTLV(sample.Append(nil), 0x42, []byte("abc"))
	for n := range len(b) {
		var e ext.Extension
		err := e.Decode(b[:n])
		boundary := n == ext.FixedSize || n == sample.Len()
		if boundary != (err == nil) || err != nil && !errors.Is(err, ext.ErrTruncated) {
			t.Errorf("prefix %d: err %v", n, err)
		}
	}
}

func TestAppendTLVTooLong(t *testing.T) {
	dst := []byte{1, 2}
	got, err := ext.AppendTLV(dst, 9, make([]byte, 256))
	if !errors.Is(err, ext.ErrTooLong) || !bytes.Equal(got, dst) {
		t.Fatalf("got %x, %v", got, err)
	}
}

func TestRandomRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	buf := make([]byte, 0, 32)
	for range 10000 {
		e := ext.Extension{
			PathCost:   pathcost.Compact{Cost: uint16(r.Uint32()), Latency: uint16(r.Uint32()), Bandwidth: uint8(r.Uint32()), Hops: uint8(r.Uint32()), MTU: uint8(r.Uint32())},
			Lamport:    r.Uint64(),
			HasLamport: r.IntN(2) == 0,
		}
		if !e.HasLamport {
			e.Lamport = 0
		}
		var back ext.Extension
		if err := back.Decode(e.Append(buf[:0])); err != nil || back != e {
			t.Fatalf("%+v round-trips to %+v, %v", e, back, err)
		}
	}
}

func TestTypeString(t *testing.T) {
	if s := ext.TypeLamport.String(); s != "Lamport" {
		t.Errorf("TypeLamport = %q", s)
	}
	if s := ext.Type(200).String(); s != "Type(200)" {
		t.Errorf("Type(200) = %q", s)
	}
}

func TestAllocs(t *testing.T) {
	buf := make([]byte, 0, 64)
	in, _ := ext.AppendTLV(sample.Append(nil), 0x99, []byte("skip me"))
	var e ext.Extension
	testutil.MaxAllocs(t, 100, 0, func() {
		if err := e.Decode(in); err != nil {
			t.Fatal(err)
		}
		buf = e.Append(buf[:0])
	})
}

func BenchmarkAppend(b *testing.B) {
	b.ReportAllocs()
	buf := make([]byte, 0, 64)
	for b.Loop() {
		buf = sample.Append(buf[:0])
	}
}

func BenchmarkDecode(b *testing.B) {
	b.ReportAllocs()
	in, _ := ext.AppendTLV(sample.Append(nil), 0x99, []byte("skip me"))
	var e ext.Extension
	for b.Loop() {
		if err := e.Decode(in); err != nil {
			b.Fatal(err)
		}
	}
}
