// Package wire is the byte layout of Reticulum packets: header flags,
// packet, destination, header, propagation and context types, sizes and
// offsets, header decoding and encoding, packet hashing, the byte rewrites
// transport performs when it adds or removes the second address, and the
// path-request payload.
//
// Everything here mirrors the Python reference (RNS 1.4.2, RNS/Packet.py and
// the byte rewrites in RNS/Transport.py) and is checked against the
// reference vectors in vectors/reticulum/packets.json.
//
// A packet on the wire (after any interface framing and IFAC are removed):
//
//	HEADER_1: flags(1) hops(1) destination(16)                context(1) data
//	HEADER_2: flags(1) hops(1) transport_id(16) destination(16) context(1) data
//
//	flags, MSB first: ifac(1) header_type(1) context_flag(1)
//	                  propagation(1) destination_type(2) packet_type(2)
//
// The packet hash is SHA-256 over the low nibble of flags followed by
// everything after the hops byte (HEADER_1) or after the transport ID
// (HEADER_2), so it is the same before and after transport rewrites a packet.
//
// This package is a leaf: it imports only the standard library, and nothing
// in it allocates on the decode and hash path. Every enum here is part of the
// wire format and is append-only.
package wire
