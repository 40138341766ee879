package rpc

import "github.com/mehr-net/mehr/rns/msgpack"

// The values below are what the reference's RPC answers carry; remote
// management (package mgmt) answers /status and /path requests with the
// same dicts, as the reference does.

// StatsValue returns s as the dict get interface_stats answers with.
func StatsValue(s Stats) msgpack.Map { return interfaceStats(s) }

// PathTableValue returns the path_table answer: the entries with at most
// maxHops hops (all of them when maxHops is nil), as dicts.
func PathTableValue(entries []PathEntry, maxHops any) ([]any, error) {
	return pathTable(entries, maxHops)
}

// RateTableValue returns the rate_table answer.
func RateTableValue(entries []RateEntry) []any { return rateTable(entries) }
