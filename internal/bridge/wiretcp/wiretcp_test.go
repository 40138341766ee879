package wiretcp

import (
	"bytes"
	"encoding/hex"
	"testing"

	"github.com/mehr-net/mehr/internal/bridge"
	"github.com/mehr-net/mehr/internal/testutil"
)

// call runs one command through bridge.Dispatch, as the JSON loop does,
// and fails the test when it does not succeed.
func call(t *testing.T, r bridge.Registry, cmd string, p bridge.Params) bridge.Result {
	t.Helper()
	resp := bridge.Dispatch(r, 1, cmd, p)
	if !resp.Success {
		t.Fatalf("%s: %s", cmd, resp.Error)
	}
	return resp.Result
}

// TestMehrToMehr: two mehr nodes on loopback TCP, driven only through the
// bridge: announce, path, link data, channel, buffer, resource and
// request, then stop without leaking routines.
func TestMehrToMehr(t *testing.T) {
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

	// Announce and path.
	ann := call(t, r, "wire_announce", bridge.Params{"handle": sh, "app_name": "wiretest", "aspects": []any{"ann"}, "app_data": hex.EncodeToString([]byte("hi"))})
	if res := call(t, r, "wire_poll_path", bridge.Params{"handle": ch, "destination_hash": ann["destination_hash"], "timeout_ms": float64(5000)}); res["found"] != true {
		t.Fatalf("no path: %v", res)
	}
	rec := call(t, r, "wire_identity_recall", bridge.Params{"handle": ch, "destination_hash": ann["destination_hash"]})
	if rec["found"] != true || rec["app_data"] != hex.EncodeToString([]byte("hi")) || rec["hash"] != ann["identity_hash"] {
		t.Fatalf("recall: %v (announced %v)", rec, ann)
	}

	// Link to a listener.
	ln := call(t, r, "wire_listen", bridge.Params{"handle": sh, "app_name": "wiretest", "aspects": []any{"link"}})
	dh := ln["destination_hash"]
	if res := call(t, r, "wire_poll_path", bridge.Params{"handle": ch, "destination_hash": dh}); res["found"] != true {
		t.Fatalf("no path to the listener: %v", res)
	}
	lid := call(t, r, "wire_link_open", bridge.Params{"handle": ch, "destination_hash": dh, "app_name": "wiretest", "aspects": []any{"link"}})["link_id"]
	call(t, r, "wire_link_send", bridge.Params{"handle": ch, "link_id": lid, "data": "0102"})
	if got := call(t, r, "wire_link_poll", bridge.Params{"handle": sh, "destination_hash": dh})["packets"].([]string); len(got) != 1 || got[0] != "0102" {
		t.Fatalf("link data: %v", got)
	}

	// Channel message and buffer stream.
	if res := call(t, r, "wire_channel_send", bridge.Params{"handle": ch, "link_id": lid, "data": "abcd"}); res["delivered"] != true {
		t.Fatalf("channel send: %v", res)
	}
	if got := call(t, r, "wire_channel_received", bridge.Params{"handle": sh, "link_id": lid})["messages"].([]string); len(got) != 1 || got[0] != "abcd" {
		t.Fatalf("channel received: %v", got)
	}
	stream := bytes.Repeat([]byte("stream "), 1000)
	call(t, r, "wire_buffer_stream", bridge.Params{"handle": ch, "link_id": lid, "data": hex.EncodeToString(stream)})
	if res := call(t, r, "wire_buffer_received", bridge.Params{"handle": sh, "destination_hash": dh, "timeout_ms": float64(10000)}); res["eof"] != true || res["data"] != hex.EncodeToString(stream) {
		t.Fatalf("buffer: eof %v, %d hex chars", res["eof"], len(res["data"].(string)))
	}

	// Resource with metadata.
	data := bytes.Repeat([]byte{1, 2, 3, 4, 5}, 4000)
	res := call(t, r, "wire_resource_send", bridge.Params{"handle": ch, "link_id": lid, "data": hex.EncodeToString(data), "metadata": "cafe"})
	if res["success"] != true {
		t.Fatalf("resource send: %v", res)
	}
	if got := call(t, r, "wire_resource_poll", bridge.Params{"handle": sh, "destination_hash": dh})["resources"].([]string); len(got) != 1 || got[0] != hex.EncodeToString(data) {
		t.Fatalf("resource poll: %d resources", len(got))
	}
	if st := call(t, r, "wire_resource_receiver_status", bridge.Params{"handle": sh, "destination_hash": dh}); st["metadata"] != "cafe" || st["status"] != 6 {
		t.Fatalf("receiver status: %v", st)
	}

	// Request.
	call(t, r, "wire_register_request_handler", bridge.Params{"handle": sh, "destination_hash": dh, "path": "/echo", "response": "beef", "allow": "all"})
	if res := call(t, r, "wire_link_request", bridge.Params{"handle": ch, "link_id": lid, "path": "/echo", "data": "01"}); res["status"] != "ready" || res["response"] != "beef" {
		t.Fatalf("request: %v", res)
	}
	if log := call(t, r, "wire_get_request_log", bridge.Params{"handle": sh, "destination_hash": dh, "path": "/echo"}); log["count"] != 1 {
		t.Fatalf("request log: %v", log)
	}

	// Teardown is seen on the listener.
	call(t, r, "wire_link_teardown", bridge.Params{"handle": ch, "link_id": lid})
	if st := call(t, r, "wire_link_await_status", bridge.Params{"handle": ch, "link_id": lid, "target_status": "CLOSED"}); st["reached"] != true {
		t.Fatalf("await closed: %v", st)
	}

	// Bad input is an error, not a panic.
	for _, p := range []bridge.Params{{}, {"handle": sh, "destination_hash": "zz"}, {"handle": "nope"}} {
		if resp := bridge.Dispatch(r, 2, "wire_link_poll", p); resp.Success {
			t.Fatalf("wire_link_poll %v succeeded", p)
		}
	}
	call(t, r, "wire_stop", bridge.Params{"handle": ch})
	call(t, r, "wire_stop", bridge.Params{"handle": sh})
}

// TestCrypto: GROUP, identity and ratchet encryption through the bridge.
func TestCrypto(t *testing.T) {
	defer testutil.LeakCheck(t)()
	w := &wireState{insts: map[string]*instance{}}
	r := w.registry()
	defer w.closeAll()
	h := call(t, r, "wire_start_tcp_server", bridge.Params{})["handle"]

	g := call(t, r, "wire_group_create", bridge.Params{"handle": h, "app_name": "wiretest", "aspects": []any{"group"}})
	ct := call(t, r, "wire_group_encrypt", bridge.Params{"handle": h, "destination_hash": g["destination_hash"], "plaintext": "00ff"})
	other := call(t, r, "wire_group_create", bridge.Params{"handle": h, "app_name": "wiretest", "aspects": []any{"group", "other"}})
	if res := call(t, r, "wire_group_decrypt", bridge.Params{"handle": h, "destination_hash": g["destination_hash"], "ciphertext": ct["ciphertext"]}); res["plaintext"] != "00ff" {
		t.Fatalf("group decrypt: %v", res)
	}
	if res := call(t, r, "wire_group_decrypt", bridge.Params{"handle": h, "destination_hash": other["destination_hash"], "ciphertext": ct["ciphertext"]}); res["decrypted"] != false {
		t.Fatalf("group decrypt with another key: %v", res)
	}

	id := call(t, r, "wire_identity_keypair", bridge.Params{})
	rk := call(t, r, "wire_ratchet_keypair", bridge.Params{})
	ct = call(t, r, "wire_identity_encrypt", bridge.Params{"public_key": id["public_key"], "plaintext": "abcd", "ratchet_pub": rk["public_key"]})
	if res := call(t, r, "wire_identity_decrypt", bridge.Params{"private_key": id["private_key"], "ciphertext": ct["ciphertext"], "ratchets": []any{rk["private_key"]}, "enforce_ratchets": true}); res["plaintext"] != "abcd" {
		t.Fatalf("ratchet decrypt: %v", res)
	}
	ct = call(t, r, "wire_identity_encrypt", bridge.Params{"public_key": id["public_key"], "plaintext": "abcd"})
	if res := call(t, r, "wire_identity_decrypt", bridge.Params{"private_key": id["private_key"], "ciphertext": ct["ciphertext"], "ratchets": []any{rk["private_key"]}, "enforce_ratchets": true}); res["decrypted"] != false {
		t.Fatalf("enforced ratchets accepted a base-key ciphertext: %v", res)
	}
	if res := call(t, r, "wire_plain_encrypt", bridge.Params{"handle": h, "app_name": "wiretest", "aspects": []any{"plain"}, "plaintext": "0102"}); res["ciphertext"] != "0102" {
		t.Fatalf("plain: %v", res)
	}
}

// TestInjectRawFrame: a genuine announce masked with the node's IFAC is
// accepted through the live receive path; the same announce unmasked is
// dropped.
func TestInjectRawFrame(t *testing.T) {
	defer testutil.LeakCheck(t)()
	w := &wireState{insts: map[string]*instance{}}
	r := w.registry()
	defer w.closeAll()
	h := call(t, r, "wire_start_tcp_server", bridge.Params{"network_name": "wirenet", "passphrase": "secret"})["handle"]
	if res := call(t, r, "wire_inject_raw_frame", bridge.Params{"handle": h, "variant": "masked_full"}); res["learned"] != true {
		t.Fatalf("masked announce not learned: %v", res)
	}
	for _, v := range []string{"plain_on_ifac", "masked_short"} {
		if res := call(t, r, "wire_inject_raw_frame", bridge.Params{"handle": h, "variant": v}); res["learned"] != false {
			t.Fatalf("%s learned: %v", v, res)
		}
	}
}
