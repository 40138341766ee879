// Package channel holds the byte formats that travel inside link packets for
// channels, buffers and requests, byte for byte as the Python reference
// implementation (RNS 1.4.2: RNS/Channel.py, RNS/Buffer.py and the request
// code in RNS/Link.py) writes them, plus the pure sequence and window
// arithmetic of the reference's Channel.
//
// The codecs and the window arithmetic are pure functions over values.
// [Channel], [Writer] and the reader of [NewReader] are the runtime on top:
// a channel on a live link, with the reference's registered message types,
// ordered handler chain, tx and rx rings and retransmission. Encryption is
// not done here; envelopes are the plaintexts of Token-encrypted link
// packets.
//
// # Channel envelopes
//
// A channel message travels as one link DATA packet with context CHANNEL
// (0x0E). Its plaintext is an envelope:
//
//	msgtype (uint16 BE) || sequence (uint16 BE) || length (uint16 BE) || data
//
// Message types at or above [MsgTypeReserved] (0xF000) are reserved for the
// system; [MsgTypeStream] (0xFF00) is the Buffer stream message. The receiver
// proves every CHANNEL packet with an explicit packet proof, and the sender
// counts those proofs to grow its [Window].
//
// # Buffer stream messages
//
// A Buffer writes its stream as envelopes of type MsgTypeStream whose data is
//
//	header (uint16 BE: bit 15 eof, bit 14 compressed, bits 0-13 stream id) || data
//
// where data is a bzip2 stream when the compressed bit is set. Decoding
// decompresses it with compress/bzip2, refusing more than [MaxChunkLen] bytes
// of output, as the reference does. A [Writer] compresses chunks as the
// reference's RawChannelWriter does (with github.com/dsnet/compress/bzip2,
// through the resource package), so the chunk boundaries and compressed
// flags match the reference's though the compressed bytes differ.
//
// # Requests and responses
//
// A request plaintext is the msgpack array [timestamp float64, path hash
// bin16, data] and a response plaintext is [request id bin16, response]. A
// request that fits the link MDU travels as one REQUEST (0x09) packet and its
// request ID is the truncated hash of that encrypted packet ([PacketRequestID]);
// a larger one is sent as a resource and its ID is the truncated hash of the
// packed request ([ResourceRequestID]), which also appears as "q" in the
// resource advertisement.
//
// # Differences from the reference
//
// An envelope's length field is ignored on decode, as the reference ignores
// it: the data is everything after the header.
//
// The decoders here are stricter than the reference's in ways that no
// reference sender can notice: a compressed stream chunk must
// be exactly one or more complete bzip2 streams with nothing after them (the
// reference decodes only the first stream and ignores what follows it); and a
// request or response must be an array of exactly three or two elements with
// a 16-byte bin path hash or request ID (the reference indexes the array and
// fails later, or never matches, on anything else).
//
// Nothing in this package panics on bytes received from the network. Errors
// are the sentinels in errors.go, tested with errors.Is.
package channel
