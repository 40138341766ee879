// Package sim runs networks of real mehr nodes in one process on an
// injected clock: every node is an rns.Node (transport enabled) with a
// Mehr router, joined to its neighbours by simulated links with the
// latency, bandwidth, MTU and loss of a topo.Graph.
//
// The engine is a discrete-event loop driven by one goroutine. A node's
// transmissions become deliveries at the far end after the link's queue,
// serialisation time and latency (or are lost with the link's loss
// probability); each delivery is handed to the node's transport with
// InboundFrame, and a node that has received or sent anything runs
// transport's jobs once a simulated second until it has been quiet for a
// while. Nothing reads the wall clock or global randomness, and the frames
// one step emits are ordered by link and content before they are
// scheduled, so a run is deterministic for a seed.
//
// What is real: announces (built, signed and validated by rns), Reticulum
// transport's rebroadcast rules, announce caps, duplicate filter and path
// table on every node, and Mehr's routing (mehr/routing and mehr/route:
// the 0x4E extension, one entry per neighbour per destination, policy
// scoring). What is simulated: the links; the announce-signature check,
// done once per announce for all nodes (transport.ValidatedAnnounces); and
// the neighbour annotations, which the engine fetches from the
// neighbour's router at the moment a copy arrives and counts as
// AnnotationBytes on that link, instead of running a neighbour link per
// link end.
//
// Measurements: convergence per announce, paths traced hop by hop for
// sampled pairs (Reticulum's path table and each PathPolicy) with their
// stretch against the optimum on each metric (topo.Oracle), control
// traffic per link direction against the 10 % budget, and heap per node.
// A run may let only a sample of nodes announce (Config.Announcers): every
// node still relays and keeps tables, and per-destination traffic and
// memory are scaled to all nodes announcing.
package sim
