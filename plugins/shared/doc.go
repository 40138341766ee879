// Package shared is the part of the plugin protocol that both sides link:
// the go-plugin handshake, the plugin map, the limits of a batch, the
// batching queue that both sides' packet writers drain, and the
// plugin-side gRPC server that adapts an rns/iface.Interface to the
// Driver service of plugins/proto.
//
// Data path (one interface, one plugin process):
//
//	host Send ──► Queue ──► routineWrite ══ Packets stream ══► Server.Packets ──► driver.Send
//	host Receive ◄── Queue ◄── routineRead ══ Packets stream ══ routineWrite ◄── Queue ◄── routineReceive ◄── driver.Receive
//
// Each Queue is a bounded run of pending packets in one buffer. Producers
// append under a mutex and never block: a full queue drops the packet and
// counts it. The single writer swaps the whole run out in one step and
// sends it as one Batch; while that send is in flight, new packets collect
// in the queue and go out together in the next Batch. Under light load a
// batch carries one packet and adds no waiting; under heavy load the
// per-message cost of gRPC is shared by hundreds of packets.
//
// Plugin authors do not import this package; they use plugins/sdk.
package shared
