package wiretcp

import (
	"encoding/hex"
	"testing"

	"github.com/mehr-net/mehr/internal/bridge"
	"github.com/mehr-net/mehr/internal/testutil"
)

// TestRatchetCommands: two mehr nodes driven through the ratchet and
// identity-store commands: a ratcheted announce is adopted and encrypted
// to, the destination's ratchet state reads back, rotates, is cut and
// round-trips through its file, and the identity-side stores persist.
func TestRatchetCommands(t *testing.T) {
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

	ann := call(t, r, "wire_announce", bridge.Params{"handle": sh, "app_name": "wiretest", "aspects": []any{"ratchet"}, "app_data": "6869", "enable_ratchets": true})
	dh := ann["destination_hash"]
	if ann["ratchets_enabled"] != true || ann["ratchet_count"] != 1 || ann["current_ratchet_id"] == nil {
		t.Fatalf("announce: %v", ann)
	}
	if res := call(t, r, "wire_poll_path", bridge.Params{"handle": ch, "destination_hash": dh, "timeout_ms": float64(5000)}); res["found"] != true {
		t.Fatalf("no path: %v", res)
	}
	adopted := call(t, r, "wire_get_adopted_ratchet", bridge.Params{"handle": ch, "destination_hash": dh})
	if adopted["found"] != true || adopted["ratchet_id"] != ann["current_ratchet_id"] {
		t.Fatalf("adopted %v, announced %v", adopted, ann["current_ratchet_id"])
	}
	enc := call(t, r, "wire_encrypt_to_remote", bridge.Params{"handle": ch, "destination_hash": dh, "plaintext": "0102"})
	if enc["used_ratchet"] != true {
		t.Fatalf("encrypt: %v", enc)
	}
	dec := call(t, r, "wire_destination_decrypt", bridge.Params{"handle": sh, "destination_hash": dh, "ciphertext": enc["ciphertext"]})
	if dec["decrypted"] != true || dec["plaintext"] != "0102" || dec["latest_ratchet_id"] != ann["current_ratchet_id"] {
		t.Fatalf("decrypt: %v", dec)
	}
	enc = call(t, r, "wire_encrypt_to_remote", bridge.Params{"handle": ch, "destination_hash": dh, "plaintext": "0102", "use_ratchet": false})
	dec = call(t, r, "wire_destination_decrypt", bridge.Params{"handle": sh, "destination_hash": dh, "ciphertext": enc["ciphertext"]})
	if enc["used_ratchet"] != false || dec["decrypted"] != true || dec["latest_ratchet_id"] != nil {
		t.Fatalf("static: %v %v", enc, dec)
	}

	before := call(t, r, "wire_read_ratchets", bridge.Params{"handle": sh, "destination_hash": dh})
	if before["latest_ratchet_id"] != nil || before["ratchet_count"] != 1 { // the static decrypt cleared it
		t.Fatalf("read: %v", before)
	}
	lid := call(t, r, "wire_destination_latest_ratchet_id", bridge.Params{"handle": sh, "destination_hash": dh})
	if lid["decrypted"] != true || lid["match"] != true || lid["latest_ratchet_id"] != ann["current_ratchet_id"] {
		t.Fatalf("latest id: %v", lid)
	}
	if res := call(t, r, "wire_set_ratchet_interval", bridge.Params{"handle": sh, "destination_hash": dh, "seconds": float64(100)}); res["ok"] != true || res["ratchet_interval"] != 100 {
		t.Fatalf("interval: %v", res)
	}
	gated := call(t, r, "wire_rotate_ratchet", bridge.Params{"handle": sh, "destination_hash": dh, "last_rotation_ago_s": float64(50)})
	rot := call(t, r, "wire_rotate_ratchet", bridge.Params{"handle": sh, "destination_hash": dh, "last_rotation_ago_s": float64(200)})
	if gated["rotated"] != false || rot["rotated"] != true || rot["previous_ratchet_id"] != ann["current_ratchet_id"] {
		t.Fatalf("rotate: gated %v, open %v", gated, rot)
	}
	re := call(t, r, "wire_reannounce", bridge.Params{"handle": sh, "destination_hash": dh, "app_data": "7878", "rotate_ago_s": float64(1000)})
	if !pollUntil(5e9, func() bool {
		a := call(t, r, "wire_get_adopted_ratchet", bridge.Params{"handle": ch, "destination_hash": dh})
		rec := call(t, r, "wire_identity_recall", bridge.Params{"handle": ch, "destination_hash": dh})
		return a["ratchet_id"] == re["current_ratchet_id"] && rec["app_data"] == "7878"
	}) {
		t.Fatal("re-announce not adopted")
	}
	rt := call(t, r, "wire_ratchet_file_roundtrip", bridge.Params{"handle": sh, "destination_hash": dh})
	if rt["reload_ok"] != true || rt["roundtrip_match"] != true || rt["ratchet_count_after"] != 3 {
		t.Fatalf("file round trip: %v", rt)
	}
	ret := call(t, r, "wire_set_retained_ratchets", bridge.Params{"handle": sh, "destination_hash": dh, "n": float64(0)})
	if ret["ok"] != false || ret["retained_ratchets"] != 512 {
		t.Fatalf("retained 0: %v", ret)
	}

	// Identity-side stores.
	per := call(t, r, "wire_identity_ratchet_persist", bridge.Params{"handle": ch})
	for _, k := range []string{"file_written", "reload_match", "cleaned_removed"} {
		if per[k] != true {
			t.Fatalf("ratchet persist %s: %v", k, per)
		}
	}
	if per["tmp_leftover"] != false {
		t.Fatalf("ratchet persist: %v", per)
	}
	kd := call(t, r, "wire_known_destinations_roundtrip", bridge.Params{"handle": ch, "destination_hash": dh})
	if kd["present_before_save"] != true || kd["recall_after_clear_found"] != false || kd["recall_after_load_found"] != true ||
		kd["app_data_after_load"] != "7878" || kd["entry_len_after_load"] != 5 {
		t.Fatalf("known destinations: %v", kd)
	}
	for plant, want := range map[string]bool{"mismatch": false, "match": true, "none": true} {
		v := call(t, r, "wire_known_key_validate", bridge.Params{"handle": sh, "app_name": "wiretest", "aspects": []any{"kk"}, "plant": plant})
		if v["validated"] != want {
			t.Fatalf("known key %s: %v", plant, v)
		}
	}
	ln := call(t, r, "wire_listen", bridge.Params{"handle": sh, "app_name": "wiretest", "aspects": []any{"self"}})
	self := call(t, r, "wire_identity_recall", bridge.Params{"handle": sh, "destination_hash": ln["destination_hash"]})
	if self["found"] != true || self["public_key"] != ln["public_key"] || self["app_data"] != nil {
		t.Fatalf("self recall: %v", self)
	}
	if res := bridge.Dispatch(r, 1, "wire_read_ratchets", bridge.Params{"handle": sh, "destination_hash": ln["destination_hash"]}); res.Success {
		t.Fatal("read_ratchets on a destination without ratchets succeeded")
	}
	if res := bridge.Dispatch(r, 1, "wire_read_ratchets", bridge.Params{"handle": sh, "destination_hash": hex.EncodeToString(make([]byte, 3))}); res.Success {
		t.Fatal("read_ratchets with a short hash succeeded")
	}
}
