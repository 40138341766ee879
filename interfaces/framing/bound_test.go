package framing

import (
	"bytes"
	"testing"
)

// TestBufferBound feeds endless frames and checks that the decoders' buffers
// never grow past MaxFrame.
func TestBufferBound(t *testing.T) {
	const max = 1000
	junk := bytes.Repeat([]byte{0x41, 0x7d, 0x5e, 0xdb, 0xdc}, 1<<14)

	h := HDLCDecoder{MaxFrame: max}
	h.Decode([]byte{HDLCFlag})
	for range 64 {
		if n, f, err := h.Decode(junk); n != len(junk) || f != nil || err != nil {
			t.Fatalf("Decode = %d, %v, %v", n, f, err)
		}
		if cap(h.buf) > max {
			t.Fatalf("HDLC buffer grew to %d, max %d", cap(h.buf), max)
		}
	}
	if _, _, err := h.Decode([]byte{HDLCFlag}); err != ErrFrameTooLarge || h.DroppedLen() != 64*len(junk)*4/5 {
		t.Fatalf("closing the frame: %v, length %d", err, h.DroppedLen())
	}

	k := KISSDecoder{MaxFrame: max}
	k.Decode([]byte{KISSFend, KISSCmdData})
	for range 64 {
		if n, _, p, err := k.Decode(junk); n != len(junk) || p != nil || err != nil {
			t.Fatalf("Decode = %d, %v, %v", n, p, err)
		}
		if cap(k.buf) > max {
			t.Fatalf("KISS buffer grew to %d, max %d", cap(k.buf), max)
		}
	}
	if _, _, _, err := k.Decode([]byte{KISSFend}); err != ErrFrameTooLarge || k.DroppedLen() != 64*len(junk)*4/5 {
		t.Fatalf("closing the frame: %v, length %d", err, k.DroppedLen())
	}
}

func TestAddLenSaturates(t *testing.T) {
	const maxInt = int(^uint(0) >> 1)
	if got := addLen(maxInt-1, 5); got != maxInt {
		t.Fatalf("addLen = %d", got)
	}
	if got := addLen(3, 4); got != 7 {
		t.Fatalf("addLen = %d", got)
	}
}
