package tun

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"

	"github.com/mehr-net/mehr/rns/wire"
)

// DefaultPrefix is the ULA prefix used when none is configured:
// fd6d:6568:7200::/48, "fd" followed by the ASCII bytes of "mehr" and a
// zero byte. Every node of one mesh must use the same prefix.
var DefaultPrefix = netip.MustParsePrefix("fd6d:6568:7200::/48")

// MinHashBits is the least number of destination-hash bits an address must
// carry: a prefix may be at most 128-MinHashBits = 64 bits long.
const MinHashBits = 64

// ulaRange is fc00::/7 (RFC 4193).
var ulaRange = netip.MustParsePrefix("fc00::/7")

// ErrPrefix reports a prefix the adapter cannot use.
var ErrPrefix = errors.New("tun: invalid IPv6 prefix")

// ValidatePrefix reports whether p can be the address prefix: an IPv6
// prefix (not IPv4-mapped) inside the ULA range fc00::/7, with no host
// bits set, at least 7 and at most 128-MinHashBits bits long.
func ValidatePrefix(p netip.Prefix) error {
	if !p.IsValid() || !p.Addr().Is6() || p.Addr().Is4In6() {
		return fmt.Errorf("%w: %v is not an IPv6 prefix", ErrPrefix, p)
	}
	if p.Masked() != p {
		return fmt.Errorf("%w: %v has bits set after the prefix length", ErrPrefix, p)
	}
	if p.Bits() > 128-MinHashBits {
		return fmt.Errorf("%w: %v leaves %d bits of destination hash, want at least %d", ErrPrefix, p, 128-p.Bits(), MinHashBits)
	}
	if p.Bits() < ulaRange.Bits() || !ulaRange.Contains(p.Addr()) {
		return fmt.Errorf("%w: %v is not inside the unique local range %v", ErrPrefix, p, ulaRange)
	}
	return nil
}

// Address returns the IPv6 address of the IP destination with hash h under
// prefix p: the prefix's bits followed by the leading 128-p.Bits() bits of
// h. p must satisfy ValidatePrefix (bits beyond the prefix are ignored).
func Address(p netip.Prefix, h wire.Hash) netip.Addr {
	bits := uint(p.Bits())
	pb := p.Masked().Addr().As16()
	ph, pl := binary.BigEndian.Uint64(pb[0:8]), binary.BigEndian.Uint64(pb[8:16])
	hh, hl := binary.BigEndian.Uint64(h[0:8]), binary.BigEndian.Uint64(h[8:16])
	var sh, sl uint64
	switch {
	case bits == 0:
		sh, sl = hh, hl
	case bits < 64:
		sh, sl = hh>>bits, hl>>bits|hh<<(64-bits)
	default:
		sh, sl = 0, hh>>(bits-64)
	}
	var out [16]byte
	binary.BigEndian.PutUint64(out[0:8], ph|sh)
	binary.BigEndian.PutUint64(out[8:16], pl|sl)
	return netip.AddrFrom16(out)
}
