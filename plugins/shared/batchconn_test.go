package shared_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"testing"

	pb "github.com/mehr-net/mehr/plugins/proto"
	"github.com/mehr-net/mehr/plugins/shared"
)

// rwConn is a net.Conn over a reader, for decoding fixed bytes.
type rwConn struct {
	net.Conn
	r io.Reader
}

func (c rwConn) Read(b []byte) (int, error) { return c.r.Read(b) }
func (c rwConn) Close() error               { return nil }

func TestBatchConnRoundTrip(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	ca := shared.NewBatchConn(a, shared.MaxBatchBytes, shared.MaxBatchPackets)
	cb := shared.NewBatchConn(b, shared.MaxBatchBytes, shared.MaxBatchPackets)
	batches := []*pb.Batch{
		{Data: []byte("onetwothree"), Sizes: []uint32{3, 3, 5}},
		{Data: bytes.Repeat([]byte{0x7e}, 600), Sizes: []uint32{600}},
		{Data: []byte("x"), Sizes: []uint32{1}},
	}
	go func() {
		for _, bt := range batches {
			if err := ca.Send(bt); err != nil {
				return
			}
		}
	}()
	for k, want := range batches {
		got, err := cb.Recv()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Data, want.Data) || len(got.Sizes) != len(want.Sizes) {
			t.Fatalf("batch %d: got %d bytes %v, want %d bytes %v", k, len(got.Data), got.Sizes, len(want.Data), want.Sizes)
		}
		for i := range want.Sizes {
			if got.Sizes[i] != want.Sizes[i] {
				t.Fatalf("batch %d sizes %v", k, got.Sizes)
			}
		}
	}
}

func frame(n, size uint32, rest ...byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, n)
	b = binary.BigEndian.AppendUint32(b, size)
	return append(b, rest...)
}

func TestBatchConnLimits(t *testing.T) {
	for _, c := range []struct {
		name string
		in   []byte
		want error
	}{
		{"too many packets", frame(shared.MaxBatchPackets+1, 1), shared.ErrMalformedBatch},
		{"too many bytes", frame(1, shared.MaxBatchBytes+1), shared.ErrMalformedBatch},
		{"short header", []byte{0, 0, 0}, io.ErrUnexpectedEOF},
		{"truncated sizes", frame(2, 4, 0, 0, 0, 2), io.ErrUnexpectedEOF},
		{"truncated data", frame(1, 4, 0, 0, 0, 4, 'a'), io.ErrUnexpectedEOF},
		{"clean end", nil, io.EOF},
	} {
		bc := shared.NewBatchConn(rwConn{r: bytes.NewReader(c.in)}, shared.MaxBatchBytes, shared.MaxBatchPackets)
		if _, err := bc.Recv(); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	// A frame whose sizes do not add up is delivered; Check refuses it.
	bc := shared.NewBatchConn(rwConn{r: bytes.NewReader(frame(2, 3, 0, 0, 0, 5, 0, 0, 0, 5, 'a', 'b', 'c'))}, shared.MaxBatchBytes, shared.MaxBatchPackets)
	b, err := bc.Recv()
	if err != nil || shared.Check(b, shared.MaxBatchPackets) == nil {
		t.Fatalf("inconsistent frame: %v, %v", b, err)
	}
}

// FuzzBatchConn decodes arbitrary bytes from the packet channel: no panic,
// no allocation beyond the limits, and every frame that passes Check has
// sizes that add up to its data.
func FuzzBatchConn(f *testing.F) {
	f.Add(frame(2, 6, 0, 0, 0, 3, 0, 0, 0, 3, 'o', 'n', 'e', 't', 'w', 'o'))
	f.Add(frame(0, 0))
	f.Add(frame(1, 1<<30))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, in []byte) {
		bc := shared.NewBatchConn(rwConn{r: bytes.NewReader(in)}, 4096, 16)
		for range 64 {
			b, err := bc.Recv()
			if err != nil {
				return
			}
			if len(b.Data) > 4096 || len(b.Sizes) > 16 {
				t.Fatalf("over the limits: %d bytes, %d packets", len(b.Data), len(b.Sizes))
			}
			if shared.Check(b, 16) == nil {
				sum := 0
				for _, s := range b.Sizes {
					sum += int(s)
				}
				if sum != len(b.Data) {
					t.Fatalf("Check passed sizes %v for %d bytes", b.Sizes, len(b.Data))
				}
			}
		}
	})
}
