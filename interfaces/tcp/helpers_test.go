package tcp_test

import (
	"bytes"
	"context"
	"math/rand/v2"
	"net"
	"testing"
	"time"

	"github.com/mehr-net/mehr/interfaces/tcp"
	"github.com/mehr-net/mehr/rns/iface"
)

// wait bounds every blocking step of a test.
const wait = 10 * time.Second

func ctxWithin(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	t.Cleanup(cancel)
	return ctx
}

// listen starts a server on a loopback port the kernel chooses.
func listen(t *testing.T, cfg tcp.Config) *tcp.Server {
	t.Helper()
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	if cfg.Name == "" {
		cfg.Name = "srv"
	}
	s, err := tcp.Listen(ctxWithin(t), cfg)
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	return s
}

// dial connects a client to s. Fast reconnects keep tests short.
func dial(t *testing.T, s *tcp.Server, cfg tcp.Config) *tcp.Client {
	t.Helper()
	cfg.Addr = s.Addr().String()
	if cfg.Name == "" {
		cfg.Name = "cli"
	}
	if cfg.ReconnectMin == 0 {
		cfg.ReconnectMin, cfg.ReconnectMax = 5*time.Millisecond, 50*time.Millisecond
	}
	c, err := tcp.NewClient(ctxWithin(t), cfg)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return c
}

// accept waits a bounded time for s to accept a connection.
func accept(t *testing.T, s *tcp.Server) *tcp.Client {
	t.Helper()
	type res struct {
		i   iface.Interface
		err error
	}
	ch := make(chan res, 1)
	go func() {
		i, err := s.Accept()
		ch <- res{i, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			t.Fatalf("Accept: %v", r.err)
		}
		return r.i.(*tcp.Client)
	case <-time.After(wait):
		s.Close()
		<-ch
		t.Fatal("Accept timed out")
		return nil
	}
}

// pair returns a connected client and the server's interface for it.
// The caller closes all three.
func pair(t *testing.T, cfg tcp.Config) (*tcp.Server, *tcp.Client, *tcp.Client) {
	t.Helper()
	s := listen(t, cfg)
	c := dial(t, s, cfg)
	return s, c, accept(t, s)
}

// receiver runs an interface's Receive loop on its own goroutine and
// hands the packets over a channel.
type receiver struct {
	i    iface.Interface
	pkts chan []byte
	errc chan error
	stop chan struct{}
	done chan struct{}
}

func startReceiver(i iface.Interface, bufLen int) *receiver {
	r := &receiver{
		i: i, pkts: make(chan []byte, 256), errc: make(chan error, 1),
		stop: make(chan struct{}), done: make(chan struct{}),
	}
	go func() {
		defer close(r.done)
		buf := make([]byte, bufLen)
		for {
			n, err := i.Receive(buf)
			if err != nil {
				r.errc <- err
				return
			}
			select {
			case r.pkts <- bytes.Clone(buf[:n]):
			case <-r.stop:
				return
			}
		}
	}()
	return r
}

// next returns the next packet, failing the test after a bounded wait.
func (r *receiver) next(t *testing.T) []byte {
	t.Helper()
	select {
	case p := <-r.pkts:
		return p
	case err := <-r.errc:
		t.Fatalf("%s: Receive: %v", r.i.Name(), err)
	case <-time.After(wait):
		t.Fatalf("%s: no packet within %v", r.i.Name(), wait)
	}
	return nil
}

// err waits for Receive to fail and returns the error.
func (r *receiver) err(t *testing.T) error {
	t.Helper()
	select {
	case err := <-r.errc:
		return err
	case p := <-r.pkts:
		t.Fatalf("%s: unexpected packet of %d bytes", r.i.Name(), len(p))
	case <-time.After(wait):
		t.Fatalf("%s: Receive did not return within %v", r.i.Name(), wait)
	}
	return nil
}

// shutdown closes the interface and waits for the loop to end.
func (r *receiver) shutdown(t *testing.T) {
	t.Helper()
	close(r.stop)
	r.i.Close()
	select {
	case <-r.done:
	case <-time.After(wait):
		t.Errorf("%s: receive loop did not end", r.i.Name())
	}
}

// packet returns n bytes rich in the framing bytes of HDLC and KISS, so
// that every packet exercises escaping.
func packet(rng *rand.Rand, n int) []byte {
	special := []byte{0x7E, 0x7D, 0xC0, 0xDB, 0xDC, 0xDD, 0x5E, 0x5D}
	p := make([]byte, n)
	for i := range p {
		if rng.IntN(4) == 0 {
			p[i] = special[rng.IntN(len(special))]
		} else {
			p[i] = byte(rng.Uint32())
		}
	}
	return p
}

// sizes returns packet sizes from 1 to max: all of the small ones, a
// stride through the rest, and the edges.
func sizes(max int) []int {
	var s []int
	for n := 1; n <= 300 && n <= max; n++ {
		s = append(s, n)
	}
	for n := 301; n < max-1; n += 97 {
		s = append(s, n)
	}
	return append(s, max-1, max)
}

// freePort returns a loopback address nothing listens on.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// rawConn connects a plain TCP socket to s, playing a peer that writes
// and reads bytes directly.
func rawConn(t *testing.T, s *tcp.Server) *net.TCPConn {
	t.Helper()
	conn, err := net.DialTimeout("tcp", s.Addr().String(), wait)
	if err != nil {
		t.Fatal(err)
	}
	return conn.(*net.TCPConn)
}
