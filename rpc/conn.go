package rpc

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"time"
)

// Conn is one connection of Python's multiprocessing.connection protocol
// over a stream socket: messages are byte strings, each preceded by its
// length as a 4-byte big-endian signed integer, or by -1 and an 8-byte
// big-endian length for messages of 2 GiB and more.
type Conn struct {
	c net.Conn
}

// NewConn wraps an established stream connection. It performs no
// handshake; see Dial and Server for the authenticated forms.
func NewConn(c net.Conn) *Conn { return &Conn{c: c} }

// ErrMessageTooLarge is returned by RecvBytes for a message longer than
// its limit. Python's recv_bytes(maxlength) refuses such messages too and
// closes the connection; the message is not read.
var ErrMessageTooLarge = errors.New("rpc: message exceeds the length limit")

// SendBytes writes one message (Python's Connection.send_bytes).
func (c *Conn) SendBytes(b []byte) error {
	var hdr []byte
	if uint64(len(b)) > math.MaxInt32 {
		hdr = binary.BigEndian.AppendUint32(nil, math.MaxUint32) // -1
		hdr = binary.BigEndian.AppendUint64(hdr, uint64(len(b)))
	} else {
		hdr = binary.BigEndian.AppendUint32(nil, uint32(len(b)))
	}
	bufs := net.Buffers{hdr, b}
	_, err := bufs.WriteTo(c.c)
	return err
}

// RecvBytes reads one message of at most max bytes (Python's
// Connection.recv_bytes(maxlength)). It returns io.EOF if the peer closed
// the connection before a message began, and ErrMessageTooLarge, without
// reading the body, for a longer message.
func (c *Conn) RecvBytes(max int) ([]byte, error) {
	var hdr [8]byte
	if _, err := io.ReadFull(c.c, hdr[:4]); err != nil {
		return nil, err
	}
	size := int64(int32(binary.BigEndian.Uint32(hdr[:4])))
	if size == -1 {
		if _, err := io.ReadFull(c.c, hdr[:8]); err != nil {
			return nil, unexpected(err)
		}
		u := binary.BigEndian.Uint64(hdr[:8])
		if u > math.MaxInt64 {
			return nil, fmt.Errorf("%w: %d bytes", ErrMessageTooLarge, u)
		}
		size = int64(u)
	}
	if size < 0 {
		return nil, fmt.Errorf("rpc: negative message length %d", size)
	}
	if size > int64(max) {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrMessageTooLarge, size, max)
	}
	b := make([]byte, size)
	if _, err := io.ReadFull(c.c, b); err != nil {
		return nil, unexpected(err)
	}
	return b, nil
}

func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// SetDeadline sets the read and write deadline of the underlying
// connection.
func (c *Conn) SetDeadline(t time.Time) error { return c.c.SetDeadline(t) }

// Close closes the connection.
func (c *Conn) Close() error { return c.c.Close() }
