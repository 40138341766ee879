package wire

import "crypto/sha256"

// Link request layout (RNS.Link): the initiator's X25519 and Ed25519 public
// keys, optionally followed by 3 signalling bytes carrying the link mode
// (top 3 bits) and the requested MTU (low 21 bits). A link proof carries a
// 64-byte signature and the responder's X25519 key, optionally followed by
// the confirmed signalling bytes.
const (
	// LinkKeysLen is the initiator's two public keys (RNS.Link.ECPUBSIZE).
	LinkKeysLen = 64
	// SignallingLen is the MTU signalling suffix (RNS.Link.LINK_MTU_SIZE).
	SignallingLen = 3
	// LinkProofLen is a link proof without signalling: signature and the
	// responder's X25519 key.
	LinkProofLen       = 64 + 32
	signallingMTUMask  = 0x1FFFFF
	signallingModeMask = 0xE0
)

// Signalling decodes 3 signalling bytes into an MTU and a link mode.
func Signalling(b []byte) (mtu int, mode uint8, ok bool) {
	if len(b) != SignallingLen {
		return 0, 0, false
	}
	v := int(b[0])<<16 | int(b[1])<<8 | int(b[2])
	return v & signallingMTUMask, (b[0] & signallingModeMask) >> 5, true
}

// AppendSignalling appends the 3 signalling bytes for mtu and mode.
func AppendSignalling(dst []byte, mtu int, mode uint8) []byte {
	v := mtu&signallingMTUMask | int(mode<<5&signallingModeMask)<<16
	return append(dst, byte(v>>16), byte(v>>8), byte(v))
}

// LinkRequestSignalling returns the signalling bytes of a link request
// payload, or nil when it has none.
func LinkRequestSignalling(data []byte) []byte {
	if len(data) != LinkKeysLen+SignallingLen {
		return nil
	}
	return data[LinkKeysLen:]
}

// LinkProofSignalling returns the signalling bytes of a link proof
// payload, or nil when it has none.
func LinkProofSignalling(data []byte) []byte {
	if len(data) != LinkProofLen+SignallingLen {
		return nil
	}
	return data[LinkProofLen:]
}

// LinkID returns the link ID of a link request packet (raw, without IFAC):
// the truncated hash of its hashable part without anything after the
// initiator's keys, so signalling bytes, which transport nodes may clamp,
// do not change it.
func LinkID(raw []byte) (Hash, error) {
	var p Packet
	if err := p.Decode(raw); err != nil {
		return Hash{}, err
	}
	nib, tail, err := hashable(raw)
	if err != nil {
		return Hash{}, err
	}
	if extra := len(p.Data) - LinkKeysLen; extra > 0 {
		tail = tail[:len(tail)-extra]
	}
	d := sha256.New()
	d.Write([]byte{nib})
	d.Write(tail)
	var sum [FullHashLen]byte
	d.Sum(sum[:0])
	return Hash(sum[:HashLen]), nil
}
