package msgpack

import "errors"

// Sentinel errors. Functions wrap them with the offset or type involved;
// test with [errors.Is].
var (
	// ErrTruncated reports input that ends before the value it encodes is
	// complete. A declared str, bin, array or map size that cannot fit in
	// the rest of the input is reported this way before anything is
	// allocated for it.
	ErrTruncated = errors.New("msgpack: truncated input")

	// ErrTrailingData reports bytes left over after the encoded value.
	ErrTrailingData = errors.New("msgpack: trailing data after value")

	// ErrTooDeep reports arrays and maps nested more than MaxDepth levels,
	// when decoding, or a value to encode that is nested that deeply (which
	// includes a slice or map that contains itself).
	ErrTooDeep = errors.New("msgpack: nesting too deep")

	// ErrInvalidCode reports the type byte 0xc1, which msgpack reserves and
	// never uses.
	ErrInvalidCode = errors.New("msgpack: invalid type byte")

	// ErrUnsupportedType reports a msgpack extension type (including the
	// timestamp extension) in the input, or a Go value that has no msgpack
	// form (channel, function, complex number, unsafe pointer).
	ErrUnsupportedType = errors.New("msgpack: unsupported type")

	// ErrInvalidUTF8 reports a str value that is not valid UTF-8. The
	// reference refuses these too.
	ErrInvalidUTF8 = errors.New("msgpack: str is not valid UTF-8")

	// ErrUnhashableKey reports a map used as a map key, directly or inside
	// an array key. Python cannot use a dict as a key, so the reference
	// refuses these.
	ErrUnhashableKey = errors.New("msgpack: map used as a map key")

	// ErrDuplicateKey reports a map holding the same key twice. Keys compare
	// as in Python: nil, bools, integers and floats by numeric value (so
	// true, 1 and 1.0 are equal; NaN equals nothing), str and bin by their
	// bytes, and a str never equals a bin. Array keys are not compared,
	// because the reference does not compare them either.
	ErrDuplicateKey = errors.New("msgpack: duplicate map key")

	// ErrType reports well-formed input that does not fit the value passed
	// to Unmarshal (for example a str decoded into an int field), or an
	// Unmarshal target that is not a non-nil pointer. It wraps the
	// library's error.
	ErrType = errors.New("msgpack: cannot decode into target")
)
