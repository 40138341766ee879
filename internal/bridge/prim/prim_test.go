package prim

import (
	"encoding/json"
	"testing"

	"github.com/mehr-net/mehr/internal/bridge"
	"github.com/mehr-net/mehr/vectors"
)

var cmds = Commands()

// call runs command through bridge.Dispatch, with params round-tripped
// through JSON as the suite sends them, and returns the result.
func call(t *testing.T, command string, params map[string]any) bridge.Result {
	t.Helper()
	b, err := json.Marshal(params)
	if err != nil {
		t.Fatal(err)
	}
	var p bridge.Params
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	resp := bridge.Dispatch(cmds, 1, command, p)
	if !resp.Success {
		t.Fatalf("%s(%v): %s", command, params, resp.Error)
	}
	// Round-trip the result too, so that numbers compare as JSON numbers.
	b, err = json.Marshal(resp.Result)
	if err != nil {
		t.Fatal(err)
	}
	var r bridge.Result
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

func fails(t *testing.T, command string, params map[string]any) {
	t.Helper()
	if resp := bridge.Dispatch(cmds, 1, command, params); resp.Success {
		t.Errorf("%s(%v) succeeded: %v", command, params, resp.Result)
	}
}

func want(t *testing.T, r bridge.Result, k string, v any) {
	t.Helper()
	if r[k] != v {
		t.Errorf("%s = %v, want %v", k, r[k], v)
	}
}

type vec struct {
	Description string         `json:"description"`
	Inputs      map[string]any `json:"inputs"`
	Expected    map[string]any `json:"expected"`
}

func section(t *testing.T, file, name string) []vec {
	var v []vec
	vectors.Open(t, file).Section(t, name, &v)
	if len(v) == 0 {
		t.Fatalf("%s: %s is empty", file, name)
	}
	return v
}

func TestHKDFAndTokenVectors(t *testing.T) {
	for _, v := range section(t, "token.json", "hkdf") {
		r := call(t, "hkdf", map[string]any{"length": v.Inputs["length"], "ikm": v.Inputs["derive_from"], "salt": v.Inputs["salt"], "info": v.Inputs["context"]})
		want(t, r, "derived_key", v.Expected["derived"])
	}
	for _, v := range section(t, "token.json", "token") {
		p := map[string]any{"key": v.Inputs["key"], "token": v.Expected["token"]}
		want(t, call(t, "token_decrypt", p), "plaintext", v.Expected["decrypted"])
		want(t, call(t, "token_verify_hmac", p), "valid", true)
		want(t, call(t, "pkcs7_pad", map[string]any{"data": v.Inputs["plaintext"]}), "padded", v.Expected["padded_plaintext"])
		// A fresh token round-trips.
		tok := call(t, "token_encrypt", map[string]any{"key": v.Inputs["key"], "plaintext": v.Inputs["plaintext"]})["token"]
		want(t, call(t, "token_decrypt", map[string]any{"key": v.Inputs["key"], "token": tok}), "plaintext", v.Inputs["plaintext"])
	}
	for _, v := range section(t, "token.json", "identity_encryption") {
		r := call(t, "identity_decrypt", map[string]any{"private_key": v.Inputs["target_private_key_for_decryption"], "ciphertext": v.Expected["ciphertext"]})
		want(t, r, "plaintext", v.Expected["decrypted"])
		ex := call(t, "x25519_exchange", map[string]any{"private_key": v.Inputs["ephemeral_x25519_private"], "peer_public_key": v.Inputs["target_public_key"].(string)[:64]})
		want(t, ex, "shared_secret", v.Expected["shared_secret"])
	}
}

func TestHashVectors(t *testing.T) {
	for _, v := range section(t, "hashes.json", "names") {
		want(t, call(t, "name_hash", map[string]any{"name": v.Expected["name"]}), "hash", v.Expected["name_hash"])
		r := call(t, "app_and_aspects_from_name", map[string]any{"full_name": v.Expected["name"]})
		want(t, r, "app_name", v.Inputs["app_name"])
	}
	for _, v := range section(t, "hashes.json", "ratchet_ids") {
		r := call(t, "ratchet_public_from_private", map[string]any{"ratchet_private": v.Inputs["ratchet_private"]})
		want(t, r, "ratchet_public", v.Expected["ratchet_public"])
		want(t, call(t, "ratchet_id", map[string]any{"ratchet_public": r["ratchet_public"]}), "ratchet_id", v.Expected["ratchet_id"])
	}
	for _, v := range section(t, "hashes.json", "destinations") {
		pub, ok := v.Inputs["identity_public_key"].(string)
		if !ok || v.Inputs["type"] != "SINGLE" {
			continue
		}
		ih := call(t, "identity_hash", map[string]any{"public_key": pub})["hash"]
		r := call(t, "destination_hash", map[string]any{"identity_hash": ih, "app_name": v.Inputs["app_name"], "aspects": v.Inputs["aspects"]})
		want(t, r, "destination_hash", v.Expected["hash"])
	}
}

func TestPacketVectors(t *testing.T) {
	for _, v := range section(t, "packets.json", "packets") {
		r := call(t, "packet_unpack", map[string]any{"raw": v.Expected["raw"]})
		want(t, r, "unpacked", true)
		want(t, r, "destination_hash", v.Expected["destination_hash"])
		want(t, r, "data", v.Expected["data"])
		want(t, r, "hash", v.Expected["packet_hash"])
		want(t, call(t, "packet_hash", map[string]any{"raw": v.Expected["raw"]}), "hash", v.Expected["packet_hash"])
	}
	want(t, call(t, "packet_unpack", map[string]any{"raw": "0000"}), "unpacked", false)
	fails(t, "packet_hash", map[string]any{"raw": ""})

	r := call(t, "packet_build", map[string]any{"dest_type": "plain", "data": "abcd", "context": 9, "hops": 2})
	want(t, r, "data", "abcd")
	want(t, r, "context", 9.0)
	want(t, r, "hops", 2.0)
	fails(t, "packet_build", map[string]any{"header_type": 2, "packet_type": 0, "transport_id": "00112233445566778899aabbccddeeff"})
	r = call(t, "packet_build_raw_header2", map[string]any{"packet_type": 1})
	if r["raw"] != nil || r["error"] == nil {
		t.Errorf("HEADER_2 without transport ID packed: %v", r)
	}
}

func TestFramingVectors(t *testing.T) {
	for _, v := range section(t, "framing.json", "hdlc_encode") {
		p := map[string]any{"data": v.Inputs["payload"]}
		want(t, call(t, "hdlc_escape", p), "escaped", v.Expected["escaped"])
		want(t, call(t, "hdlc_frame", p), "framed", v.Expected["frame"])
		if v.Inputs["payload"] != "" {
			want(t, call(t, "hdlc_deframe", map[string]any{"framed": v.Expected["frame"]}), "data", v.Inputs["payload"])
		}
	}
	for _, v := range section(t, "framing.json", "kiss_encode") {
		want(t, call(t, "kiss_frame", map[string]any{"data": v.Inputs["payload"]}), "framed", v.Expected["frame"])
		want(t, call(t, "kiss_deframe", map[string]any{"framed": v.Expected["frame"]}), "data", v.Inputs["payload"])
	}
	fails(t, "hdlc_deframe", map[string]any{"framed": "7e0102"})
	fails(t, "kiss_deframe", map[string]any{"framed": "c0010203c0"})
}

func TestAnnounceRoundTrip(t *testing.T) {
	key := "1e1922c3e9e066dea129e2db4c5d6a0ef8fabd8d49962b1a65f964a3be12ded6d264f43eb9f3deacda8a55538332becacf2e1ab827ea67ce3bacbe68048627d5"
	for _, ratchet := range []bool{false, true} {
		a := call(t, "announce_build", map[string]any{"private_key": key, "app_name": "conformance", "aspects": []string{"a", "b"}, "app_data": "cafe", "enable_ratchets": ratchet, "emission_ts": 1700000000})
		want(t, a, "has_ratchet", ratchet)
		want(t, a, "app_data", "cafe")
		want(t, a, "random_hash", a["random_hash"].(string)[:10]+"006553f100")
		v := call(t, "announce_validate", map[string]any{"raw": a["raw"]})
		want(t, v, "valid", true)
		want(t, v, "destination_hash", a["destination_hash"])
		raw := []byte(a["raw"].(string))
		raw[60] ^= 1 // a hex digit of the public key
		want(t, call(t, "announce_validate", map[string]any{"raw": string(raw)}), "valid", false)
	}
}

func TestBadInput(t *testing.T) {
	for _, name := range cmds.Names() {
		// No command may panic on missing or mistyped parameters.
		for _, p := range []bridge.Params{{}, {"data": 5, "raw": "zz", "private_key": "00", "key": []any{}, "seed": "0011"}} {
			resp := bridge.Dispatch(cmds, 1, name, p)
			if !resp.Success && len(resp.Error) >= 8 && resp.Error[:8] == "panic in" {
				t.Errorf("%s: %s", name, resp.Error)
			}
		}
	}
}

func TestProofStrategyCommands(t *testing.T) {
	cmds := Commands()
	base := func(v any) bridge.Params {
		return bridge.Params{"direction": "in", "type": "single", "app_name": "lxmf", "aspects": []any{"p"}, "strategy_value": v}
	}
	for _, v := range []float64{0x21, 0x22, 0x23} {
		r, err := cmds["destination_set_proof_strategy_raw"](base(v))
		if err != nil || r["proof_strategy"] != int(v) {
			t.Errorf("%#x: %v %v", int(v), r, err)
		}
	}
	if _, err := cmds["destination_set_proof_strategy_raw"](base(float64(0x99))); err == nil {
		t.Error("0x99 accepted")
	}
	r, err := cmds["destination_construct"](bridge.Params{"direction": "in", "type": "single", "app_name": "lxmf", "aspects": []any{"q"}})
	if err != nil || r["proof_strategy"] != 0x21 {
		t.Errorf("construct: %v %v", r, err)
	}
}

func TestDefaultAppDataCommand(t *testing.T) {
	cmd := Commands()["destination_default_app_data"]
	p := func(kind string, extra ...any) bridge.Params {
		m := bridge.Params{"direction": "in", "type": "single", "app_name": "lxmf", "aspects": []any{"d"},
			"default_kind": kind, "default_value": "6465666175"}
		for i := 0; i+1 < len(extra); i += 2 {
			m[extra[i].(string)] = extra[i+1]
		}
		return m
	}
	for _, c := range []struct {
		params bridge.Params
		set    bool
		want   string
	}{
		{p("bytes"), true, "6465666175"},
		{p("callable"), true, "6465666175"},
		{p("none"), false, ""},
		{p("bytes", "override_app_data", "0102"), true, "0102"},
	} {
		r, err := cmd(c.params)
		if err != nil || r["default_app_data_set"] != c.set || r["app_data"] != c.want {
			t.Errorf("%v: %v %v", c.params["default_kind"], r, err)
		}
	}
}

func TestPathResponseCacheCommand(t *testing.T) {
	cmd := Commands()["destination_path_response_cache"]
	for _, c := range []struct {
		advance float64
		reused  bool
	}{{0, true}, {31, false}} {
		r, err := cmd(bridge.Params{"direction": "in", "type": "single", "app_name": "lxmf", "aspects": []any{"c"},
			"tag": "0102030405060708", "advance_seconds": c.advance})
		if err != nil || r["reused"] != c.reused || r["first_is_path_response"] != true || r["pr_tag_window"] != 30 {
			t.Errorf("advance %v: %v %v", c.advance, r, err)
		}
	}
}

func TestRegisterRequestHandlerCommand(t *testing.T) {
	cmd := Commands()["destination_register_request_handler_validate"]
	base := func(extra ...any) bridge.Params {
		m := bridge.Params{"direction": "in", "type": "single", "app_name": "lxmf", "aspects": []any{"r"}}
		for i := 0; i+1 < len(extra); i += 2 {
			m[extra[i].(string)] = extra[i+1]
		}
		return m
	}
	if r, err := cmd(base("path", "/echo")); err != nil || r["handler_count"] != 1 {
		t.Errorf("valid: %v %v", r, err)
	}
	for _, bad := range []bridge.Params{base("path", ""), base("generator_valid", false), base("allow", float64(0x99))} {
		if _, err := cmd(bad); err == nil {
			t.Errorf("accepted %v", bad)
		}
	}
}

func TestDestinationRotateRatchets(t *testing.T) {
	p := map[string]any{"direction": "in", "type": "single", "app_name": "lxmf", "aspects": []any{"ratchet"}}
	fails(t, "destination_rotate_ratchets", p)
	p["enable"] = true
	r := call(t, "destination_rotate_ratchets", p)
	want(t, r, "rotated", true)
	want(t, r, "has_ratchets", true)
}
