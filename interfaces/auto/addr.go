package auto

import (
	"crypto/sha256"
	"net/netip"
	"strconv"
)

// Scope is the multicast scope of discovery (discovery_scope), the low
// nibble of the multicast address's second byte.
type Scope uint8

// Discovery scopes, with the reference's nibble values. The zero value
// means ScopeLink.
const (
	ScopeLink         Scope = 0x2
	ScopeAdmin        Scope = 0x4
	ScopeSite         Scope = 0x5
	ScopeOrganisation Scope = 0x8
	ScopeGlobal       Scope = 0xe
)

var scopeNames = map[Scope]string{
	ScopeLink: "link", ScopeAdmin: "admin", ScopeSite: "site",
	ScopeOrganisation: "organisation", ScopeGlobal: "global",
}

// String returns the scope's configuration name, such as "link".
func (s Scope) String() string {
	if n, ok := scopeNames[s]; ok {
		return n
	}
	return "Scope(" + strconv.Itoa(int(s)) + ")"
}

// ParseScope returns the scope for a discovery_scope value: "link",
// "admin", "site", "organisation" (or "organization") or "global"; the
// empty string means ScopeLink.
func ParseScope(s string) (Scope, bool) {
	switch s {
	case "", "link":
		return ScopeLink, true
	case "admin":
		return ScopeAdmin, true
	case "site":
		return ScopeSite, true
	case "organisation", "organization":
		return ScopeOrganisation, true
	case "global":
		return ScopeGlobal, true
	}
	return 0, false
}

func (s Scope) valid() bool { _, ok := scopeNames[s]; return ok }

// AddressType is the multicast address type (multicast_address_type):
// the T flag of the multicast address.
type AddressType uint8

// Multicast address types. The zero value is the reference's default.
const (
	AddressTemporary AddressType = iota // flag 1, the default
	AddressPermanent                    // flag 0
)

// String returns the type's configuration name.
func (t AddressType) String() string {
	switch t {
	case AddressTemporary:
		return "temporary"
	case AddressPermanent:
		return "permanent"
	}
	return "AddressType(" + strconv.Itoa(int(t)) + ")"
}

// ParseAddressType returns the type for a multicast_address_type value
// ("temporary" or "permanent"; the empty string means AddressTemporary).
// The reference falls back to temporary for any other value.
func ParseAddressType(s string) (AddressType, bool) {
	switch s {
	case "", "temporary":
		return AddressTemporary, true
	case "permanent":
		return AddressPermanent, true
	}
	return 0, false
}

func (t AddressType) flag() byte {
	if t == AddressPermanent {
		return 0
	}
	return 1
}

// MulticastAddress returns the discovery multicast group for a group ID,
// derived as the reference does: ff, then the type and scope nibbles, then
// a zero 16-bit group, then bytes 2 to 13 of SHA-256(groupID). Bytes 0 and
// 1 of the hash are unused (the reference writes a literal "0" there).
// A zero scope means ScopeLink.
func MulticastAddress(groupID []byte, t AddressType, s Scope) netip.Addr {
	if s == 0 {
		s = ScopeLink
	}
	g := sha256.Sum256(groupID)
	var a [16]byte
	a[0] = 0xff
	a[1] = t.flag()<<4 | byte(s)&0x0f
	copy(a[4:], g[2:14])
	return netip.AddrFrom16(a)
}

// TokenLen is the length of a discovery token.
const TokenLen = sha256.Size

// DiscoveryToken returns the token a node with link-local address addr
// sends for groupID: SHA-256 of the group ID followed by the address in
// its canonical text form without zone (RFC 5952, as Python's ipaddress
// and inet_ntop write it, for example "fe80::1").
func DiscoveryToken(groupID []byte, addr netip.Addr) [TokenLen]byte {
	var buf [64 + 46]byte
	b := append(buf[:0], groupID...)
	b = addr.WithZone("").AppendTo(b)
	return sha256.Sum256(b)
}
