package tcp_test

// Interoperability with the Python reference's framing. The ref* helpers
// below model what RNS 1.4.2's TCPClientInterface writes (process_outgoing)
// and reads (read_loop) with byte-string operations, independently of
// package framing; the vector tests replay streams recorded from the
// reference itself (vectors/reticulum/framing.json).

import (
	"bytes"
	"encoding/json"
	"io"
	"testing"
	"time"

	"github.com/mehr-net/mehr/interfaces/tcp"
	"github.com/mehr-net/mehr/internal/testutil"
	"github.com/mehr-net/mehr/vectors"
)

// refHDLCFrame builds a frame as the reference writes it: escape 0x7D,
// then 0x7E, and wrap in flags.
func refHDLCFrame(p []byte) []byte {
	p = bytes.ReplaceAll(p, []byte{0x7D}, []byte{0x7D, 0x5D})
	p = bytes.ReplaceAll(p, []byte{0x7E}, []byte{0x7D, 0x5E})
	return append(append([]byte{0x7E}, p...), 0x7E)
}

// refKISSFrame builds a data frame as the reference writes it with
// kiss_framing: escape 0xDB, then 0xC0, and wrap in FEND and command 0.
func refKISSFrame(p []byte) []byte {
	p = bytes.ReplaceAll(p, []byte{0xDB}, []byte{0xDB, 0xDD})
	p = bytes.ReplaceAll(p, []byte{0xC0}, []byte{0xDB, 0xDC})
	return append(append([]byte{0xC0, 0x00}, p...), 0xC0)
}

func refFrame(kiss bool, p []byte) []byte {
	if kiss {
		return refKISSFrame(p)
	}
	return refHDLCFrame(p)
}

// refReader models the reference's TCP read loop.
type refReader struct {
	kiss     bool
	hwMTU    int
	ifacSize int

	// HDLC: the accumulated, not yet framed bytes.
	buf []byte
	// KISS: the reader's state machine.
	inFrame, escape bool
	command         int
	data            []byte
}

func newRefReader(kiss bool, hwMTU, ifacSize int) *refReader {
	return &refReader{kiss: kiss, hwMTU: hwMTU, ifacSize: ifacSize, command: 0xFE}
}

// feed takes the bytes of one socket read and returns the frames the
// reference passes to transport.
func (r *refReader) feed(in []byte) [][]byte {
	if r.kiss {
		return r.feedKISS(in)
	}
	var out [][]byte
	r.buf = append(r.buf, in...)
	for {
		start := bytes.IndexByte(r.buf, 0x7E)
		if start < 0 {
			r.buf = r.buf[:0]
			return out
		}
		end := bytes.IndexByte(r.buf[start+1:], 0x7E)
		if end < 0 {
			if len(r.buf) > 2*r.hwMTU {
				r.buf = r.buf[:0]
			}
			return out
		}
		end += start + 1
		f := bytes.Clone(r.buf[start+1 : end])
		f = bytes.ReplaceAll(f, []byte{0x7D, 0x5E}, []byte{0x7E})
		f = bytes.ReplaceAll(f, []byte{0x7D, 0x5D}, []byte{0x7D})
		// HEADER_MINSIZE is 19; longer than HW_MTU + ifac_size is dropped.
		if len(f) > 19 && len(f) <= r.hwMTU+r.ifacSize {
			out = append(out, f)
		}
		r.buf = r.buf[end:] // the closing flag opens the next frame
	}
}

func (r *refReader) feedKISS(in []byte) [][]byte {
	var out [][]byte
	for _, b := range in {
		switch {
		case r.inFrame && b == 0xC0 && r.command == 0x00:
			r.inFrame = false
			out = append(out, bytes.Clone(r.data))
		case b == 0xC0:
			r.inFrame, r.command, r.data = true, 0xFE, r.data[:0]
		case r.inFrame && len(r.data) < r.hwMTU:
			switch {
			case len(r.data) == 0 && r.command == 0xFE:
				r.command = int(b & 0x0F)
			case r.command == 0x00:
				if b == 0xDB {
					r.escape = true
					continue
				}
				if r.escape {
					if b == 0xDC {
						b = 0xC0
					}
					if b == 0xDD {
						b = 0xDB
					}
					r.escape = false
				}
				r.data = append(r.data, b)
			}
		}
	}
	return out
}

type encodeVector struct {
	Description string
	Inputs      struct{ Payload vectors.Hex }
	Expected    struct{ Frame vectors.Hex }
}

type streamVector struct {
	Description string
	Inputs      struct{ Chunks []vectors.Hex }
	Expected    struct {
		Frames              []vectors.Hex
		DroppedFrameLengths []int `json:"dropped_frame_lengths"`
	}
}

// loadFraming reads one section of framing.json. It reads the file
// directly rather than through vectors.Load, whose accounting expects a
// test to use every section of the file.
func loadFraming(t *testing.T, section string, v any) {
	t.Helper()
	b, err := vectors.Read("framing.json")
	if err != nil {
		t.Fatal(err)
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(all[section], v); err != nil {
		t.Fatalf("%s: %v", section, err)
	}
}

// TestReferenceStreams replays byte streams recorded from the reference's
// TCP reader, one write per recorded read, and expects the frames it
// delivered.
func TestReferenceStreams(t *testing.T) {
	for _, tc := range []struct {
		section string
		kiss    bool
	}{{"hdlc_stream_decode", false}, {"kiss_stream_decode", true}} {
		t.Run(tc.section, func(t *testing.T) {
			defer testutil.LeakCheck(t)()
			var vs []streamVector
			loadFraming(t, tc.section, &vs)
			if len(vs) == 0 {
				t.Fatal("no vectors")
			}
			srv := listen(t, tcp.Config{KISSFraming: tc.kiss})
			defer srv.Close()
			for _, v := range vs {
				t.Run(v.Description, func(t *testing.T) {
					raw := rawConn(t, srv)
					defer raw.Close()
					sp := accept(t, srv)
					rs := startReceiver(sp, sp.MTU()+tcp.DefaultIFACSize)
					defer rs.shutdown(t)
					// Feed the reference model the same chunks: the
					// model must agree with the recording too.
					model := newRefReader(tc.kiss, sp.MTU(), tcp.DefaultIFACSize)
					var modelOut [][]byte
					for _, c := range v.Inputs.Chunks {
						if _, err := raw.Write(c); err != nil {
							t.Fatal(err)
						}
						modelOut = append(modelOut, model.feed(c)...)
					}
					if len(modelOut) != len(v.Expected.Frames) {
						t.Fatalf("model delivers %d frames, reference %d", len(modelOut), len(v.Expected.Frames))
					}
					for i, want := range v.Expected.Frames {
						if !bytes.Equal(modelOut[i], want) {
							t.Fatalf("model frame %d: %x, want %x", i, modelOut[i], []byte(want))
						}
						if got := rs.next(t); !bytes.Equal(got, want) {
							t.Fatalf("frame %d: got %x, want %x", i, got, []byte(want))
						}
					}
					raw.Close()
					rs.err(t) // every byte consumed once the peer is gone
					if st := sp.Stats(); st.TooShort != uint64(len(v.Expected.DroppedFrameLengths)) {
						t.Errorf("TooShort = %d, reference dropped %v", st.TooShort, v.Expected.DroppedFrameLengths)
					}
				})
			}
		})
	}
}

// TestReferenceEncoding checks that Send writes exactly the bytes the
// reference writes for the same packet.
func TestReferenceEncoding(t *testing.T) {
	for _, tc := range []struct {
		section string
		kiss    bool
	}{{"hdlc_encode", false}, {"kiss_encode", true}} {
		t.Run(tc.section, func(t *testing.T) {
			defer testutil.LeakCheck(t)()
			var vs []encodeVector
			loadFraming(t, tc.section, &vs)
			if len(vs) == 0 {
				t.Fatal("no vectors")
			}
			srv := listen(t, tcp.Config{KISSFraming: tc.kiss})
			defer srv.Close()
			raw := rawConn(t, srv)
			defer raw.Close()
			sp := accept(t, srv)
			defer sp.Close()
			raw.SetReadDeadline(time.Now().Add(wait))
			for _, v := range vs {
				if err := sp.Send(v.Inputs.Payload); err != nil {
					t.Fatal(err)
				}
				got := make([]byte, len(v.Expected.Frame))
				if _, err := io.ReadFull(raw, got); err != nil {
					t.Fatalf("%s: %v", v.Description, err)
				}
				if !bytes.Equal(got, v.Expected.Frame) {
					t.Errorf("%s: wrote %x, reference writes %x", v.Description, got, []byte(v.Expected.Frame))
				}
				if ref := refFrame(tc.kiss, v.Inputs.Payload); !bytes.Equal(ref, v.Expected.Frame) {
					t.Errorf("%s: model writes %x", v.Description, ref)
				}
			}
		})
	}
}

// TestReferenceRoundTrip has a peer that frames like the reference send
// to our reader, and our writer send to a peer that reads like the
// reference, for the same packets.
func TestReferenceRoundTrip(t *testing.T) {
	for _, f := range framings {
		t.Run(f.name, func(t *testing.T) {
			defer testutil.LeakCheck(t)()
			srv := listen(t, tcp.Config{KISSFraming: f.kiss})
			defer srv.Close()
			raw := rawConn(t, srv)
			defer raw.Close()
			sp := accept(t, srv)
			rs := startReceiver(sp, sp.MTU()+tcp.DefaultIFACSize)
			defer rs.shutdown(t)

			var pkts [][]byte
			for n := 20; n <= sp.MTU(); n = n*3/2 + 1 {
				p := make([]byte, n)
				for i := range p {
					p[i] = byte(i*7) ^ byte(n) // every byte value, specials included
				}
				pkts = append(pkts, p)
			}
			var stream []byte
			for _, p := range pkts {
				stream = append(stream, refFrame(f.kiss, p)...)
			}
			go writeChunks(raw, stream, 9)
			for i, p := range pkts {
				if got := rs.next(t); !bytes.Equal(got, p) {
					t.Fatalf("packet %d: got %d bytes, want %d", i, len(got), len(p))
				}
			}

			for _, p := range pkts {
				if err := sp.Send(p); err != nil {
					t.Fatal(err)
				}
			}
			model := newRefReader(f.kiss, sp.MTU(), tcp.DefaultIFACSize)
			raw.SetReadDeadline(time.Now().Add(wait))
			var got [][]byte
			buf := make([]byte, 4096) // the reference reads 4096 bytes at a time
			for len(got) < len(pkts) {
				n, err := raw.Read(buf)
				if err != nil {
					t.Fatalf("after %d frames: %v", len(got), err)
				}
				got = append(got, model.feed(buf[:n])...)
			}
			for i, p := range pkts {
				if !bytes.Equal(got[i], p) {
					t.Fatalf("frame %d: the reference would read %d bytes, want %d", i, len(got[i]), len(p))
				}
			}
		})
	}
}
