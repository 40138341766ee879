package wiretcp

import (
	"testing"

	"github.com/mehr-net/mehr/internal/bridge"
)

func TestCodecCommands(t *testing.T) {
	cmds := Commands()
	r, err := cmds["wire_channel_envelope_pack"](bridge.Params{"msgtype": float64(0x0101), "sequence": float64(3), "data": "4142"})
	if err != nil || r["raw"] != "010100030002"+"4142" {
		t.Errorf("envelope: %v %v", r, err)
	}
	r, err = cmds["wire_buffer_pack"](bridge.Params{"stream_id": float64(7), "data": "78", "eof": true})
	if err != nil || r["raw"] != "8007"+"78" || r["msgtype"] != 0xff00 {
		t.Errorf("buffer pack: %v %v", r, err)
	}
	r, err = cmds["wire_buffer_pack"](bridge.Params{"unpack_raw": "800778"})
	if err != nil || r["stream_id"] != 7 || r["eof"] != true || r["compressed"] != false || r["data"] != "78" {
		t.Errorf("buffer unpack: %v %v", r, err)
	}
	if r, _ := cmds["wire_buffer_pack"](bridge.Params{"stream_id": float64(0x4000)}); r["error"] == nil {
		t.Errorf("stream id 0x4000 accepted: %v", r)
	}
}

func TestLinkRequestLargeRegistered(t *testing.T) {
	if Commands()["wire_link_request_large"] == nil {
		t.Fatal("wire_link_request_large missing")
	}
}
