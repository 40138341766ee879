package prim

import (
	"strings"
	"testing"

	"github.com/mehr-net/mehr/internal/bridge"
)

func probeConfig(body string) string {
	s := "[interfaces]\n  [[probe]]\n    type = ConfigParseProbeInterface\n    interface_enabled = true\n"
	for _, l := range strings.Split(body, "\n") {
		if l != "" {
			s += "    " + l + "\n"
		}
	}
	return s
}

// TestConfigParseInterface drives config_parse_interface as the suite
// does: a reference config of the probe type through mehr's importer and
// daemon.Synthesize.
func TestConfigParseInterface(t *testing.T) {
	r := call(t, "config_parse_interface", map[string]any{"interface_name": "probe", "config_text": probeConfig("discoverable = true\nannounce_interval = 1\nifac_size = 64\nnetworkname = alpha")})
	if r["mode"] != 6.0 || r["selected_interface_mode"] != 6.0 || r["discovery_announce_interval"] != 300.0 ||
		r["ifac_size"] != 8.0 || r["default_ifac_size"] != 16.0 || r["ifac_netname"] != "alpha" || r["ifac_active"] != true ||
		r["bitrate"] != 62500.0 || r["configured_bitrate"] != nil {
		t.Fatalf("%v", r)
	}
	r = call(t, "config_parse_interface", map[string]any{"interface_name": "probe", "config_text": probeConfig("bitrate = 1200\nannounce_cap = 150")})
	if r["configured_bitrate"] != 1200.0 || r["bitrate"] != 1200.0 || r["announce_cap"] != 0.02 || r["ic_max_held_announces"] != 256.0 ||
		r["discovery_announce_interval"] != nil || r["ifac_netkey"] != nil {
		t.Fatalf("%v", r)
	}
	// interface_mode = gateway without mode stops the reference; the
	// import fails too.
	resp := bridge.Dispatch(cmds, 1, "config_parse_interface", bridge.Params{"interface_name": "probe", "config_text": probeConfig("interface_mode = gateway")})
	if resp.Success {
		t.Fatal("interface_mode = gateway alone accepted")
	}
	r = call(t, "config_parse_interface", map[string]any{"interface_name": "nope", "config_text": probeConfig("")})
	if r["error"] == nil {
		t.Fatalf("missing section: %v", r)
	}
	sizes := call(t, "interface_default_ifac_size", nil)["default_ifac_size"].(map[string]any)
	if sizes["SerialInterface"] != 8.0 || sizes["TCPServerInterface"] != 16.0 {
		t.Fatalf("%v", sizes)
	}
}

// TestDiscoveryCommands covers the discovery primitives the suite calls.
func TestDiscoveryCommands(t *testing.T) {
	if r := call(t, "discovery_sanitize_name", map[string]any{"name": "  Hello   World  "}); r["sanitize_name"] != "Hello World" || r["sanitize"] != "Hello   World" {
		t.Fatalf("%v", r)
	}
	if r := call(t, "discovery_validate_address", map[string]any{"address": "300::1"}); r["is_ygg_ipv6"] != true || r["is_ip_address"] != true || r["is_hostname"] != false {
		t.Fatalf("%v", r)
	}
	key := strings.Repeat("11", 64)
	net := strings.Repeat("22", 64)
	a := call(t, "discovery_announce_identity", map[string]any{"has_network_identity": true, "network_identity_priv": net, "identity_priv": key})
	b := call(t, "discovery_announce_identity", map[string]any{"has_network_identity": false, "network_identity_priv": net, "identity_priv": key})
	if a["chosen_identity_hash"] != a["network_identity_hash"] || b["chosen_identity_hash"] != b["identity_hash"] ||
		a["discovery_destination_hash"] == b["discovery_destination_hash"] || a["app_name"] != "rnstransport" {
		t.Fatalf("%v / %v", a, b)
	}
	if r := call(t, "discovery_feature_defaults", nil); r["discover_interfaces"] != false || r["interface_discoverable"] != false ||
		r["should_autoconnect_discovered_interfaces"] != false {
		t.Fatalf("%v", r)
	}
	if r := call(t, "identity_keyless_op", map[string]any{"op": "sign", "data": "00"}); r["raised"] != "KeyError" {
		t.Fatalf("%v", r)
	}
}
