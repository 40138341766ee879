package pathcost_test

import (
	"bytes"
	"errors"
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/mehr-net/mehr/internal/testutil"
	"github.com/mehr-net/mehr/mehr/pathcost"
)

// Slow references: the encodings straight from their definitions, in exact
// big-integer arithmetic and without the package's tables.

func pow(x uint64, k int) *big.Int {
	b := new(big.Int).SetUint64(x)
	return b.Exp(b, big.NewInt(int64(k)), nil)
}

// refCost is ceil(16·log2(x+1)) = ceil(log2((x+1)^16)).
func refCost(x uint64) uint16 {
	n := pow(x, 1)
	n.Add(n, big.NewInt(1))
	n.Exp(n, big.NewInt(16), nil)
	return uint16(n.Sub(n, big.NewInt(1)).BitLen())
}

// refFloorLog is floor(k·log2(x)) = floor(log2(x^k)), 0 for x = 0,
// clamped to 255.
func refFloorLog(x uint64, k int) uint8 {
	if x == 0 {
		return 0
	}
	return uint8(min(pow(x, k).BitLen()-1, 255))
}

func refBandwidth(x uint64) uint8 { return refFloorLog(x, 8) }
func refMTU(x uint64) uint8       { return refFloorLog(x, 4) }

// boundaries returns, for every decoded value v of the given codes, v-1, v
// and v+1: every rounding boundary of the encoding.
func boundaries(n int, dec func(int) uint64) []uint64 {
	var out []uint64
	for c := range n {
		v := dec(c)
		out = append(out, v, v+1, v-1) // wraps at the ends, which is fine
	}
	return append(out, 0, 1, 2, math.MaxUint64, math.MaxUint64-1)
}

func randomValues(n int) []uint64 {
	r := rand.New(rand.NewPCG(8, 8))
	out := make([]uint64, n)
	for i := range out {
		// Spread over every magnitude, not just the top bits.
		out[i] = r.Uint64() >> r.IntN(64)
	}
	return out
}

func TestSize(t *testing.T) {
	var p pathcost.Compact
	if n := len(p.Append(nil)); n != pathcost.Size || pathcost.Size != 7 {
		t.Fatalf("encoded %d bytes, Size %d, want 7", n, pathcost.Size)
	}
}

func TestLayout(t *testing.T) {
	p := pathcost.Compact{Cost: 0x0102, Latency: 0x0304, Bandwidth: 5, Hops: 6, MTU: 7}
	want := []byte{0x02, 0x01, 0x04, 0x03, 5, 6, 7}
	if got := p.Append([]byte{0xaa}); !bytes.Equal(got, append([]byte{0xaa}, want...)) {
		t.Fatalf("Append = %x, want aa%x", got, want)
	}
	var q pathcost.Compact
	if err := q.Decode(want); err != nil || q != p {
		t.Fatalf("Decode = %+v, %v; want %+v", q, err, p)
	}
}

func TestDecodeSize(t *testing.T) {
	for _, n := range []int{0, 1, 6, 8, 9} {
		p := pathcost.Compact{Hops: 9}
		if err := p.Decode(make([]byte, n)); !errors.Is(err, pathcost.ErrSize) {
			t.Errorf("%d bytes: err %v, want ErrSize", n, err)
		}
		if p.Hops != 9 {
			t.Errorf("%d bytes: failed Decode changed the value", n)
		}
	}
}

// TestCompactRoundTrip: every 7-byte string decodes and re-encodes to
// itself (sampled over random strings plus the extremes).
func TestCompactRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	b := make([]byte, pathcost.Size)
	for i := range 10000 {
		switch i {
		case 0:
			clear(b)
		case 1:
			for j := range b {
				b[j] = 0xff
			}
		default:
			for j := range b {
				b[j] = byte(r.Uint32())
			}
		}
		var p pathcost.Compact
		if err := p.Decode(b); err != nil {
			t.Fatal(err)
		}
		if got := p.Append(nil); !bytes.Equal(got, b) {
			t.Fatalf("%x re-encodes to %x", b, got)
		}
	}
}

// TestTables checks the generated bucket bounds against their definitions
// in exact arithmetic.
func TestTables(t *testing.T) {
	one := big.NewInt(1)
	for c := range pathcost.MaxCostCode + 1 {
		// DecodeCost(c) = y is the largest y with (y+1)^16 <= 2^c.
		y := pathcost.DecodeCost(uint16(c))
		p2 := new(big.Int).Lsh(one, uint(c))
		lo := new(big.Int).Add(new(big.Int).SetUint64(y), one)
		hi := new(big.Int).Add(lo, one)
		lo.Exp(lo, big.NewInt(16), nil)
		hi.Exp(hi, big.NewInt(16), nil)
		if lo.Cmp(p2) > 0 || (y != math.MaxUint64 && hi.Cmp(p2) <= 0) {
			t.Fatalf("DecodeCost(%d) = %d is not floor(2^(c/16))-1", c, y)
		}
	}
	for _, e := range []struct {
		name string
		k    int
		dec  func(uint8) uint64
	}{{"bandwidth", 8, pathcost.DecodeBandwidth}, {"mtu", 4, pathcost.DecodeMTU}} {
		for c := 1; c <= pathcost.MaxCode; c++ {
			// dec(c) = y is the smallest y with y^k >= 2^c.
			y := e.dec(uint8(c))
			p2 := new(big.Int).Lsh(one, uint(c))
			if pow(y, e.k).Cmp(p2) < 0 || pow(y-1, e.k).Cmp(p2) >= 0 {
				t.Fatalf("%s: decode(%d) = %d is not ceil(2^(c/%d))", e.name, c, y, e.k)
			}
		}
		if e.dec(0) != 0 {
			t.Fatalf("%s: code 0 decodes to %d, want 0", e.name, e.dec(0))
		}
	}
}

// TestEncodeMatchesReference compares every encoder with its slow
// reference at every rounding boundary and at random values.
func TestEncodeMatchesReference(t *testing.T) {
	vals := append(randomValues(20000),
		boundaries(pathcost.MaxCostCode+1, func(c int) uint64 { return pathcost.DecodeCost(uint16(c)) })...)
	vals = append(vals, boundaries(256, func(c int) uint64 { return pathcost.DecodeBandwidth(uint8(c)) })...)
	vals = append(vals, boundaries(256, func(c int) uint64 { return pathcost.DecodeMTU(uint8(c)) })...)
	for _, x := range vals {
		if got, want := pathcost.EncodeCost(x), refCost(x); got != want {
			t.Fatalf("EncodeCost(%d) = %d, want %d", x, got, want)
		}
		if got, want := pathcost.EncodeBandwidth(x), refBandwidth(x); got != want {
			t.Fatalf("EncodeBandwidth(%d) = %d, want %d", x, got, want)
		}
		if got, want := pathcost.EncodeMTU(x), refMTU(x); got != want {
			t.Fatalf("EncodeMTU(%d) = %d, want %d", x, got, want)
		}
	}
}

// TestConservative: decode(encode(x)) >= x for costs and latencies and
// <= x for bottlenecks, at every boundary and random values.
func TestConservative(t *testing.T) {
	vals := append(randomValues(20000),
		boundaries(pathcost.MaxCostCode+1, func(c int) uint64 { return pathcost.DecodeCost(uint16(c)) })...)
	vals = append(vals, boundaries(256, func(c int) uint64 { return pathcost.DecodeBandwidth(uint8(c)) })...)
	vals = append(vals, boundaries(256, func(c int) uint64 { return pathcost.DecodeMTU(uint8(c)) })...)
	for _, x := range vals {
		if d := pathcost.DecodeCost(pathcost.EncodeCost(x)); d < x {
			t.Fatalf("cost %d decodes to %d", x, d)
		}
		if d := pathcost.DecodeBandwidth(pathcost.EncodeBandwidth(x)); d > x {
			t.Fatalf("bandwidth %d decodes to %d", x, d)
		}
		if d := pathcost.DecodeMTU(pathcost.EncodeMTU(x)); d > x {
			t.Fatalf("MTU %d decodes to %d", x, d)
		}
		d := time.Duration(x >> 1) // every non-negative duration
		if got := pathcost.DecodeLatency(pathcost.EncodeLatency(d)); got < d {
			t.Fatalf("latency %v decodes to %v", d, got)
		}
	}
}

// TestCodeRoundTrip runs over every code: decoding then encoding gives the
// code back when some value has that code, and otherwise the nearest code
// in the conservative direction; decoded values are monotonic in the code.
func TestCodeRoundTrip(t *testing.T) {
	prev := uint64(0)
	for c := range math.MaxUint16 + 1 {
		v := pathcost.DecodeCost(uint16(c))
		if v < prev {
			t.Fatalf("DecodeCost not monotonic at %d", c)
		}
		back := pathcost.EncodeCost(v)
		reachable := c <= pathcost.MaxCostCode && (c == 0 || v != prev)
		if back > uint16(c) || reachable && back != uint16(c) {
			t.Fatalf("cost code %d -> %d -> %d", c, v, back)
		}
		prev = v
	}
	for _, e := range []struct {
		name string
		enc  func(uint64) uint8
		dec  func(uint8) uint64
	}{{"bandwidth", pathcost.EncodeBandwidth, pathcost.DecodeBandwidth}, {"mtu", pathcost.EncodeMTU, pathcost.DecodeMTU}} {
		prev := uint64(0)
		for c := range pathcost.MaxCode + 1 {
			v := e.dec(uint8(c))
			if c > 0 && v < prev {
				t.Fatalf("%s: decode not monotonic at %d", e.name, c)
			}
			// Code c is reachable iff its bucket [dec(c), dec(c+1)) is not empty.
			reachable := c == pathcost.MaxCode || v < e.dec(uint8(c+1))
			back := e.enc(v)
			if back < uint8(c) || reachable && back != uint8(c) {
				t.Fatalf("%s code %d -> %d -> %d", e.name, c, v, back)
			}
			prev = v
		}
	}
	for c := range math.MaxUint16 + 1 {
		if back := pathcost.EncodeLatency(pathcost.DecodeLatency(uint16(c))); back != uint16(c) {
			t.Fatalf("latency code %d round-trips to %d", c, back)
		}
	}
}

// TestMonotonic: x <= y implies encode(x) <= encode(y).
func TestMonotonic(t *testing.T) {
	vals := randomValues(5000)
	for i := 1; i < len(vals); i++ {
		x, y := min(vals[i-1], vals[i]), max(vals[i-1], vals[i])
		if pathcost.EncodeCost(x) > pathcost.EncodeCost(y) ||
			pathcost.EncodeBandwidth(x) > pathcost.EncodeBandwidth(y) ||
			pathcost.EncodeMTU(x) > pathcost.EncodeMTU(y) ||
			pathcost.EncodeLatency(time.Duration(x>>1)) > pathcost.EncodeLatency(time.Duration(y>>1)) {
			t.Fatalf("encoding not monotonic between %d and %d", x, y)
		}
	}
}

func TestLatency(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want uint16
	}{
		{-time.Second, 0}, {0, 0}, {1, 1}, {time.Millisecond, 1}, {time.Millisecond + 1, 2},
		{65534 * time.Millisecond, 65534}, {65534*time.Millisecond + 1, pathcost.LatencyUnbounded},
		{65535 * time.Millisecond, pathcost.LatencyUnbounded}, {math.MaxInt64, pathcost.LatencyUnbounded},
	} {
		if got := pathcost.EncodeLatency(tc.d); got != tc.want {
			t.Errorf("EncodeLatency(%v) = %d, want %d", tc.d, got, tc.want)
		}
	}
	if got := pathcost.DecodeLatency(pathcost.LatencyUnbounded); got != pathcost.MaxLatency {
		t.Errorf("unbounded decodes to %v", got)
	}
}

// TestAccumulate checks the relay helpers: a path built hop by hop on
// encoded values never looks better than the exact path.
func TestAccumulate(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 2000 {
		p := pathcost.Origin()
		var cost uint64
		var worst time.Duration
		bw, mtu := uint64(math.MaxUint64), uint64(math.MaxUint64)
		n := 1 + r.IntN(300)
		for i := range n {
			h := pathcost.Hop{
				Cost:      r.Uint64() >> (20 + r.IntN(44)),
				Latency:   time.Duration(r.Int64N(int64(80 * time.Second))),
				Bandwidth: r.Uint64() >> r.IntN(64),
				MTU:       r.Uint64() >> (40 + r.IntN(24)),
			}
			p = p.AddHop(h)
			cost += h.Cost // no overflow: at most 300 · 2^44
			worst = max(worst, h.Latency)
			bw, mtu = min(bw, h.Bandwidth), min(mtu, h.MTU)
			if d := pathcost.DecodeCost(p.Cost); d < cost {
				t.Fatalf("hop %d: cost %d decodes to %d", i, cost, d)
			}
			if d := pathcost.DecodeLatency(p.Latency); d < worst {
				t.Fatalf("hop %d: latency %v decodes to %v", i, worst, d)
			}
			if p.Bandwidth != pathcost.EncodeBandwidth(bw) || p.MTU != pathcost.EncodeMTU(mtu) {
				t.Fatalf("hop %d: bottlenecks %d/%d, want codes of %d/%d", i, p.Bandwidth, p.MTU, bw, mtu)
			}
			if int(p.Hops) != min(i+1, 255) {
				t.Fatalf("hop %d: hop count %d", i, p.Hops)
			}
		}
	}
}

func TestJoin(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for range 5000 {
		a := pathcost.Compact{Cost: uint16(r.IntN(1100)), Latency: uint16(r.Uint32()), Bandwidth: uint8(r.Uint32()), Hops: uint8(r.Uint32()), MTU: uint8(r.Uint32())}
		b := pathcost.Compact{Cost: uint16(r.IntN(1100)), Latency: uint16(r.Uint32()), Bandwidth: uint8(r.Uint32()), Hops: uint8(r.Uint32()), MTU: uint8(r.Uint32())}
		j := a.Join(b)
		da, db := new(big.Int).SetUint64(pathcost.DecodeCost(a.Cost)), new(big.Int).SetUint64(pathcost.DecodeCost(b.Cost))
		sum := da.Add(da, db)
		if new(big.Int).SetUint64(pathcost.DecodeCost(j.Cost)).Cmp(sum) < 0 && j.Cost != pathcost.MaxCostCode {
			t.Fatalf("%+v join %+v: cost %d below the sum", a, b, j.Cost)
		}
		if j.Latency != max(a.Latency, b.Latency) || j.Bandwidth != min(a.Bandwidth, b.Bandwidth) ||
			j.MTU != min(a.MTU, b.MTU) || int(j.Hops) != min(int(a.Hops)+int(b.Hops), 255) {
			t.Fatalf("%+v join %+v = %+v", a, b, j)
		}
		if o := pathcost.Origin().Join(a); o.Bandwidth != a.Bandwidth || o.MTU != a.MTU || o.Hops != a.Hops || o.Latency != a.Latency {
			t.Fatalf("Origin is not neutral: %+v", o)
		}
	}
	if c := pathcost.SumCost(pathcost.MaxCostCode, 1); c != pathcost.MaxCostCode {
		t.Fatalf("saturated sum = %d", c)
	}
}

func TestAllocs(t *testing.T) {
	buf := make([]byte, 0, 16)
	var p pathcost.Compact
	h := pathcost.Hop{Cost: 12345, Latency: time.Second, Bandwidth: 9600, MTU: 500}
	testutil.MaxAllocs(t, 100, 0, func() {
		b := p.AddHop(h).Append(buf[:0])
		if err := p.Decode(b); err != nil {
			t.Fatal(err)
		}
	})
}

func BenchmarkEncodeCost(b *testing.B) {
	b.ReportAllocs()
	x := uint64(0)
	for b.Loop() {
		_ = pathcost.EncodeCost(x)
		x += 0x9e3779b97f4a7c15
	}
}

func BenchmarkEncodeBandwidth(b *testing.B) {
	b.ReportAllocs()
	x := uint64(0)
	for b.Loop() {
		_ = pathcost.EncodeBandwidth(x)
		x += 0x9e3779b97f4a7c15
	}
}

func BenchmarkAddHop(b *testing.B) {
	b.ReportAllocs()
	p := pathcost.Origin()
	h := pathcost.Hop{Cost: 12345, Latency: time.Second, Bandwidth: 9600, MTU: 500}
	for b.Loop() {
		p = p.AddHop(h)
		p.Hops = 0
	}
}

func BenchmarkAppendDecode(b *testing.B) {
	b.ReportAllocs()
	buf := make([]byte, 0, pathcost.Size)
	p := pathcost.Compact{Cost: 300, Latency: 1200, Bandwidth: 80, Hops: 3, MTU: 35}
	for b.Loop() {
		if err := p.Decode(p.Append(buf[:0])); err != nil {
			b.Fatal(err)
		}
	}
}
