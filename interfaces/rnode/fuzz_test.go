package rnode_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"testing"

	"github.com/mehr-net/mehr/interfaces/framing"
	"github.com/mehr-net/mehr/interfaces/rnode"
	"github.com/mehr-net/mehr/vectors"
)

// parsed is everything a parser produced from a stream.
type parsed struct {
	events []event
	data   []rnode.Frame
	state  rnode.State
	stats  rnode.Stats
}

func parseChunked(t *testing.T, b, sizes []byte) parsed {
	var p rnode.Parser
	var out parsed
	for i := 0; len(b) > 0; i++ {
		n := len(b)
		if len(sizes) > 0 {
			n = min(int(sizes[i%len(sizes)]%32)+1, len(b))
		}
		c := b[:n]
		b = b[n:]
		for len(c) > 0 {
			m, f, err := p.Decode(c)
			if m <= 0 || m > len(c) {
				t.Fatalf("Decode consumed %d of %d", m, len(c))
			}
			c = c[m:]
			switch {
			case err != nil:
				if !errors.Is(err, rnode.ErrShortPayload) && !errors.Is(err, framing.ErrFrameTooLarge) {
					t.Fatalf("unexpected error %v", err)
				}
				out.events = append(out.events, event{err: err})
			case f.Payload != nil:
				out.events = append(out.events, event{cmd: f.Command, payload: string(f.Payload)})
				if f.Command == rnode.CmdData {
					if len(f.Payload) == 0 || len(f.Payload) > rnode.DataMTU {
						t.Fatalf("data frame of %d bytes", len(f.Payload))
					}
					f.Payload = bytes.Clone(f.Payload)
					out.data = append(out.data, f)
				} else if len(f.Payload) > rnode.MaxFrame {
					t.Fatalf("frame of %d bytes", len(f.Payload))
				}
			}
		}
	}
	out.state = p.State
	out.stats = p.Stats()
	return out
}

func FuzzRNodeParser(f *testing.F) {
	b, err := vectors.Read("framing.json")
	if err != nil {
		f.Fatal(err)
	}
	var v struct {
		KISSEncode []struct {
			Inputs   struct{ Payload vectors.Hex }
			Expected struct {
				RNodeInterfaceFrame vectors.Hex `json:"rnode_interface_frame"`
			}
		} `json:"kiss_encode"`
		Commands []struct {
			Expected struct{ Bytes vectors.Hex }
		} `json:"rnode_commands"`
		Responses []struct {
			Inputs struct{ Stream vectors.Hex }
		} `json:"rnode_responses"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		f.Fatal(err)
	}
	for _, e := range v.Responses {
		f.Add([]byte(e.Inputs.Stream), []byte{0}, []byte("packet"))
		f.Add([]byte(e.Inputs.Stream), []byte{1, 5, 30}, []byte{0xc0, 0xdb})
	}
	for _, e := range v.KISSEncode {
		f.Add([]byte(e.Expected.RNodeInterfaceFrame), []byte{3}, []byte(e.Inputs.Payload))
	}
	for _, e := range v.Commands {
		f.Add([]byte(e.Expected.Bytes), []byte{2}, []byte{})
	}
	f.Fuzz(func(t *testing.T, stream, sizes, payload []byte) {
		// However the stream is split, the parser returns the same frames
		// and ends in the same state.
		whole := parseChunked(t, stream, nil)
		split := parseChunked(t, stream, sizes)
		if !reflect.DeepEqual(whole, split) {
			t.Fatalf("split parsing differs:\nwhole %+v\nsplit %+v", whole, split)
		}
		s := whole.state
		if s.Has(rnode.FieldBattery) && s.BatteryPercent > 100 {
			t.Fatalf("battery %d%%", s.BatteryPercent)
		}
		if s.Has(rnode.FieldTemperature) && (s.Temperature < -30 || s.Temperature > 90) {
			t.Fatalf("temperature %d", s.Temperature)
		}
		if s.Has(rnode.FieldLinkQuality) && !(s.LinkQuality >= 0 && s.LinkQuality <= 100) {
			t.Fatalf("link quality %v", s.LinkQuality)
		}
		if s.Has(rnode.FieldSNR) && (s.SNR < -32 || s.SNR > 31.75 || math.IsNaN(s.SNR)) {
			t.Fatalf("snr %v", s.SNR)
		}

		// Roundtrip: a data frame built with AppendData, after the stream
		// and after a FEND that ends whatever the stream left open, comes
		// back unchanged.
		if len(payload) == 0 || len(payload) > rnode.DataMTU {
			return
		}
		in := append(bytes.Clone(stream), framing.KISSFend)
		in = rnode.AppendData(in, payload)
		got := parseChunked(t, in, sizes)
		if len(got.data) == 0 || !bytes.Equal(got.data[len(got.data)-1].Payload, payload) {
			t.Fatalf("roundtrip lost the data frame %x: %+v", payload, got.data)
		}
	})
}
