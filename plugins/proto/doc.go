// Package proto is the generated Go code for driver.proto, the protocol
// between mehrd and its interface-driver plugins: a Driver service with
// unary control calls and one bidirectional Packets stream of batches.
//
// Regenerate with `make proto` after editing driver.proto, and bump
// plugins/shared.ProtocolVersion on every change to the protocol.
package proto
