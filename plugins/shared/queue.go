package shared

import (
	"errors"
	"sync"

	pb "github.com/mehr-net/mehr/plugins/proto"
)

// Queue is a bounded run of pending packets that one writer sends as a
// Batch. Put and PutBatch may be called from any goroutine and never
// block; Take is called by one goroutine at a time.
//
// The pending packets live in one growing buffer, so queueing a packet is
// a copy and no allocation once the buffers have grown; Take swaps that
// buffer with the caller's, so the two alternate.
type Queue struct {
	maxBytes, maxPackets int

	// wake holds a token while packets are pending; Put leaves one when
	// the queue goes from empty to non-empty.
	wake chan struct{}

	// mu guards the following fields.
	mu      sync.Mutex
	data    []byte
	sizes   []uint32
	closed  bool
	dropped uint64
}

// NewQueue returns a queue that holds at most maxPackets packets and
// maxBytes bytes.
func NewQueue(maxBytes, maxPackets int) *Queue {
	return &Queue{maxBytes: maxBytes, maxPackets: maxPackets, wake: make(chan struct{}, 1)}
}

// Put queues a copy of pkt. It reports false, and counts a drop, if the
// queue is full or closed.
func (q *Queue) Put(pkt []byte) bool {
	q.mu.Lock()
	if q.closed || len(q.sizes) >= q.maxPackets || len(q.data)+len(pkt) > q.maxBytes {
		q.dropped++
		q.mu.Unlock()
		return false
	}
	q.data = append(q.data, pkt...)
	q.sizes = append(q.sizes, uint32(len(pkt)))
	first := len(q.sizes) == 1
	q.mu.Unlock()
	if first {
		q.signal()
	}
	return true
}

// PutBatch queues the packets of a validated batch (see Packets) and
// returns how many it dropped because the queue was full or closed.
func (q *Queue) PutBatch(data []byte, sizes []uint32) int {
	q.mu.Lock()
	was := len(q.sizes)
	off, dropped := 0, 0
	for _, s := range sizes {
		n := int(s)
		if q.closed || len(q.sizes) >= q.maxPackets || len(q.data)+n > q.maxBytes {
			dropped++
		} else {
			q.data = append(q.data, data[off:off+n]...)
			q.sizes = append(q.sizes, s)
		}
		off += n
	}
	q.dropped += uint64(dropped)
	first := was == 0 && len(q.sizes) > 0
	q.mu.Unlock()
	if first {
		q.signal()
	}
	return dropped
}

func (q *Queue) signal() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// Take blocks until packets are pending, then moves all of them into b,
// whose buffers it reuses, and reports true. It reports false once done
// is closed or the queue is closed and empty.
func (q *Queue) Take(done <-chan struct{}, b *pb.Batch) bool {
	for {
		q.mu.Lock()
		if len(q.sizes) > 0 {
			q.data, b.Data = b.Data[:0], q.data
			q.sizes, b.Sizes = b.Sizes[:0], q.sizes
			q.mu.Unlock()
			return true
		}
		closed := q.closed
		q.mu.Unlock()
		if closed {
			return false
		}
		select {
		case <-q.wake:
		case <-done:
			return false
		}
	}
}

// Reset discards the pending packets without counting them.
func (q *Queue) Reset() {
	q.mu.Lock()
	q.data, q.sizes = q.data[:0], q.sizes[:0]
	q.mu.Unlock()
}

// Close makes Put drop and Take return false once the queue is empty. It
// is idempotent.
func (q *Queue) Close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.signal()
}

// Dropped returns the number of packets Put and PutBatch dropped.
func (q *Queue) Dropped() uint64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.dropped
}

// Errors of Check. Callers branch on them with errors.Is.
var (
	// ErrMalformedBatch reports a batch whose sizes do not add up to its
	// data, or that is empty or over the limits.
	ErrMalformedBatch = errors.New("plugin: malformed batch")
)

// Check validates a received batch against the limits: at least one and
// at most maxPackets packets, at most MaxBatchBytes of data, and sizes
// that add up to exactly len(data). It does not look at the sizes of
// single packets; see Oversized.
func Check(b *pb.Batch, maxPackets int) error {
	if len(b.Sizes) == 0 || len(b.Sizes) > maxPackets || len(b.Data) > MaxBatchBytes {
		return ErrMalformedBatch
	}
	total := 0
	for _, s := range b.Sizes {
		total += int(s)
		if total > len(b.Data) {
			return ErrMalformedBatch
		}
	}
	if total != len(b.Data) {
		return ErrMalformedBatch
	}
	return nil
}

// Oversized reports whether a frame of n bytes breaks an interface's MTU:
// it is empty or longer than mtu plus MaxIFACSize.
func Oversized(n, mtu int) bool { return n == 0 || n > mtu+MaxIFACSize }
