// Package proof builds and validates Reticulum packet proofs.
//
// A proof is an unencrypted PROOF packet (HEADER_1, SINGLE, context NONE)
// addressed to the truncated hash of the packet it proves. Its payload is
// either the 64-byte Ed25519 signature of the proved packet's full hash
// (implicit, the reference's default for destinations) or that hash followed
// by the signature (explicit, 96 bytes; always used on links). A receipt
// accepts either form. This mirrors Identity.prove and
// PacketReceipt.validate_proof of the reference (RNS 1.4.2) and is checked
// against vectors/reticulum/proofs.json.
package proof

import (
	"crypto/subtle"
	"errors"

	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/wire"
)

// Payload lengths (RNS.PacketReceipt.IMPL_LENGTH, EXPL_LENGTH).
const (
	ImplicitLen = identity.SigLen
	ExplicitLen = wire.FullHashLen + identity.SigLen
)

// Errors returned by Validate and Append.
var (
	ErrLength    = errors.New("proof: payload is neither 64 (implicit) nor 96 (explicit) bytes")
	ErrHash      = errors.New("proof: explicit proof names another packet")
	ErrSignature = errors.New("proof: invalid signature")
	ErrNoProver  = errors.New("proof: no identity to check the proof against")
)

// AppendPayload appends the proof payload for the packet with the given
// full hash, signed by prover.
func AppendPayload(dst []byte, packetHash [wire.FullHashLen]byte, prover *identity.Identity, implicit bool) ([]byte, error) {
	sig, err := prover.Sign(packetHash[:])
	if err != nil {
		return dst, err
	}
	if !implicit {
		dst = append(dst, packetHash[:]...)
	}
	return append(dst, sig[:]...), nil
}

// Append builds the whole proof packet for the packet with the given full
// hash and appends it to dst.
func Append(dst []byte, packetHash [wire.FullHashLen]byte, prover *identity.Identity, implicit bool) ([]byte, error) {
	h := wire.Header{
		DestType:    wire.Single,
		PacketType:  wire.Proof,
		Destination: wire.Hash(packetHash[:wire.HashLen]),
	}
	return AppendPayload(h.Append(dst), packetHash, prover, implicit)
}

// Validate checks a proof payload for the packet with the given full hash
// against the identity of the destination the packet was sent to.
func Validate(payload []byte, packetHash [wire.FullHashLen]byte, prover *identity.Identity) error {
	if prover == nil {
		return ErrNoProver
	}
	var sig []byte
	switch len(payload) {
	case ExplicitLen:
		if subtle.ConstantTimeCompare(payload[:wire.FullHashLen], packetHash[:]) != 1 {
			return ErrHash
		}
		sig = payload[wire.FullHashLen:]
	case ImplicitLen:
		sig = payload
	default:
		return ErrLength
	}
	if !prover.Verify(packetHash[:], sig) {
		return ErrSignature
	}
	return nil
}
