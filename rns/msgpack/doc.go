// Package msgpack encodes and decodes MessagePack the way the Python
// reference implementation of Reticulum (RNS 1.4.2, through its bundled
// umsgpack) does, so that a Go node produces and accepts the same bytes for
// link requests and responses, resource advertisements, resource metadata,
// RTT measurements and the other control-plane structures the reference
// serialises with msgpack.
//
// It is built on github.com/vmihailenco/msgpack/v5: every byte is written
// and read by that library's Encoder and Decoder, configured and driven so
// that the output follows the reference's rules.
//
// # Encoding rules
//
// [Marshal] writes:
//
//   - nil (an untyped nil, a nil pointer, a nil slice or a nil map) as nil,
//     bool as true/false;
//   - every Go integer type in the smallest form the reference uses:
//     positive fixint, then uint8, uint16, uint32, uint64 for values >= 0;
//     negative fixint, then int8, int16, int32, int64 for values < 0;
//   - float32 and float64 always as a 64-bit float (float32 is widened;
//     floats are never compacted into integers or 32-bit floats);
//   - string as a str type (fixstr, str8, str16, str32) and []byte or [N]byte
//     as a bin type (bin8, bin16, bin32), never the other way round, so an
//     empty []byte{} is an empty bin while a nil []byte is nil;
//   - slices and arrays as msgpack arrays;
//   - a [Map] as a msgpack map whose entries appear in the Map's order.
//     Python dicts keep insertion order and the reference packs them in that
//     order, so a Map is how a Go sender reproduces the reference's bytes
//     (a resource advertisement, for example, packs its keys in the order
//     t, d, n, h, r, o, i, l, q, f, m). Go maps have no order; their entries
//     are written sorted by the bytes of their encoded keys, which makes the
//     output deterministic but generally not the reference's.
//
// Structs, and types that implement the library's CustomEncoder or
// Marshaler (or encoding.BinaryMarshaler / TextMarshaler), are handed to the
// library's own encoder with compact integers turned on. Inside such a
// value the library's rules apply: a float32 field stays a 32-bit float and
// a Go map inside it is written in sorted or random order. Use float64 and
// Map there when exact reference bytes matter.
//
// # Decoding
//
// [Decode] returns generic values: nil, bool, int64 (uint64 only for values
// above math.MaxInt64), float64, string for str, []byte for bin, []any for
// arrays and [Map] for maps, so the key order of a received map is kept.
// [Unmarshal] decodes into a typed Go value with the library's decoder
// (struct fields by their msgpack tags or names); a *any target gets the
// same result as Decode, and maps decoded into interface-typed fields
// become a Map.
//
// Both first check the whole input in one pass that allocates nothing
// (except a set of keys for maps of more than 16 entries) and reject, with
// the sentinel errors in errors.go:
//
//   - input that ends inside a value, including any declared length or
//     element count larger than what is left of the input ([ErrTruncated]),
//     so a few hostile bytes cannot make the decoder allocate for a huge
//     declared size: Decode allocates at most a few dozen bytes per input
//     byte, Unmarshal at most one element of the target type per input
//     byte;
//   - bytes after the value ([ErrTrailingData]);
//   - arrays and maps nested more than [MaxDepth] deep ([ErrTooDeep]);
//   - the reserved type byte 0xc1 ([ErrInvalidCode]) and the extension
//     types, including timestamps ([ErrUnsupportedType]);
//   - str values that are not valid UTF-8 ([ErrInvalidUTF8]);
//   - maps with a map as a key ([ErrUnhashableKey]) or the same key twice
//     ([ErrDuplicateKey]), where, as in Python, 1, 1.0 and true are the same
//     key while "a" and b"a" are not.
//
// Nothing in this package panics on bytes received from the network, and
// all functions are safe for concurrent use.
//
// # Differences from the reference decoder
//
// The reference accepts some input that is refused here, none of which it
// produces itself: bytes after the value (umsgpack ignores them),
// extension types (it returns them as Ext or datetime objects), and
// nesting beyond [MaxDepth]. One case is accepted by both but represented
// differently: a map with two equal array keys (a tuple key in Python) is
// not refused by the reference, which keeps the last value, while Decode
// keeps both entries in the Map.
//
// A time.Time passed to Marshal is written by the library as a timestamp
// extension, which the reference decodes but this package refuses.
//
// # Where it is used
//
// msgpack is for the control plane only: requests, responses, resource
// advertisements and metadata, all of which are handled once per exchange
// and may allocate. It uses reflection and allocates freely, so it must stay
// off the packet hot path; STYLE.md bans msgpack from rns/wire and
// rns/transport.
package msgpack
