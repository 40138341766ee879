package tun

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/mehr-net/mehr/internal/testutil"
)

// fragment cuts pkt into the frames a sender with the given MDU sends.
func fragment(pkt []byte, id uint16, mdu int) [][]byte {
	count, chunk := Fragments(len(pkt), mdu)
	if count == 1 {
		return [][]byte{AppendWhole(nil, pkt)}
	}
	var out [][]byte
	for i := range count {
		out = append(out, AppendFragment(nil, id, uint8(i), uint8(count), pkt[i*chunk:min((i+1)*chunk, len(pkt))]))
	}
	return out
}

func TestFragments(t *testing.T) {
	for _, c := range []struct {
		n, mdu, count, chunk int
	}{
		{100, 431, 1, 100},
		{430, 431, 1, 430},
		{431, 431, 2, 426},
		{1280, 431, 4, 426}, // 426*3 = 1278: 4 fragments
		{1278, 431, 3, 426},
		{1280, 5, 0, 0},
		{65535, 100, 0, 0},
	} {
		count, chunk := Fragments(c.n, c.mdu)
		if count != c.count || count > 1 && chunk != c.chunk {
			t.Errorf("Fragments(%d, %d) = %d, %d, want %d, %d", c.n, c.mdu, count, chunk, c.count, c.chunk)
		}
		for _, f := range fragment(make([]byte, c.n), 1, c.mdu) {
			if count > 0 && len(f) > c.mdu {
				t.Errorf("frame of %d bytes over MDU %d", len(f), c.mdu)
			}
		}
	}
}

func TestFrameDecode(t *testing.T) {
	var f Frame
	if err := f.Decode(AppendFragment(nil, 0x1234, 2, 3, []byte{9, 8})); err != nil {
		t.Fatal(err)
	}
	if f.Kind != FrameFragment || f.ID != 0x1234 || f.Index != 2 || f.Count != 3 || !bytes.Equal(f.Data, []byte{9, 8}) {
		t.Errorf("decoded %+v", f)
	}
	for _, c := range []struct {
		name string
		b    []byte
		want error
	}{
		{"empty", nil, ErrFrameShort},
		{"whole without data", []byte{FrameWhole}, ErrFrameShort},
		{"fragment header only", []byte{FrameFragment, 0, 1, 0, 2}, ErrFrameShort},
		{"count 1", []byte{FrameFragment, 0, 1, 0, 1, 7}, ErrFrameIndex},
		{"index = count", []byte{FrameFragment, 0, 1, 2, 2, 7}, ErrFrameIndex},
		{"kind 2", []byte{2, 1, 2, 3}, ErrFrameKind},
	} {
		t.Run(c.name, func(t *testing.T) {
			if err := f.Decode(c.b); !errors.Is(err, c.want) {
				t.Errorf("Decode = %v, want %v", err, c.want)
			}
		})
	}
}

func randomPacket(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// add feeds frames to a reassembler and returns the packets completed.
func add(t *testing.T, r *Reassembler, now time.Time, frames ...[]byte) [][]byte {
	t.Helper()
	var out [][]byte
	for _, b := range frames {
		var f Frame
		if err := f.Decode(b); err != nil {
			t.Fatal(err)
		}
		if pkt, res := r.Add(&f, now); res == Complete {
			out = append(out, bytes.Clone(pkt))
		}
	}
	return out
}

func TestReassembleOrders(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	now := time.Unix(1000, 0)
	for _, n := range []int{431, 1000, 1278, 1279, 1280} {
		pkt := randomPacket(rnd, n)
		frames := fragment(pkt, 7, 431)
		for trial := range 20 {
			shuffled := append([][]byte(nil), frames...)
			if trial > 0 {
				rnd.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
			}
			r := NewReassembler(1280, 4, time.Second)
			got := add(t, r, now, shuffled...)
			if len(got) != 1 || !bytes.Equal(got[0], pkt) {
				t.Fatalf("n=%d trial %d: got %d packets", n, trial, len(got))
			}
		}
	}
}

func TestReassembleInterleaved(t *testing.T) {
	rnd := rand.New(rand.NewPCG(3, 4))
	now := time.Unix(1000, 0)
	p1, p2 := randomPacket(rnd, 1280), randomPacket(rnd, 900)
	f1, f2 := fragment(p1, 1, 431), fragment(p2, 2, 431)
	r := NewReassembler(1280, 2, time.Second)
	got := add(t, r, now, f1[0], f2[0], f1[1], f2[1], f1[2], f2[2], f1[3])
	if len(got) != 2 || !bytes.Equal(got[0], p2) || !bytes.Equal(got[1], p1) {
		t.Fatalf("got %d packets", len(got))
	}
}

func TestReassembleDiscards(t *testing.T) {
	rnd := rand.New(rand.NewPCG(5, 6))
	now := time.Unix(1000, 0)
	pkt := randomPacket(rnd, 1280)
	frames := fragment(pkt, 9, 431)

	t.Run("duplicate", func(t *testing.T) {
		r := NewReassembler(1280, 2, time.Second)
		var f Frame
		_ = f.Decode(frames[0])
		r.Add(&f, now)
		if _, res := r.Add(&f, now); res != Duplicate {
			t.Errorf("got %v", res)
		}
		if got := add(t, r, now, frames[1:]...); len(got) != 1 || !bytes.Equal(got[0], pkt) {
			t.Error("not reassembled after a duplicate")
		}
	})
	t.Run("timeout", func(t *testing.T) {
		r := NewReassembler(1280, 2, time.Second)
		add(t, r, now, frames[:2]...)
		if got := add(t, r, now.Add(2*time.Second), frames[2:]...); len(got) != 0 {
			t.Error("completed with expired fragments")
		}
		if r.Expired != 1 {
			t.Errorf("Expired = %d", r.Expired)
		}
	})
	t.Run("eviction", func(t *testing.T) {
		r := NewReassembler(1280, 2, time.Second)
		a, b := fragment(pkt, 1, 431), fragment(pkt, 2, 431)
		c := fragment(pkt, 3, 431)
		add(t, r, now, a[0])
		add(t, r, now.Add(time.Millisecond), b[0])
		add(t, r, now.Add(2*time.Millisecond), c[0]) // evicts 1
		if r.Evicted != 1 {
			t.Errorf("Evicted = %d", r.Evicted)
		}
		if got := add(t, r, now.Add(3*time.Millisecond), a[1:]...); len(got) != 0 {
			t.Error("evicted packet completed")
		}
		if got := add(t, r, now.Add(3*time.Millisecond), c[1:]...); len(got) != 1 || !bytes.Equal(got[0], pkt) {
			t.Error("newest packet lost")
		}
	})
	for _, c := range []struct {
		name   string
		frames [][]byte
	}{
		{"count changes", [][]byte{AppendFragment(nil, 1, 0, 3, make([]byte, 10)), AppendFragment(nil, 1, 1, 4, make([]byte, 10))}},
		{"chunk changes", [][]byte{AppendFragment(nil, 1, 0, 3, make([]byte, 10)), AppendFragment(nil, 1, 1, 3, make([]byte, 11))}},
		{"last longer than chunk", [][]byte{AppendFragment(nil, 1, 0, 2, make([]byte, 10)), AppendFragment(nil, 1, 1, 2, make([]byte, 11))}},
		{"last first, then shorter chunk", [][]byte{AppendFragment(nil, 1, 1, 2, make([]byte, 11)), AppendFragment(nil, 1, 0, 2, make([]byte, 10))}},
		{"over max packet", [][]byte{AppendFragment(nil, 1, 0, 3, make([]byte, 700))}},
		{"last first over max", [][]byte{AppendFragment(nil, 1, 1, 2, make([]byte, 700)), AppendFragment(nil, 1, 0, 2, make([]byte, 700))}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := NewReassembler(1280, 2, time.Second)
			var last ReassemblyResult
			for _, b := range c.frames {
				var f Frame
				if err := f.Decode(b); err != nil {
					t.Fatal(err)
				}
				_, last = r.Add(&f, now)
			}
			if last != Inconsistent {
				t.Errorf("last result %v, want Inconsistent", last)
			}
		})
	}
}

func TestReassembleAllocs(t *testing.T) {
	pkt := make([]byte, 1280)
	frames := fragment(pkt, 1, 431)
	r := NewReassembler(1280, 4, time.Second)
	now := time.Unix(1000, 0)
	var f Frame
	testutil.MaxAllocs(t, 100, 0, func() {
		for _, b := range frames {
			_ = f.Decode(b)
			r.Add(&f, now)
		}
	})
}

func BenchmarkReassemble(b *testing.B) {
	pkt := make([]byte, 1280)
	frames := fragment(pkt, 1, 431)
	r := NewReassembler(1280, 4, time.Second)
	now := time.Unix(1000, 0)
	b.ReportAllocs()
	b.SetBytes(1280)
	var f Frame
	for b.Loop() {
		for _, fb := range frames {
			_ = f.Decode(fb)
			r.Add(&f, now)
		}
	}
}

// FuzzFrames feeds a sequence of frames (split from the input at each
// 0xfe 0xfe marker) to a reassembler with a small maximum packet; it must
// never panic and every completed packet must fit the maximum. It also
// checks that fragmenting and reassembling the input is the identity.
func FuzzFrames(f *testing.F) {
	pkt := make([]byte, 300)
	for i := range pkt {
		pkt[i] = byte(i)
	}
	seed := bytes.Join(fragment(pkt, 1, 120), []byte{0xfe, 0xfe})
	f.Add(seed, 120)
	f.Add(AppendWhole(nil, pkt), 431)
	f.Add([]byte{FrameFragment, 0, 1, 1, 2, 5, 0xfe, 0xfe, FrameFragment, 0, 1, 0, 2, 5, 5}, 10)
	f.Fuzz(func(t *testing.T, in []byte, mdu int) {
		r := NewReassembler(256, 2, time.Second)
		now := time.Unix(0, 0)
		for i, b := range bytes.Split(in, []byte{0xfe, 0xfe}) {
			var fr Frame
			if fr.Decode(b) != nil || fr.Kind != FrameFragment {
				continue
			}
			got, res := r.Add(&fr, now.Add(time.Duration(i)*100*time.Millisecond))
			if res == Complete && (len(got) > 256 || len(got) == 0) {
				t.Fatalf("completed packet of %d bytes", len(got))
			}
		}
		// Roundtrip.
		if mdu < FragHeaderLen+1 || mdu > 2000 || len(in) == 0 || len(in) > 4096 {
			return
		}
		frames := fragment(in, 77, mdu)
		count, _ := Fragments(len(in), mdu)
		if count == 0 {
			return
		}
		r2 := NewReassembler(4096, 1, time.Second)
		var out []byte
		for _, b := range frames {
			if len(b) > mdu {
				t.Fatalf("frame of %d bytes over MDU %d", len(b), mdu)
			}
			var fr Frame
			if err := fr.Decode(b); err != nil {
				t.Fatal(err)
			}
			if fr.Kind == FrameWhole {
				out = fr.Data
				continue
			}
			if got, res := r2.Add(&fr, now); res == Complete {
				out = got
			}
		}
		if !bytes.Equal(out, in) {
			t.Fatalf("roundtrip of %d bytes at MDU %d failed", len(in), mdu)
		}
	})
}
