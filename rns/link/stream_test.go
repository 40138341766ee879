package link_test

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"hash"
	"io"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/mehr-net/mehr/internal/testutil"
	"github.com/mehr-net/mehr/rns/link"
	"github.com/mehr-net/mehr/rns/wire"
)

// hashSink is a resource sink that hashes what it gets without keeping it.
type hashSink struct {
	mu       sync.Mutex
	h        hash.Hash
	n        int64
	writes   int
	failAt   int // fail the write with this number (from 1); 0 never
	closed   int
	closeErr error // CloseWithError's argument
	done     chan struct{}
}

func newHashSink() *hashSink { return &hashSink{h: sha256.New(), done: make(chan struct{})} }

func (s *hashSink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes++
	if s.writes == s.failAt {
		return 0, errors.New("disk full")
	}
	s.n += int64(len(p))
	return s.h.Write(p)
}

func (s *hashSink) Close() error { return s.CloseWithError(nil) }

func (s *hashSink) CloseWithError(err error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed++
	s.closeErr = err
	if s.closed == 1 {
		close(s.done)
	}
	return nil
}

func (s *hashSink) sum() (n int64, sum [32]byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	copy(sum[:], s.h.Sum(nil))
	return s.n, sum
}

// TestResourceSink streams a segmented resource with metadata into a sink
// from a reader.
func TestResourceSink(t *testing.T) {
	defer testutil.LeakCheck(t)()
	a, b, stop := memPair(t)
	defer stop()
	done, onDone := concluded()
	sinks := make(chan *hashSink, 4)
	ini, resp := linkPair(t, a, b, link.ResourceConfig{
		Strategy: link.AcceptAll, OnConcluded: onDone,
		Sink: func(_ *link.Link, info link.ResourceInfo) (io.WriteCloser, error) {
			s := newHashSink()
			sinks <- s
			return s, nil
		},
	})
	defer closeLinks(ini, resp)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	data := random(3<<20 + 17)
	meta := []byte{0xa3, 'a', 'b', 'c'}
	tr, err := ini.SendResourceFrom(ctx, bytes.NewReader(data), int64(len(data)), link.ResourceOptions{Metadata: meta})
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Wait(ctx); err != nil {
		t.Fatalf("send: %v", err)
	}
	r := wait(t, "conclusion", done)
	s := wait(t, "sink", sinks)
	if r.err != nil || r.data != nil || !bytes.Equal(r.meta, meta) {
		t.Fatalf("receive: %v, %d bytes, metadata %x", r.err, len(r.data), r.meta)
	}
	if n, sum := s.sum(); n != int64(len(data)) || sum != sha256.Sum256(data) {
		t.Fatalf("sink got %d bytes, want %d, or hash differs", n, len(data))
	}
	if s.closed != 1 || s.closeErr != nil || s.writes != 4 {
		t.Fatalf("sink closed %d times (%v), %d writes", s.closed, s.closeErr, s.writes)
	}
}

// TestResourceSinkFailure: a failing sink cancels the transfer and is
// closed with the error.
func TestResourceSinkFailure(t *testing.T) {
	defer testutil.LeakCheck(t)()
	a, b, stop := memPair(t)
	defer stop()
	done, onDone := concluded()
	sinks := make(chan *hashSink, 4)
	ini, resp := linkPair(t, a, b, link.ResourceConfig{
		Strategy: link.AcceptAll, OnConcluded: onDone,
		Sink: func(*link.Link, link.ResourceInfo) (io.WriteCloser, error) {
			s := newHashSink()
			s.failAt = 2
			sinks <- s
			return s, nil
		},
	})
	defer closeLinks(ini, resp)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	tr, err := ini.SendResource(ctx, random(3<<20), link.ResourceOptions{NoCompress: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Wait(ctx); !errors.Is(err, link.ErrResourceRejected) {
		t.Fatalf("send: %v, want rejected", err)
	}
	r := wait(t, "conclusion", done)
	s := wait(t, "sink", sinks)
	if !errors.Is(r.err, link.ErrResourceCanceled) {
		t.Fatalf("receive: %v, want canceled", r.err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed != 1 || !errors.Is(s.closeErr, link.ErrResourceCanceled) {
		t.Fatalf("sink closed %d times with %v", s.closed, s.closeErr)
	}
}

// TestResourceSinkRefused: a Sink error refuses the resource.
func TestResourceSinkRefused(t *testing.T) {
	defer testutil.LeakCheck(t)()
	a, b, stop := memPair(t)
	defer stop()
	ini, resp := linkPair(t, a, b, link.ResourceConfig{
		Strategy: link.AcceptAll,
		Sink: func(*link.Link, link.ResourceInfo) (io.WriteCloser, error) {
			return nil, errors.New("no space")
		},
	})
	defer closeLinks(ini, resp)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tr, err := ini.SendResource(ctx, []byte("x"), link.ResourceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Wait(ctx); !errors.Is(err, link.ErrResourceRejected) {
		t.Fatalf("send: %v, want rejected", err)
	}
}

// failingReader fails reads from off on.
type failingReader struct {
	r   io.ReaderAt
	off int64
}

var errRead = errors.New("read failed")

func (f failingReader) ReadAt(p []byte, off int64) (int, error) {
	if off+int64(len(p)) > f.off {
		return 0, errRead
	}
	return f.r.ReadAt(p, off)
}

// TestSendResourceFromReadError: a read error fails the sender.
func TestSendResourceFromReadError(t *testing.T) {
	defer testutil.LeakCheck(t)()
	a, b, stop := memPair(t)
	defer stop()
	ini, resp := linkPair(t, a, b, link.ResourceConfig{Strategy: link.AcceptAll})
	defer closeLinks(ini, resp)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	data := random(3 << 20)
	tr, err := ini.SendResourceFrom(ctx, failingReader{bytes.NewReader(data), 2 << 20}, int64(len(data)), link.ResourceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Wait(ctx); !errors.Is(err, errRead) {
		t.Fatalf("send: %v, want the read error", err)
	}
	if _, err := ini.SendResourceFrom(ctx, bytes.NewReader(nil), -1, link.ResourceOptions{}); err == nil {
		t.Fatal("negative size accepted")
	}
}

// TestResource100MB sends 100 MB of random data, uncompressed, between two
// nodes and compares SHA-256: over an in-memory pair at MTU 500, and over
// loopback directly and through a relay, with the link at 8192 (TCP) and
// at 500 (a UDP leg).
func TestResource100MB(t *testing.T) {
	if testing.Short() {
		t.Skip("100 MB transfers")
	}
	data := random(100 << 20)
	want := sha256.Sum256(data)
	for _, topo := range []topology{{name: "memory-500", mtu: wire.MTU}, directTCP, directUDP, relayTCP, relayUDP} {
		t.Run(topo.name, func(t *testing.T) {
			defer testutil.LeakCheck(t)()
			done, onDone := concluded()
			rc := link.ResourceConfig{Strategy: link.AcceptAll, MaxSize: 128 << 20, OnConcluded: onDone}
			var ini *link.Link
			if topo.name == "memory-500" {
				a, b, stop := memPair(t)
				defer stop()
				var resp *link.Link
				ini, resp = linkPair(t, a, b, rc)
				defer closeLinks(ini, resp)
			} else {
				var cleanup func()
				ini, _, cleanup = topoLink(t, topo, link.Config{Resources: rc})
				defer cleanup()
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
			defer cancel()
			start := time.Now()
			tr, err := ini.SendResource(ctx, data, link.ResourceOptions{NoCompress: true})
			if err != nil {
				t.Fatal(err)
			}
			if err := tr.Wait(ctx); err != nil {
				t.Fatalf("send: %v", err)
			}
			r := wait(t, "conclusion", done)
			if r.err != nil || len(r.data) != len(data) || sha256.Sum256(r.data) != want {
				t.Fatalf("receive: %v, %d bytes, or hash differs", r.err, len(r.data))
			}
			el := time.Since(start)
			t.Logf("100 MB at MTU %d in %v (%.1f MB/s)", ini.MTU(), el, float64(len(data))/el.Seconds()/1e6)
		})
	}
}

// genReader is a deterministic io.ReaderAt of pseudo-random bytes: the
// AES-CTR keystream of a fixed key, computed at any offset.
type genReader struct{ block cipher.Block }

func newGenReader() genReader {
	b, err := aes.NewCipher(bytes.Repeat([]byte{0x5a}, 16))
	if err != nil {
		panic(err)
	}
	return genReader{b}
}

func (g genReader) ReadAt(p []byte, off int64) (int, error) {
	var iv [16]byte
	binary.BigEndian.PutUint64(iv[8:], uint64(off/16))
	s := cipher.NewCTR(g.block, iv[:])
	if skip := off % 16; skip != 0 {
		var junk [16]byte
		s.XORKeyStream(junk[:skip], junk[:skip])
	}
	clear(p)
	s.XORKeyStream(p, p)
	return len(p), nil
}

// TestResource1GBMemory streams 1 GiB from a generator into a hashing sink
// and bounds the heap while it runs. Both nodes live in this process, so
// the measured figure (peak HeapInuse above the baseline taken after the
// link is up) covers sender, receiver and both transports together; the
// receiver's share is therefore under the bound as well. It takes about
// 15 s, and 75 s under the race detector, on two cores.
func TestResource1GBMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("1 GiB transfer")
	}
	const size = 1 << 30
	const bound = 100 << 20
	defer testutil.LeakCheck(t)()
	a, b, stop := memPair(t)
	defer stop()
	done, onDone := concluded()
	sinks := make(chan *hashSink, 1)
	ini, resp := linkPair(t, a, b, link.ResourceConfig{
		Strategy: link.AcceptAll, MaxSize: 2 << 30, OnConcluded: onDone,
		Sink: func(*link.Link, link.ResourceInfo) (io.WriteCloser, error) {
			s := newHashSink()
			sinks <- s
			return s, nil
		},
	})
	defer closeLinks(ini, resp)

	gen := newGenReader()
	// The expected hash, computed before the transfer so that its
	// buffer is not counted.
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(gen, 0, size)); err != nil {
		t.Fatal(err)
	}
	var want [32]byte
	copy(want[:], h.Sum(nil))

	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	var peak uint64
	stopSampling := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		var ms runtime.MemStats
		for {
			select {
			case <-stopSampling:
				return
			case <-tick.C:
			}
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
		}
	}()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	start := time.Now()
	tr, err := ini.SendResourceFrom(ctx, gen, size, link.ResourceOptions{NoCompress: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Wait(ctx); err != nil {
		t.Fatalf("send: %v", err)
	}
	r := wait(t, "conclusion", done)
	el := time.Since(start)
	close(stopSampling)
	<-sampled
	if r.err != nil {
		t.Fatalf("receive: %v", r.err)
	}
	s := wait(t, "sink", sinks)
	if n, sum := s.sum(); n != size || sum != want {
		t.Fatalf("sink got %d bytes, want %d, or hash differs", n, size)
	}
	extra := int64(peak) - int64(base)
	t.Logf("1 GiB in %v (%.1f MB/s); heap in use: baseline %.1f MB, peak %.1f MB, peak above baseline %.1f MB (sender, receiver and transports together)",
		el, size/el.Seconds()/1e6, float64(base)/1e6, float64(peak)/1e6, float64(extra)/1e6)
	if extra > bound {
		t.Fatalf("heap grew by %d bytes during the transfer, bound %d", extra, bound)
	}
}

// TestResourceSizes sends 0 B, 1 KB and 1 MB (random, compression tried)
// over loopback directly and through a relay, at 8192 (TCP) and at 500
// (a UDP leg); TestResource100MB does 100 MB on the same paths.
func TestResourceSizes(t *testing.T) {
	for _, topo := range []topology{directTCP, directUDP, relayTCP, relayUDP} {
		t.Run(topo.name, func(t *testing.T) {
			defer testutil.LeakCheck(t)()
			done, onDone := concluded()
			ini, _, cleanup := topoLink(t, topo, link.Config{Resources: link.ResourceConfig{
				Strategy: link.AcceptAll, OnConcluded: onDone}})
			defer cleanup()
			for _, n := range []int{0, 1 << 10, 1 << 20} {
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
				data := random(n)
				tr, err := ini.SendResource(ctx, data, link.ResourceOptions{})
				if err == nil {
					err = tr.Wait(ctx)
				}
				cancel()
				if err != nil {
					t.Fatalf("%d bytes: %v", n, err)
				}
				r := wait(t, "conclusion", done)
				if r.err != nil || sha256.Sum256(r.data) != sha256.Sum256(data) {
					t.Fatalf("%d bytes: %v, %d bytes received", n, r.err, len(r.data))
				}
			}
		})
	}
}
