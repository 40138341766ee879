// Package prim implements the conformance suite's primitive commands
// (cryptography, identities, tokens, packets, announces, destinations,
// framing, IFAC, compression, configuration parsing) over mehr's real
// packages.
package prim

import "github.com/mehr-net/mehr/internal/bridge"

// Commands returns the primitive commands.
func Commands() bridge.Registry {
	r := bridge.Registry{}
	cryptoCommands(r)
	identityCommands(r)
	packetCommands(r)
	framingCommands(r)
	destinationCommands(r)
	stampCommands(r)
	discoveryCommands(r)
	configParseCommands(r)
	return r
}
