package tun

import (
	"encoding/binary"
	"net/netip"
)

// ipv6Packet builds an IPv6 packet from src to dst carrying payload.
func ipv6Packet(src, dst netip.Addr, next uint8, payload []byte) []byte {
	b := make([]byte, IPv6HeaderLen, IPv6HeaderLen+len(payload))
	b[0] = 0x60
	binary.BigEndian.PutUint16(b[4:], uint16(len(payload)))
	b[6], b[7] = next, 64
	s, d := src.As16(), dst.As16()
	copy(b[8:], s[:])
	copy(b[24:], d[:])
	return append(b, payload...)
}

// echoPacket builds an ICMPv6 echo request (or reply) with a payload of n
// bytes and a valid checksum; the packet is 48+n bytes long.
func echoPacket(src, dst netip.Addr, reply bool, id, seq uint16, n int) []byte {
	msg := make([]byte, 8+n)
	msg[0] = icmpTypeEchoRequest
	if reply {
		msg[0] = icmpTypeEchoReply
	}
	binary.BigEndian.PutUint16(msg[4:], id)
	binary.BigEndian.PutUint16(msg[6:], seq)
	for i := range n {
		msg[8+i] = byte(i)
	}
	s, d := src.As16(), dst.As16()
	binary.BigEndian.PutUint16(msg[2:], icmpChecksum(s[:], d[:], msg))
	return ipv6Packet(src, dst, protoICMPv6, msg)
}

// checksumOK verifies the ICMPv6 checksum of an IPv6 packet independently
// of icmpChecksum: it lays out the pseudo header (RFC 8200 8.1) and the
// message in one buffer and checks that its one's complement sum is
// 0xffff.
func checksumOK(pkt []byte) bool {
	msg := pkt[IPv6HeaderLen:]
	var buf []byte
	buf = append(buf, pkt[8:40]...)                            // source, destination
	buf = binary.BigEndian.AppendUint32(buf, uint32(len(msg))) // upper-layer length
	buf = append(buf, 0, 0, 0, protoICMPv6)                    // zero, next header
	buf = append(buf, msg...)
	if len(buf)%2 == 1 {
		buf = append(buf, 0)
	}
	var sum uint32
	for i := 0; i < len(buf); i += 2 {
		sum += uint32(buf[i])<<8 | uint32(buf[i+1])
		sum = sum&0xffff + sum>>16
	}
	return sum == 0xffff
}
