// Package topo builds the topologies of the Mehr simulator and answers
// shortest-path questions on them (docs/design/simulator.md).
//
// A Graph is an undirected graph of N nodes with at most one Link per node
// pair, stored as a flat, sorted link list plus a CSR adjacency, so that
// graphs of 10,000 nodes and more are cheap to build, copy and walk. Every
// link carries the properties the simulator's in-memory links need:
// latency, bandwidth, MTU, frame loss and a price per byte.
//
// Two generators produce graphs, each deterministic for its seed:
//
//   - Kleinberg: a Side × Side lattice with 4-neighbour (Short) links and Q
//     long-range (Long) links started per node, with P(u→v) ∝ d(u,v)^-R in
//     lattice distance (Kleinberg, "The small-world phenomenon: an
//     algorithmic perspective", 2000);
//   - Geometric: N nodes uniform in the unit square, linked when within a
//     radio range derived from a target mean degree; only the largest
//     connected component is kept.
//
// Link properties are drawn from a Profile per link class, on a random
// stream separate from the one that draws the topology, so changing a
// Profile never changes which links exist.
//
// An Oracle computes single-source optima for one Metric (hops, additive
// cost or latency, worst link latency, bottleneck bandwidth or MTU, or
// delivery probability) with reusable scratch space: after the first call
// per metric, Oracle.From does not allocate. Graph.PathValue evaluates a
// metric along a given path, so a measured route can be compared with the
// optimum (path stretch).
//
// Concurrency: a Graph is read-only once built and safe for concurrent
// use; an Oracle is not, so use one per goroutine.
package topo
