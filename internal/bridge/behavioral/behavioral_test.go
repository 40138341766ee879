package behavioral

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/mehr-net/mehr/internal/bridge"
	"github.com/mehr-net/mehr/rns/announce"
	"github.com/mehr-net/mehr/rns/dest"
	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/wire"
)

type client struct {
	t    *testing.T
	cmds bridge.Registry
}

func (c *client) call(cmd string, p bridge.Params) (bridge.Result, string) {
	c.t.Helper()
	resp := bridge.Dispatch(c.cmds, "1", cmd, p)
	if strings.Contains(resp.Error, "panic") {
		c.t.Fatalf("%s panicked: %s", cmd, resp.Error)
	}
	return resp.Result, resp.Error
}

func (c *client) ok(cmd string, p bridge.Params) bridge.Result {
	c.t.Helper()
	r, err := c.call(cmd, p)
	if err != "" {
		c.t.Fatalf("%s: %s", cmd, err)
	}
	return r
}

func TestCommands(t *testing.T) {
	c := &client{t: t, cmds: Commands()}
	seed := hex.EncodeToString(bytes.Repeat([]byte{3}, 64))
	r := c.ok("behavioral_start", bridge.Params{"identity_seed": seed, "enable_transport": true})
	h := r["handle"].(string)
	id, _ := identity.FromPrivateKey(bytes.Repeat([]byte{3}, 64))
	if ih := id.Hash(); r["identity_hash"] != hex.EncodeToString(ih[:]) {
		t.Errorf("identity_hash %v", r["identity_hash"])
	}
	a := c.ok("behavioral_attach_mock_interface", bridge.Params{"handle": h, "name": "a"})["iface_id"].(string)
	b := c.ok("behavioral_attach_mock_interface", bridge.Params{"handle": h, "name": "b", "mode": "BOUNDARY"})["iface_id"].(string)

	// A remote destination's announce on a: a path via a, an announce
	// entry, and after a forced job round a rebroadcast on b.
	rid, _ := identity.FromPrivateKey(bytes.Repeat([]byte{4}, 64))
	d, _ := dest.New(rid, dest.In, wire.Single, nil, "app", "x")
	rh := announce.RandomHash([]byte{1, 2, 3, 4, 5}, time.Now())
	raw, err := announce.Append(nil, &announce.Params{Destination: d, RandomHash: rh})
	if err != nil {
		t.Fatal(err)
	}
	dh := hex.EncodeToString(d.Hash[:])
	c.ok("behavioral_inject", bridge.Params{"handle": h, "iface_id": a, "raw": hex.EncodeToString(raw)})
	pt := c.ok("behavioral_read_path_table", bridge.Params{"handle": h, "dest": dh})
	if pt["found"] != true || pt["hops"] != 1 || pt["receiving_interface"] != "MockInterface[a]" {
		t.Errorf("path table %v", pt)
	}
	c.ok("behavioral_set_announce_timestamp", bridge.Params{"handle": h, "dest": dh, "retransmit_timeout": 0.0})
	c.ok("behavioral_force_cull", bridge.Params{"handle": h})
	if at := c.ok("behavioral_read_announce_table", bridge.Params{"handle": h, "dest": dh}); at["retries"] != 1 {
		t.Errorf("announce table %v", at)
	}
	if tx := c.ok("behavioral_drain_tx", bridge.Params{"handle": h, "iface_id": b})["packets"].([]string); len(tx) != 1 {
		t.Errorf("drained %d packets from b", len(tx))
	}

	// Replays are filtered.
	hdr := wire.Header{Destination: wire.Hash{7}}
	data := hex.EncodeToString(append(hdr.Append(nil), 1, 2, 3))
	if c.ok("behavioral_packet_filter", bridge.Params{"handle": h, "raw": data})["accepted"] != true ||
		c.ok("behavioral_packet_filter", bridge.Params{"handle": h, "raw": data})["accepted"] != false {
		t.Error("packet filter did not drop the replay")
	}

	// Bad input is answered with errors, never a panic.
	for _, bad := range []struct {
		cmd string
		p   bridge.Params
	}{
		{"behavioral_inject", bridge.Params{"handle": "nope", "iface_id": a, "raw": "00"}},
		{"behavioral_inject", bridge.Params{"handle": h, "iface_id": "nope", "raw": "00"}},
		{"behavioral_inject", bridge.Params{"handle": h, "iface_id": a, "raw": "zz"}},
		{"behavioral_read_path_table", bridge.Params{"handle": h, "dest": "00"}},
		{"behavioral_packet_filter", bridge.Params{"handle": h, "raw": "01"}},
		{"behavioral_set_path_timestamp", bridge.Params{"handle": h, "dest": dh, "timestamp": "x"}},
		{"behavioral_seed_link_table", bridge.Params{"handle": h, "dest": dh, "nh_iface_id": a, "rcvd_iface_id": b, "hops": 300}},
		{"behavioral_start", bridge.Params{"identity_seed": "00"}},
	} {
		if _, err := c.call(bad.cmd, bad.p); err == "" {
			t.Errorf("%s %v: no error", bad.cmd, bad.p)
		}
	}
	// Garbage frames are dropped.
	for _, g := range []string{"", "00", "ff00", strings.Repeat("ab", 600)} {
		c.ok("behavioral_inject", bridge.Params{"handle": h, "iface_id": a, "raw": g})
	}

	c.ok("behavioral_detach_interface", bridge.Params{"handle": h, "iface_id": a})
	c.ok("behavioral_force_cull", bridge.Params{"handle": h})
	if c.ok("behavioral_read_path_table", bridge.Params{"handle": h, "dest": dh})["found"] != false {
		t.Error("path via a detached interface survived the cull")
	}
	if c.ok("behavioral_stop", bridge.Params{"handle": h})["stopped"] != true {
		t.Error("stop")
	}
	if c.ok("behavioral_stop", bridge.Params{"handle": h})["stopped"] != false {
		t.Error("second stop")
	}
}

// TestHoldAndRelease: held announces are released fewest hops first.
func TestHoldAndRelease(t *testing.T) {
	c := &client{t: t, cmds: Commands()}
	h := c.ok("behavioral_start", bridge.Params{"enable_transport": true})["handle"].(string)
	defer c.ok("behavioral_stop", bridge.Params{"handle": h})
	a := c.ok("behavioral_attach_mock_interface", bridge.Params{"handle": h, "name": "a"})["iface_id"].(string)
	var anns []any
	var dests []string
	for i, hops := range []uint8{5, 2, 8} {
		id, _ := identity.FromPrivateKey(bytes.Repeat([]byte{byte(20 + i)}, 64))
		d, _ := dest.New(id, dest.In, wire.Single, nil, "app", "held")
		raw, err := announce.Append(nil, &announce.Params{Destination: d, RandomHash: announce.RandomHash([]byte{1, 2, 3, 4, 5}, time.Now())})
		if err != nil {
			t.Fatal(err)
		}
		wire.SetHops(raw, hops)
		anns = append(anns, hex.EncodeToString(raw))
		dests = append(dests, hex.EncodeToString(d.Hash[:]))
	}
	r := c.ok("behavioral_hold_and_release_announce", bridge.Params{"handle": h, "iface_id": a, "announces": anns})
	if rel := r["released"].([]string); len(rel) != 1 || rel[0] != dests[1] {
		t.Errorf("first release %v, want %s", rel, dests[1])
	}
	if len(r["held_before"].([]string)) != 3 || len(r["held_after"].([]string)) != 2 || r["hops"].(bridge.Result)[dests[2]] != 8 {
		t.Errorf("first pass %v", r)
	}
	r = c.ok("behavioral_hold_and_release_announce", bridge.Params{"handle": h, "iface_id": a, "announces": []any{}})
	if rel := r["released"].([]string); len(rel) != 1 || rel[0] != dests[0] {
		t.Errorf("second release %v, want %s", rel, dests[0])
	}
	if _, err := c.call("behavioral_hold_and_release_announce", bridge.Params{"handle": h, "iface_id": a, "announces": []any{"00"}}); err == "" {
		t.Error("a malformed announce was held")
	}
}

// TestBlackholeStorage: entries are stored in "local", survive a clear
// and reload, and a renamed list loads only from a trusted source.
func TestBlackholeStorage(t *testing.T) {
	c := &client{t: t, cmds: Commands()}
	r := c.ok("behavioral_start", bridge.Params{"enable_transport": true})
	h := r["handle"].(string)
	defer c.ok("behavioral_stop", bridge.Params{"handle": h})
	target := strings.Repeat("ab", 16)
	source := strings.Repeat("cd", 16)
	c.ok("behavioral_blackhole_identity", bridge.Params{"handle": h, "identity_hash": target, "until": float64(time.Now().Add(time.Hour).Unix())})
	files := c.ok("behavioral_blackhole_storage_files", bridge.Params{"handle": h})["files"].([]bridge.Result)
	if len(files) != 1 || files[0]["name"] != "local" {
		t.Fatalf("files %v", files)
	}
	c.ok("behavioral_blackhole_clear", bridge.Params{"handle": h})
	if n := c.ok("behavioral_blackhole_reload", bridge.Params{"handle": h})["count"]; n != 1 {
		t.Fatalf("reloaded %v entries", n)
	}
	c.ok("behavioral_blackhole_rename_storage", bridge.Params{"handle": h, "src": "local", "dst": source})
	c.ok("behavioral_blackhole_clear", bridge.Params{"handle": h})
	if n := c.ok("behavioral_blackhole_reload", bridge.Params{"handle": h})["count"]; n != 0 {
		t.Fatalf("untrusted source loaded: %v", n)
	}
	c.ok("behavioral_blackhole_set_sources", bridge.Params{"handle": h, "sources": []any{source}})
	if n := c.ok("behavioral_blackhole_reload", bridge.Params{"handle": h})["count"]; n != 1 {
		t.Fatalf("trusted source not loaded: %v", n)
	}
	e := c.ok("behavioral_read_blackhole_table", bridge.Params{"handle": h})["entries"].([]bridge.Result)
	if len(e) != 1 || e[0]["source"] != source {
		t.Errorf("entries %v", e)
	}
	if _, err := c.call("behavioral_blackhole_rename_storage", bridge.Params{"handle": h, "src": "../x", "dst": "y"}); err == "" {
		t.Error("a path outside the blackhole directory was accepted")
	}
	if n := c.ok("behavioral_blackhole_clear_storage", bridge.Params{"handle": h})["removed"]; n != 1 {
		t.Errorf("removed %v", n)
	}
}
