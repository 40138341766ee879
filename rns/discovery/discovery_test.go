package discovery

import (
	"crypto/sha256"
	"strings"
	"testing"

	"github.com/mehr-net/mehr/rns/dest"
	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/wire"
)

func TestSanitizeName(t *testing.T) {
	for in, want := range map[string]string{
		"  Hello   World  ": "Hello World",
		"A     B":           "A B",
		"A    B":            "A B", // three become one, then the pair left becomes one
		"!!!Name!!!":        "Name",
		"!!!":               "",
		"café":              "caf",
		"(Relay one)":       "Relay one)",
		"\x1fnode\x1c":      "node",
		"":                  "",
	} {
		if got := SanitizeName(in); got != want {
			t.Errorf("SanitizeName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSanitize(t *testing.T) {
	for in, want := range map[string]string{
		"Node\nName\r":  "NodeName",
		"  trimmed  ":   "trimmed",
		"\u00a0x\u2003": "x",
	} {
		if got := Sanitize(in); got != want {
			t.Errorf("Sanitize(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestAddressGrammar(t *testing.T) {
	for s, want := range map[string]bool{"192.168.1.1": true, "::1": true, "2001:db8::1": true,
		"999.1.1.1": false, "example.com": false, "01.2.3.4": false, "": false} {
		if got := IsIPAddress(s); got != want {
			t.Errorf("IsIPAddress(%q) = %v", s, got)
		}
	}
	long := strings.Repeat(strings.Repeat("a", 60)+".", 4) + strings.Repeat("a", 60)
	for s, want := range map[string]bool{"example.com": true, "good-host.example.com": true, "example.com.": true,
		"host.123": false, "-bad.com": false, "bad-.com": false, "under_score.com": false, long: false,
		"a..b": false, "": false, ".": false, "localhost": true, strings.Repeat("a", 64) + ".com": false,
		"xn--caf-dma.example": true, "café.com": false} {
		if got := IsHostname(s); got != want {
			t.Errorf("IsHostname(%q) = %v, want %v", s, got, want)
		}
	}
	for s, want := range map[string]bool{"200::1": true, "300::1": true, "3ff:ffff::1": true, "400::1": false,
		"2001:db8::1": false, "192.168.1.1": false, "::ffff:2.0.0.1": false, "x": false} {
		if got := IsYggdrasil(s); got != want {
			t.Errorf("IsYggdrasil(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestAnnounceIdentity(t *testing.T) {
	tx, _ := identity.Generate(nil)
	net, _ := identity.Generate(nil)
	if AnnounceIdentity(tx, nil) != tx || AnnounceIdentity(tx, net) != net {
		t.Fatal("wrong identity chosen")
	}
	h := wire.Hash(net.Hash())
	want, err := dest.Hash(&h, "rnstransport", "discovery", "interface")
	if err != nil {
		t.Fatal(err)
	}
	if got := DestinationHash(net); got != want {
		t.Fatalf("DestinationHash = %x, want %x", got, want)
	}
	if DestinationHash(tx) == DestinationHash(net) {
		t.Fatal("two identities, one destination")
	}
}

func TestEndpointHash(t *testing.T) {
	if EndpointHash(Endpoint{"10.9.9.9", 4242, true}) != sha256.Sum256([]byte("10.9.9.9:4242")) {
		t.Fatal("with port")
	}
	if EndpointHash(Endpoint{ReachableOn: "x.b32.i2p"}) != sha256.Sum256([]byte("x.b32.i2p")) {
		t.Fatal("without port")
	}
}

func TestAutoconnectGate(t *testing.T) {
	e := func(host string) Endpoint { return Endpoint{host, 4242, true} }
	for _, c := range []struct {
		typ      string
		e        Endpoint
		max, now int
		exists   bool
		want     AutoconnectVerdict
	}{
		{"BackboneInterface", e("10.0.0.5"), 4, 0, false, Connect},
		{"BackboneInterface", e("10.0.0.5"), 0, 0, false, Disabled},
		{"BackboneInterface", e("10.0.0.5"), 4, 4, false, Disabled},
		{"UDPInterface", e("10.0.0.5"), 4, 0, false, UnsupportedType},
		{"TCPClientInterface", e("10.0.0.6"), 4, 0, false, UnsupportedType},
		{"I2PInterface", Endpoint{ReachableOn: "abcdefgh.b32.i2p"}, 4, 0, false, UnsupportedType},
		{"BackboneInterface", e("200::1"), 4, 0, false, Yggdrasil},
		{"BackboneInterface", e("10.0.0.5"), 4, 0, true, Exists},
		{"TCPServerInterface", e("10.0.0.5"), 4, 0, false, NotImplemented},
	} {
		if got := Autoconnect(c.typ, c.e, c.max, c.now, c.exists); got != c.want {
			t.Errorf("Autoconnect(%s, %v, %d, %d, %v) = %v, want %v", c.typ, c.e, c.max, c.now, c.exists, got, c.want)
		}
	}
}

func TestDefaultsOff(t *testing.T) {
	var f Features
	if f.DiscoverInterfaces || f.Autoconnects() {
		t.Fatal("discovery must be opt-in")
	}
	if !Discoverable("BackboneInterface") || Discoverable("UDPInterface") || Discoverable("AutoInterface") {
		t.Fatal("discoverable types")
	}
}

func FuzzSanitize(f *testing.F) {
	for _, s := range []string{"  Hello   World  ", "café", "!!!", "Node\nName\r", "example.com.", "200::1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := SanitizeName(s)
		for i := 0; i < len(n); i++ {
			if n[i] >= 0x80 {
				t.Fatalf("non-ASCII left in %q", n)
			}
		}
		if strings.ContainsAny(Sanitize(s), "\r\n") {
			t.Fatal("line break left")
		}
		IsHostname(s)
		IsIPAddress(s)
		IsYggdrasil(s)
	})
}
