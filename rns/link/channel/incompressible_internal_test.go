package channel

import (
	"bytes"
	"crypto/rand"
	"testing"
)

func TestIncompressible(t *testing.T) {
	random := make([]byte, MaxChunkLen)
	rand.Read(random)
	block := random[:2048]
	for _, tc := range []struct {
		name string
		data []byte
		want bool
	}{
		{"random", random, true},
		{"short random", random[:512], false}, // too short to judge
		{"zeros", make([]byte, MaxChunkLen), false},
		{"repeated random block", bytes.Repeat(block, 8), false},
		{"text", bytes.Repeat([]byte("the quick brown fox "), 800), false},
	} {
		if got := incompressible(tc.data); got != tc.want {
			t.Errorf("%s: incompressible = %v, want %v", tc.name, got, tc.want)
		}
	}
}
