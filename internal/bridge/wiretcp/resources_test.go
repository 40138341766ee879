package wiretcp

import (
	"testing"

	"github.com/mehr-net/mehr/internal/bridge"
	"github.com/mehr-net/mehr/internal/testutil"
)

// TestResourceProbes runs the resource probes on a mehr-to-mehr link and
// checks what the suite checks.
func TestResourceProbes(t *testing.T) {
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
	ln := call(t, r, "wire_listen", bridge.Params{"handle": sh, "app_name": "wiretest", "aspects": []any{"res"}})
	dh := ln["destination_hash"]
	if res := call(t, r, "wire_poll_path", bridge.Params{"handle": ch, "destination_hash": dh}); res["found"] != true {
		t.Fatalf("no path to the listener: %v", res)
	}
	lid := call(t, r, "wire_link_open", bridge.Params{"handle": ch, "destination_hash": dh, "app_name": "wiretest", "aspects": []any{"res"}})["link_id"]
	probe := func(cmd string, extra bridge.Params) bridge.Result {
		p := bridge.Params{"handle": ch, "link_id": lid}
		for k, v := range extra {
			p[k] = v
		}
		return call(t, r, cmd, p)
	}
	check := func(what string, ok bool, res bridge.Result) {
		t.Helper()
		if !ok {
			t.Errorf("%s: %v", what, res)
		}
	}

	c := call(t, r, "wire_resource_constants", bridge.Params{"handle": ch})
	check("constants", c["WINDOW"] == 4 && c["COLLISION_GUARD_SIZE"] == 224 && c["FAST_RATE_THRESHOLD"] == 4, c)
	st := probe("wire_resource_receiver_request_state", bridge.Params{"n": float64(2)})
	check("request state", st["window"] == 4 && st["consecutive_height_initial"] == -1 && st["consecutive_height_after"] == 1, st)
	for _, v := range []string{"valid", "beyond_window", "duplicate_filled", "forged_map_hash"} {
		res := probe("wire_inject_crafted_resource_part", bridge.Params{"variant": v})
		check(v, res["accepted"] == (v == "valid"), res)
	}
	ex := probe("wire_resource_request_next_content", bridge.Params{"variant": "exhausted"})
	check("exhausted request", ex["exhausted"] == true && ex["waiting_for_hmu"] == true && ex["second_request_emitted"] == false, ex)
	for _, v := range []string{"misaligned_hmu", "aligned"} {
		res := probe("wire_inject_crafted_resource_request", bridge.Params{"variant": v})
		check(v, res["cancelled"] == (v == "misaligned_hmu"), res)
	}
	dup := probe("wire_inject_crafted_resource_request", bridge.Params{"variant": "duplicate"})
	check("duplicate request", dup["deduped"] == true && dup["first_served"] == dup["total_parts"], dup)
	win := probe("wire_resource_window_inheritance", nil)
	check("window inheritance", win["completed_1"] == true && win["window2_initial"] == win["window_after_complete"], win)
	late := probe("wire_resource_late_after_cancel", nil)
	check("late packets", late["sender_status_after_late_proof"] == "FAILED" && late["control_status_after_proof"] == "COMPLETE", late)
	col := probe("wire_resource_force_collision", nil)
	check("collision", col["remapped"] == true && col["hashmap_changed"] == true, col)
	q := probe("wire_resource_outgoing_queue_state", nil)
	check("queue", q["ready_empty"] == true && q["ready_with_one"] == false && q["queued"] == true, q)
	asm := probe("wire_inject_corrupt_assembled_resource", bridge.Params{"variant": "corrupt"})
	check("corrupt assembly", asm["corrupt"] == true && asm["proof_calls"] == 0, asm)
	bomb := probe("wire_resource_send_bomb", nil)
	check("bomb", bomb["success"] == false && bomb["status"] == 0, bomb)
}
