package daemon_test

import (
	"strings"
	"testing"
	"time"

	"github.com/mehr-net/mehr/config"
	"github.com/mehr-net/mehr/daemon"
	"github.com/mehr-net/mehr/rns/iface"
	"github.com/mehr-net/mehr/rns/transport"
)

// probeType plays a plugin's type with its own defaults.
var probeType = daemon.TypeInfo{DefaultIFACSize: 16, Bitrate: 62500}

// synth imports one reference interface section and resolves it.
func synth(t *testing.T, body string) daemon.Settings {
	t.Helper()
	text := "[interfaces]\n  [[probe]]\n    type = ProbeInterface\n    interface_enabled = true\n"
	for _, l := range strings.Split(strings.TrimSpace(body), "\n") {
		text += "    " + l + "\n"
	}
	c, _, err := config.ImportReticulum(strings.NewReader(text), "config")
	if err != nil {
		t.Fatal(err)
	}
	s, err := daemon.Synthesize(c.Reticulum, c.Interfaces[0], probeType)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSynthesize pins the reference's interface synthesis rules as mehrd
// applies them.
func TestSynthesize(t *testing.T) {
	d := synth(t, "bitrate = 1200")
	if d.Mode != iface.ModeFull || d.ConfiguredBitrate != 1200 || d.Bitrate != 1200 || d.AnnounceCap != 0.02 ||
		d.IFACSize != 16 || d.IFAC != nil || d.Discoverable || d.DiscoveryInterval != 0 {
		t.Fatalf("defaults: %+v", d)
	}
	want := transport.IngressControl{MaxHeld: 256, BurstFreqNew: 3, BurstFreq: 10, BurstHold: 15 * time.Second,
		BurstPenalty: 15 * time.Second, HeldReleaseInterval: 5 * time.Second, NewTime: 2 * time.Hour}
	if d.Ingress != want {
		t.Fatalf("ingress defaults %+v, want %+v", d.Ingress, want)
	}
	for _, c := range []struct {
		body  string
		check func(daemon.Settings) bool
	}{
		{"bitrate = 4", func(s daemon.Settings) bool { return s.ConfiguredBitrate == 0 && s.Bitrate == 62500 }},
		{"bitrate = 5", func(s daemon.Settings) bool { return s.ConfiguredBitrate == 5 }},
		{"announce_cap = 50", func(s daemon.Settings) bool { return s.AnnounceCap == 0.5 }},
		{"announce_cap = 150", func(s daemon.Settings) bool { return s.AnnounceCap == 0.02 }},
		{"ifac_size = 64", func(s daemon.Settings) bool { return s.IFACSize == 8 }},
		{"ifac_size = 512", func(s daemon.Settings) bool { return s.IFACSize == 64 }},
		{"networkname = alpha", func(s daemon.Settings) bool { return s.NetworkName == "alpha" && s.IFAC != nil }},
		{"networkname =\npassphrase = k", func(s daemon.Settings) bool { return s.NetworkName == "" && s.Passphrase == "k" && s.IFAC != nil }},
		{"passphrase =", func(s daemon.Settings) bool { return s.IFAC == nil }},
		{"discoverable = true", func(s daemon.Settings) bool {
			return s.Mode == iface.ModeGateway && s.Discoverable && s.DiscoveryInterval == 6*time.Hour
		}},
		{"discoverable = true\nmode = ap", func(s daemon.Settings) bool { return s.Mode == iface.ModeAccessPoint }},
		{"discoverable = true\nignore_config_warnings = true", func(s daemon.Settings) bool { return s.Mode == iface.ModeFull }},
		{"discoverable = true\nannounce_interval = 1", func(s daemon.Settings) bool { return s.DiscoveryInterval == 5*time.Minute }},
		{"discoverable = true\nannounce_interval = 10", func(s daemon.Settings) bool { return s.DiscoveryInterval == 10*time.Minute }},
		{"mode = point_to_point", func(s daemon.Settings) bool { return s.Mode == iface.ModeFull }},
		{"mode = ptp", func(s daemon.Settings) bool { return s.Mode == iface.ModePointToPoint }},
		{"interface_mode = ap\nmode = full", func(s daemon.Settings) bool { return s.Mode == iface.ModeAccessPoint }},
		{"interface_mode = gateway\nmode = gateway", func(s daemon.Settings) bool { return s.Mode == iface.ModeGateway }},
		{"ic_max_held_announces = 7\nic_burst_freq = 4.5\nic_new_time = 99", func(s daemon.Settings) bool {
			return s.Ingress.MaxHeld == 7 && s.Ingress.BurstFreq == 4.5 && s.Ingress.NewTime == 99*time.Second
		}},
	} {
		if s := synth(t, c.body); !c.check(s) {
			t.Errorf("%q: %+v", c.body, s)
		}
	}
	// RNode types become access points when discoverable.
	ic := config.NewInterface("radio", config.TypeRNode)
	ic.Discoverable = true
	if s, err := daemon.Synthesize(config.Default().Reticulum, ic, daemon.TypeInfo{DefaultIFACSize: 8}); err != nil || s.Mode != iface.ModeAccessPoint || s.IFACSize != 8 {
		t.Fatalf("discoverable RNode: %+v %v", s, err)
	}
	// The built-in types' IFAC defaults follow the reference's classes.
	for typ, want := range map[string]int{config.TypeTCPServer: 16, config.TypeUDP: 16, config.TypeSerial: 8, config.TypeKISS: 8, config.TypeRNode: 8, config.TypePipe: 8} {
		if ti, ok := daemon.BuiltinType(typ); !ok || ti.DefaultIFACSize != want {
			t.Errorf("%s: %+v %v", typ, ti, ok)
		}
	}
}
