package channel

import (
	"encoding/binary"
	"fmt"
)

// Envelope layout (RNS.Channel.Envelope.pack: struct ">HHH").
const (
	offMsgType  = 0 // msgtype, uint16 BE
	offSequence = 2 // sequence, uint16 BE
	offLength   = 4 // length of the data, uint16 BE

	// EnvelopeHeaderLen is the size of the envelope header: msgtype,
	// sequence and length, two bytes each.
	EnvelopeHeaderLen = 6

	// MaxEnvelopeData is the most data one envelope can describe (the
	// 16-bit length field, and the cap of RNS.Channel.Channel.mdu).
	MaxEnvelopeData = 0xFFFF
)

// Message types. These values are part of the wire format and are
// append-only.
const (
	// MsgTypeReserved is the first message type reserved for the system
	// (RNS.Channel: "MSGTYPE >= 0xf000 are reserved"). Applications use
	// types below it.
	MsgTypeReserved uint16 = 0xF000

	// MsgTypeStream is the Buffer stream message
	// (RNS.Channel.SystemMessageTypes.SMT_STREAM_DATA).
	MsgTypeStream uint16 = 0xFF00
)

// Envelope is one channel message as it travels in the plaintext of a
// CHANNEL link packet (RNS.Channel.Envelope).
type Envelope struct {
	MsgType  uint16
	Sequence uint16
	Data     []byte // after Decode, aliases the decoded buffer
}

// Append appends the encoded envelope to dst and returns the extended
// slice. It fails with ErrEnvelopeTooLong if Data is longer than
// MaxEnvelopeData.
func (e *Envelope) Append(dst []byte) ([]byte, error) {
	if len(e.Data) > MaxEnvelopeData {
		return dst, fmt.Errorf("%w: %d bytes", ErrEnvelopeTooLong, len(e.Data))
	}
	dst = binary.BigEndian.AppendUint16(dst, e.MsgType)
	dst = binary.BigEndian.AppendUint16(dst, e.Sequence)
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(e.Data)))
	return append(dst, e.Data...), nil
}

// Decode parses b as an envelope. Data aliases b: everything after the
// header, whatever the length field says, as the reference's
// Envelope.unpack takes raw[6:] and never reads the length. It fails with
// ErrEnvelopeShort if b is shorter than the header. It allocates nothing.
func (e *Envelope) Decode(b []byte) error {
	if len(b) < EnvelopeHeaderLen {
		return ErrEnvelopeShort
	}
	e.MsgType = binary.BigEndian.Uint16(b[offMsgType:])
	e.Sequence = binary.BigEndian.Uint16(b[offSequence:])
	e.Data = b[EnvelopeHeaderLen:]
	return nil
}

// Length returns the length field of the encoded envelope b, which a
// receiver ignores, or -1 if b is shorter than the header.
func Length(b []byte) int {
	if len(b) < EnvelopeHeaderLen {
		return -1
	}
	return int(binary.BigEndian.Uint16(b[offLength:]))
}

// MDU returns the most message data one envelope can carry on a link whose
// MDU is linkMDU (RNS.Channel.Channel.mdu): the link MDU less the envelope
// header, capped at MaxEnvelopeData. It returns 0 if linkMDU is too small.
func MDU(linkMDU int) int {
	return min(max(linkMDU-EnvelopeHeaderLen, 0), MaxEnvelopeData)
}
