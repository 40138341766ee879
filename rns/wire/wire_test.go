package wire_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"testing"

	"github.com/mehr-net/mehr/internal/testutil"
	"github.com/mehr-net/mehr/rns/wire"
	"github.com/mehr-net/mehr/vectors"
)

func TestDecodeMalformed(t *testing.T) {
	h1 := make([]byte, wire.HeaderMinSize)
	h2 := make([]byte, wire.HeaderMaxSize)
	h2[0] = 0x40
	for _, c := range []struct {
		name string
		raw  []byte
		want error
	}{
		{"nil", nil, wire.ErrShort},
		{"one byte", []byte{0}, wire.ErrShort},
		{"header1 minus one", h1[:len(h1)-1], wire.ErrShort},
		{"header1 exact", h1, nil},
		{"header2 only header1 long", append([]byte{0x40}, h1[1:]...), wire.ErrShort},
		{"header2 minus one", h2[:len(h2)-1], wire.ErrShort},
		{"header2 exact", h2, nil},
		{"hops at limit", append([]byte{0, wire.MaxHops}, h1[2:]...), wire.ErrHops},
		{"hops 255", append([]byte{0, 255}, h1[2:]...), wire.ErrHops},
		{"hops below limit", append([]byte{0, wire.MaxHops - 1}, h1[2:]...), nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			var p wire.Packet
			err := p.Decode(c.raw)
			if !errors.Is(err, c.want) {
				t.Fatalf("Decode = %v, want %v", err, c.want)
			}
			if err != nil && (p.Raw != nil || p.Data != nil) {
				t.Fatal("failed decode left slices behind")
			}
			if _, err := wire.PacketHash(c.raw); c.want == wire.ErrShort && !errors.Is(err, wire.ErrShort) {
				t.Fatalf("PacketHash = %v", err)
			}
		})
	}
}

func TestRewriteErrors(t *testing.T) {
	h1 := make([]byte, 30)
	h2 := make([]byte, 40)
	h2[0] = 0x40
	var id wire.Hash
	if _, err := wire.AppendInsertTransport(nil, h2, id); !errors.Is(err, wire.ErrHeaderType) {
		t.Errorf("insert into HEADER_2: %v", err)
	}
	if _, err := wire.AppendInsertTransport(nil, h1[:5], id); !errors.Is(err, wire.ErrShort) {
		t.Errorf("insert into short: %v", err)
	}
	if _, err := wire.AppendForward(nil, h1, id, 1); !errors.Is(err, wire.ErrHeaderType) {
		t.Errorf("forward HEADER_1: %v", err)
	}
	if _, err := wire.AppendStripTransport(nil, h2[:20], 1); !errors.Is(err, wire.ErrShort) {
		t.Errorf("strip short HEADER_2: %v", err)
	}
	if err := wire.SetHops(h1[:3], 1); !errors.Is(err, wire.ErrShort) {
		t.Errorf("set hops short: %v", err)
	}
}

func TestPathRequestDecodeRules(t *testing.T) {
	b := bytes.Repeat([]byte{7}, 60)
	for _, c := range []struct {
		n        int
		want     error
		hasTID   bool
		tagBytes int
	}{
		{0, wire.ErrPathRequestShort, false, 0},
		{15, wire.ErrPathRequestShort, false, 0},
		{16, wire.ErrPathRequestNoTag, false, 0},
		{17, nil, false, 1},
		{32, nil, false, 16},
		{33, nil, true, 1},
		{48, nil, true, 16},
		{60, nil, true, 16}, // long tags are truncated
	} {
		var r wire.PathRequest
		err := r.Decode(b[:c.n])
		if !errors.Is(err, c.want) || r.HasTransportID != c.hasTID || len(r.Tag) != c.tagBytes {
			t.Errorf("%d bytes: %v transport=%v tag=%d", c.n, err, r.HasTransportID, len(r.Tag))
		}
	}
}

func TestHeaderRoundtrip(t *testing.T) {
	for f := 0; f < 256; f++ {
		var h wire.Header
		h.SetFlags(byte(f))
		if h.Flags() != byte(f) {
			t.Fatalf("flags %#x -> %#x", f, h.Flags())
		}
		h.Hops = 3
		h.Destination[0], h.Context = 1, wire.ContextLRProof
		if h.HeaderType == wire.Header2 {
			h.TransportID[0] = 2
		}
		raw := append(h.Append(nil), 9, 9)
		var p wire.Packet
		if err := p.Decode(raw); err != nil || p.Header != h || !bytes.Equal(p.Data, []byte{9, 9}) {
			t.Fatalf("flags %#x: %+v %v", f, p.Header, err)
		}
		if len(raw) != h.Len()+2 {
			t.Fatalf("Len %d", h.Len())
		}
	}
}

// samplePackets returns the vector packets of packets.json.
func samplePackets(tb testing.TB) [][]byte {
	tb.Helper()
	b, err := vectors.Read("packets.json")
	if err != nil {
		tb.Fatal(err)
	}
	var f struct {
		Packets []struct {
			Expected struct{ Raw vectors.Hex }
		}
		Header2Forms []struct {
			Expected struct{ Packet struct{ Raw vectors.Hex } }
		} `json:"header_2_forms"`
		TransportRewrites []struct {
			Inputs struct {
				ReceivedRaw vectors.Hex `json:"received_raw"`
			}
		} `json:"transport_rewrites"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		tb.Fatal(err)
	}
	var out [][]byte
	for _, p := range f.Packets {
		out = append(out, p.Expected.Raw)
	}
	for _, p := range f.Header2Forms {
		out = append(out, p.Expected.Packet.Raw)
	}
	for _, p := range f.TransportRewrites {
		if p.Inputs.ReceivedRaw != nil {
			out = append(out, p.Inputs.ReceivedRaw)
		}
	}
	return out
}

// TestDecodeHashAllocs proves that decoding and hashing a packet allocates
// nothing.
func TestDecodeHashAllocs(t *testing.T) {
	pkts := samplePackets(t)
	var p wire.Packet
	var sink byte
	testutil.MaxAllocs(t, 200, 0, func() {
		for _, raw := range pkts {
			if err := p.Decode(raw); err != nil {
				t.Fatal(err)
			}
			h := p.Hash()
			sink ^= h[0]
		}
	})
	_ = sink
}

func TestRewriteAllocs(t *testing.T) {
	pkts := samplePackets(t)
	buf := make([]byte, 0, 600)
	var id wire.Hash
	testutil.MaxAllocs(t, 200, 0, func() {
		for _, raw := range pkts {
			if raw[0]&0x40 == 0 {
				buf, _ = wire.AppendInsertTransport(buf[:0], raw, id)
			} else {
				buf, _ = wire.AppendForward(buf[:0], raw, id, 2)
				buf, _ = wire.AppendStripTransport(buf[:0], raw, 2)
			}
		}
	})
}

func FuzzPacketDecode(f *testing.F) {
	for _, raw := range samplePackets(f) {
		f.Add(raw)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var p wire.Packet
		if err := p.Decode(raw); err != nil {
			if _, herr := wire.PacketHash(raw); herr == nil && !errors.Is(err, wire.ErrHops) {
				t.Fatalf("decode failed (%v) but hash succeeded", err)
			}
			return
		}
		// Roundtrip: re-encoding the decoded header and data gives raw back.
		if got := p.Append(nil); !bytes.Equal(got, raw) {
			t.Fatalf("roundtrip\n got %x\nwant %x", got, raw)
		}
		h := p.Hash()
		// The hash survives every transport rewrite.
		var out []byte
		var err error
		if p.HeaderType == wire.Header1 {
			out, err = wire.AppendInsertTransport(nil, raw, wire.Hash{1})
		} else {
			out, err = wire.AppendStripTransport(nil, raw, p.Hops)
		}
		if err != nil {
			t.Fatal(err)
		}
		if h2, err := wire.PacketHash(out); err != nil || h2 != h {
			t.Fatalf("rewrite changed the hash: %v", err)
		}
	})
}

func FuzzPathRequestDecode(f *testing.F) {
	f.Add(bytes.Repeat([]byte{1}, 48))
	f.Add(bytes.Repeat([]byte{2}, 32))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		var r wire.PathRequest
		if err := r.Decode(data); err != nil {
			return
		}
		var back wire.PathRequest
		if err := back.Decode(r.Append(nil)); err != nil || back.Target != r.Target || !bytes.Equal(back.Tag, r.Tag) {
			t.Fatalf("roundtrip: %v", err)
		}
	})
}

func BenchmarkDecodeHash(b *testing.B) {
	raw := samplePackets(b)[1] // 200-byte plaintext SINGLE packet
	b.ReportAllocs()
	b.SetBytes(int64(len(raw)))
	var p wire.Packet
	for b.Loop() {
		if err := p.Decode(raw); err != nil {
			b.Fatal(err)
		}
		_ = p.Hash()
	}
}

func BenchmarkDecodeHashMTU(b *testing.B) {
	raw := make([]byte, wire.MTU)
	raw[0] = 0x40
	b.ReportAllocs()
	b.SetBytes(int64(len(raw)))
	var p wire.Packet
	for b.Loop() {
		if err := p.Decode(raw); err != nil {
			b.Fatal(err)
		}
		_ = p.Hash()
	}
}

func BenchmarkForward(b *testing.B) {
	raw := make([]byte, wire.MTU)
	raw[0] = 0x40
	buf := make([]byte, 0, wire.MTU)
	b.ReportAllocs()
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		buf, _ = wire.AppendForward(buf[:0], raw, wire.Hash{1}, 3)
	}
}

// BenchmarkSHA256Floor is the physical limit of BenchmarkDecodeHash: one
// SHA-256 over as many bytes as that packet's hashable part.
func BenchmarkSHA256Floor(b *testing.B) {
	raw := samplePackets(b)[1]
	hp := raw[1:] // same length as the hashable part
	b.ReportAllocs()
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		_ = sha256.Sum256(hp)
	}
}
