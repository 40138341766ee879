// Package ext implements the MehrExtension carried in the app_data of
// announces of Mehr's own aspect (mehr-network-protocol.md, "Mehr
// Extension: Compact Path Cost"):
//
//	offset  size  field
//	0       1     magic, 0x4E
//	1       1     version, 1
//	2       7     CompactPathCost (package pathcost)
//	9       ...   TLV list to the end of app_data: type u8, length u8,
//	              value [length]byte
//
// The magic byte alone does not identify Mehr data (an LXMF display name
// starting with "N" begins with 0x4E), so callers decode app_data only on
// announces of Mehr's aspect. The extension is written once by the origin
// and covered by the announce signature: relays never edit it
// (docs/spec-deviations.md, entries 1 and 2).
//
// Decoding never panics, allocates nothing, and skips TLV types it does
// not know; encoding appends to the caller's buffer without allocating
// when the buffer has room.
package ext

import (
	"encoding/binary"
	"errors"
	"strconv"

	"github.com/mehr-net/mehr/mehr/pathcost"
)

// Wire constants.
const (
	// Magic is the first byte of every MehrExtension ('N').
	Magic = 0x4E
	// Version is the only extension format version this package reads and
	// writes. Another version may change the fixed part, so it is refused.
	Version = 1
	// FixedSize is the length of magic, version and CompactPathCost: the
	// smallest valid extension.
	FixedSize = 2 + pathcost.Size
	// TLVHeaderSize is the length of a TLV's type and length bytes.
	TLVHeaderSize = 2
	// MaxTLVValue is the longest TLV value the u8 length can describe.
	MaxTLVValue = 255
	// LamportSize is the length of a TypeLamport value.
	LamportSize = 8

	offMagic    = 0
	offVersion  = 1
	offPathCost = 2
)

// Type is a TLV type. Assigned types are append-only once released: a
// number is never reused for a different meaning.
type Type uint8

// TLV types. A decoder skips every type not listed here.
const (
	// TypeLamport carries the origin's Lamport timestamp for the announced
	// destination: a u64, little-endian. It must increase strictly from one
	// announce of a destination to the next, so a replayed announce can be
	// recognised and rejected.
	TypeLamport Type = 0x01
)

// String returns the type's name, or its number for unknown types.
func (t Type) String() string {
	switch t {
	case TypeLamport:
		return "Lamport"
	}
	return "Type(" + strconv.Itoa(int(t)) + ")"
}

// Errors returned by Decode and ReadTLV. Callers branch with errors.Is.
var (
	ErrMagic     = errors.New("ext: first byte is not the Mehr magic 0x4E")
	ErrVersion   = errors.New("ext: unsupported extension version")
	ErrTruncated = errors.New("ext: input ends inside a field")
	ErrLength    = errors.New("ext: TLV value has the wrong length for its type")
	ErrDuplicate = errors.New("ext: TLV type appears more than once")
	ErrTooLong   = errors.New("ext: TLV value longer than 255 bytes")
)

// Extension is a decoded MehrExtension. The zero value is an extension with
// a zero CompactPathCost and no TLVs.
type Extension struct {
	PathCost pathcost.Compact
	// Lamport is the TypeLamport value; it is present only if HasLamport.
	Lamport    uint64
	HasLamport bool
}

// Len returns the encoded length of e.
func (e *Extension) Len() int {
	n := FixedSize
	if e.HasLamport {
		n += TLVHeaderSize + LamportSize
	}
	return n
}

// Append appends the encoding of e to dst: the fixed part, then the known
// TLVs in ascending type order. It allocates only if dst lacks room for
// Len bytes.
func (e *Extension) Append(dst []byte) []byte {
	dst = append(dst, Magic, Version)
	dst = e.PathCost.Append(dst)
	if e.HasLamport {
		dst = append(dst, byte(TypeLamport), LamportSize)
		dst = binary.LittleEndian.AppendUint64(dst, e.Lamport)
	}
	return dst
}

// Decode parses a whole MehrExtension; the TLV list runs to the end of b.
// TLVs of unknown types are skipped. A known type with a value of the
// wrong length is ErrLength, and a known type given twice is ErrDuplicate.
// On error *e is zeroed. Decode does not allocate and does not keep b.
func (e *Extension) Decode(b []byte) error {
	*e = Extension{}
	if err := e.decode(b); err != nil {
		*e = Extension{}
		return err
	}
	return nil
}

func (e *Extension) decode(b []byte) error {
	if len(b) <= offMagic {
		return ErrTruncated
	}
	if b[offMagic] != Magic {
		return ErrMagic
	}
	if len(b) <= offVersion {
		return ErrTruncated
	}
	if b[offVersion] != Version {
		return ErrVersion
	}
	if len(b) < FixedSize {
		return ErrTruncated
	}
	if err := e.PathCost.Decode(b[offPathCost:FixedSize]); err != nil {
		return err // unreachable: the slice is exactly pathcost.Size long
	}
	rest := b[FixedSize:]
	for len(rest) > 0 {
		var t TLV
		var err error
		if t, rest, err = ReadTLV(rest); err != nil {
			return err
		}
		switch t.Type {
		case TypeLamport:
			if e.HasLamport {
				return ErrDuplicate
			}
			if len(t.Value) != LamportSize {
				return ErrLength
			}
			e.Lamport = binary.LittleEndian.Uint64(t.Value)
			e.HasLamport = true
		}
	}
	return nil
}

// TLV is one type-length-value entry. Value aliases the input it was read
// from.
type TLV struct {
	Type  Type
	Value []byte
}

// ReadTLV splits the first TLV off b and returns it with the bytes after
// it. It returns ErrTruncated if b ends inside the TLV. Callers walking
// the TLVs of an extension start at b[FixedSize:] of a decoded extension.
func ReadTLV(b []byte) (t TLV, rest []byte, err error) {
	if len(b) < TLVHeaderSize {
		return TLV{}, b, ErrTruncated
	}
	n := TLVHeaderSize + int(b[1])
	if len(b) < n {
		return TLV{}, b, ErrTruncated
	}
	return TLV{Type: Type(b[0]), Value: b[TLVHeaderSize:n:n]}, b[n:], nil
}

// AppendTLV appends one TLV to dst. Use it to add TLVs this package does
// not model after Extension.Append. A value longer than MaxTLVValue is
// ErrTooLong and leaves dst unchanged.
func AppendTLV(dst []byte, t Type, value []byte) ([]byte, error) {
	if len(value) > MaxTLVValue {
		return dst, ErrTooLong
	}
	dst = append(dst, byte(t), byte(len(value)))
	return append(dst, value...), nil
}
