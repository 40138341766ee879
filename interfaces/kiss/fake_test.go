package kiss_test

import (
	"bytes"
	"net"
	"sync"
	"time"
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
