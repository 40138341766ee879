package tun

import (
	"encoding/binary"
	"errors"
	"net/netip"
)

// IPv6 and ICMPv6 layout (RFC 8200, RFC 4443).
const (
	// IPv6HeaderLen is the fixed IPv6 header length.
	IPv6HeaderLen = 40
	// MinMTU is the IPv6 minimum link MTU; the adapter's MTU is never
	// lower.
	MinMTU = 1280

	ipv6OffPayloadLen = 4  // uint16 payload length
	ipv6OffNextHeader = 6  // next header
	ipv6OffHopLimit   = 7  // hop limit
	ipv6OffSrc        = 8  // source address, 16 bytes
	ipv6OffDst        = 24 // destination address, 16 bytes

	protoICMPv6 = 58

	icmpHeaderLen       = 8 // type, code, checksum, 4 bytes of data
	icmpOffChecksum     = 2
	icmpTypeUnreachable = 1
	icmpTypeTooBig      = 2
	icmpTypeEchoRequest = 128
	icmpTypeEchoReply   = 129

	// Destination unreachable codes.
	icmpCodeNoRoute     = 0 // no route to destination (outside the prefix)
	icmpCodeAddrUnreach = 3 // address unreachable (unknown peer)

	defaultHopLimit = 64
)

// Header decoding errors.
var (
	// ErrShort reports a packet shorter than an IPv6 header.
	ErrShort = errors.New("tun: packet shorter than an IPv6 header")
	// ErrVersion reports a packet that is not IPv6.
	ErrVersion = errors.New("tun: not an IPv6 packet")
	// ErrLength reports a payload length that does not match the packet.
	ErrLength = errors.New("tun: IPv6 payload length does not match the packet")
)

// Header is the part of a fixed IPv6 header the adapter looks at.
type Header struct {
	// Len is the packet's length as the header gives it: 40 + payload
	// length.
	Len        int
	NextHeader uint8
	HopLimit   uint8
	Src, Dst   [16]byte
}

// Decode parses the fixed IPv6 header at the start of b. The packet must
// be at least as long as the header says (trailing bytes beyond Len, such
// as link padding, are allowed and ignored); jumbograms (payload length 0
// with a hop-by-hop jumbo option) are rejected. It does not allocate.
func (h *Header) Decode(b []byte) error {
	if len(b) < IPv6HeaderLen {
		return ErrShort
	}
	if b[0]>>4 != 6 {
		return ErrVersion
	}
	n := IPv6HeaderLen + int(binary.BigEndian.Uint16(b[ipv6OffPayloadLen:]))
	if n > len(b) || n == IPv6HeaderLen && b[ipv6OffNextHeader] == 0 {
		return ErrLength
	}
	h.Len = n
	h.NextHeader = b[ipv6OffNextHeader]
	h.HopLimit = b[ipv6OffHopLimit]
	copy(h.Src[:], b[ipv6OffSrc:ipv6OffSrc+16])
	copy(h.Dst[:], b[ipv6OffDst:ipv6OffDst+16])
	return nil
}

// SrcAddr returns the source address.
func (h *Header) SrcAddr() netip.Addr { return netip.AddrFrom16(h.Src) }

// DstAddr returns the destination address.
func (h *Header) DstAddr() netip.Addr { return netip.AddrFrom16(h.Dst) }

// mayAnswerWithError reports whether an ICMPv6 error may be sent about the
// packet pkt with header h (RFC 4443 2.4 (e)): not about an ICMPv6 error
// message, nor to an unspecified or multicast source.
func mayAnswerWithError(h *Header, pkt []byte) bool {
	src := h.SrcAddr()
	if src.IsUnspecified() || src.IsMulticast() || h.DstAddr().IsMulticast() {
		return false
	}
	if h.NextHeader == protoICMPv6 {
		if len(pkt) <= IPv6HeaderLen || pkt[IPv6HeaderLen] < 128 {
			return false // an error message, or too short to tell
		}
	}
	return true
}

// AppendICMPv6Error appends an ICMPv6 error message from src about the
// invoking packet orig (whose header h has already been decoded) to dst:
// an IPv6 header addressed to orig's source, then the ICMPv6 header with
// typ, code and the 4-byte field param (the MTU for packet too big, zero
// otherwise), then as much of orig as keeps the message within MinMTU
// bytes (RFC 4443 2.4 (c)). The checksum is computed over the pseudo
// header. It allocates nothing when dst has room.
func AppendICMPv6Error(dst []byte, src [16]byte, h *Header, orig []byte, typ, code uint8, param uint32) []byte {
	quote := orig
	if max := MinMTU - IPv6HeaderLen - icmpHeaderLen; len(quote) > max {
		quote = quote[:max]
	}
	plen := icmpHeaderLen + len(quote)
	start := len(dst)
	dst = append(dst, 0x60, 0, 0, 0, byte(plen>>8), byte(plen), protoICMPv6, defaultHopLimit)
	dst = append(dst, src[:]...)
	dst = append(dst, h.Src[:]...)
	dst = append(dst, typ, code, 0, 0)
	dst = binary.BigEndian.AppendUint32(dst, param)
	dst = append(dst, quote...)
	pkt := dst[start:]
	sum := icmpChecksum(pkt[ipv6OffSrc:ipv6OffSrc+16], pkt[ipv6OffDst:ipv6OffDst+16], pkt[IPv6HeaderLen:])
	binary.BigEndian.PutUint16(pkt[IPv6HeaderLen+icmpOffChecksum:], sum)
	return dst
}

// icmpChecksum is the ICMPv6 checksum of msg (with its checksum field
// zero) under the IPv6 pseudo header of src and dst (RFC 8200 8.1).
func icmpChecksum(src, dst, msg []byte) uint16 {
	var s uint64
	s = sum16(s, src)
	s = sum16(s, dst)
	s += uint64(len(msg))
	s += protoICMPv6
	s = sum16(s, msg)
	for s>>16 != 0 {
		s = s&0xffff + s>>16
	}
	return ^uint16(s)
}

func sum16(s uint64, b []byte) uint64 {
	for len(b) >= 2 {
		s += uint64(b[0])<<8 | uint64(b[1])
		b = b[2:]
	}
	if len(b) == 1 {
		s += uint64(b[0]) << 8
	}
	return s
}
