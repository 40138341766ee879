package channel

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"sync"

	"github.com/mehr-net/mehr/rns/link/resource"
	"github.com/mehr-net/mehr/rns/wire"
)

// Writer tuning of the reference (RNS.Buffer.RawChannelWriter).
const (
	// CompressionTries bounds the compression attempts of one chunk
	// (COMPRESSION_TRIES): the writer tries the whole chunk, then a half,
	// then a third.
	CompressionTries = 4

	// compressMinLen is the chunk length at or below which the writer
	// does not try to compress (the reference's "chunk_len > 32").
	compressMinLen = 32

	// incompressibleProbe is how much of a chunk's head the writer
	// examines to decide that compressing it is pointless.
	incompressibleProbe = 4096

	// MaxStreamData is the most stream data one message carries on a link
	// of the default MTU (StreamDataMessage.MAX_DATA_LEN: RNS.Link.MDU −
	// OVERHEAD = 423).
	MaxStreamData = wire.LinkMDU - StreamOverhead
)

// SendStream sends m, a stream message, as one channel message exactly as
// given: when m.Compressed is set, m.Data must already be bzip2. Writer
// uses it; it lets tools send crafted stream messages too. It blocks for
// the window as Send does.
func (c *Channel) SendStream(m *StreamMessage) (*Outgoing, error) {
	b, err := m.Append(make([]byte, 0, StreamHeaderLen+len(m.Data)))
	if err != nil {
		return nil, err
	}
	return c.send(MsgTypeStream, b)
}

// Writer writes one stream of a channel (RNS.Buffer.RawChannelWriter).
type Writer struct {
	c      *Channel
	id     uint16
	mu     sync.Mutex
	closed bool
}

// NewWriter returns a writer of stream streamID (0 to StreamIDMax) on c.
// Write sends the data as stream messages, bzip2-compressed where that
// helps, blocking while the channel window is full; Close sends an empty
// message with the EOF flag.
func NewWriter(c *Channel, streamID uint16) *Writer {
	return &Writer{c: c, id: streamID}
}

// Chunk describes one stream message a Writer sent.
type Chunk struct {
	Consumed   int  // bytes of the caller's data it carries
	Len        int  // bytes of data in the message (compressed or not)
	Compressed bool // the data is bzip2
	EOF        bool
	Msg        *Outgoing
}

// WriteChunk sends one stream message carrying a prefix of p, as one call
// of the reference's RawChannelWriter.write: of at most MaxChunkLen bytes
// of p it tries to compress all, then half, then a third, and sends the
// first attempt that is shorter than its input and fits a message;
// otherwise it sends as much of p uncompressed as fits. eof sets the EOF
// flag on the message. Chunk.Consumed says how much of p was sent.
func (w *Writer) WriteChunk(p []byte, eof bool) (Chunk, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return Chunk{}, ErrClosed
	}
	return w.chunkLocked(p, eof)
}

func (w *Writer) chunkLocked(p []byte, eof bool) (Chunk, error) {
	if w.id > StreamIDMax {
		return Chunk{}, fmt.Errorf("%w: %d", ErrStreamID, w.id)
	}
	maxData := min(MaxStreamData, w.c.MDU()-StreamHeaderLen)
	if maxData <= 0 {
		return Chunk{}, ErrMessageTooLarge
	}
	p = p[:min(len(p), MaxChunkLen)]
	m := StreamMessage{StreamID: w.id, EOF: eof}
	consumed := 0
	// Every attempt compresses at least the first len(p)/3 bytes; if those
	// look random, no attempt can come out under maxData.
	if len(p) > compressMinLen && !incompressible(p[:min(len(p)/(CompressionTries-1), incompressibleProbe)]) {
		for try := 1; try < CompressionTries; try++ {
			seg := len(p) / try
			z, err := resource.Compress(p[:seg])
			if err == nil && len(z) < maxData && len(z) < seg {
				m.Data, m.Compressed, consumed = z, true, seg
				break
			}
		}
	}
	if !m.Compressed {
		m.Data = p[:min(len(p), maxData)]
		consumed = len(m.Data)
	}
	o, err := w.c.SendStream(&m)
	if err != nil {
		return Chunk{}, err
	}
	return Chunk{Consumed: consumed, Len: len(m.Data), Compressed: m.Compressed, EOF: eof, Msg: o}, nil
}

// Write sends all of p as stream messages, one WriteChunk after another.
// Write after Close fails with ErrClosed.
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return 0, ErrClosed
	}
	n := 0
	for n < len(p) {
		ch, err := w.chunkLocked(p[n:], false)
		if err != nil {
			return n, err
		}
		n += ch.Consumed
	}
	return n, nil
}

// Close sends an empty message with the EOF flag. Later Writes fail with
// ErrClosed; a second Close does nothing.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil
	}
	w.closed = true
	_, err := w.chunkLocked(nil, true)
	return err
}

// incompressible reports whether bzip2 clearly cannot shrink p: p is at
// least 1 KiB, its bytes are near-uniform (byte entropy within sampling
// noise of 8 bits) and almost none of its 8-byte windows repeat. bzip2
// cannot turn a segment that holds such a p into fewer than MaxStreamData
// bytes. The reference compresses such chunks up to three times only to
// send them uncompressed; skipping that keeps a random megabyte from
// costing over 70 MB of bzip2 work, and changes nothing on the wire.
func incompressible(p []byte) bool {
	if len(p) < 1024 {
		return false
	}
	var hist [256]int
	for _, b := range p {
		hist[b]++
	}
	n := float64(len(p))
	h := 0.0
	for _, k := range hist {
		if k > 0 {
			q := float64(k) / n
			h -= q * math.Log2(q)
		}
	}
	// Byte entropy of a uniform sample of n bytes falls short of 8 bits by
	// about 255/(2 n ln 2); allow that, and a little more.
	if h < 8-255/(2*n*math.Ln2)-0.02 {
		return false
	}
	var seen [1 << 12]int32
	repeats := 0
	for j := 0; j+8 <= len(p); j++ {
		w := binary.LittleEndian.Uint64(p[j:])
		x := (w * 0x9E3779B97F4A7C15) >> 52
		if s := seen[x]; s > 0 && string(p[s-1:s-1+8]) == string(p[j:j+8]) {
			repeats++
		}
		seen[x] = int32(j + 1)
	}
	return repeats*64 < len(p)
}

// NewReader returns a reader of stream streamID on c
// (RNS.Buffer.RawChannelReader), replacing any earlier reader of that
// stream. It registers the stream message type on c and joins the handler
// chain, taking the messages of its stream. Stream data that arrives
// before NewReader is called is dropped, so create the reader before the
// peer starts writing. Read blocks until data arrives and returns io.EOF
// after the peer's EOF; if the channel stops first it returns ErrClosed.
// Received data is buffered without limit until read.
func NewReader(c *Channel, streamID uint16) io.Reader {
	r := &reader{id: streamID}
	r.cond = sync.NewCond(&r.mu)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		r.err = c.err
		return r
	}
	c.types[MsgTypeStream] = true
	if old := c.streams[streamID]; old != nil {
		c.removeLocked(old.entry)
	}
	c.streams[streamID] = r
	r.entry = &handlerEntry{fn: r.handle}
	c.handlers = append(c.handlers, r.entry)
	return r
}

type reader struct {
	id    uint16
	entry *handlerEntry
	mu    sync.Mutex
	cond  *sync.Cond
	buf   []byte
	eof   bool
	err   error
}

// handle takes the stream messages of r's stream (_handle_message).
func (r *reader) handle(m *Message) bool {
	if m.Stream == nil || m.Stream.StreamID != r.id {
		return false
	}
	r.push(m.Stream.Data, m.Stream.EOF, nil)
	return true
}

// push appends data, and records EOF or a terminal error.
func (r *reader) push(data []byte, eof bool, err error) {
	r.mu.Lock()
	r.buf = append(r.buf, data...)
	if eof {
		r.eof = true
	}
	if err != nil && r.err == nil && !r.eof {
		r.err = err
	}
	r.mu.Unlock()
	r.cond.Broadcast()
}

func (r *reader) Read(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for len(r.buf) == 0 && !r.eof && r.err == nil {
		r.cond.Wait()
	}
	if len(r.buf) > 0 {
		n := copy(p, r.buf)
		r.buf = r.buf[n:]
		if len(r.buf) == 0 {
			r.buf = nil
		}
		return n, nil
	}
	if r.eof {
		return 0, io.EOF
	}
	return 0, r.err
}
