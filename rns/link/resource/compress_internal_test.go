package resource

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// TestWorthCompressing: the sampling tests skip bzip2 for random data and
// keep it for everything bzip2 shrinks, including data whose bytes look
// random but repeat (a random block over and over) and data with a small
// alphabet.
func TestWorthCompressing(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	random := make([]byte, 1<<20)
	for i := range random {
		random[i] = byte(r.Uint32())
	}
	hex := make([]byte, len(random))
	for i := range hex {
		hex[i] = "0123456789abcdef"[random[i]&15]
	}
	for _, c := range []struct {
		name string
		data []byte
		want bool
	}{
		{"random", random, false},
		{"repeated random block", bytes.Repeat(random[:1000], 1<<20/1000), true},
		{"text", bytes.Repeat([]byte("the quick brown fox jumps over the lazy dog "), 1<<20/44), true},
		{"zeros", make([]byte, 1<<20), true},
		{"hex digits", hex, true},
		{"small random", random[:1000], true}, // below the sampling size: always tried
	} {
		if got := worthCompressing(c.data); got != c.want {
			t.Errorf("%s: worthCompressing = %v, want %v", c.name, got, c.want)
		}
	}
}
