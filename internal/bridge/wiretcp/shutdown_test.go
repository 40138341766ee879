package wiretcp

import (
	"testing"
	"time"

	"github.com/mehr-net/mehr/internal/bridge"
)

// TestPeerShutdownClosesLink: a node that shuts down right after a link
// came up (its end possibly still waiting for the RTT packet) closes the
// link with a teardown, so the initiator sees DESTINATION_CLOSED rather
// than timing out.
func TestPeerShutdownClosesLink(t *testing.T) {
	peerShutdown(t)
}

func peerShutdown(t *testing.T) {
	fa, fb := New(), New()
	defer fb.Close()
	ra, rb := fa.Commands(), fb.Commands()
	srv := call(t, ra, "wire_start_tcp_server", bridge.Params{})
	sh := srv["handle"]
	ch := call(t, rb, "wire_start_tcp_client", bridge.Params{"target_host": "127.0.0.1", "target_port": float64(srv["port"].(int))})["handle"]
	ln := call(t, ra, "wire_listen", bridge.Params{"handle": sh, "app_name": "wiretest", "aspects": []any{"close"}})
	dh := ln["destination_hash"]
	if res := call(t, rb, "wire_poll_path", bridge.Params{"handle": ch, "destination_hash": dh, "timeout_ms": float64(5000)}); res["found"] != true {
		t.Fatal("no path")
	}
	lid := call(t, rb, "wire_link_open", bridge.Params{"handle": ch, "destination_hash": dh, "app_name": "wiretest", "aspects": []any{"close"}})["link_id"]
	start := time.Now()
	fa.Close()
	took := time.Since(start)
	st := call(t, rb, "wire_link_await_status", bridge.Params{"handle": ch, "link_id": lid, "target_status": "CLOSED", "timeout_ms": float64(15000)})
	if st["teardown_reason_name"] != "DESTINATION_CLOSED" {
		t.Fatalf("close took %v: %v", took, st)
	}
}
