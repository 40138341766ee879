package wiretcp

import (
	"encoding/hex"
	"testing"

	"github.com/mehr-net/mehr/internal/bridge"
	"github.com/mehr-net/mehr/internal/testutil"
	"github.com/mehr-net/mehr/rns/wire"
)

// TestProofCommands: the proof and receipt commands on one node.
func TestProofCommands(t *testing.T) {
	defer testutil.LeakCheck(t)()
	w := &wireState{insts: map[string]*instance{}}
	r := w.registry()
	defer w.closeAll()
	srv := call(t, r, "wire_start_tcp_server", bridge.Params{})
	h := srv["handle"]
	ch := call(t, r, "wire_start_tcp_client", bridge.Params{"target_host": "127.0.0.1", "target_port": float64(srv["port"].(int))})["handle"]

	for variant, want := range map[string]bool{
		"valid_explicit": true, "valid_implicit": true, "forged_explicit": false, "wrong_hash_explicit": false,
	} {
		res := call(t, r, "wire_inject_single_proof_format", bridge.Params{"handle": h, "variant": variant})
		if res["validated"] != want || (want != (res["status_name"] == "DELIVERED")) {
			t.Errorf("single proof %s: %v", variant, res)
		}
	}
	for variant, want := range map[string]bool{
		"valid_explicit": true, "implicit_valid_sig": false, "implicit_random": false, "wrong_length_short": false,
	} {
		res := call(t, r, "wire_inject_crafted_link_proof", bridge.Params{"handle": h, "variant": variant})
		if res["validated"] != want {
			t.Errorf("link proof %s: %v", variant, res)
		}
	}
	for _, v := range []string{"wire_inject_single_proof_format", "wire_inject_crafted_link_proof"} {
		if resp := bridge.Dispatch(r, 2, v, bridge.Params{"handle": h, "variant": "bogus"}); resp.Success {
			t.Errorf("%s accepted an unknown variant", v)
		}
	}

	lr := call(t, r, "wire_capture_lrproof_frame", bridge.Params{"handle": h})
	raw, _ := hex.DecodeString(lr["raw"].(string))
	var pk wire.Packet
	if err := pk.Decode(raw); err != nil || pk.DestType != wire.Link || pk.PacketType != wire.Proof || pk.Context != wire.ContextLRProof ||
		hex.EncodeToString(pk.Destination[:]) != lr["link_id"] {
		t.Errorf("LRPROOF frame %v: %v", lr, err)
	}

	for _, c := range []struct {
		dt      string
		ctx, pt int
		receipt bool
	}{
		{"single", 0x00, 0, true}, {"plain", 0x00, 0, false}, {"single", 0xFA, 0, false},
		{"single", 0x01, 0, false}, {"single", 0x00, 3, false},
	} {
		res := call(t, r, "wire_packet_receipt_generation", bridge.Params{"handle": ch, "dest_type": c.dt, "context": float64(c.ctx), "packet_type": float64(c.pt)})
		if res["sent"] != true || res["has_receipt"] != c.receipt {
			t.Errorf("receipt generation %v: %v", c, res)
		}
	}

	base := call(t, r, "wire_packet_receipt_timeout", bridge.Params{"handle": h})
	if base["timeout"] != 774.0 || base["hops_to"] != 128 || base["first_hop_timeout"] != 6.0 || base["status"] != 1 {
		t.Errorf("receipt timeout: %v", base)
	}
	if res := call(t, r, "wire_packet_receipt_timeout", bridge.Params{"handle": h, "force_timeout": float64(-1)}); res["forced_status"] != 0xFF {
		t.Errorf("forced -1: %v", res)
	}
	if res := call(t, r, "wire_packet_receipt_timeout", bridge.Params{"handle": h, "force_timeout": float64(0)}); res["forced_status"] != 0 {
		t.Errorf("forced 0: %v", res)
	}
	if res := call(t, r, "wire_set_proof_implicit", bridge.Params{"handle": h, "enabled": false}); res["implicit_proof"] != false {
		t.Errorf("set explicit: %v", res)
	}
	call(t, r, "wire_stop", bridge.Params{"handle": ch})
	call(t, r, "wire_stop", bridge.Params{"handle": h})
}

// TestRequestCommands: file and nil responses, the default timeout and
// response capture between two mehr nodes.
func TestRequestCommands(t *testing.T) {
	defer testutil.LeakCheck(t)()
	w := &wireState{insts: map[string]*instance{}}
	r := w.registry()
	defer w.closeAll()
	srv := call(t, r, "wire_start_tcp_server", bridge.Params{"network_name": "", "passphrase": ""})
	sh := srv["handle"].(string)
	ch := call(t, r, "wire_start_tcp_client", bridge.Params{
		"network_name": "", "passphrase": "", "target_host": "127.0.0.1", "target_port": float64(srv["port"].(int)),
	})["handle"].(string)
	dh := call(t, r, "wire_listen", bridge.Params{"handle": sh, "app_name": "wiretest", "aspects": []any{"req"}})["destination_hash"]
	if res := call(t, r, "wire_poll_path", bridge.Params{"handle": ch, "destination_hash": dh, "timeout_ms": float64(5000)}); res["found"] != true {
		t.Fatalf("no path: %v", res)
	}
	lid := call(t, r, "wire_link_open", bridge.Params{"handle": ch, "destination_hash": dh, "app_name": "wiretest", "aspects": []any{"req"}})["link_id"]

	call(t, r, "wire_register_request_handler", bridge.Params{"handle": sh, "destination_hash": dh, "path": "/file", "response_file": "00112233", "response_metadata": "cafe"})
	call(t, r, "wire_register_request_handler", bridge.Params{"handle": sh, "destination_hash": dh, "path": "/bytes", "response": "beef"})
	call(t, r, "wire_register_request_handler", bridge.Params{"handle": sh, "destination_hash": dh, "path": "/none", "response_none": true})
	if res := call(t, r, "wire_link_request", bridge.Params{"handle": ch, "link_id": lid, "path": "/file"}); res["status"] != "ready" || res["response"] != "00112233" || res["response_metadata"] != "cafe" {
		t.Fatalf("file response: %v", res)
	}
	if res := call(t, r, "wire_link_request", bridge.Params{"handle": ch, "link_id": lid, "path": "/none", "timeout_ms": float64(300)}); res["status"] != "timeout" || res["response"] != nil {
		t.Fatalf("nil response: %v", res)
	}
	if log := call(t, r, "wire_get_request_log", bridge.Params{"handle": sh, "destination_hash": dh, "path": "/none"}); log["count"] != 1 {
		t.Fatalf("nil handler log: %v", log)
	}
	res := call(t, r, "wire_capture_response_packet", bridge.Params{"handle": ch, "link_id": lid, "path": "/bytes", "data": "01"})
	if res["status"] != "ready" || res["response"] != "beef" {
		t.Fatalf("capture: %v", res)
	}
	if c := res["captured"].([]bridge.Result); len(c) != 1 || c[0]["context"] != int(wire.ContextResponse) || c[0]["plaintext"] == nil {
		t.Fatalf("captured: %v", res["captured"])
	}
	res = call(t, r, "wire_link_request_timeout", bridge.Params{"handle": ch, "link_id": lid, "path": "/bytes"})
	if rtt := res["rtt"].(float64); res["receipt_timeout"].(float64)-(rtt*6+11.25) > 1e-6 || rtt <= 0 {
		t.Fatalf("default timeout: %v", res)
	}
	if res := call(t, r, "wire_link_request_timeout", bridge.Params{"handle": ch, "link_id": lid, "path": "/bytes", "timeout_ms": float64(3000)}); res["receipt_timeout"] != 3.0 {
		t.Fatalf("explicit timeout: %v", res)
	}
	call(t, r, "wire_stop", bridge.Params{"handle": ch})
	call(t, r, "wire_stop", bridge.Params{"handle": sh})
}
