package local

import (
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mehr-net/mehr/interfaces/framing"
	"github.com/mehr-net/mehr/rns/iface"
)

// readChunk is how much a reader asks the socket for at a time.
const readChunk = 32 << 10

// maxEmptyReads bounds successive reads that return neither bytes nor an
// error, as io.Reader implementations are asked not to do.
const maxEmptyReads = 100

// reader turns an HDLC byte stream into packets. It is used only by the
// goroutine calling Receive.
type reader struct {
	dec  framing.HDLCDecoder
	buf  []byte
	r, w int // unread bytes are buf[r:w]
}

func newReader() *reader {
	return &reader{
		dec: framing.HDLCDecoder{MinFrame: minFrame, MaxFrame: HWMTU},
		buf: make([]byte, readChunk),
	}
}

// reset discards buffered bytes and any partial frame, as after a
// reconnect.
func (rd *reader) reset() {
	rd.r, rd.w = 0, 0
	rd.dec.Reset()
}

// next reads from c until a frame that fits in buf arrives, copies it into
// buf and returns its length. Frames outside the size bounds, and frames
// longer than buf, are dropped and counted in st. It returns the socket's
// error when the stream ends.
func (rd *reader) next(c net.Conn, buf []byte, st *counters) (int, error) {
	empty := 0
	for {
		for rd.r < rd.w {
			n, frame, err := rd.dec.Decode(rd.buf[rd.r:rd.w])
			rd.r += n
			switch {
			case err != nil:
				st.dropped.Add(1)
			case frame != nil:
				if len(frame) > len(buf) {
					st.dropped.Add(1)
					continue
				}
				st.rxPackets.Add(1)
				st.rxBytes.Add(uint64(len(frame)))
				return copy(buf, frame), nil
			}
		}
		rd.r, rd.w = 0, 0
		n, err := c.Read(rd.buf)
		if n > 0 {
			rd.w = n
			empty = 0
			continue
		}
		if err == nil {
			if empty++; empty < maxEmptyReads {
				continue
			}
			err = io.ErrNoProgress
		}
		return 0, err
	}
}

// writer frames packets onto a stream. Send may be called concurrently;
// mu serialises the frames.
type writer struct {
	timeout time.Duration

	mu  sync.Mutex // guards buf
	buf []byte     // scratch frame, reused so that Send does not allocate
}

// write frames pkt and writes it to c within the timeout.
func (wr *writer) write(c net.Conn, pkt []byte, st *counters) error {
	if len(pkt) > HWMTU {
		st.dropped.Add(1)
		return ErrTooLarge
	}
	wr.mu.Lock()
	defer wr.mu.Unlock()
	wr.buf = framing.AppendHDLC(wr.buf[:0], pkt)
	if err := c.SetWriteDeadline(time.Now().Add(wr.timeout)); err != nil {
		return err
	}
	if _, err := c.Write(wr.buf); err != nil {
		return err
	}
	st.txPackets.Add(1)
	st.txBytes.Add(uint64(len(pkt)))
	return nil
}

// counters are an interface's traffic totals, updated atomically.
type counters struct {
	rxPackets, txPackets atomic.Uint64
	rxBytes, txBytes     atomic.Uint64
	dropped              atomic.Uint64
}

func (c *counters) snapshot() iface.Counters {
	return iface.Counters{
		RxPackets: c.rxPackets.Load(), TxPackets: c.txPackets.Load(),
		RxBytes: c.rxBytes.Load(), TxBytes: c.txBytes.Load(),
		Dropped: c.dropped.Load(),
	}
}

// isClosedErr reports whether err comes from using a closed socket.
func isClosedErr(err error) bool { return errors.Is(err, net.ErrClosed) }
