package channel_test

import (
	"bytes"
	"encoding/hex"
	"testing"

	"github.com/mehr-net/mehr/rns/link/channel"
	"github.com/mehr-net/mehr/vectors"
)

func FuzzEnvelope(f *testing.F) {
	set := vectors.Open(f, "channel.json")
	var vs []envelopeVector
	set.Section(f, "envelopes", &vs)
	for _, v := range vs {
		f.Add([]byte(v.Expected.Envelope))
	}
	var es []entry
	set.Section(f, "link_channel_transcript", &es)
	for _, e := range es {
		if e.Encrypted {
			f.Add([]byte(e.Plaintext))
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var e channel.Envelope
		if err := e.Decode(b); err != nil {
			return
		}
		// The length field is ignored on decode: re-encoding writes the
		// true length and otherwise gives back b.
		re, err := e.Append(nil)
		if err != nil || !bytes.Equal(re[:4], b[:4]) || !bytes.Equal(re[6:], b[6:]) ||
			channel.Length(re) != len(b)-channel.EnvelopeHeaderLen {
			t.Fatalf("Decode(%x) = %+v re-encodes as %x, %v", b, e, re, err)
		}
	})
}

func FuzzStreamMessage(f *testing.F) {
	set := vectors.Open(f, "channel.json")
	var vs []streamVector
	set.Section(f, "stream_messages", &vs)
	for _, v := range vs {
		f.Add([]byte(v.Expected.Packed))
	}
	for _, s := range []string{bz2Empty, bz2X, bz2Big} {
		b, _ := hex.DecodeString(s)
		f.Add(append([]byte{0x40, 0x01}, b...))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var m channel.StreamMessage
		if err := m.Decode(b); err != nil {
			return
		}
		if m.StreamID > channel.StreamIDMax || len(m.Data) > max(len(b), channel.MaxChunkLen) {
			t.Fatalf("Decode(%x) = stream %d with %d bytes", b, m.StreamID, len(m.Data))
		}
		if m.Compressed {
			m.Data = b[channel.StreamHeaderLen:]
		}
		re, err := m.Append(nil)
		if err != nil || !bytes.Equal(re, b) {
			t.Fatalf("Decode(%x) re-encodes as %x, %v", b, re, err)
		}
	})
}

func FuzzRequest(f *testing.F) {
	set := vectors.Open(f, "channel.json")
	var rs []requestVector
	set.Section(f, "requests", &rs)
	for _, r := range rs {
		f.Add([]byte(r.Expected.PackedRequest))
		if r.Expected.PackedResponse != nil {
			f.Add([]byte(r.Expected.PackedResponse))
		}
	}
	var ms []msgpackVector
	set.Section(f, "msgpack", &ms)
	for _, m := range ms {
		f.Add([]byte(m.Expected.Packed))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		// Whatever decodes packs again, and the packed form is stable.
		if r, err := channel.UnpackRequest(b); err == nil {
			p, err := r.Pack()
			if err != nil {
				t.Fatalf("UnpackRequest(%x) = %+v does not pack: %v", b, r, err)
			}
			r2, err := channel.UnpackRequest(p)
			if err != nil {
				t.Fatalf("packed request %x does not unpack: %v", p, err)
			}
			p2, err := r2.Pack()
			if err != nil || !bytes.Equal(p, p2) || r2.PathHash != r.PathHash {
				t.Fatalf("request %x repacks as %x, %v", p, p2, err)
			}
		}
		if r, err := channel.UnpackResponse(b); err == nil {
			p, err := r.Pack()
			if err != nil {
				t.Fatalf("UnpackResponse(%x) = %+v does not pack: %v", b, r, err)
			}
			r2, err := channel.UnpackResponse(p)
			if err != nil || r2.RequestID != r.RequestID {
				t.Fatalf("packed response %x unpacks as %+v, %v", p, r2, err)
			}
			if p2, err := r2.Pack(); err != nil || !bytes.Equal(p, p2) {
				t.Fatalf("response %x repacks as %x, %v", p, p2, err)
			}
		}
	})
}
