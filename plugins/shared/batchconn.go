package shared

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"time"

	pb "github.com/mehr-net/mehr/plugins/proto"
)

// DataFDEnv names the environment variable through which the host tells
// a plugin the file descriptor of its end of the packet channel: a Unix
// stream socket pair, created per process and inherited by the plugin.
const DataFDEnv = "MEHR_PLUGIN_DATA_FD"

// DataFD is the descriptor the host passes (the first of exec.Cmd's
// ExtraFiles).
const DataFD = 3

// DataConn returns the plugin's end of the packet channel, as the host
// announced it in the environment.
func DataConn() (net.Conn, error) {
	v := os.Getenv(DataFDEnv)
	if v == "" {
		return nil, fmt.Errorf("plugin: no packet channel (%s unset); mehrd of plugin protocol %d starts plugins with one", DataFDEnv, ProtocolVersion)
	}
	fd, err := strconv.Atoi(v)
	if err != nil || fd < 3 {
		return nil, fmt.Errorf("plugin: bad %s %q", DataFDEnv, v)
	}
	f := os.NewFile(uintptr(fd), "packet-channel")
	if f == nil {
		return nil, fmt.Errorf("plugin: descriptor %d is not open", fd)
	}
	defer f.Close() // FileConn dups it
	c, err := net.FileConn(f)
	if err != nil {
		return nil, fmt.Errorf("plugin: packet channel: %w", err)
	}
	return c, nil
}

// batchHeader is the length of a batch frame's fixed header: the number
// of packets and the number of data bytes, as big-endian uint32s.
const batchHeader = 8

// BatchConn carries batches of packets over a byte stream, the packet
// channel between host and plugin. A batch travels as one frame: the
// header (packet count, data length), the packet sizes as big-endian
// uint32s, then the packets' bytes back to back. Send writes a frame with
// one writev; Recv reads one. A frame whose header exceeds the limits
// ends the stream: its length cannot be trusted to find the next frame.
//
// One goroutine may Send while another Recvs.
type BatchConn struct {
	c          net.Conn
	r          *bufio.Reader
	maxBytes   int
	maxPackets int
	hdr        []byte      // Send's header and sizes
	bufs       net.Buffers // Send's scatter list
	in         pb.Batch    // Recv's reused batch
}

// NewBatchConn wraps c with the protocol's batch limits.
func NewBatchConn(c net.Conn, maxBytes, maxPackets int) *BatchConn {
	return &BatchConn{c: c, r: bufio.NewReaderSize(c, 64<<10), maxBytes: maxBytes, maxPackets: maxPackets}
}

// Send writes one batch.
func (b *BatchConn) Send(bt *pb.Batch) error {
	h := b.hdr[:0]
	h = binary.BigEndian.AppendUint32(h, uint32(len(bt.Sizes)))
	h = binary.BigEndian.AppendUint32(h, uint32(len(bt.Data)))
	for _, s := range bt.Sizes {
		h = binary.BigEndian.AppendUint32(h, s)
	}
	b.hdr = h
	b.bufs = append(b.bufs[:0], h, bt.Data)
	bufs := b.bufs // WriteTo consumes the slice header
	_, err := bufs.WriteTo(b.c)
	return err
}

// Recv reads the next batch. The batch and its buffers are reused by the
// next Recv. Whether the sizes add up to the data is for the caller to
// check (Check); a header beyond the limits is an error that ends the
// stream ([ErrMalformedBatch]).
func (b *BatchConn) Recv() (*pb.Batch, error) {
	var h [batchHeader]byte
	if _, err := io.ReadFull(b.r, h[:]); err != nil {
		return nil, err
	}
	n, size := binary.BigEndian.Uint32(h[:4]), binary.BigEndian.Uint32(h[4:])
	if int64(n) > int64(b.maxPackets) || int64(size) > int64(b.maxBytes) {
		return nil, fmt.Errorf("%w: frame of %d packets, %d bytes", ErrMalformedBatch, n, size)
	}
	bt := &b.in
	bt.Sizes = bt.Sizes[:0]
	var s [4]byte
	for range n {
		if _, err := io.ReadFull(b.r, s[:]); err != nil {
			return nil, unexpected(err)
		}
		bt.Sizes = append(bt.Sizes, binary.BigEndian.Uint32(s[:]))
	}
	if cap(bt.Data) < int(size) {
		bt.Data = make([]byte, size)
	}
	bt.Data = bt.Data[:size]
	if _, err := io.ReadFull(b.r, bt.Data); err != nil {
		return nil, unexpected(err)
	}
	return bt, nil
}

func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// SetWriteDeadline sets the underlying connection's write deadline.
func (b *BatchConn) SetWriteDeadline(t time.Time) error { return b.c.SetWriteDeadline(t) }

// Close closes the underlying connection, which ends a Recv in progress.
func (b *BatchConn) Close() error { return b.c.Close() }
