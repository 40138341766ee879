package announce_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/mehr-net/mehr/internal/testutil"
	"github.com/mehr-net/mehr/rns/announce"
	"github.com/mehr-net/mehr/rns/dest"
	"github.com/mehr-net/mehr/rns/identity/identitytest"
	"github.com/mehr-net/mehr/rns/wire"
	"github.com/mehr-net/mehr/vectors"
)

// seedAnnounces returns every announce packet of announces.json.
func seedAnnounces(tb testing.TB) [][]byte {
	tb.Helper()
	b, err := vectors.Read("announces.json")
	if err != nil {
		tb.Fatal(err)
	}
	var f struct {
		Announces []struct {
			Inputs   struct{ Raw vectors.Hex }
			Expected struct {
				Packet   *struct{ Raw vectors.Hex }
				Tampered vectors.Hex `json:"tampered_last_byte_raw"`
			}
		}
		Forwarding []struct {
			Expected struct {
				Received, Rebroadcast struct{ Raw vectors.Hex }
			}
		}
	}
	if err := json.Unmarshal(b, &f); err != nil {
		tb.Fatal(err)
	}
	var out [][]byte
	for _, a := range f.Announces {
		for _, r := range [][]byte{a.Inputs.Raw, a.Expected.Tampered} {
			if r != nil {
				out = append(out, r)
			}
		}
		if a.Expected.Packet != nil {
			out = append(out, a.Expected.Packet.Raw)
		}
	}
	for _, fw := range f.Forwarding {
		out = append(out, fw.Expected.Received.Raw, fw.Expected.Rebroadcast.Raw)
	}
	return out
}

func validAnnounce(tb testing.TB, appData []byte) []byte {
	tb.Helper()
	id := identitytest.Known(tb)["alice"]
	d, err := dest.New(id, dest.In, wire.Single, nil, "example_utilities", "announcesample", "fruits")
	if err != nil {
		tb.Fatal(err)
	}
	raw, err := announce.Append(nil, &announce.Params{
		Destination: d, AppData: appData,
		RandomHash: announce.RandomHash([]byte("seed"), time.Unix(1700000000, 0)),
	})
	if err != nil {
		tb.Fatal(err)
	}
	return raw
}

func TestValidateMalformed(t *testing.T) {
	good := validAnnounce(t, []byte("app"))
	mutate := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	for _, c := range []struct {
		name string
		raw  []byte
		want error
	}{
		{"valid", good, nil},
		{"not an announce", mutate(func(b []byte) []byte { b[0] = 0x00; return b }), announce.ErrNotAnnounce},
		{"to a PLAIN destination", mutate(func(b []byte) []byte { b[0] = 0x09; return b }), announce.ErrNotAnnounce},
		{"short", good[:wire.HeaderMinSize+announce.MinLen-1], announce.ErrShort},
		{"ratchet flag without room", mutate(func(b []byte) []byte { b[0] |= 0x20; return b }), announce.ErrShort},
		{"bad signature", mutate(func(b []byte) []byte { b[len(b)-1] ^= 1; return b }), announce.ErrSignature},
		{"wrong destination", mutate(func(b []byte) []byte { b[2] ^= 1; return b }), announce.ErrSignature},
		{"hops changed", mutate(func(b []byte) []byte { b[1] = 7; return b }), nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			var p wire.Packet
			if err := p.Decode(c.raw); err != nil {
				t.Fatal(err)
			}
			if _, err := announce.Validate(&p); !errors.Is(err, c.want) {
				t.Fatalf("Validate = %v, want %v", err, c.want)
			}
		})
	}
}

// TestDestinationMismatch signs a body whose destination hash does not
// follow from its name hash and key: the signature holds, the hash check
// must catch it.
func TestDestinationMismatch(t *testing.T) {
	id := identitytest.Known(t)["alice"]
	pub := id.PublicKey()
	a := announce.Announce{
		Destination: wire.Hash{1, 2, 3},
		PublicKey:   pub[:],
		NameHash:    make([]byte, announce.NameHashLen),
		RandomHash:  make([]byte, announce.RandomHashLen),
	}
	sig, err := id.Sign(a.AppendSignedData(nil))
	if err != nil {
		t.Fatal(err)
	}
	h := wire.Header{PacketType: wire.Announce, Destination: a.Destination}
	raw := h.Append(nil)
	raw = append(raw, a.PublicKey...)
	raw = append(raw, a.NameHash...)
	raw = append(raw, a.RandomHash...)
	raw = append(raw, sig[:]...)
	var p wire.Packet
	if err := p.Decode(raw); err != nil {
		t.Fatal(err)
	}
	if _, err := announce.Validate(&p); !errors.Is(err, announce.ErrDestination) {
		t.Fatalf("Validate = %v", err)
	}
}

func TestAppendErrors(t *testing.T) {
	known := identitytest.Known(t)
	d, _ := dest.New(known["alice"], dest.In, wire.Single, nil, "app", "x")
	if _, err := announce.Append(nil, &announce.Params{Destination: d, Ratchet: []byte{1}}); !errors.Is(err, announce.ErrRatchet) {
		t.Errorf("short ratchet: %v", err)
	}
	if _, err := announce.Append(nil, &announce.Params{Destination: d, AppData: make([]byte, 400)}); !errors.Is(err, announce.ErrTooLarge) {
		t.Errorf("oversize: %v", err)
	}
	plain, _ := dest.New(nil, dest.Out, wire.Plain, nil, "app", "x")
	if _, err := announce.Append(nil, &announce.Params{Destination: plain}); !errors.Is(err, announce.ErrNotAnnounce) {
		t.Errorf("plain: %v", err)
	}
}

func TestValidateAllocs(t *testing.T) {
	raw := validAnnounce(t, []byte("app data"))
	var p wire.Packet
	if err := p.Decode(raw); err != nil {
		t.Fatal(err)
	}
	testutil.MaxAllocs(t, 50, 0, func() {
		if _, err := announce.Validate(&p); err != nil {
			t.Fatal(err)
		}
	})
}

func FuzzValidate(f *testing.F) {
	for _, raw := range seedAnnounces(f) {
		f.Add(raw)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var p wire.Packet
		if p.Decode(raw) != nil {
			return
		}
		a, err := announce.Validate(&p)
		if err != nil {
			return
		}
		// A valid announce re-serializes to exactly its payload.
		var b []byte
		b = append(b, a.PublicKey...)
		b = append(b, a.NameHash...)
		b = append(b, a.RandomHash...)
		b = append(b, a.Ratchet...)
		b = append(b, a.Signature...)
		b = append(b, a.AppData...)
		if !bytes.Equal(b, p.Data) {
			t.Fatalf("fields do not cover the payload")
		}
	})
}

func BenchmarkValidate(b *testing.B) {
	raw := validAnnounce(b, []byte("Fruit seller: apples, pears"))
	var p wire.Packet
	b.ReportAllocs()
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		if err := p.Decode(raw); err != nil {
			b.Fatal(err)
		}
		if _, err := announce.Validate(&p); err != nil {
			b.Fatal(err)
		}
	}
}
