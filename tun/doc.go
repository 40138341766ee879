// Package tun turns a node into an IPv6 router over Reticulum, independent
// of the operating system's TUN device: it reads IP packets from a Device,
// carries them over identified links to the nodes they are addressed to,
// and writes what arrives back to the Device. The OS device itself lives in
// package tun/tundev (served as a plugin, so that only the plugin process
// needs CAP_NET_ADMIN); tun/tuntest has a channel-backed fake.
//
// # Dependencies
//
// The adapter imports rns (the Node, to register and announce its
// destination and to find paths), rns/link (links), rns/identity and
// rns/transport (only for the types of identities, announces and link
// callbacks) and rns/wire. It imports no interface drivers or plugins; the
// daemon adapts its TUN plugin interface to Device.
//
// # Addressing
//
// Each node registers an inbound SINGLE destination named "mehr.ip"
// (AppName, Aspect) under its transport identity, or Config.Identity, and
// announces it at start and every Config.AnnounceInterval. Its IPv6 address
// is Address(prefix, hash): the prefix (default DefaultPrefix,
// fd6d:6568:7200::/48; any ULA prefix of at most 64 bits, see
// ValidatePrefix) followed by the leading bits of the destination hash.
// Peers are learned from heard announces of "mehr.ip" destinations, and
// from links whose initiator identified itself. When two destinations map
// to the same address the first seen keeps it; the other is reported (a log
// line, Counters.Collisions, Status.Collisions, PeerStatus.Collisions) and
// ignored. The peer table is an immutable snapshot behind an atomic pointer,
// read without locks for every packet.
//
// # Data path
//
// A packet read from the Device must be IPv6 (IPv4 and garbage are dropped
// and counted; multicast, such as neighbour discovery, is dropped too). A
// packet larger than the adapter's MTU is answered with ICMPv6 packet too
// big; one to an address outside the prefix with destination unreachable
// code 0 (no route), and one to an unknown address in the prefix with code
// 3 (address unreachable). ICMPv6 errors come from this node's address, are
// rate limited (Config.ICMPRate) and never answer an ICMPv6 error.
//
// A packet to a known peer goes on that peer's link: one link per peer,
// opened on demand (link.Establish, then Identify with the adapter's
// identity) while up to Config.Pending packets wait for it, reused
// afterwards, and opened again when it closes. A link the peer opened and
// identified on serves as the peer's link too.
//
// Inbound, a packet is written to the Device only if it arrived on a link
// whose remote end is known (a link this node opened to the peer's IP
// destination, or an accepted link whose initiator identified itself) and
// its IPv6 source address equals the address derived from that peer's IP
// destination hash, and its destination is this node's address. Anything
// else is dropped and counted (Counters.Unidentified, Spoofed, NotForUs):
// no node can inject packets with another node's source address.
//
// # Framing
//
// The plaintext of every link DATA packet (context NONE) the adapter sends
// is one frame:
//
//	whole packet:  0x00 | IPv6 packet
//	fragment:      0x01 | packet id (uint16, big endian) | index (uint8) | count (uint8) | data
//
// A packet that fits the link's MDU with its 1-byte header goes whole;
// otherwise it is cut into count (2..255) fragments in index order, every
// one but the last carrying the same number of bytes and the last no more.
// The packet id counts per peer and wraps. The receiver reassembles per
// link in a Reassembler with Config.ReassemblySlots packets in progress
// (the oldest is evicted for a new one), each bounded by the adapter's MTU
// and discarded after Config.ReassemblyTimeout; fragments that contradict
// their packet's earlier ones discard it. A 1280-byte packet over a link
// through an RNode hop (link MTU 500, MDU 431) takes 4 fragments. This
// framing is mehr's own: the reference implementation has no IP service.
package tun
