package channel

import "errors"

// Sentinel errors. Decoders wrap them with details; test with errors.Is.
var (
	// ErrEnvelopeShort reports an envelope shorter than its 6-byte header.
	ErrEnvelopeShort = errors.New("channel: envelope shorter than its header")

	// ErrEnvelopeTooLong reports, when encoding, envelope data longer than
	// the 16-bit length field can describe.
	ErrEnvelopeTooLong = errors.New("channel: envelope data longer than 65535 bytes")

	// ErrStreamShort reports a stream message shorter than its 2-byte
	// header.
	ErrStreamShort = errors.New("channel: stream message shorter than its header")

	// ErrStreamID reports, when encoding, a stream ID above StreamIDMax.
	ErrStreamID = errors.New("channel: stream id above 16383")

	// ErrStreamCompressed reports a compressed stream message whose data is
	// not a complete, valid bzip2 stream.
	ErrStreamCompressed = errors.New("channel: stream data is not valid bzip2")

	// ErrStreamTooLarge reports a compressed stream message that
	// decompresses to more than MaxChunkLen bytes.
	ErrStreamTooLarge = errors.New("channel: decompressed stream data exceeds the chunk limit")

	// ErrRequestFormat reports a request or response plaintext that is not
	// valid msgpack or not an array of the right length.
	ErrRequestFormat = errors.New("channel: malformed request or response")

	// ErrRequestTimestamp reports a request whose timestamp is not a number.
	ErrRequestTimestamp = errors.New("channel: request timestamp is not a number")

	// ErrRequestHash reports a request path hash or response request ID
	// that is not a 16-byte bin value.
	ErrRequestHash = errors.New("channel: request hash is not 16 bytes of bin")
)
