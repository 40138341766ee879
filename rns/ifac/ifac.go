// Package ifac implements Reticulum interface access codes (IFAC): the
// per-packet authentication an interface configured with a network name
// and/or passphrase adds, and the masking that hides the packet from
// outsiders.
//
// Key derivation (RNS/Reticulum.py): origin = SHA-256(network name) if set,
// followed by SHA-256(passphrase) if set; key = HKDF(64, SHA-256(origin),
// salt = Salt). The IFAC identity is the identity whose 64-byte private key is
// that key.
//
// On transmit (RNS/Transport.py transmit): the access code is the last Size
// bytes of the IFAC identity's Ed25519 signature over the packet. The wire
// form is flags|0x80, hops, access code, rest of the packet, XOR-masked with
// HKDF(len(wire form), access code, salt = key), except that the access code
// itself is not masked and the first byte keeps 0x80 set. Receivers unmask,
// strip the code, clear 0x80 and compare against a fresh signature.
//
// Checked against vectors/reticulum/ifac.json.
package ifac

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"

	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/wire"
)

// Salt is the fixed HKDF salt of IFAC keys (RNS.Reticulum.IFAC_SALT).
var Salt = [32]byte{
	0xad, 0xf5, 0x4d, 0x88, 0x2c, 0x9a, 0x9b, 0x80, 0x77, 0x1e, 0xb4, 0x99, 0x5d, 0x70, 0x2d, 0x4a,
	0x3e, 0x73, 0x33, 0x91, 0xb2, 0xa0, 0xf5, 0x3f, 0x41, 0x6d, 0x9f, 0x90, 0x7e, 0x55, 0xcf, 0xf8,
}

// Size limits, in bytes. Python configuration files give ifac_size in bits.
const (
	MinSize = wire.IFACMinSize // smallest access code
	MaxSize = identity.SigLen  // the code is a suffix of a 64-byte signature
	// DefaultSizeSerial is the reference's default for serial, KISS and
	// RNode interfaces.
	DefaultSizeSerial = 8
	// DefaultSizeIP is the reference's default for TCP, UDP, Auto, I2P
	// and Backbone interfaces.
	DefaultSizeIP = 16
	flag          = 0x80
)

// Errors returned by New, Apply and Unmask.
var (
	ErrNoSecret   = errors.New("ifac: need a network name or a passphrase")
	ErrSize       = fmt.Errorf("ifac: size must be %d to %d bytes", MinSize, MaxSize)
	ErrShort      = errors.New("ifac: packet too short")
	ErrNoFlag     = errors.New("ifac: packet lacks the IFAC flag on an IFAC interface")
	ErrMismatch   = errors.New("ifac: access code does not match")
	ErrUnexpected = errors.New("ifac: packet carries an access code on an open interface")
	ErrFlagSet    = errors.New("ifac: packet to protect already has the IFAC flag set")
)

// IFAC is the access-code state of one interface. It is safe for
// concurrent use.
type IFAC struct {
	key  [64]byte
	id   *identity.Identity
	size int
}

// Origin returns the bytes the key is derived from: SHA-256 of the network
// name if not empty, followed by SHA-256 of the passphrase if not empty.
func Origin(networkName, passphrase string) []byte {
	var out []byte
	if networkName != "" {
		h := sha256.Sum256([]byte(networkName))
		out = append(out, h[:]...)
	}
	if passphrase != "" {
		h := sha256.Sum256([]byte(passphrase))
		out = append(out, h[:]...)
	}
	return out
}

// New derives the IFAC state for a network name and/or passphrase (empty
// means not set) and an access-code size in bytes.
func New(networkName, passphrase string, size int) (*IFAC, error) {
	if networkName == "" && passphrase == "" {
		return nil, ErrNoSecret
	}
	if size < MinSize || size > MaxSize {
		return nil, ErrSize
	}
	originHash := sha256.Sum256(Origin(networkName, passphrase))
	key, err := identity.HKDF(64, originHash[:], Salt[:], nil)
	if err != nil {
		return nil, fmt.Errorf("ifac: derive key: %w", err)
	}
	id, err := identity.FromPrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("ifac: identity: %w", err)
	}
	return &IFAC{key: [64]byte(key), id: id, size: size}, nil
}

// Size returns the access-code length in bytes.
func (f *IFAC) Size() int { return f.size }

// Key returns the 64-byte IFAC key.
func (f *IFAC) Key() [64]byte { return f.key }

// Identity returns the IFAC identity.
func (f *IFAC) Identity() *identity.Identity { return f.id }

// Signature returns the IFAC identity's signature over SHA-256 of the key,
// which the reference shows in interface status; it never goes on the wire.
func (f *IFAC) Signature() [identity.SigLen]byte {
	h := sha256.Sum256(f.key[:])
	sig, _ := f.id.Sign(h[:])
	return sig
}

// Code returns the access code of raw: the last Size bytes of the IFAC
// identity's signature over the packet.
func (f *IFAC) Code(raw []byte) []byte {
	sig, _ := f.id.Sign(raw)
	return append([]byte(nil), sig[identity.SigLen-f.size:]...)
}

// Mask returns the n-byte XOR mask for a packet carrying the access code
// code: HKDF(n, code, salt = key).
func (f *IFAC) Mask(code []byte, n int) ([]byte, error) {
	return identity.HKDF(n, code, f.key[:], nil)
}

// Apply appends the masked wire form of raw (a packet without IFAC) to dst.
// A packet whose flags byte already has the IFAC bit set is refused: its
// receiver would clear the bit and never match the code.
func (f *IFAC) Apply(dst, raw []byte) ([]byte, error) {
	if len(raw) < 2 {
		return dst, ErrShort
	}
	if raw[0]&flag != 0 {
		return dst, ErrFlagSet
	}
	sig, err := f.id.Sign(raw)
	if err != nil {
		return dst, err
	}
	code := sig[identity.SigLen-f.size:]
	n := len(raw) + f.size
	mask, err := f.Mask(code, n)
	if err != nil {
		return dst, err
	}
	start := len(dst)
	dst = append(dst, raw[0]|flag, raw[1])
	dst = append(dst, code...)
	dst = append(dst, raw[2:]...)
	w := dst[start:]
	w[0] = w[0] ^ mask[0] | flag
	w[1] ^= mask[1]
	for i := 2 + f.size; i < n; i++ {
		w[i] ^= mask[i]
	}
	return dst, nil
}

// Unmask checks and removes the access code of a received wire form and
// appends the plain packet to dst. Packets without the IFAC flag, too short
// to hold a code, or whose code does not match are rejected, as the
// reference silently drops them.
func (f *IFAC) Unmask(dst, in []byte) ([]byte, error) {
	if len(in) <= 2 {
		return dst, ErrShort
	}
	if in[0]&flag == 0 {
		return dst, ErrNoFlag
	}
	if len(in) <= 2+f.size {
		return dst, ErrShort
	}
	code := in[2 : 2+f.size]
	mask, err := f.Mask(code, len(in))
	if err != nil {
		return dst, err
	}
	start := len(dst)
	dst = append(dst, (in[0]^mask[0])&^flag, in[1]^mask[1])
	for i := 2 + f.size; i < len(in); i++ {
		dst = append(dst, in[i]^mask[i])
	}
	sig, err := f.id.Sign(dst[start:])
	if err != nil {
		return dst[:start], err
	}
	if subtle.ConstantTimeCompare(sig[identity.SigLen-f.size:], code) != 1 {
		return dst[:start], ErrMismatch
	}
	return dst, nil
}

// CheckOpen applies the reference's rule for interfaces without IFAC: a
// packet with the IFAC flag set, or of two bytes or less, is dropped.
func CheckOpen(in []byte) error {
	if len(in) <= 2 {
		return ErrShort
	}
	if in[0]&flag != 0 {
		return ErrUnexpected
	}
	return nil
}
