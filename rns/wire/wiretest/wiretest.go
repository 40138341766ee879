// Package wiretest checks decoded packets against the packet records of the
// reference vectors (vectors/reticulum/README.md, "Packet record"). Only
// _test.go files import it.
package wiretest

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"testing"

	"github.com/mehr-net/mehr/rns/wire"
	"github.com/mehr-net/mehr/vectors"
)

// Flags is the decomposition of a header's first byte in a packet record.
type Flags struct {
	Value               int    `json:"value"`
	Hex                 string `json:"hex"`
	Bits                string `json:"bits"`
	IFACFlag            int    `json:"ifac_flag"`
	HeaderType          int    `json:"header_type"`
	ContextFlag         int    `json:"context_flag"`
	PropagationType     int    `json:"propagation_type"`
	DestinationType     int    `json:"destination_type"`
	DestinationTypeName string `json:"destination_type_name"`
	PacketType          int    `json:"packet_type"`
	PacketTypeName      string `json:"packet_type_name"`
}

// Record is a packet record as the vectors store it.
type Record struct {
	Raw                 vectors.Hex `json:"raw"`
	Length              int         `json:"length"`
	Flags               Flags       `json:"flags"`
	Hops                int         `json:"hops"`
	TransportID         vectors.Hex `json:"transport_id"`
	DestinationHash     vectors.Hex `json:"destination_hash"`
	Context             int         `json:"context"`
	ContextName         string      `json:"context_name"`
	Data                vectors.Hex `json:"data"`
	DataLength          int         `json:"data_length"`
	HashablePart        vectors.Hex `json:"hashable_part"`
	PacketHash          vectors.Hex `json:"packet_hash"`
	TruncatedPacketHash vectors.Hex `json:"truncated_packet_hash"`
}

// CheckFlags compares every field of a flags decomposition with the byte f.
func CheckFlags(tb testing.TB, name string, want Flags, f byte) {
	tb.Helper()
	var h wire.Header
	h.SetFlags(f)
	if h.Flags() != f {
		tb.Errorf("%s: flags %#02x repack as %#02x", name, f, h.Flags())
	}
	got := Flags{
		Value:               int(f),
		Hex:                 hex.EncodeToString([]byte{f}),
		Bits:                fmt.Sprintf("%08b", f),
		IFACFlag:            b2i(h.IFAC),
		HeaderType:          int(h.HeaderType),
		ContextFlag:         b2i(h.ContextFlag),
		PropagationType:     int(h.Propagation),
		DestinationType:     int(h.DestType),
		DestinationTypeName: h.DestType.String(),
		PacketType:          int(h.PacketType),
		PacketTypeName:      h.PacketType.String(),
	}
	if got != want {
		tb.Errorf("%s: flags\n got %+v\nwant %+v", name, got, want)
	}
}

// Check decodes want.Raw with wire and compares every field of the record,
// and compares built (the bytes our code produced, if not nil) with
// want.Raw. It returns the decoded packet.
func Check(tb testing.TB, name string, want *Record, built []byte) wire.Packet {
	tb.Helper()
	if built != nil && !bytes.Equal(built, want.Raw) {
		tb.Errorf("%s: built\n %x\nwant\n %x", name, built, []byte(want.Raw))
	}
	var p wire.Packet
	if err := p.Decode(want.Raw); err != nil {
		tb.Errorf("%s: decode: %v", name, err)
		return p
	}
	if len(p.Raw) != want.Length {
		tb.Errorf("%s: length %d, want %d", name, len(p.Raw), want.Length)
	}
	CheckFlags(tb, name, want.Flags, want.Raw[0])
	if int(p.Hops) != want.Hops {
		tb.Errorf("%s: hops %d, want %d", name, p.Hops, want.Hops)
	}
	if p.HeaderType == wire.Header2 {
		if !bytes.Equal(p.TransportID[:], want.TransportID) {
			tb.Errorf("%s: transport id %x, want %x", name, p.TransportID, []byte(want.TransportID))
		}
	} else if want.TransportID != nil {
		tb.Errorf("%s: HEADER_1 packet has transport id %x in the record", name, []byte(want.TransportID))
	}
	if !bytes.Equal(p.Destination[:], want.DestinationHash) {
		tb.Errorf("%s: destination %x, want %x", name, p.Destination, []byte(want.DestinationHash))
	}
	if int(p.Context) != want.Context || p.Context.String() != want.ContextName {
		tb.Errorf("%s: context %d %s, want %d %s", name, p.Context, p.Context, want.Context, want.ContextName)
	}
	if !bytes.Equal(p.Data, want.Data) || len(p.Data) != want.DataLength {
		tb.Errorf("%s: data %x, want %x", name, p.Data, []byte(want.Data))
	}
	if want.HashablePart != nil {
		hp, err := wire.AppendHashablePart(nil, want.Raw)
		if err != nil || !bytes.Equal(hp, want.HashablePart) {
			tb.Errorf("%s: hashable part %x (%v), want %x", name, hp, err, []byte(want.HashablePart))
		}
	}
	h := p.Hash()
	if !bytes.Equal(h[:], want.PacketHash) {
		tb.Errorf("%s: packet hash %x, want %x", name, h, []byte(want.PacketHash))
	}
	th := p.TruncatedHash()
	if !bytes.Equal(th[:], want.TruncatedPacketHash) {
		tb.Errorf("%s: truncated hash %x, want %x", name, th, []byte(want.TruncatedPacketHash))
	}
	return p
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Entry is a transcript entry of the link, channel and resource vectors
// (vectors/reticulum/README.md, "Transcript entry").
type Entry struct {
	Step      string      `json:"step"`
	Direction string      `json:"direction"`
	Packet    Record      `json:"packet"`
	Encrypted bool        `json:"encrypted"`
	Plaintext vectors.Hex `json:"plaintext"`
	IV        vectors.Hex `json:"iv"`
	// ProofValidatedByReceiver is set for packet proofs on a link.
	ProofValidatedByReceiver *bool  `json:"proof_validated_by_receiver"`
	Note                     string `json:"note"`
}
