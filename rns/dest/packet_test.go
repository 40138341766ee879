package dest

import (
	"bytes"
	"errors"
	"testing"

	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/wire"
)

func TestAppendPacket(t *testing.T) {
	plain, err := New(nil, Out, wire.Plain, nil, "conformance", "packet")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := plain.AppendPacket(nil, wire.Header{Context: wire.ContextRequest, Hops: 3}, false, []byte("hi"), nil)
	if err != nil {
		t.Fatal(err)
	}
	var p wire.Packet
	if err := p.Decode(raw); err != nil {
		t.Fatal(err)
	}
	if p.DestType != wire.Plain || p.Destination != plain.Hash || p.Hops != 3 || p.Context != wire.ContextRequest || !bytes.Equal(p.Data, []byte("hi")) {
		t.Fatalf("decoded %+v", p)
	}

	id, err := identity.Generate(nil)
	if err != nil {
		t.Fatal(err)
	}
	single, err := New(id, Out, wire.Single, nil, "conformance", "packet")
	if err != nil {
		t.Fatal(err)
	}
	raw, err = single.AppendPacket(nil, wire.Header{}, false, []byte("secret"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Decode(raw); err != nil {
		t.Fatal(err)
	}
	pt, _, err := id.Decrypt(p.Data, nil, false)
	if err != nil || string(pt) != "secret" {
		t.Fatalf("decrypt: %q, %v", pt, err)
	}
	raw, err = single.AppendPacket(nil, wire.Header{Context: wire.ContextKeepalive}, false, []byte{0xFF}, nil)
	if err != nil || !bytes.Equal(raw[len(raw)-1:], []byte{0xFF}) {
		t.Fatalf("keepalive is not sent as given: %x, %v", raw, err)
	}

	if _, err := single.AppendPacket(nil, wire.Header{HeaderType: wire.Header2, PacketType: wire.Announce}, false, []byte{0}, nil); !errors.Is(err, ErrNoTransportID) {
		t.Fatalf("HEADER_2 without transport ID: %v", err)
	}
	if _, err := single.AppendPacket(nil, wire.Header{HeaderType: wire.Header2}, true, []byte{0}, nil); !errors.Is(err, ErrOriginateHeader2) {
		t.Fatalf("HEADER_2 DATA: %v", err)
	}
	h := wire.Header{HeaderType: wire.Header2, PacketType: wire.Announce, Propagation: wire.Transport, TransportID: wire.Hash{1}}
	raw, err = single.AppendPacket(nil, h, true, []byte{7}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Decode(raw); err != nil || p.TransportID != (wire.Hash{1}) || p.Destination != single.Hash {
		t.Fatalf("HEADER_2 announce: %+v, %v", p, err)
	}
	if _, err := plain.AppendPacket(nil, wire.Header{}, false, make([]byte, wire.MTU), nil); !errors.Is(err, wire.ErrTooLarge) {
		t.Fatalf("oversized: %v", err)
	}
}
