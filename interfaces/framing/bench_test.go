package framing_test

import (
	"math/rand/v2"
	"testing"

	"github.com/mehr-net/mehr/interfaces/framing"
)

// benchPayload is a 500-byte packet (the Reticulum MTU) of random bytes,
// so about 2 % of them need escaping in either framing.
func benchPayload() []byte {
	r := rand.New(rand.NewPCG(1, 2))
	p := make([]byte, 500)
	for i := range p {
		p[i] = byte(r.Uint32())
	}
	return p
}

func BenchmarkAppendHDLC(b *testing.B) {
	p := benchPayload()
	buf := make([]byte, 0, 2*len(p)+2)
	b.ReportAllocs()
	b.SetBytes(int64(len(p)))
	for b.Loop() {
		buf = framing.AppendHDLC(buf[:0], p)
	}
}

func BenchmarkHDLCDecode(b *testing.B) {
	p := benchPayload()
	frame := framing.AppendHDLC(nil, p)
	var d framing.HDLCDecoder
	b.ReportAllocs()
	b.SetBytes(int64(len(p)))
	for b.Loop() {
		if _, f, _ := d.Decode(frame); len(f) != len(p) {
			b.Fatal("no frame")
		}
	}
}

func BenchmarkAppendKISS(b *testing.B) {
	p := benchPayload()
	buf := make([]byte, 0, 2*len(p)+3)
	b.ReportAllocs()
	b.SetBytes(int64(len(p)))
	for b.Loop() {
		buf = framing.AppendKISS(buf[:0], framing.KISSCmdData, p)
	}
}

func BenchmarkKISSDecode(b *testing.B) {
	p := benchPayload()
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

// The resource part size at the 8192-byte link MTU, where HDLC framing is
// a per-byte cost of the relay path.
func benchPayload8K() []byte {
	r := rand.New(rand.NewPCG(1, 2))
	p := make([]byte, 8192)
	for i := range p {
		p[i] = byte(r.Uint32())
	}
	return p
}

func BenchmarkAppendHDLC8K(b *testing.B) {
	p := benchPayload8K()
	buf := make([]byte, 0, 2*len(p)+2)
	b.ReportAllocs()
	b.SetBytes(int64(len(p)))
	for b.Loop() {
		buf = framing.AppendHDLC(buf[:0], p)
	}
}

func BenchmarkHDLCDecode8K(b *testing.B) {
	p := benchPayload8K()
	frame := framing.AppendHDLC(nil, p)
	var d framing.HDLCDecoder
	b.ReportAllocs()
	b.SetBytes(int64(len(p)))
	for b.Loop() {
		if _, f, _ := d.Decode(frame); len(f) != len(p) {
			b.Fatal("no frame")
		}
	}
}
