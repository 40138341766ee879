// Package behavioral implements the conformance suite's behavioral_*
// commands: white-box transport behaviour on a fake interface, driving
// mehr's real rns/transport through its test seams.
package behavioral

import "github.com/mehr-net/mehr/internal/bridge"

// Commands returns the behavioral_* commands.
func Commands() bridge.Registry { return bridge.Registry{} }
