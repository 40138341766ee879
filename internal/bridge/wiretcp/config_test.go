package wiretcp

import (
	"testing"

	"github.com/mehr-net/mehr/internal/bridge"
	"github.com/mehr-net/mehr/internal/testutil"
)

// TestPostureAndManagement: the instance-wide knobs of wire_start_tcp_server
// go through the daemon's configuration path and read back from the live
// node; bad identity hashes refuse the start.
func TestPostureAndManagement(t *testing.T) {
	defer testutil.LeakCheck(t)()
	f := New()
	defer f.Close()
	r := f.Commands()
	const acl = "00112233445566778899aabbccddeeff"
	on := call(t, r, "wire_start_tcp_server", bridge.Params{
		"respond_to_probes": true, "use_implicit_proof": false, "panic_on_interface_error": true,
		"enable_remote_management": true, "remote_management_allowed": []any{acl, acl},
		"blackhole_sources": []any{acl, acl}, "interface_discovery_sources": []any{acl},
	})["handle"]
	off := call(t, r, "wire_start_tcp_server", bridge.Params{})["handle"]

	p := call(t, r, "wire_instance_posture", bridge.Params{"handle": on})
	if p["respond_to_probes"] != true || p["should_use_implicit_proof"] != false || p["panic_on_interface_error"] != true ||
		p["remote_management_enabled"] != true {
		t.Errorf("posture %v", p)
	}
	for _, k := range []string{"remote_management_allowed", "blackhole_sources", "interface_discovery_sources"} {
		if l, _ := p[k].([]string); len(l) != 1 || l[0] != acl {
			t.Errorf("%s = %v", k, p[k])
		}
	}
	p = call(t, r, "wire_instance_posture", bridge.Params{"handle": off})
	if p["respond_to_probes"] != false || p["should_use_implicit_proof"] != true || p["remote_management_enabled"] != false {
		t.Errorf("default posture %v", p)
	}

	m := call(t, r, "wire_mgmt_destinations", bridge.Params{"handle": on})
	probe := m["probe"].(bridge.Result)
	if probe["present"] != true || probe["proof_strategy"] != 0x23 || probe["accepts_links"] != false || probe["in_mgmt_destinations"] != true {
		t.Errorf("probe %v", probe)
	}
	rm := m["remote_management"].(bridge.Result)
	hs, _ := rm["request_handlers"].([]bridge.Result)
	if rm["present"] != true || rm["in_mgmt_destinations"] != true || len(hs) != 2 || hs[0]["path"] != "/status" || hs[0]["allow"] != 2 {
		t.Errorf("remote management %v", rm)
	}
	m = call(t, r, "wire_mgmt_destinations", bridge.Params{"handle": off})
	if m["probe"].(bridge.Result)["present"] != false || m["remote_management"].(bridge.Result)["present"] != false {
		t.Errorf("default management destinations %v", m)
	}

	for _, bad := range []string{acl[:30], "zz" + acl[2:]} {
		for _, k := range []string{"remote_management_allowed", "blackhole_sources", "interface_discovery_sources"} {
			if _, err := r["wire_start_tcp_server"](bridge.Params{k: []any{bad}}); err == nil {
				t.Errorf("%s %q accepted", k, bad)
			}
		}
	}
}

// TestInterfaceTransportDefaults: the transport-node announce rate
// defaults and the default shared instance port.
func TestInterfaceTransportDefaults(t *testing.T) {
	defer testutil.LeakCheck(t)()
	f := New()
	defer f.Close()
	r := f.Commands()
	h := call(t, r, "wire_start_tcp_server", bridge.Params{})["handle"]
	d := call(t, r, "wire_interface_transport_defaults", bridge.Params{"handle": h})
	if d["local_interface_port"] != 37428 || d["ar_target"] != 3600 || d["ar_penalty"] != 0 || d["ar_grace"] != 5 {
		t.Errorf("defaults %v", d)
	}
}
