package channel

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/mehr-net/mehr/rns/internal/bzip2"
)

// Stream message layout (RNS.Buffer.StreamDataMessage).
const (
	// StreamHeaderLen is the size of the stream message header.
	StreamHeaderLen = 2

	// StreamIDMax is the largest stream ID (StreamDataMessage.STREAM_ID_MAX):
	// the ID has 14 bits.
	StreamIDMax = 0x3FFF

	// MaxChunkLen is the most data a stream message may decompress to
	// (RNS.Buffer.RawChannelWriter.MAX_CHUNK_LEN); it is also the largest
	// chunk the reference's writer compresses at once.
	MaxChunkLen = 16 * 1024

	// StreamOverhead is what a stream message adds to its data inside an
	// envelope: the stream header plus the envelope header
	// (StreamDataMessage.OVERHEAD).
	StreamOverhead = StreamHeaderLen + EnvelopeHeaderLen

	streamEOF        = 0x8000 // header bit: end of stream
	streamCompressed = 0x4000 // header bit: data is a bzip2 stream
)

// StreamMessage is one chunk of a Buffer stream: the data of an envelope of
// type MsgTypeStream.
type StreamMessage struct {
	StreamID   uint16 // 0 to StreamIDMax
	EOF        bool   // the sender closed the stream after this chunk
	Compressed bool   // the data on the wire is bzip2-compressed
	Data       []byte // see Append and Decode
}

// Append appends the encoded stream message to dst and returns the extended
// slice. Data is written as given: when Compressed is set it must already
// be a bzip2 stream. It fails with ErrStreamID if StreamID is above
// StreamIDMax.
func (m *StreamMessage) Append(dst []byte) ([]byte, error) {
	if m.StreamID > StreamIDMax {
		return dst, fmt.Errorf("%w: %d", ErrStreamID, m.StreamID)
	}
	h := m.StreamID
	if m.EOF {
		h |= streamEOF
	}
	if m.Compressed {
		h |= streamCompressed
	}
	dst = binary.BigEndian.AppendUint16(dst, h)
	return append(dst, m.Data...), nil
}

// Decode parses b as a stream message. When the compressed bit is clear,
// Data aliases b and nothing is allocated. When it is set, Compressed is
// true and Data is the decompressed data in a new slice; Decode fails with
// ErrStreamCompressed if the data is not complete, valid bzip2 and with
// ErrStreamTooLarge if it decompresses to more than MaxChunkLen bytes. An
// empty compressed message is refused, as the reference refuses it. Decode
// fails with ErrStreamShort if b is shorter than the header. On error m is
// left unchanged.
//
// Decompression allocates the bzip2 block buffer named in the stream header,
// up to about 4 MB for the 900k block size, whatever the output size.
func (m *StreamMessage) Decode(b []byte) error {
	if len(b) < StreamHeaderLen {
		return ErrStreamShort
	}
	h := binary.BigEndian.Uint16(b)
	data := b[StreamHeaderLen:]
	compressed := h&streamCompressed != 0
	if compressed {
		var err error
		if data, err = Decompress(data); err != nil {
			return err
		}
	}
	m.StreamID = h & StreamIDMax
	m.EOF = h&streamEOF != 0
	m.Compressed = compressed
	m.Data = data
	return nil
}

// Decompress returns the bzip2-decompressed form of data in a new slice, as
// a stream message receiver does (StreamDataMessage.unpack). It fails with
// ErrStreamTooLarge if the output would exceed MaxChunkLen bytes and with
// ErrStreamCompressed if data is empty, truncated, corrupt or followed by
// anything but another complete bzip2 stream.
func Decompress(data []byte) ([]byte, error) {
	out, err := bzip2.Decode([]byte{}, data, MaxChunkLen)
	switch {
	case errors.Is(err, bzip2.ErrLimit):
		return nil, ErrStreamTooLarge
	case err != nil:
		return nil, fmt.Errorf("%w: %w", ErrStreamCompressed, err)
	}
	return out, nil
}
