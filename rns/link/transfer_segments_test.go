package link_test

import (
	"context"
	"crypto/sha256"
	"hash"
	"io"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mehr-net/mehr/interfaces/ifacetest"
	"github.com/mehr-net/mehr/internal/testutil"
	"github.com/mehr-net/mehr/rns/link"
	"github.com/mehr-net/mehr/rns/link/resource"
	"github.com/mehr-net/mehr/rns/wire"
)

// slowSink hashes what it is written, sleeping in each Write.
type slowSink struct {
	mu     sync.Mutex
	h      hash.Hash
	n      int
	delay  time.Duration
	closed bool
}

func (s *slowSink) Write(p []byte) (int, error) {
	time.Sleep(s.delay)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.h.Write(p)
	s.n += len(p)
	return len(p), nil
}

func (s *slowSink) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return nil
}

// TestResourceSegmentsReadvertised streams a many-segment resource into a
// slow Sink while the requests answering one segment's advertisement are
// lost, so that the sender re-advertises a segment the receiver is
// already receiving. The receiver must answer with a fresh request (not
// refuse it, which cancels the sender) and the transfer must complete.
func TestResourceSegmentsReadvertised(t *testing.T) {
	defer testutil.LeakCheck(t)()
	const size = 6<<20 + 12345
	var (
		advs      atomic.Int64
		dropUntil atomic.Int64 // unix nanoseconds
		dropped   atomic.Int64
	)
	toReceiver := func(pkt []byte) bool {
		if len(pkt) > 18 && pkt[18] == byte(wire.ContextResourceAdv) && advs.Add(1) == 4 {
			dropUntil.Store(time.Now().Add(1500 * time.Millisecond).UnixNano())
		}
		return false
	}
	toSender := func(pkt []byte) bool {
		if len(pkt) > 18 && pkt[18] == byte(wire.ContextResourceReq) && time.Now().UnixNano() < dropUntil.Load() {
			dropped.Add(1)
			return true
		}
		return false
	}
	a, b, stop := nodes(t, func(a, b *testNode) {
		pa, pb := ifacetest.NewPair(
			ifacetest.Config{Name: "a", Bitrate: 1 << 30, Queue: 4096, Drop: toSender},
			ifacetest.Config{Name: "b", Bitrate: 1 << 30, Queue: 4096, Drop: toReceiver})
		addIface(t, a, pa)
		addIface(t, b, pb)
	})
	defer stop()
	done, onDone := concluded()
	sink := &slowSink{h: sha256.New(), delay: 300 * time.Millisecond}
	ini, resp := linkPair(t, a, b, link.ResourceConfig{
		Strategy: link.AcceptAll, MaxSize: size, OnConcluded: onDone,
		Sink: func(*link.Link, link.ResourceInfo) (io.WriteCloser, error) { return sink, nil },
	})
	defer closeLinks(ini, resp)
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	data := random(size)
	tr, err := ini.SendResource(ctx, data, link.ResourceOptions{NoCompress: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Wait(ctx); err != nil {
		t.Fatalf("sender: %v (%d advertisements, %d requests dropped)", err, advs.Load(), dropped.Load())
	}
	r := wait(t, "receiver", done)
	if r.err != nil {
		t.Fatalf("receiver: %v", r.err)
	}
	sink.mu.Lock()
	defer sink.mu.Unlock()
	if !sink.closed || sink.n != size || [32]byte(sink.h.Sum(nil)) != sha256.Sum256(data) {
		t.Fatalf("sink: closed %v, %d of %d bytes, or hash differs", sink.closed, sink.n, size)
	}
	if segs := int64((size + resource.MaxEfficientSize - 1) / resource.MaxEfficientSize); advs.Load() <= segs {
		t.Errorf("%d advertisements for %d segments: no re-advertisement was provoked", advs.Load(), segs)
	}
	t.Logf("%d advertisements, %d requests dropped", advs.Load(), dropped.Load())
}
