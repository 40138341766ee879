package framing

import (
	"bytes"
	"testing"
)

// TestKISSTruncate: with Truncate, an oversized payload is cut to MaxFrame
// bytes instead of dropped; without it, it is dropped.
func TestKISSTruncate(t *testing.T) {
	payload := bytes.Repeat([]byte{'A'}, 40)
	stream := AppendKISS(nil, KISSCmdData, payload)
	d := KISSDecoder{MaxFrame: 20, Truncate: true}
	_, cmd, got, err := d.Decode(stream)
	if err != nil || cmd != KISSCmdData || !bytes.Equal(got, payload[:20]) {
		t.Fatalf("truncating decoder: cmd %#x payload %q err %v", cmd, got, err)
	}
	d = KISSDecoder{MaxFrame: 20}
	if _, _, got, err := d.Decode(stream); got != nil || err != ErrFrameTooLarge {
		t.Fatalf("dropping decoder: payload %q err %v", got, err)
	}
}
