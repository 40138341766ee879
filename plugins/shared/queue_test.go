package shared

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/mehr-net/mehr/internal/testutil"
	pb "github.com/mehr-net/mehr/plugins/proto"
)

func TestQueueBatches(t *testing.T) {
	q := NewQueue(1000, 4)
	for i := range 5 {
		ok := q.Put([]byte{byte(i), byte(i)})
		if ok != (i < 4) {
			t.Fatalf("Put %d = %v", i, ok)
		}
	}
	if q.Dropped() != 1 {
		t.Fatalf("dropped %d", q.Dropped())
	}
	var b pb.Batch
	if !q.Take(nil, &b) {
		t.Fatal("Take failed")
	}
	if !bytes.Equal(b.Data, []byte{0, 0, 1, 1, 2, 2, 3, 3}) || len(b.Sizes) != 4 {
		t.Fatalf("batch %v %v", b.Data, b.Sizes)
	}
	// The byte bound.
	q2 := NewQueue(10, 100)
	if !q2.Put(make([]byte, 6)) || q2.Put(make([]byte, 6)) || !q2.Put(make([]byte, 4)) {
		t.Fatal("byte bound not applied")
	}
	if n := q2.PutBatch([]byte{1, 2, 3}, []uint32{1, 2}); n != 2 {
		t.Fatalf("PutBatch into a full queue dropped %d", n)
	}
}

func TestQueueTakeBlocksUntilPut(t *testing.T) {
	defer testutil.LeakCheck(t)()
	q := NewQueue(1000, 10)
	got := make(chan []byte)
	go func() {
		var b pb.Batch
		if q.Take(nil, &b) {
			got <- b.Data
		}
		close(got)
	}()
	select {
	case <-got:
		t.Fatal("Take returned on an empty queue")
	case <-time.After(20 * time.Millisecond):
	}
	q.Put([]byte("x"))
	if d := <-got; string(d) != "x" {
		t.Fatalf("got %q", d)
	}
	done := make(chan struct{})
	close(done)
	var b pb.Batch
	if q.Take(done, &b) {
		t.Fatal("Take on an empty queue with done closed")
	}
	q.Close()
	if q.Put([]byte("y")) || q.Take(nil, &b) {
		t.Fatal("closed queue accepted or yielded a packet")
	}
}

// TestQueueConcurrent: packets from several producers all arrive once,
// each producer's in order.
func TestQueueConcurrent(t *testing.T) {
	const producers, each = 4, 2000
	q := NewQueue(1<<20, 1024)
	var wg sync.WaitGroup
	for p := range producers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; {
				if q.Put(fmt.Appendf(nil, "%d:%05d", p, i)) {
					i++
				}
			}
		}()
	}
	next := make([]int, producers)
	var b pb.Batch
	for total := 0; total < producers*each; {
		if !q.Take(nil, &b) {
			t.Fatal("Take failed")
		}
		off := 0
		for _, s := range b.Sizes {
			var p, i int
			fmt.Sscanf(string(b.Data[off:off+int(s)]), "%d:%d", &p, &i)
			if i != next[p] {
				t.Fatalf("producer %d: got %d, want %d", p, i, next[p])
			}
			next[p]++
			off += int(s)
			total++
		}
	}
	wg.Wait()
}

func TestCheck(t *testing.T) {
	for _, c := range []struct {
		name string
		b    *pb.Batch
		err  error
	}{
		{"ok", &pb.Batch{Data: []byte{1, 2, 3}, Sizes: []uint32{1, 2}}, nil},
		{"empty", &pb.Batch{}, ErrMalformedBatch},
		{"data without sizes", &pb.Batch{Data: []byte{1}}, ErrMalformedBatch},
		{"sizes past the data", &pb.Batch{Data: []byte{1, 2}, Sizes: []uint32{1, 2}}, ErrMalformedBatch},
		{"data past the sizes", &pb.Batch{Data: []byte{1, 2, 3}, Sizes: []uint32{1}}, ErrMalformedBatch},
		{"huge size", &pb.Batch{Data: []byte{1}, Sizes: []uint32{1 << 31, 1 << 31, 1}}, ErrMalformedBatch},
		{"too many packets", &pb.Batch{Data: make([]byte, 5), Sizes: []uint32{1, 1, 1, 1, 1}}, ErrMalformedBatch},
	} {
		t.Run(c.name, func(t *testing.T) {
			if err := Check(c.b, 4); !errors.Is(err, c.err) {
				t.Fatalf("Check = %v, want %v", err, c.err)
			}
		})
	}
}

// FuzzBatch feeds arbitrary bytes to the decoder of the packet stream as
// the host runs it: protobuf unmarshal, Check, then slicing the packets.
// Nothing panics, and a batch that passes Check slices into packets that
// cover its data exactly and survive a marshal round trip.
func FuzzBatch(f *testing.F) {
	for _, b := range []*pb.Batch{
		{Data: []byte("hello"), Sizes: []uint32{5}},
		{Data: []byte("abcdef"), Sizes: []uint32{1, 2, 3}},
		{Data: []byte{1}, Sizes: []uint32{1 << 31, 1 << 31, 1}},
	} {
		raw, _ := proto.Marshal(b)
		f.Add(raw)
	}
	f.Add([]byte{0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, raw []byte) {
		var b pb.Batch
		if proto.Unmarshal(raw, &b) != nil {
			return
		}
		if Check(&b, MaxBatchPackets) != nil {
			return
		}
		off := 0
		for _, s := range b.Sizes {
			_ = b.Data[off : off+int(s)]
			off += int(s)
		}
		if off != len(b.Data) {
			t.Fatalf("packets cover %d of %d bytes", off, len(b.Data))
		}
		again, err := proto.Marshal(&b)
		if err != nil {
			t.Fatal(err)
		}
		var b2 pb.Batch
		if err := proto.Unmarshal(again, &b2); err != nil || !bytes.Equal(b2.Data, b.Data) || len(b2.Sizes) != len(b.Sizes) {
			t.Fatalf("round trip: %v", err)
		}
	})
}

// BenchmarkQueue measures queueing a 500-byte packet and taking it in
// batches of up to 64.
func BenchmarkQueue(b *testing.B) {
	q := NewQueue(MaxBatchBytes, MaxBatchPackets)
	pkt := make([]byte, 500)
	var batch pb.Batch
	b.ReportAllocs()
	b.SetBytes(500)
	for i := 0; i < b.N; i++ {
		q.Put(pkt)
		if i%64 == 63 {
			q.Take(nil, &batch)
		}
	}
}
