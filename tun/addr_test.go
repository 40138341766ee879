package tun

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/mehr-net/mehr/rns/wire"
)

func TestAddress(t *testing.T) {
	var h wire.Hash
	for i := range h {
		h[i] = byte(0x10 + i) // 10 11 12 ... 1f
	}
	for _, c := range []struct {
		prefix, want string
	}{
		{"fd6d:6568:7200::/48", "fd6d:6568:7200:1011:1213:1415:1617:1819"},
		{"fd00::/8", "fd10:1112:1314:1516:1718:191a:1b1c:1d1e"},
		{"fd00:1:2:3::/64", "fd00:1:2:3:1011:1213:1415:1617"},
		{"fc00::/7", "fc20:2224:2628:2a2c:2e30:3234:3638:3a3c"},
		{"fd12:3456::/33", "fd12:3456:808:8909:8a0a:8b0b:8c0c:8d0d"},
	} {
		t.Run(c.prefix, func(t *testing.T) {
			p := netip.MustParsePrefix(c.prefix)
			if err := ValidatePrefix(p); err != nil {
				t.Fatal(err)
			}
			got := Address(p, h)
			if got != netip.MustParseAddr(c.want) {
				t.Errorf("Address = %v, want %v", got, c.want)
			}
			if !p.Contains(got) {
				t.Errorf("%v not in %v", got, p)
			}
		})
	}
}

// TestAddressBits checks Address against a bit-by-bit reference for every
// prefix length.
func TestAddressBits(t *testing.T) {
	var h wire.Hash
	for i := range h {
		h[i] = byte(i*37 + 5)
	}
	base := netip.MustParseAddr("fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff").As16()
	bit := func(b []byte, i int) byte { return b[i/8] >> (7 - i%8) & 1 }
	for bits := 7; bits <= 64; bits++ {
		p := netip.PrefixFrom(netip.AddrFrom16(base), bits).Masked()
		got := Address(p, h).As16()
		pa := p.Addr().As16()
		for i := 0; i < 128; i++ {
			var want byte
			if i < bits {
				want = bit(pa[:], i)
			} else {
				want = bit(h[:], i-bits)
			}
			if bit(got[:], i) != want {
				t.Fatalf("/%d: bit %d of %x is wrong", bits, i, got)
			}
		}
	}
}

func TestValidatePrefix(t *testing.T) {
	for _, c := range []struct {
		name   string
		prefix netip.Prefix
		ok     bool
	}{
		{"default", DefaultPrefix, true},
		{"/64", netip.MustParsePrefix("fd00:1:2:3::/64"), true},
		{"/7", netip.MustParsePrefix("fc00::/7"), true},
		{"/65 leaves 63 bits", netip.MustParsePrefix("fd00:1:2:3::/65"), false},
		{"/128", netip.MustParsePrefix("fd00::1/128"), false},
		{"host bits", netip.MustParsePrefix("fd00::1/48"), false},
		{"global", netip.MustParsePrefix("2001:db8::/48"), false},
		{"/6 wider than ULA", netip.MustParsePrefix("fc00::/6"), false},
		{"ipv4", netip.MustParsePrefix("10.0.0.0/8"), false},
		{"ipv4-mapped", netip.MustParsePrefix("::ffff:10.0.0.0/104"), false},
		{"zero", netip.Prefix{}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := ValidatePrefix(c.prefix)
			if (err == nil) != c.ok {
				t.Fatalf("ValidatePrefix(%v) = %v, want ok=%v", c.prefix, err, c.ok)
			}
			if err != nil && !errors.Is(err, ErrPrefix) {
				t.Errorf("error %v does not wrap ErrPrefix", err)
			}
		})
	}
}
