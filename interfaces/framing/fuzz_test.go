package framing_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"

	"github.com/mehr-net/mehr/interfaces/framing"
	"github.com/mehr-net/mehr/vectors"
)

// fuzzVectors returns the framing vectors for seeding fuzz targets. It uses
// vectors.Read rather than Load: seeding is not checking, and Load would
// require every vector to be used.
func fuzzVectors(f *testing.F) (v struct {
	HDLCEncode []hdlcEncodeVector   `json:"hdlc_encode"`
	HDLCStream []hdlcStreamVector   `json:"hdlc_stream_decode"`
	KISSEncode []kissEncodeVector   `json:"kiss_encode"`
	KISSStream []kissStreamVector   `json:"kiss_stream_decode"`
	Commands   []rnodeCommandVector `json:"rnode_commands"`
	Responses  []struct {
		Inputs struct{ Stream vectors.Hex }
	} `json:"rnode_responses"`
	TNC []kissTNCVector `json:"kiss_tnc_commands"`
}) {
	b, err := vectors.Read("framing.json")
	if err != nil {
		f.Fatal(err)
	}
	if err := json.Unmarshal(b, &v); err != nil {
		f.Fatal(err)
	}
	return v
}

// refHDLC is a slow model of the reference TCP reader: find a flag, find
// the next one, undo the two escapes with whole-string replacements, keep
// the closing flag as the next opening one. It returns the frames and the
// lengths of the dropped ones.
func refHDLC(stream []byte, minFrame, maxFrame int) (frames [][]byte, dropped []int) {
	buf := stream
	for {
		start := bytes.IndexByte(buf, framing.HDLCFlag)
		if start < 0 {
			return frames, dropped
		}
		end := bytes.IndexByte(buf[start+1:], framing.HDLCFlag)
		if end < 0 {
			return frames, dropped
		}
		end += start + 1
		frame := buf[start+1 : end]
		frame = bytes.ReplaceAll(frame, []byte{0x7d, 0x5e}, []byte{0x7e})
		frame = bytes.ReplaceAll(frame, []byte{0x7d, 0x5d}, []byte{0x7d})
		switch {
		case len(frame) == 0:
		case len(frame) < minFrame || len(frame) > maxFrame:
			dropped = append(dropped, len(frame))
		default:
			frames = append(frames, frame)
		}
		buf = buf[end:]
	}
}

// checkEscape compares the escaping of data, appended to destinations of
// every kind of capacity, with the reference's two byte-string
// replacements.
func checkEscape(t *testing.T, data []byte) {
	t.Helper()
	want := bytes.ReplaceAll(data, []byte{0x7d}, []byte{0x7d, 0x5d})
	want = bytes.ReplaceAll(want, []byte{0x7e}, []byte{0x7d, 0x5e})
	for _, room := range []int{0, 1, 17, len(data), len(data) + 31, 2*len(data) + 2} {
		dst := append(make([]byte, 0, 3+room), 1, 2, 3)
		got := framing.AppendHDLCEscape(dst, data)
		if !bytes.Equal(got[:3], []byte{1, 2, 3}) || !bytes.Equal(got[3:], want) {
			t.Fatalf("escaping %x with room %d gave %x, want %x", data, room, got[3:], want)
		}
		if room >= 2*len(data)+2 && &got[0] != &dst[0] {
			t.Fatalf("escaping %d bytes allocated with room for %d", len(data), room)
		}
	}
}

// chunked splits b into pieces whose sizes cycle through sizes (each plus
// one): small pieces exercise state kept across calls, pieces of 16 bytes
// and more the vector code.
func chunked(b []byte, sizes []byte) [][]byte {
	var out [][]byte
	for i := 0; len(b) > 0; i++ {
		n := 1
		if len(sizes) > 0 {
			n = int(sizes[i%len(sizes)]) + 1
		}
		n = min(n, len(b))
		out = append(out, b[:n])
		b = b[n:]
	}
	return out
}

func FuzzHDLCDecoder(f *testing.F) {
	v := fuzzVectors(f)
	for _, e := range v.HDLCEncode {
		f.Add([]byte(e.Expected.Frame), []byte{0}, uint16(0))
		f.Add([]byte(e.Inputs.Payload), []byte{3, 7}, uint16(framing.TCPMinFrame))
	}
	for _, e := range v.HDLCStream {
		var stream, sizes []byte
		for _, c := range e.Inputs.Chunks {
			stream = append(stream, c...)
			sizes = append(sizes, byte(len(c)-1))
		}
		f.Add(stream, sizes, uint16(framing.TCPMinFrame))
	}
	f.Fuzz(func(t *testing.T, data, sizes []byte, limits uint16) {
		minFrame := int(limits & 0x1f)     // 0..31
		maxFrame := int(limits>>5)%600 + 1 // 1..600
		if limits>>5 == 0 {
			maxFrame = framing.DefaultMaxFrame
		}

		// Differential: the same frames and drops as the reference model,
		// however the stream is split.
		wantFrames, wantDropped := refHDLC(data, max(minFrame, 1), maxFrame)
		d := framing.HDLCDecoder{MinFrame: minFrame, MaxFrame: maxFrame}
		var frames [][]byte
		var dropped []int
		for _, c := range chunked(data, sizes) {
			for len(c) > 0 {
				n, frame, err := d.Decode(c)
				if n <= 0 || n > len(c) {
					t.Fatalf("Decode consumed %d of %d", n, len(c))
				}
				c = c[n:]
				switch {
				case err != nil:
					if !errors.Is(err, framing.ErrFrameTooShort) && !errors.Is(err, framing.ErrFrameTooLarge) {
						t.Fatalf("unexpected error %v", err)
					}
					dropped = append(dropped, d.DroppedLen())
				case frame != nil:
					if len(frame) == 0 || len(frame) > maxFrame {
						t.Fatalf("frame of %d bytes, max %d", len(frame), maxFrame)
					}
					frames = append(frames, bytes.Clone(frame))
				}
			}
		}
		if !equalFrames(frames, wantFrames) {
			t.Fatalf("frames %x, reference model %x", frames, wantFrames)
		}
		if len(dropped) != len(wantDropped) {
			t.Fatalf("dropped %v, reference model %v", dropped, wantDropped)
		}
		for i := range dropped {
			if dropped[i] != wantDropped[i] {
				t.Fatalf("dropped %v, reference model %v", dropped, wantDropped)
			}
		}
		s := d.Stats()
		if s.Frames != uint64(len(frames)) || s.TooShort+s.TooLarge != uint64(len(dropped)) {
			t.Fatalf("stats %+v for %d frames, %d drops", s, len(frames), len(dropped))
		}

		// Roundtrip: data as a payload, framed twice back to back.
		if len(data) == 0 {
			return
		}
		stream := framing.AppendHDLC(nil, data)
		stream = framing.AppendHDLC(stream, data)
		checkEscape(t, data)
		var rt framing.HDLCDecoder
		var got int
		for c := stream; len(c) > 0; {
			n, frame, err := rt.Decode(c)
			c = c[n:]
			if err != nil {
				t.Fatal(err)
			}
			if frame != nil {
				if !bytes.Equal(frame, data) {
					t.Fatalf("roundtrip gave %x, want %x", frame, data)
				}
				got++
			}
		}
		if got != 2 {
			t.Fatalf("roundtrip gave %d frames, want 2", got)
		}
	})
}

func FuzzKISSDecoder(f *testing.F) {
	v := fuzzVectors(f)
	for _, e := range v.KISSEncode {
		f.Add([]byte(e.Expected.Frame), []byte{0}, false, byte(0))
		f.Add([]byte(e.Inputs.Payload), []byte{5, 1}, true, byte(0x10))
	}
	for _, e := range v.KISSStream {
		var stream, sizes []byte
		for _, c := range e.Inputs.Chunks {
			stream = append(stream, c...)
			sizes = append(sizes, byte(len(c)-1))
		}
		f.Add(stream, sizes, true, byte(0))
	}
	for _, e := range v.Commands {
		f.Add([]byte(e.Expected.Bytes), []byte{2}, false, byte(e.Expected.Bytes[1]))
	}
	for _, e := range v.Responses {
		f.Add([]byte(e.Inputs.Stream), []byte{9, 4}, false, byte(0x23))
	}
	for _, e := range v.TNC {
		f.Add([]byte(e.Expected.Frame), []byte{1}, true, byte(e.Expected.Frame[1]))
	}
	f.Fuzz(func(t *testing.T, data, sizes []byte, strip bool, cmd byte) {
		const maxFrame = 300

		type ev struct {
			cmd     byte
			payload string
			drop    int
		}
		decode := func(chunks [][]byte) []ev {
			d := framing.KISSDecoder{MaxFrame: maxFrame, StripPort: strip}
			var evs []ev
			for _, c := range chunks {
				for len(c) > 0 {
					n, cmd, payload, err := d.Decode(c)
					if n <= 0 || n > len(c) {
						t.Fatalf("Decode consumed %d of %d", n, len(c))
					}
					c = c[n:]
					switch {
					case err != nil:
						if !errors.Is(err, framing.ErrFrameTooLarge) {
							t.Fatalf("unexpected error %v", err)
						}
						if d.DroppedLen() <= maxFrame {
							t.Fatalf("dropped a frame of %d bytes", d.DroppedLen())
						}
						evs = append(evs, ev{drop: d.DroppedLen()})
					case payload != nil:
						if len(payload) > maxFrame || strip && cmd > 0x0f {
							t.Fatalf("frame cmd %#x of %d bytes", cmd, len(payload))
						}
						evs = append(evs, ev{cmd: cmd, payload: string(payload)})
					}
				}
			}
			return evs
		}
		// However the stream is split, the same frames come out.
		whole := decode([][]byte{data})
		split := decode(chunked(data, sizes))
		if len(whole) != len(split) {
			t.Fatalf("split decoding gave %d events, whole %d", len(split), len(whole))
		}
		for i := range whole {
			if whole[i] != split[i] {
				t.Fatalf("event %d: split %+v, whole %+v", i, split[i], whole[i])
			}
		}

		// Roundtrip: data as a payload, framed twice back to back.
		if len(data) > maxFrame {
			data = data[:maxFrame]
		}
		stream := framing.AppendKISS(nil, cmd, data)
		stream = framing.AppendKISS(stream, cmd, data)
		wantCmd := cmd
		if strip {
			wantCmd &= 0x0f
		}
		got := decode(chunked(stream, sizes))
		if cmd == framing.KISSFend {
			return // a FEND command byte reads as an empty frame
		}
		if len(got) != 2 || got[0] != got[1] || got[0].cmd != wantCmd || got[0].payload != string(data) {
			t.Fatalf("roundtrip gave %+v, want 2 x (%#x, %x)", got, wantCmd, data)
		}
	})
}
