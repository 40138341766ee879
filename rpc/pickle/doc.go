// Package pickle decodes and encodes the plain-data subset of Python's
// pickle format: None, bool, int, float, str, bytes, bytearray, list, tuple
// and dict. It exists for the shared-instance RPC channel (package rpc),
// whose peers, Python's multiprocessing.connection, exchange pickles when a
// program calls Connection.send and Connection.recv.
//
// # Decoding
//
// [Decode] reads the binary opcodes of protocols 1 to 5 (protocol 4 is what
// Python 3.8 to 3.13 write by default, and what multiprocessing sends): the
// integer, float, str, bytes and bytearray opcodes, lists, tuples and dicts
// with their MARK forms, the memo (PUT, GET, MEMOIZE), POP, DUP and FRAME.
// It returns the same generic values as rns/msgpack.Decode:
//
//   - nil, bool, int64 (uint64 for values above math.MaxInt64), float64,
//     string for str, []byte for bytes and bytearray;
//   - []any for a list, [Tuple] for a tuple, and msgpack.Map for a dict,
//     with the entries in the dict's insertion order.
//
// Classes and functions are what make unpickling untrusted data dangerous
// in Python. Decode never looks one up: the only globals it accepts are the
// three that Python's own protocol-2 pickles use to spell bytes and
// bytearray (_codecs.encode, bytes and bytearray, under either builtins or
// __builtin__), and only in the exact REDUCE calls Python writes with them.
// Everything else (objects, sets, persistent ids, extensions, out-of-band
// buffers, the text opcodes of protocols 0 and 1) is refused with
// [ErrUnsupported].
//
// Decode never panics, whatever the input. Declared lengths are checked
// against the rest of the input before anything is allocated, and the
// decoder allocates at most a few hundred bytes per input byte: a memo that
// makes one object appear many times (Python allows a list to contain
// itself, or a tuple of the same tuple twice, forty levels deep) is
// expanded against a budget proportional to the input size and refused
// with [ErrTooLarge] beyond it, and nesting deeper than [MaxDepth] with
// [ErrTooDeep]. Values that appear several times in the input may share
// their backing arrays in the result.
//
// Like Python, Decode stops at the STOP opcode and ignores any bytes after
// it, and merges dict keys that compare equal in Python (1, 1.0 and True
// are one key; the first key is kept with the last value). It is stricter
// than Python in a few places that no Python pickler produces: str must be
// valid UTF-8 (Python accepts lone surrogates), integers must fit in 64
// bits, and frame boundaries are not enforced.
//
// # Encoding
//
// [Encode] writes protocol 3, which every Python 3 reads, using the opcodes
// Python's own pickler uses for the same values but without memo entries.
// It accepts the values Decode returns, Go's integer, float, string and
// bool types, byte slices and arrays (as bytes), other slices and arrays
// (as lists) and maps with string keys (as dicts, sorted by key).
package pickle
