package wiretcp

import (
	"math"
	"testing"

	"github.com/mehr-net/mehr/internal/bridge"
	"github.com/mehr-net/mehr/internal/testutil"
)

// TestChannelCommands: the channel observation and fault-injection
// commands of channels.go on a mehr-to-mehr link.
func TestChannelCommands(t *testing.T) {
	defer testutil.LeakCheck(t)()
	w := &wireState{insts: map[string]*instance{}}
	r := w.registry()
	defer w.closeAll()

	srv := call(t, r, "wire_start_tcp_server", bridge.Params{"network_name": "", "passphrase": ""})
	sh := srv["handle"].(string)
	cli := call(t, r, "wire_start_tcp_client", bridge.Params{
		"network_name": "", "passphrase": "", "target_host": "127.0.0.1", "target_port": float64(srv["port"].(int)),
	})
	ch := cli["handle"].(string)
	dh := call(t, r, "wire_listen", bridge.Params{"handle": sh, "app_name": "wiretest", "aspects": []any{"chan"}})["destination_hash"]
	if res := call(t, r, "wire_poll_path", bridge.Params{"handle": ch, "destination_hash": dh}); res["found"] != true {
		t.Fatalf("no path to the listener: %v", res)
	}
	lid := call(t, r, "wire_link_open", bridge.Params{"handle": ch, "destination_hash": dh, "app_name": "wiretest", "aspects": []any{"chan"}})["link_id"]
	on := func(extra bridge.Params) bridge.Params {
		p := bridge.Params{"handle": ch, "link_id": lid}
		for k, v := range extra {
			p[k] = v
		}
		return p
	}

	if p := call(t, r, "wire_channel_profile", on(bridge.Params{"rtt": 1.46})); p["window"] != 1 || p["window_max"] != 1 || p["rtt_slow"] != 1.45 {
		t.Errorf("degenerate profile: %v", p)
	}
	if p := call(t, r, "wire_channel_profile", on(bridge.Params{"rtt": 1.45})); p["window"] != 2 || p["window_max"] != 5 || p["window_flexibility"] != 4 {
		t.Errorf("standard profile: %v", p)
	}
	f := call(t, r, "wire_channel_timeout_formula", on(bridge.Params{"rtt": 0.02, "tries": float64(3), "ring_depth": float64(4)}))
	if want := 1.5 * 1.5 * 0.05 * 5.5; math.Abs(f["timeout"].(float64)-want) > 1e-12 {
		t.Errorf("timeout formula: %v, want %v", f, want)
	}

	hc := call(t, r, "wire_channel_handler_chain", on(bridge.Params{"handlers": []any{"false", "raise", "true", "false"}}))
	if log := hc["log"].([]int); len(log) != 3 || log[2] != 2 || hc["next_rx_sequence"] != 1 || hc["handler_count"] != 4 {
		t.Errorf("handler chain: %v", hc)
	}

	sp := call(t, r, "wire_channel_spurious_proof", on(nil))
	if sp["delivered"] != true || sp["window_before"] != sp["window_final"] || sp["window_before"] != sp["window_after_duplicate"] ||
		sp["link_closed"] != false || len(sp["errors"].([]string)) != 0 {
		t.Errorf("spurious proof: %v", sp)
	}

	em := call(t, r, "wire_channel_emit_capture", on(bridge.Params{"data": "c0de"}))
	if em["context"] != 0x0e || em["packet_type"] != 0 || em["delivered"] != true {
		t.Errorf("emit capture: %v", em)
	}
	// The spurious-proof probe, then the captured message.
	if got := call(t, r, "wire_channel_received", bridge.Params{"handle": sh, "link_id": lid})["messages"].([]string); len(got) != 2 || got[1] != "c0de" {
		t.Errorf("received after emit capture: %v", got)
	}

	pre := call(t, r, "wire_channel_window", on(nil))
	fail := call(t, r, "wire_channel_send", on(bridge.Params{"data": "00", "fail_outlet": true}))
	if fail["rejected"] != true || fail["ce_type"] != 3 || fail["next_sequence"] != pre["next_sequence"] {
		t.Errorf("failed outlet: %v (before %v)", fail, pre)
	}
	ok := call(t, r, "wire_channel_send", on(bridge.Params{"data": "01"}))
	if ok["sequence"] != pre["next_sequence"] || ok["delivered"] != true || ok["tries"] != 1 {
		t.Errorf("send after the failed one: %v", ok)
	}

	if reg := call(t, r, "wire_channel_register", on(bridge.Params{"kind": "reserved"})); reg["accepted"] != false || reg["ce_type"] != 1 {
		t.Errorf("register reserved: %v", reg)
	}
	if reg := call(t, r, "wire_channel_register", on(bridge.Params{"kind": "valid"})); reg["accepted"] != true {
		t.Errorf("register valid: %v", reg)
	}

	set := call(t, r, "wire_link_set_rtt", on(bridge.Params{"rtt": 0.5}))
	if set["rtt"] != 0.5 {
		t.Errorf("set rtt: %v", set)
	}
	call(t, r, "wire_channel_send", on(bridge.Params{"data": "02"}))
	if win := call(t, r, "wire_channel_window", on(nil)); win["medium_rate_rounds"] != 1 || win["fast_rate_rounds"] != 0 {
		t.Errorf("rounds after a medium-RTT delivery: %v", win)
	}

	// Bad input is an error, not a panic.
	for _, name := range []string{"wire_link_set_rtt", "wire_channel_profile", "wire_channel_timeout_formula", "wire_channel_handler_chain", "wire_channel_register"} {
		for _, p := range []bridge.Params{{"handle": ch}, on(bridge.Params{"rtt": "x", "tries": "y", "handlers": 3, "kind": 4})} {
			if resp := bridge.Dispatch(r, 2, name, p); resp.Success {
				t.Errorf("%s %v succeeded", name, p)
			}
		}
	}
	call(t, r, "wire_stop", bridge.Params{"handle": ch})
	call(t, r, "wire_stop", bridge.Params{"handle": sh})
}
