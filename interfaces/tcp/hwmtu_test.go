package tcp

import "testing"

// TestTierMTU pins the reference's optimise_mtu boundaries: strict above
// every tier but the top one, and no MTU at or below 62.5 kbit/s.
func TestTierMTU(t *testing.T) {
	for _, c := range []struct {
		bitrate int64
		mtu     int
		ok      bool
	}{
		{1_000_000_000, 524288, true},
		{999_999_999, 262144, true},
		{750_000_000, 131072, true},
		{5_000_000, 4096, true},
		{62_501, 1024, true},
		{62_500, 0, false},
		{0, 0, false},
	} {
		if mtu, ok := TierMTU(c.bitrate); mtu != c.mtu || ok != c.ok {
			t.Errorf("TierMTU(%d) = %d, %v; want %d, %v", c.bitrate, mtu, ok, c.mtu, c.ok)
		}
	}
	if AutoMTU(62_500) != 500 {
		t.Errorf("AutoMTU below the lowest tier = %d, want 500", AutoMTU(62_500))
	}
}
