// Package auto implements Reticulum's AutoInterface, wire-compatible with
// the Python reference's (RNS 1.4.2): zero-configuration peering between
// nodes on the same IPv6 link.
//
// Discovery. The group ID ("reticulum" by default) is hashed with SHA-256
// and bytes 2 to 13 of the hash become the low 96 bits of an IPv6
// multicast address ff<type><scope>:0:..., where type is 1 (temporary,
// the default) or 0 (permanent) and scope is 2 (link, the default), 4
// (admin), 5 (site), 8 (organisation) or e (global); see MulticastAddress.
// Every 1.6 s a node sends, on every adopted NIC, its discovery token
// SHA-256(group ID || link-local address as text) to that group on the
// discovery port (29716). A receiver recomputes the token from the packet's
// source address and, if it matches, adds the sender as a peer. Every
// 4 s a peer job removes peers not heard from for 22 s and sends a token
// by unicast to the discovery port + 1 of every peer it has not sent one to
// for 5.2 s ("reverse peering"), so peering also works where multicast
// only flows one way. Our own tokens looped back by multicast show that
// the NIC carries multicast ("echoes", 6.5 s timeout).
//
// Data. Packets go by unicast UDP to a peer's link-local address on the
// data port (42671), at most one packet per datagram, with no framing. The
// hardware MTU is 1196 bytes and is fixed (links do not autoconfigure it);
// the nominal bitrate is 10 Mbit/s. A peer with several NICs on the same
// link is several peers, so the same packet can arrive more than once; as
// the reference does, packets whose SHA-256 matches one of the last 48
// accepted within 0.75 s are dropped. Datagrams from addresses that are not
// peers are ignored.
//
// Sockets. Per adopted NIC, as the reference: a multicast discovery socket
// bound to the group address (scoped to the NIC for link scope) and joined
// on that NIC, a unicast discovery socket and a data socket bound to the
// NIC's link-local address. A NIC is adopted if it is up, has a link-local
// (fe80::) address, is not ignored (IgnoredDevices, and the reference's
// platform lists such as awdl0 on macOS), and is in Devices when Devices
// is set. Unlike the reference, which looks at NICs only at start-up, the
// set of NICs and their addresses are re-examined at every peer job.
//
// Interfaces. The reference spawns one sub-interface per peer
// (AutoInterfacePeer), and transport treats each as an interface of its
// own: a path learned through a peer sends only to that peer, announces
// are repeated to the other peers, and a peer that times out takes its
// paths with it. A Listener therefore implements iface.Listener, and every
// discovered peer is an iface.Interface returned by Accept. A timed-out
// peer's Receive returns an error matching both ErrPeerLost and
// net.ErrClosed; if it comes back it is accepted anew. Unlike other
// listeners, closing a Listener also closes its peers, whose traffic runs
// over the Listener's sockets.
//
// The Listener runs one goroutine for its timers and three per NIC, one
// per socket, and stops them all on Close.
package auto
