package framing_test

import (
	"math/rand/v2"
	"testing"

	"github.com/mehr-net/mehr/interfaces/framing"
)

// benchPayload is a packet of n random bytes, so about 2 % of them need
// escaping in either framing. The benchmarks use 500 bytes (the Reticulum
// MTU) and 8192, the resource part size at the TCP link MTU, where HDLC
// framing is a per-byte cost of the relay path.
func benchPayload(n int) []byte {
	r := rand.New(rand.NewPCG(1, 2))
	p := make([]byte, n)
	for i := range p {
		p[i] = byte(r.Uint32())
	}
	return p
}

// benchPayloads is 4 MB of random data cut into packets of n bytes. The
// HDLC benchmarks go through them in turn: the same packet every time
// lets the branch predictor learn where its special bytes are, which
// makes framing look twice as fast as it is on traffic.
func benchPayloads(n int) [][]byte {
	all := benchPayload(4 << 20)
	var ps [][]byte
	for len(all) >= n {
		ps = append(ps, all[:n])
		all = all[n:]
	}
	return ps
}

func BenchmarkAppendHDLC(b *testing.B)   { benchAppendHDLC(b, 500) }
func BenchmarkAppendHDLC8K(b *testing.B) { benchAppendHDLC(b, 8192) }
func BenchmarkHDLCDecode(b *testing.B)   { benchHDLCDecode(b, 500) }
func BenchmarkHDLCDecode8K(b *testing.B) { benchHDLCDecode(b, 8192) }

func benchAppendHDLC(b *testing.B, n int) {
	ps := benchPayloads(n)
	buf := make([]byte, 0, 2*n+2)
	b.ReportAllocs()
	b.SetBytes(int64(n))
	i := 0
	for b.Loop() {
		buf = framing.AppendHDLC(buf[:0], ps[i])
		i = (i + 1) % len(ps)
	}
}

func benchHDLCDecode(b *testing.B, n int) {
	var frames [][]byte
	for _, p := range benchPayloads(n) {
		frames = append(frames, framing.AppendHDLC(nil, p))
	}
	var d framing.HDLCDecoder
	b.ReportAllocs()
	b.SetBytes(int64(n))
	i := 0
	for b.Loop() {
		if _, f, _ := d.Decode(frames[i]); len(f) != n {
			b.Fatal("no frame")
		}
		i = (i + 1) % len(frames)
	}
}

func BenchmarkAppendKISS(b *testing.B) {
	p := benchPayload(500)
	buf := make([]byte, 0, 2*len(p)+3)
	b.ReportAllocs()
	b.SetBytes(int64(len(p)))
	for b.Loop() {
		buf = framing.AppendKISS(buf[:0], framing.KISSCmdData, p)
	}
}

func BenchmarkKISSDecode(b *testing.B) {
	p := benchPayload(500)
	frame := framing.AppendKISS(nil, framing.KISSCmdData, p)
	var d framing.KISSDecoder
	b.ReportAllocs()
	b.SetBytes(int64(len(p)))
	for b.Loop() {
		if _, _, f, _ := d.Decode(frame); len(f) != len(p) {
			b.Fatal("no frame")
		}
	}
}
