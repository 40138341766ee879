package serial_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/mehr-net/mehr/interfaces/framing"
	"github.com/mehr-net/mehr/interfaces/serial"
)

// fakePort serves fixed bytes in chunks, then blocks until closed. It
// records what is written to it.
type fakePort struct {
	mu      sync.Mutex
	data    []byte
	written []byte
	chunk   int
	drained chan struct{}
	closed  chan struct{}
	once    sync.Once
	dOnce   sync.Once
}

func newFakePort(data []byte, chunk int) *fakePort {
	return &fakePort{data: data, chunk: max(chunk, 1), drained: make(chan struct{}), closed: make(chan struct{})}
}

func (p *fakePort) Read(b []byte) (int, error) {
	p.mu.Lock()
	if len(p.data) > 0 {
		n := copy(b[:min(len(b), p.chunk)], p.data)
		p.data = p.data[n:]
		p.mu.Unlock()
		return n, nil
	}
	p.mu.Unlock()
	p.dOnce.Do(func() { close(p.drained) })
	<-p.closed
	return 0, net.ErrClosed
}

func (p *fakePort) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.written = append(p.written, b...)
	return len(b), nil
}

// Written returns what was written so far.
func (p *fakePort) Written() []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	return bytes.Clone(p.written)
}

func (p *fakePort) SetReadTimeout(time.Duration) error { return nil }
func (p *fakePort) Close() error {
	p.once.Do(func() { close(p.closed) })
	return nil
}

// FuzzReceive feeds arbitrary bytes from the device, in chunks, followed
// by one well-formed frame: Receive never panics, delivers only packets of
// 1 to HWMTU bytes, and the last one is the well-formed frame's.
func FuzzReceive(f *testing.F) {
	f.Add([]byte{}, []byte("packet"), uint8(1))
	f.Add([]byte{0x7e, 0x41, 0x7d}, []byte{0x7e, 0x7d, 1}, uint8(3))
	f.Add([]byte{0x7e, 0x7d, 0x01, 0x7e, 0x7e, 0x10, 0x42, 0x7e}, []byte{1, 2, 3}, uint8(7))
	f.Add(bytes.Repeat([]byte{0x7e, 0x55, 0x7d}, 300), bytes.Repeat([]byte{0x7d}, serial.HWMTU), uint8(200))
	f.Fuzz(func(t *testing.T, junk, pkt []byte, chunk uint8) {
		if len(pkt) == 0 || len(pkt) > serial.HWMTU {
			return
		}
		in := framing.AppendHDLC(bytes.Clone(junk), pkt)
		port := newFakePort(in, int(chunk))
		k, err := serial.New(t.Context(), serial.Config{
			Port: serial.PortConfig{Path: "fake"}, Settle: -1,
			Open: func(serial.PortConfig) (serial.Port, error) { return port, nil },
		})
		if err != nil {
			t.Fatal(err)
		}
		var last []byte
		done := make(chan error, 1)
		go func() {
			buf := make([]byte, serial.HWMTU)
			for {
				n, err := k.Receive(buf)
				if err != nil {
					done <- err
					return
				}
				if n < 1 || n > serial.HWMTU {
					done <- nil
					t.Errorf("packet of %d bytes", n)
					return
				}
				last = bytes.Clone(buf[:n])
			}
		}()
		select {
		case <-port.drained:
		case <-time.After(10 * time.Second):
			t.Fatal("input not consumed")
		}
		k.Close()
		<-done
		if !bytes.Equal(last, pkt) {
			t.Fatalf("last packet %x, want %x", last, pkt)
		}
	})
}

// TestOpenCancelled: a context that has ended fails New even when
// opening the port itself takes no time.
func TestOpenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	port := newFakePort(nil, 1)
	_, err := serial.New(ctx, serial.Config{Port: serial.PortConfig{Path: "fake"}, Settle: -1,
		Open: func(serial.PortConfig) (serial.Port, error) { return port, nil }})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("New: %v", err)
	}
	select {
	case <-port.closed:
	default:
		t.Fatal("port left open")
	}
}

// TestConfigureFails: a device that cannot be configured fails OpenLine
// and is closed again.
func TestConfigureFails(t *testing.T) {
	port := newFakePort(nil, 1)
	bad := errors.New("no TNC")
	_, err := serial.OpenLine(t.Context(), serial.LineConfig{Port: serial.PortConfig{Path: "fake"},
		Open:      func(serial.PortConfig) (serial.Port, error) { return port, nil },
		Configure: func(io.Writer) error { return bad }})
	if !errors.Is(err, bad) {
		t.Fatalf("OpenLine: %v", err)
	}
	select {
	case <-port.closed:
	default:
		t.Fatal("port left open")
	}
}
