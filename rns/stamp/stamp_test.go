package stamp

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"math/big"
	"testing"
	"time"
)

// Work block digests computed with LXMF 1.0.1's LXStamper.stamp_workblock
// for material 00 01 .. 1f (200 rounds crosses msgpack's 1-byte integers).
func TestWorkblockMatchesLXMF(t *testing.T) {
	m := make([]byte, 32)
	for i := range m {
		m[i] = byte(i)
	}
	for _, c := range []struct {
		rounds int
		digest string
	}{
		{3, "6b36631af315c9d1c3450a1c69f4392551f1e4ac142f2450c9be315fbc97d1af"},
		{200, "65441d8d49fa6113d54577e28dea88c5c5812574f9bd260b68a18dac71454d9b"},
	} {
		wb, err := Workblock(m, c.rounds)
		if err != nil {
			t.Fatal(err)
		}
		if d := sha256.Sum256(wb); len(wb) != 256*c.rounds || hex.EncodeToString(d[:]) != c.digest {
			t.Errorf("%d rounds: %d bytes, digest %x", c.rounds, len(wb), d)
		}
	}
	if _, err := Workblock(m, -1); err == nil {
		t.Error("negative rounds accepted")
	}
}

// TestValidMatchesBigInt: Valid is the reference's integer comparison,
// and Value its leading-zero count, for digests around each threshold.
func TestValidMatchesBigInt(t *testing.T) {
	for cost := 0; cost <= 256; cost++ {
		target := new(big.Int).Lsh(big.NewInt(1), uint(256-cost))
		for _, h := range candidates(cost) {
			want := new(big.Int).SetBytes(h[:]).Cmp(target) <= 0
			if got := atMost(h, cost); got != want {
				t.Fatalf("cost %d, digest %x: %v, want %v", cost, h, got, want)
			}
		}
	}
	wb, _ := Workblock([]byte("material"), 2)
	st := make([]byte, Size)
	v := Value(wb, st)
	if !Valid(st, v, wb) || (v < 256 && Valid(st, v+1, wb)) {
		t.Errorf("value %d not valid", v)
	}
	if Valid(st, -1, wb) || Valid(st, 257, wb) {
		t.Error("out-of-range cost accepted")
	}
}

// candidates are digests at, just under and just over 2^(256-cost).
func candidates(cost int) [][32]byte {
	var out [][32]byte
	if cost == 0 {
		var all [32]byte
		for i := range all {
			all[i] = 0xff
		}
		return append(out, all, [32]byte{})
	}
	bit := 256 - cost // the threshold's set bit, counted from the right
	var eq [32]byte
	if bit < 256 {
		eq[31-bit/8] = 1 << (bit % 8)
	}
	over := eq
	over[31] |= 1
	if over == eq {
		over[30] |= 1
	}
	under := [32]byte{}
	for i := 31; i > 31-bit/8; i-- {
		under[i] = 0xff
	}
	under[31-bit/8] = byte(1<<(bit%8)) - 1
	return append(out, eq, over, under)
}

// TestGenerate finds a stamp that meets its cost, whose value is the
// leading zero count.
func TestGenerate(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	material := []byte("a discovery announce's info hash")
	st, v, err := Generate(ctx, material, 10, RoundsDiscovery)
	if err != nil {
		t.Fatal(err)
	}
	wb, _ := Workblock(material, RoundsDiscovery)
	if len(st) != Size || v < 10 || Value(wb, st) != v || !Valid(st, v, wb) || Valid(st, v+1, wb) {
		t.Fatalf("stamp %x value %d (recomputed %d)", st, v, Value(wb, st))
	}
	done, stop := context.WithCancel(context.Background())
	stop()
	if _, _, err := Generate(done, material, 256, 1); err == nil {
		t.Error("a cancelled search returned a stamp")
	}
}

func BenchmarkStampAttempts(b *testing.B) {
	wb, _ := Workblock([]byte("material"), RoundsMessage)
	b.ReportAllocs()
	b.SetBytes(int64(len(wb)))
	st := make([]byte, Size)
	for b.Loop() {
		st[0]++
		Value(wb, st)
	}
}
