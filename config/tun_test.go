package config

import (
	"errors"
	"strings"
	"testing"
)

func TestTUNSection(t *testing.T) {
	c := mustDecode(t, "[tun]\nenabled = true\ndevice = \"mesh0\"\nprefix = \"fd12:3456:789a::/48\"\nmtu = 1400\n")
	want := TUN{Enabled: true, Device: "mesh0", Prefix: "fd12:3456:789a::/48", MTU: 1400}
	if c.TUN != want {
		t.Fatalf("got %+v, want %+v", c.TUN, want)
	}
	// Marshal writes the section back, and it loads the same.
	out, err := c.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if c2 := mustDecode(t, string(out)); c2.TUN != want {
		t.Fatalf("round trip: %+v\n%s", c2.TUN, out)
	}
	if d := Default(); d.TUN.Enabled {
		t.Fatal("TUN is on by default")
	}
	for _, c := range []struct{ in, want string }{
		{"mtu = 1000", "tun.mtu: 1000 is not from 1280 to 65535"},
		{`prefix = "fd00::1/129"`, `tun.prefix: "fd00::1/129" is not an IPv6 prefix`},
		{`prefix = "10.0.0.0/8"`, "tun.prefix: 10.0.0.0/8 is not an IPv6 prefix"},
		{`prefix = "fd00::/96"`, "tun.prefix: fd00::/96 is longer than /64"},
		{`prefix = "fd00::1/48"`, "did you mean fd00::/48?"},
		{`device = "a-very-long-device-name"`, "longer than the 15 characters"},
		{"mtu = \"big\"", "tun.mtu"},
	} {
		_, _, err := Decode(strings.NewReader("[tun]\n"+c.in+"\n"), "test.toml")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.in, err, c.want)
		}
		if err != nil && !errors.Is(err, ErrValue) && !errors.Is(err, ErrType) {
			t.Errorf("%s: %v is neither ErrValue nor ErrType", c.in, err)
		}
	}
}

func TestMehrSection(t *testing.T) {
	c := mustDecode(t, "[mehr]\nrouting = true\nannounce_interval = 600\n")
	if !c.Mehr.Routing || c.Mehr.AnnounceInterval != 600 {
		t.Fatalf("%+v", c.Mehr)
	}
	out, err := c.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if c2 := mustDecode(t, string(out)); c2.Mehr != c.Mehr {
		t.Fatalf("round trip %+v\n%s", c2.Mehr, out)
	}
	if _, _, err := Decode(strings.NewReader("[mehr]\nannounce_interval = -1\n"), "t.toml"); err == nil || !strings.Contains(err.Error(), "mehr.announce_interval") {
		t.Fatalf("negative interval: %v", err)
	}
}
