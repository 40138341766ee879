package auto_test

import (
	"encoding/hex"
	"net/netip"
	"testing"

	"github.com/mehr-net/mehr/interfaces/auto"
)

// The expected values below were derived from the reference's algorithm
// (RNS/Interfaces/AutoInterface.py, __init__) and checked by running it
// with PYTHONPATH=/work/ref: g = SHA-256(group ID); the address is
// "ff" + type flag + scope nibble, then ":0", then six groups made of
// bytes g[2]g[3], g[4]g[5], ..., g[12]g[13]. For "reticulum",
// g = eac4 d70b fb1c 16e4 5e39 485e 31e1 f5cc ..., so bytes 2..13 give
// d70b:fb1c:16e4:5e39:485e:31e1 and the default (temporary, link scope)
// address is ff12:0:d70b:fb1c:16e4:5e39:485e:31e1. The first two hash
// bytes (eac4) are not used.
func TestMulticastAddress(t *testing.T) {
	tests := []struct {
		group string
		typ   auto.AddressType
		scope auto.Scope
		want  string
	}{
		// SHA-256("reticulum") = eac4d70bfb1c16e45e39485e31e1f5cc...
		{"reticulum", auto.AddressTemporary, auto.ScopeLink, "ff12:0:d70b:fb1c:16e4:5e39:485e:31e1"},
		{"reticulum", auto.AddressTemporary, 0, "ff12:0:d70b:fb1c:16e4:5e39:485e:31e1"},
		{"reticulum", auto.AddressPermanent, auto.ScopeSite, "ff05:0:d70b:fb1c:16e4:5e39:485e:31e1"},
		{"reticulum", auto.AddressTemporary, auto.ScopeGlobal, "ff1e:0:d70b:fb1c:16e4:5e39:485e:31e1"},
		{"reticulum", auto.AddressTemporary, auto.ScopeOrganisation, "ff18:0:d70b:fb1c:16e4:5e39:485e:31e1"},
		{"reticulum", auto.AddressPermanent, auto.ScopeAdmin, "ff04:0:d70b:fb1c:16e4:5e39:485e:31e1"},
		// SHA-256("mehr") = 70d97a717bcc53fe7c452b28ee71c764...
		{"mehr", auto.AddressTemporary, auto.ScopeLink, "ff12:0:7a71:7bcc:53fe:7c45:2b28:ee71"},
		{"mehr", auto.AddressPermanent, auto.ScopeAdmin, "ff04:0:7a71:7bcc:53fe:7c45:2b28:ee71"},
		// SHA-256("") = e3b0c44298fc1c149afbf4c8996fb924...
		{"", auto.AddressTemporary, auto.ScopeLink, "ff12:0:c442:98fc:1c14:9afb:f4c8:996f"},
		// SHA-256("grüppe" in UTF-8) = 0a051bee1d36d3efc46770ab9de5d4f7...
		{"grüppe", auto.AddressTemporary, auto.ScopeSite, "ff15:0:1bee:1d36:d3ef:c467:70ab:9de5"},
	}
	for _, tt := range tests {
		t.Run(tt.group+"/"+tt.typ.String()+"/"+tt.scope.String(), func(t *testing.T) {
			want := netip.MustParseAddr(tt.want)
			if got := auto.MulticastAddress([]byte(tt.group), tt.typ, tt.scope); got != want {
				t.Fatalf("MulticastAddress = %v, want %v", got, want)
			}
		})
	}
}

// The tokens were computed with the reference's expression
// RNS.Identity.full_hash(group_id + link_local_address.encode("utf-8")),
// with the address text produced by Python's ipaddress module, which is
// how the reference formats both its own and the sender's address.
func TestDiscoveryToken(t *testing.T) {
	tests := []struct {
		addr string
		text string // the canonical text the token hashes
		want string
	}{
		{"fe80::1", "fe80::1", "97b25576749ea936b0d8a8536ffaf442d157cf47d460dcf13c48b7bd18b6c163"},
		{"fe80:0:0:0:a8c1:abff:fe12:3456", "fe80::a8c1:abff:fe12:3456", "722b8858ac15f6a30be188e00764a9dedf9719986ff87dbfb4e1a8574b1a62b7"},
		// The longest run of zero groups is the one compressed.
		{"fe80:0:0:0:1:0:0:5", "fe80::1:0:0:5", "aefd46acc4011870fc2948ce720e766a1d3fd08edb860d42b847cafead393aeb"},
		{"fe80::", "fe80::", "dbd6a90e18cac0821a8108b241e9b5aaa82d227cde4c3ad49158d00af4c6dd52"},
		// The zone is not part of the text.
		{"fe80::1%eth0", "fe80::1", "97b25576749ea936b0d8a8536ffaf442d157cf47d460dcf13c48b7bd18b6c163"},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			a := netip.MustParseAddr(tt.addr)
			if s := a.WithZone("").String(); s != tt.text {
				t.Fatalf("text %q, want %q", s, tt.text)
			}
			got := auto.DiscoveryToken([]byte("reticulum"), a)
			if hex.EncodeToString(got[:]) != tt.want {
				t.Fatalf("DiscoveryToken = %x, want %s", got, tt.want)
			}
		})
	}
}

func TestParse(t *testing.T) {
	scopes := map[string]auto.Scope{
		"": auto.ScopeLink, "link": auto.ScopeLink, "admin": auto.ScopeAdmin, "site": auto.ScopeSite,
		"organisation": auto.ScopeOrganisation, "organization": auto.ScopeOrganisation, "global": auto.ScopeGlobal,
	}
	for s, want := range scopes {
		if got, ok := auto.ParseScope(s); !ok || got != want {
			t.Errorf("ParseScope(%q) = %v, %v", s, got, ok)
		}
	}
	if _, ok := auto.ParseScope("planet"); ok {
		t.Error("ParseScope accepted planet")
	}
	types := map[string]auto.AddressType{"": auto.AddressTemporary, "temporary": auto.AddressTemporary, "permanent": auto.AddressPermanent}
	for s, want := range types {
		if got, ok := auto.ParseAddressType(s); !ok || got != want {
			t.Errorf("ParseAddressType(%q) = %v, %v", s, got, ok)
		}
	}
	if _, ok := auto.ParseAddressType("solid"); ok {
		t.Error("ParseAddressType accepted solid")
	}
}

func TestConfigErrors(t *testing.T) {
	for name, cfg := range map[string]auto.Config{
		"scope":          {Scope: 3},
		"address type":   {AddressType: 7},
		"discovery port": {DiscoveryPort: 65535},
		"data port":      {DataPort: 70000},
	} {
		t.Run(name, func(t *testing.T) {
			if l, err := auto.Listen(cfg); err == nil {
				l.Close()
				t.Fatal("Listen accepted a bad configuration")
			}
		})
	}
}
