// Package route is Mehr's routing table: several paths per destination,
// each a RoutingEntry with the decoded values of its CompactPathCost, and
// the PathPolicy scoring that picks one of them per packet
// (mehr-network-protocol.md, "Routing"; docs/design/path-cost.md §4–5).
//
// The package is pure and transport-independent. The caller parses each
// validated announce copy of Mehr's own aspect, matches it with the
// neighbour's annotation and its own measurement of the last hop, and turns
// the result into an Observation (NewObservation, ParseObservation). The
// Table keeps one Entry per destination and next hop, rejects replayed
// announces by their Lamport timestamp, ages entries on an injected clock
// (fresh for three announce intervals, stale for one more, then gone),
// tracks neighbour failure rounds, and evicts under a cap on the number of
// entries. Select and Candidates score the entries of one destination by a
// Policy under Constraints without allocating.
//
// Locking: a Table is safe for concurrent use. Writers (Observe, Fail,
// Confirm, MarkMissed, MarkSeen, Expire) take its mutex; readers (Select,
// Candidates, Lookup, Len) take the read lock and record use with atomics
// only. Callbacks (Config.OnViolation) run after the lock is released and
// may call back into the Table.
//
// Where the spec is vague or conflicts with Reticulum, the choices are in
// docs/spec-deviations.md, section "Mehr routing table".
package route
