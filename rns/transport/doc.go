// Package transport moves Reticulum packets between interfaces and local
// destinations the way the reference's RNS.Transport does: it keeps the
// path table learned from announces, rebroadcasts announces with the
// reference's timing and per-interface bandwidth caps, answers and forwards
// path requests, deduplicates packets by hash, forwards packets addressed to
// this transport node (rewriting HEADER_2 to the next hop, or back to
// HEADER_1 on the last hop), relays link traffic through its link table and
// proofs back along its reverse table, and delivers packets for registered
// local destinations.
//
// # Pipeline
//
// Each interface has one receive goroutine (routineReceive) that owns a
// buffer of the interface's MTU plus wire.Headroom. For every frame it:
//
//  1. removes and checks the IFAC (ifac.Unmask) or rejects flagged packets
//     on open interfaces (ifac.CheckOpen);
//  2. decodes the header (wire.Packet.Decode) and hashes it — no allocation;
//  3. takes t.mu and runs inbound: the packet filter, forwarding decisions,
//     table updates, announce handling. Packets to transmit are collected,
//     not sent, while the lock is held;
//  4. releases t.mu and transmits what was collected (iface.Send, with IFAC
//     applied per outgoing interface), then delivers local packets to their
//     destinations' callbacks.
//
// A single job goroutine (routineJobs) runs every JobInterval: announce
// retransmissions, announce queues of capped interfaces, table expiry,
// receipt timeouts, hash filter rotation.
//
// Lock ordering: t.mu guards every table; it is never held across
// iface.Send or a destination callback. Interface state that the receive
// loop reads without the lock (name, mode, MTU) is immutable after
// AddInterface; counters are atomics.
//
// Time comes from Config.Now and randomness from Config.Rand, so tests
// drive announce timers and path expiry without sleeping.
//
// # Seams
//
// White-box tests and harnesses (the conformance bridge) drive transport
// without a medium: InboundFrame hands in a frame as an interface's
// receive routine would, Transmit sends on a chosen interface, ForceJobs
// runs a job round with the announce and cull jobs forced, Detach drops an
// interface without closing it, and FilterPacket runs the duplicate
// filter alone. The tables are read and seeded through copies (Paths,
// PendingAnnounces, ReverseTable, LinkTable, Tunnels, Blackholed,
// AnnounceRateOf, SeedReverse, SeedLink, SetPathTimes, SetAnnounceTimes);
// interfaces/ifacetest.Mock is an interface that records what is sent.
package transport
