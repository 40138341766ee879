package tundev

import (
	"errors"
	"net/netip"
	"testing"
)

func TestConfigDefaults(t *testing.T) {
	c, err := Config{}.withDefaults()
	if err != nil || c.Name != DefaultName || c.MTU != DefaultMTU || c.Address.IsValid() {
		t.Fatalf("defaults: %+v, %v", c, err)
	}
}

func TestConfigInvalid(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
	}{
		{"long name", Config{Name: "a-name-too-long-x"}},
		{"slash", Config{Name: "a/b"}},
		{"space", Config{Name: "a b"}},
		{"small MTU", Config{MTU: 1279}},
		{"huge MTU", Config{MTU: 65536}},
		{"negative MTU", Config{MTU: -1}},
		{"IPv4", Config{Address: netip.MustParsePrefix("10.0.0.1/24")}},
		{"IPv4 in IPv6", Config{Address: netip.MustParsePrefix("::ffff:10.0.0.1/120")}},
		{"multicast", Config{Address: netip.MustParsePrefix("ff02::1/64")}},
		{"unspecified", Config{Address: netip.MustParsePrefix("::/0")}},
		{"loopback", Config{Address: netip.MustParsePrefix("::1/128")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Open(tc.cfg); !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("Open(%+v) = %v, want ErrInvalidConfig", tc.cfg, err)
			}
		})
	}
}

func TestTruncated(t *testing.T) {
	v6 := func(payload, n int) []byte {
		p := make([]byte, n)
		p[0] = 0x60
		p[4], p[5] = byte(payload>>8), byte(payload)
		return p
	}
	v4 := func(total, n int) []byte {
		p := make([]byte, n)
		p[0] = 0x45
		p[2], p[3] = byte(total>>8), byte(total)
		return p
	}
	for _, tc := range []struct {
		name string
		p    []byte
		want bool
	}{
		{"v6 whole", v6(8, 48), false},
		{"v6 cut", v6(1241, 1280), true},
		{"v6 exact", v6(1240, 1280), false},
		{"v6 short header", v6(0, 39), true},
		{"v6 trailing bytes", v6(0, 48), false},
		{"v4 whole", v4(28, 28), false},
		{"v4 cut", v4(1500, 1280), true},
		{"v4 short header", v4(0, 19), true},
		{"other version", []byte{0x10}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := truncated(tc.p); got != tc.want {
				t.Fatalf("truncated = %v, want %v", got, tc.want)
			}
		})
	}
}

// FuzzTruncated checks truncated against a slow reference on arbitrary
// bytes (what a reader gets from the kernel), and that it never panics.
func FuzzTruncated(f *testing.F) {
	f.Add([]byte{0x60, 0, 0, 0, 0, 8, 17, 64})
	f.Add(append([]byte{0x45, 0, 0, 20}, make([]byte, 16)...))
	f.Add([]byte{0xff})
	f.Fuzz(func(t *testing.T, p []byte) {
		if len(p) == 0 {
			return
		}
		want := false
		switch v := p[0] >> 4; {
		case v == 4 && len(p) < 20, v == 6 && len(p) < 40:
			want = true
		case v == 4:
			want = int(p[2])*256+int(p[3]) > len(p)
		case v == 6:
			want = 40+int(p[4])*256+int(p[5]) > len(p)
		}
		if got := truncated(p); got != want {
			t.Fatalf("truncated(% x) = %v, want %v", p, got, want)
		}
	})
}
