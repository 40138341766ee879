package wiretcp

import (
	"testing"

	"github.com/mehr-net/mehr/internal/bridge"
	"github.com/mehr-net/mehr/internal/testutil"
)

// TestLinkHooks drives the link hook commands on a mehr-to-mehr link.
func TestLinkHooks(t *testing.T) {
	defer testutil.LeakCheck(t)()
	w := &wireState{insts: map[string]*instance{}}
	r := w.registry()
	defer w.closeAll()

	srv := call(t, r, "wire_start_tcp_server", bridge.Params{})
	sh := srv["handle"].(string)
	ch := call(t, r, "wire_start_tcp_client", bridge.Params{"target_host": "127.0.0.1", "target_port": float64(srv["port"].(int))})["handle"].(string)

	// Stateless and self-contained commands.
	if res := call(t, r, "wire_link_signalling_bytes", bridge.Params{"handle": ch, "mtu": float64(500), "mode": float64(1)}); res["signalling_bytes"] != "2001f4" || res["raised"] != false {
		t.Errorf("signalling bytes: %v", res)
	}
	if res := call(t, r, "wire_link_signalling_bytes", bridge.Params{"handle": ch, "mtu": float64(500), "mode": float64(3)}); res["raised"] != true {
		t.Errorf("reserved mode encoded: %v", res)
	}
	p1 := call(t, r, "wire_link_request_payload", bridge.Params{"handle": ch})
	p2 := call(t, r, "wire_link_request_payload", bridge.Params{"handle": ch})
	if p1["len"] != 67 || p1["request_data_hex"] != p1["pub_bytes"].(string)+p1["sig_pub_bytes"].(string)+p1["signalling_bytes"].(string) || p1["pub_bytes"] == p2["pub_bytes"] {
		t.Errorf("request payloads %v, %v", p1, p2)
	}
	for v, ok := range map[string]bool{"valid64": true, "valid67": true, "size_63": false, "size_66": false, "size_0": false, "bad_mode": false} {
		if res := call(t, r, "wire_inject_crafted_link_request", bridge.Params{"handle": ch, "variant": v, "hops": float64(3)}); res["accepted"] != ok {
			t.Errorf("%s: %v", v, res)
		} else if ok && res["establishment_timeout"] != 378.0 {
			t.Errorf("%s: establishment timeout %v", v, res["establishment_timeout"])
		}
	}
	for _, on := range []bool{false, true} {
		if res := call(t, r, "wire_link_accept_gate", bridge.Params{"handle": ch, "accepts": on}); res["link_created"] != on {
			t.Errorf("accept gate %v: %v", on, res)
		}
	}
	for v, want := range map[string]string{"valid": "ACTIVE", "forged_signature": "PENDING", "wrong_signed_data": "PENDING", "wrong_size": "PENDING", "mode_mismatch": "CLOSED", "non_pending": "CLOSED"} {
		if res := call(t, r, "wire_inject_crafted_lrproof", bridge.Params{"handle": ch, "variant": v}); res["status_name"] != want {
			t.Errorf("lrproof %s: %v", v, res)
		}
	}
	gate := call(t, r, "wire_link_type_gate", bridge.Params{"handle": ch})
	if gate["single"].(bridge.Result)["raised"] != false || gate["plain"].(bridge.Result)["raised"] != true || gate["group"].(bridge.Result)["raised"] != true {
		t.Errorf("type gate: %v", gate)
	}

	// A live link.
	ln := call(t, r, "wire_listen", bridge.Params{"handle": sh, "app_name": "wiretest", "aspects": []any{"hooks"}})
	dh := ln["destination_hash"]
	if res := call(t, r, "wire_poll_path", bridge.Params{"handle": ch, "destination_hash": dh}); res["found"] != true {
		t.Fatalf("no path to the listener: %v", res)
	}
	lid := call(t, r, "wire_link_open", bridge.Params{"handle": ch, "destination_hash": dh})["link_id"]
	link := bridge.Params{"handle": sh, "link_id": lid}
	with := func(p bridge.Params, kv ...any) bridge.Params {
		out := bridge.Params{}
		for k, v := range p {
			out[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			out[kv[i].(string)] = kv[i+1]
		}
		return out
	}
	for c, want := range map[string]bool{"none": true, "ciphertext": false, "hmac": false, "truncate": false, "foreign_interface": false} {
		if res := call(t, r, "wire_inject_tampered_link_data", with(link, "data", "0102", "corruption", c)); res["delivered"] != want || res["link_active"] != true {
			t.Errorf("tampered %s: %v", c, res)
		}
	}
	for v, want := range map[string]bool{"forged_signature": false, "wrong_signed_data": false, "wrong_length": false} {
		if res := call(t, r, "wire_inject_crafted_link_identify", with(link, "variant", v)); res["adopted"] != want {
			t.Errorf("identify %s: %v", v, res)
		}
	}
	if res := call(t, r, "wire_inject_crafted_link_identify", with(link, "variant", "valid")); res["adopted"] != true {
		t.Errorf("valid identify: %v", res)
	}
	if res := call(t, r, "wire_inject_crafted_link_identify", bridge.Params{"handle": ch, "link_id": lid, "variant": "valid"}); res["adopted"] != false || res["initiator"] != true {
		t.Errorf("identify on the initiator: %v", res)
	}
	if res := call(t, r, "wire_send_keepalive_probe", bridge.Params{"handle": ch, "link_id": lid}); res["answered"] != false || res["last_inbound_advanced"] != false {
		t.Errorf("initiator keepalive probe: %v", res)
	}
	if res := call(t, r, "wire_send_keepalive_probe", link); res["last_inbound_advanced"] != true || res["last_data_advanced"] != false {
		t.Errorf("responder keepalive probe: %v", res)
	}
	phy := call(t, r, "wire_link_phy_stats_gate", bridge.Params{"handle": ch, "link_id": lid})
	if phy["off"].(bridge.Result)["rssi"] != nil || phy["on"].(bridge.Result)["rssi"] != -42.0 {
		t.Errorf("phy stats: %v", phy)
	}
	if res := call(t, r, "wire_link_identify_pending", bridge.Params{"handle": ch, "destination_hash": dh, "private_key": "0101010101010101010101010101010101010101010101010101010101010101" + "0202020202020202020202020202020202020202020202020202020202020202"}); res["identify_packet_sent"] != false || res["crashed"] != false || res["status_name"] != "PENDING" {
		t.Errorf("identify pending: %v", res)
	}
	if res := call(t, r, "wire_send_forged_link_close", bridge.Params{"handle": ch, "link_id": lid, "forged_id": "00112233445566778899aabbccddeeff"}); res["torn_down"] != false {
		t.Errorf("forged close: %v", res)
	}
	if res := call(t, r, "wire_link_key_material", bridge.Params{"handle": ch, "link_id": lid}); res["derived_key_present"] != true || res["prv_present"] != true {
		t.Errorf("key material: %v", res)
	}
	if res := call(t, r, "wire_link_teardown_emission", bridge.Params{"handle": ch, "link_id": lid}); res["pending_linkclose_emitted"] != 0 || res["active_linkclose_emitted"] != 1 {
		t.Errorf("teardown emission: %v", res)
	}
	if res := call(t, r, "wire_link_key_material", bridge.Params{"handle": ch, "link_id": lid}); res["derived_key_present"] != false || res["prv_present"] != false || res["status_name"] != "CLOSED" {
		t.Errorf("key material after close: %v", res)
	}

	// Bad input is an error, not a panic.
	for cmd, p := range map[string]bridge.Params{
		"wire_inject_crafted_lrproof":      {"handle": ch, "variant": "nope"},
		"wire_inject_crafted_link_request": {"handle": ch, "variant": "valid67", "hops": float64(-1)},
		"wire_inject_tampered_link_data":   {"handle": sh, "link_id": "zz"},
		"wire_link_signalling_bytes":       {"handle": ch, "mtu": float64(500), "mode": float64(9)},
	} {
		if resp := bridge.Dispatch(r, 2, cmd, p); resp.Success {
			t.Errorf("%s %v succeeded", cmd, p)
		}
	}
}
