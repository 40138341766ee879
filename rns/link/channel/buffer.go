package channel

import (
	"fmt"
	"io"
	"sync"
)

// NewWriter returns a writer of stream streamID (0 to StreamIDMax) on c
// (RNS.Buffer.RawChannelWriter). Write sends the data as stream messages of
// at most MDU − StreamOverhead bytes each, uncompressed, blocking while the
// channel window is full; Close sends an empty message with the EOF flag.
// Write after Close fails with ErrClosed.
func NewWriter(c *Channel, streamID uint16) io.WriteCloser {
	return &writer{c: c, id: streamID}
}

type writer struct {
	c      *Channel
	id     uint16
	mu     sync.Mutex
	closed bool
}

func (w *writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return 0, ErrClosed
	}
	if w.id > StreamIDMax {
		return 0, fmt.Errorf("%w: %d", ErrStreamID, w.id)
	}
	n := 0
	for n < len(p) {
		size := min(len(p)-n, w.c.MDU()-StreamOverhead, MaxChunkLen)
		if size <= 0 {
			return n, ErrMessageTooLarge
		}
		if err := w.chunk(p[n:n+size], false); err != nil {
			return n, err
		}
		n += size
	}
	return n, nil
}

func (w *writer) chunk(data []byte, eof bool) error {
	m := StreamMessage{StreamID: w.id, EOF: eof, Data: data}
	b, err := m.Append(make([]byte, 0, StreamHeaderLen+len(data)))
	if err != nil {
		return err
	}
	return w.c.send(MsgTypeStream, b)
}

func (w *writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil
	}
	w.closed = true
	return w.chunk(nil, true)
}

// NewReader returns a reader of stream streamID on c
// (RNS.Buffer.RawChannelReader), replacing any earlier reader of that
// stream. Stream data that arrives before NewReader is called is dropped,
// so create the reader before the peer starts writing. Read blocks until
// data arrives and returns io.EOF after the peer's EOF; if the channel
// stops first it returns ErrClosed. Received data is buffered without
// limit until read.
func NewReader(c *Channel, streamID uint16) io.Reader {
	r := &reader{}
	r.cond = sync.NewCond(&r.mu)
	c.mu.Lock()
	if c.err != nil {
		r.err = c.err
	} else {
		c.streams[streamID] = r
	}
	c.mu.Unlock()
	return r
}

type reader struct {
	mu   sync.Mutex
	cond *sync.Cond
	buf  []byte
	eof  bool
	err  error
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
