// Package serialtest holds what the tests of the serial-line drivers
// (interfaces/serial, interfaces/kiss) and of mehrd's serial plugins share:
// pseudo-terminals a driver opens as its serial port, with the device side
// held open so the controlling side never reads EIO while the driver has
// the port closed (Linux); a null modem joining two of them; collectors of
// what a driver writes; a fake port serving fixed bytes; RunNodes, two
// nodes talking over a pair of driver interfaces; and small helpers.
package serialtest

import (
	"bytes"
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/mehr-net/mehr/internal/testutil"
)

// LeakCheck fails the test if goroutines it started outlive it and its
// cleanups.
func LeakCheck(t *testing.T) {
	t.Cleanup(testutil.LeakCheck(t))
}

// Received is one Receive result.
type Received struct {
	B   []byte
	Err error
}

// Receiver runs Receive in a goroutine until it fails, handing every
// packet to a channel.
func Receiver(recv func([]byte) (int, error)) (<-chan Received, <-chan struct{}) {
	ch := make(chan Received, 64)
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 1024)
		for {
			n, err := recv(buf)
			ch <- Received{bytes.Clone(buf[:n]), err}
			if err != nil {
				return
			}
		}
	}()
	return ch, done
}

// Next waits at most 10 s for the next Receive result.
func Next(t *testing.T, ch <-chan Received) Received {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("nothing received")
		return Received{}
	}
}

// Timeout is a context that ends after 20 s or with the test.
func Timeout(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// Unhex decodes lowercase hex, failing the test on anything else.
func Unhex(t testing.TB, s string) []byte {
	t.Helper()
	var b []byte
	for i := 0; i+1 < len(s); i += 2 {
		var v byte
		for _, c := range s[i : i+2] {
			switch {
			case c >= '0' && c <= '9':
				v = v<<4 | byte(c-'0')
			case c >= 'a' && c <= 'f':
				v = v<<4 | byte(c-'a'+10)
			default:
				t.Fatalf("bad hex %q", s)
			}
		}
		b = append(b, v)
	}
	return b
}

// FakePort serves fixed bytes in chunks, then blocks until closed. It
// records what is written to it.
type FakePort struct {
	mu      sync.Mutex
	data    []byte
	written []byte
	chunk   int
	drained chan struct{}
	closed  chan struct{}
	once    sync.Once
	dOnce   sync.Once
}

// NewFakePort returns a port that serves data chunk bytes at a time.
func NewFakePort(data []byte, chunk int) *FakePort {
	return &FakePort{data: data, chunk: max(chunk, 1), drained: make(chan struct{}), closed: make(chan struct{})}
}

func (p *FakePort) Read(b []byte) (int, error) {
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

func (p *FakePort) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.written = append(p.written, b...)
	return len(b), nil
}

// Written returns what was written so far.
func (p *FakePort) Written() []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	return bytes.Clone(p.written)
}

func (p *FakePort) SetReadTimeout(time.Duration) error { return nil }
func (p *FakePort) Close() error {
	p.once.Do(func() { close(p.closed) })
	return nil
}

// Drained is closed once every byte of data has been read.
func (p *FakePort) Drained() <-chan struct{} { return p.drained }

// Closed is closed by Close.
func (p *FakePort) Closed() <-chan struct{} { return p.closed }
