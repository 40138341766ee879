package link

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/mehr-net/mehr/rns/link/resource"
)

// seeded is a deterministic random source for the build parameters.
func seeded(seed uint64) io.Reader { return rand.NewChaCha8([32]byte{byte(seed)}) }

// TestSendResourceFromWire: segments built from a reader are byte for byte
// those built from the same data in memory, with and without metadata and
// on the build-ahead path.
func TestSendResourceFromWire(t *testing.T) {
	data := make([]byte, 2*resource.MaxEfficientSize+12345)
	_, _ = io.ReadFull(seeded(7), data)
	for i := range 100000 { // a compressible stretch
		data[resource.MaxEfficientSize+i] = byte(i % 7)
	}
	key := bytes.Repeat([]byte{0x42}, 64)
	for _, meta := range [][]byte{nil, {0x81, 0xa1, 'k', 0xa1, 'v'}} {
		for _, size := range []int{0, 1000, resource.MaxEfficientSize, resource.MaxEfficientSize + 1, len(data)} {
			build := func(fromReader bool, ahead bool) []*resource.Resource {
				l := &Link{key: key, mtu: 500, cfg: Config{Rand: seeded(uint64(size))}}
				tr := l.newTransfer(false)
				tr.opts = ResourceOptions{Metadata: meta}
				if fromReader {
					tr.srcAt = bytes.NewReader(data[:size])
				} else {
					tr.src = data[:size]
				}
				tr.srcLen = size
				total := size
				if meta != nil {
					total += 3 + len(meta)
				}
				tr.segments = max(1, (total+resource.MaxEfficientSize-1)/resource.MaxEfficientSize)
				var out []*resource.Resource
				for i := 1; i <= tr.segments; i++ {
					var r *resource.Resource
					var err error
					if ahead && i > 1 {
						b := <-tr.buildAhead(i)
						r, err = b.r, b.err
					} else {
						r, err = tr.buildSegment(i)
					}
					if err != nil {
						t.Fatal(err)
					}
					if i == 1 {
						tr.hash = r.Hash
					}
					out = append(out, r)
				}
				l.res.wg.Wait()
				return out
			}
			for _, ahead := range []bool{false, true} {
				want, got := build(false, ahead), build(true, ahead)
				if len(want) != len(got) {
					t.Fatalf("size %d: %d segments from reader, %d from data", size, len(got), len(want))
				}
				for i := range want {
					wa, _ := want[i].Advertisement().Marshal()
					ga, _ := got[i].Advertisement().Marshal()
					if !bytes.Equal(want[i].Stream, got[i].Stream) || !bytes.Equal(wa, ga) || !bytes.Equal(want[i].Hashmap, got[i].Hashmap) {
						t.Fatalf("size %d meta %v ahead %v: segment %d differs", size, meta != nil, ahead, i+1)
					}
				}
			}
		}
	}
}

type shortReader struct{ n int64 }

func (r shortReader) ReadAt(p []byte, off int64) (int, error) {
	if off+int64(len(p)) <= r.n {
		return len(p), nil
	}
	n := max(0, int(r.n-off))
	return n, io.EOF
}

func TestSegmentDataShortRead(t *testing.T) {
	l := &Link{key: bytes.Repeat([]byte{1}, 64), mtu: 500, cfg: Config{Rand: seeded(1)}}
	tr := l.newTransfer(false)
	tr.srcAt, tr.srcLen, tr.segments = shortReader{100}, 1000, 1
	if _, _, err := tr.segmentData(1); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("short read: %v", err)
	}
	tr.srcAt = shortReader{1000}
	if d, _, err := tr.segmentData(1); err != nil || len(d) != 1000 {
		t.Fatalf("full read with EOF: %d bytes, %v", len(d), err)
	}
}
