package wiretcp

import (
	"fmt"

	"github.com/mehr-net/mehr/internal/bridge"
	"github.com/mehr-net/mehr/rns/link/channel"
)

// cmdEnvelopePack encodes a channel envelope with rns/link/channel.
func cmdEnvelopePack(p bridge.Params) (bridge.Result, error) {
	typ, err := p.Int("msgtype")
	if err != nil {
		return nil, err
	}
	seq, err := p.Int("sequence")
	if err != nil {
		return nil, err
	}
	data, err := p.OptHex("data")
	if err != nil {
		return nil, err
	}
	if typ < 0 || typ > 0xFFFF || seq < 0 || seq > 0xFFFF {
		return nil, fmt.Errorf("%w: msgtype %d, sequence %d out of range", bridge.ErrParam, typ, seq)
	}
	e := channel.Envelope{MsgType: uint16(typ), Sequence: uint16(seq), Data: data}
	raw, err := e.Append(nil)
	if err != nil {
		return nil, err
	}
	return bridge.Result{"raw": bridge.Hex(raw), "sequence": seq}, nil
}

// cmdBufferPack encodes a Buffer stream message, or with unpack_raw
// decodes one, with rns/link/channel.
func cmdBufferPack(p bridge.Params) (bridge.Result, error) {
	if p.Has("unpack_raw") {
		raw, err := p.Hex("unpack_raw")
		if err != nil {
			return nil, err
		}
		var m channel.StreamMessage
		if err := m.Decode(raw); err != nil {
			return bridge.Result{"error": err.Error()}, nil
		}
		return bridge.Result{"stream_id": int(m.StreamID), "eof": m.EOF, "compressed": m.Compressed, "data": bridge.Hex(m.Data)}, nil
	}
	id, err := p.Int("stream_id")
	if err != nil {
		return nil, err
	}
	data, err := p.OptHex("data")
	if err != nil {
		return nil, err
	}
	eof, err := p.Bool("eof", false)
	if err != nil {
		return nil, err
	}
	compressed, err := p.Bool("compressed", false)
	if err != nil {
		return nil, err
	}
	if id < 0 || id > 0xFFFF {
		return bridge.Result{"error": fmt.Sprintf("stream id %d out of range", id)}, nil
	}
	m := channel.StreamMessage{StreamID: uint16(id), EOF: eof, Compressed: compressed, Data: data}
	raw, err := m.Append(nil)
	if err != nil {
		return bridge.Result{"error": err.Error()}, nil
	}
	return bridge.Result{"raw": bridge.Hex(raw), "msgtype": int(channel.MsgTypeStream)}, nil
}
