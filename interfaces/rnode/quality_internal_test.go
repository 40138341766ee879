package rnode

import "testing"

// TestRoundTenth checks roundTenth against values of Python's round(x, 1),
// which rounds the exact binary value of x and breaks exact ties to even.
// math.Round(x*10)/10 gets the first two wrong (0.3 and 0.4).
func TestRoundTenth(t *testing.T) {
	for _, tt := range []struct{ x, want float64 }{
		{0.25, 0.2}, // exact tie, to even
		{0.35, 0.3}, // 0.34999999999999997...
		{0.45, 0.5}, // 0.45000000000000001...
		{0.15, 0.1}, // 0.14999999999999999...
		{-0.25, -0.2},
		{1.05, 1.1},
		{65.47619047619048, 65.5},
		{100, 100},
		{-46.666666666666664, -46.7},
		{0, 0},
	} {
		if got := roundTenth(tt.x); got != tt.want {
			t.Errorf("roundTenth(%v) = %v, want %v", tt.x, got, tt.want)
		}
	}
}
