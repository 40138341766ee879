package rnode_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"math"
	"testing"

	"github.com/mehr-net/mehr/interfaces/framing"
	"github.com/mehr-net/mehr/interfaces/rnode"
	"github.com/mehr-net/mehr/internal/testutil"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// event is one result of Parser.Decode.
type event struct {
	cmd     byte
	payload string
	err     error
}

// decodeAll feeds b to p and returns every frame and error.
func decodeAll(t testing.TB, p *rnode.Parser, b []byte) []event {
	t.Helper()
	var evs []event
	for len(b) > 0 {
		n, f, err := p.Decode(b)
		if n <= 0 || n > len(b) {
			t.Fatalf("Decode consumed %d of %d", n, len(b))
		}
		b = b[n:]
		switch {
		case err != nil:
			evs = append(evs, event{err: err})
		case f.Payload != nil:
			evs = append(evs, event{cmd: f.Command, payload: string(f.Payload)})
		}
	}
	return evs
}

func TestParserMalformed(t *testing.T) {
	long := "c000" + hex.EncodeToString(bytes.Repeat([]byte{1}, rnode.DataMTU+1)) + "c0"
	huge := "c042" + hex.EncodeToString(bytes.Repeat([]byte{1}, rnode.MaxFrame+1)) + "c0"
	tests := []struct {
		name  string
		in    string
		want  []event
		stats rnode.Stats
	}{
		{"short frequency", "c00133b0c0", []event{{err: rnode.ErrShortPayload}}, rnode.Stats{ShortPayload: 1}},
		{"short bandwidth", "c002c0", []event{{err: rnode.ErrShortPayload}}, rnode.Stats{ShortPayload: 1}},
		{"short firmware version", "c05001c0", []event{{err: rnode.ErrShortPayload}}, rnode.Stats{ShortPayload: 1}},
		{"empty txpower", "c003c0", []event{{err: rnode.ErrShortPayload}}, rnode.Stats{ShortPayload: 1}},
		{"short channel stats", "c0250102030405060708090ac0", []event{{err: rnode.ErrShortPayload}}, rnode.Stats{ShortPayload: 1}},
		{"short phy params", "c0260102030405060708090a0bc0", []event{{err: rnode.ErrShortPayload}}, rnode.Stats{ShortPayload: 1}},
		{"short battery", "c02702c0", []event{{err: rnode.ErrShortPayload}}, rnode.Stats{ShortPayload: 1}},
		{"escaped byte cut short", "c023dbc0", []event{{err: rnode.ErrShortPayload}}, rnode.Stats{ShortPayload: 1}},
		{"data over DataMTU", long, []event{{err: framing.ErrFrameTooLarge}}, rnode.Stats{TooLarge: 1}},
		{"frame over MaxFrame", huge, []event{{err: framing.ErrFrameTooLarge}}, rnode.Stats{TooLarge: 1}},
		{"empty data frame skipped", "c000c0", nil, rnode.Stats{Empty: 1}},
		{"garbage", "0102", nil, rnode.Stats{Discarded: 2}},
		{"unknown command passes through", "c0fa0102c0", []event{{cmd: 0xfa, payload: "\x01\x02"}}, rnode.Stats{Frames: 1}},
		{"recovers after a bad frame", "c00133c0c00311c0", []event{{err: rnode.ErrShortPayload}, {cmd: rnode.CmdTXPower, payload: "\x11"}}, rnode.Stats{ShortPayload: 1, Frames: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p rnode.Parser
			got := decodeAll(t, &p, unhex(t, tt.in))
			if len(got) != len(tt.want) {
				t.Fatalf("events %+v, want %+v", got, tt.want)
			}
			for i := range got {
				if got[i].cmd != tt.want[i].cmd || got[i].payload != tt.want[i].payload || !errors.Is(got[i].err, tt.want[i].err) {
					t.Errorf("event %d: %+v, want %+v", i, got[i], tt.want[i])
				}
			}
			if s := p.Stats(); s != tt.stats {
				t.Errorf("stats %+v, want %+v", s, tt.stats)
			}
			if p.State.Known&^(rnode.FieldTXPower) != 0 {
				t.Errorf("malformed input set state fields %b", p.State.Known)
			}
		})
	}
}

func TestParserState(t *testing.T) {
	var p rnode.Parser
	// SF 7; SNR byte 0xC0 (-16 dB) and 0xDB (-9.25 dB) arrive escaped, as
	// the firmware sends them; the reference would misread both.
	in := "c00407c0" + "c023dbdcc0" + "c024dbdcc0" + "c0000102c0" +
		"c024dbddc0" + "c0000304c0" + // SNR without RSSI
		"c0000506c0" + // no signal values at all
		"c0250064012c00c801f46470ffc0" + // channel stats, no interference
		"c02603e800100008001e0014000ac0" + // phy params
		"c028010203c0" + // csma
		"c02703ffc0" + // battery over 100 %
		"c029dbddc0" + // 219 - 120 = 99 °C: out of range
		"c0220000002ac0" + // tx counter
		"c00a41c0" + // leave echoes nothing we track
		"c00845c0" + // not an RNode
		"c0409cc0" + // random
		"c00b0bb8c0" + "c00c00fac0" + // airtime locks 30 % and 2.5 %
		"c00701c0" // radio lock
	var frames []rnode.Frame
	for b := unhex(t, in); len(b) > 0; {
		n, f, err := p.Decode(b)
		b = b[n:]
		if err != nil {
			t.Fatal(err)
		}
		if f.Command == rnode.CmdData && f.Payload != nil {
			f.Payload = bytes.Clone(f.Payload)
			frames = append(frames, f)
		}
	}
	if len(frames) != 3 {
		t.Fatalf("%d data frames, want 3", len(frames))
	}
	// -16 dB at SF7: (-16+9)/15*100 = -46.7, clamped to 0.
	if f := frames[0]; f.Known != rnode.FieldRSSI|rnode.FieldSNR|rnode.FieldLinkQuality ||
		f.RSSI != 0xc0-157 || f.SNR != -16 || f.LinkQuality != 0 {
		t.Errorf("frame 0 signal %+v", f)
	}
	// -9.25 dB at SF7: (-0.25/15)*100 = -1.67, clamped to 0.
	if f := frames[1]; f.Known != rnode.FieldSNR|rnode.FieldLinkQuality || f.SNR != -9.25 {
		t.Errorf("frame 1 signal %+v", f)
	}
	if f := frames[2]; f.Known != 0 {
		t.Errorf("frame 2 signal %+v, want none", f)
	}
	s := &p.State
	c := s.Channel
	if !s.Has(rnode.FieldChannel) || s.Has(rnode.FieldInterference) || c.AirtimeShort != 1 || c.AirtimeLong != 3 ||
		c.LoadShort != 2 || c.LoadLong != 5 || c.CurrentRSSI != 0x64-157 || c.NoiseFloor != 0x70-157 || c.Interference != 0 {
		t.Errorf("channel %+v", c)
	}
	if ph := s.PHY; !s.Has(rnode.FieldPHY) || ph != (rnode.PHYParams{SymbolTime: 1, SymbolRate: 16, PreambleSymbols: 8, PreambleTime: 30, CSMASlotTime: 20, DIFS: 10}) {
		t.Errorf("phy %+v", ph)
	}
	if s.CSMA != (rnode.CSMAParams{Band: 1, Min: 2, Max: 3}) {
		t.Errorf("csma %+v", s.CSMA)
	}
	if s.BatteryState != rnode.BatteryCharged || s.BatteryPercent != 100 {
		t.Errorf("battery %d %d%%", s.BatteryState, s.BatteryPercent)
	}
	if s.Has(rnode.FieldTemperature) {
		t.Errorf("out-of-range temperature kept: %d", s.Temperature)
	}
	if s.TXPackets != 42 || s.Random != 0x9c || s.RadioLock != 1 || s.STALock != 30 || s.LTALock != 2.5 {
		t.Errorf("state %+v", s)
	}
	if !s.Has(rnode.FieldDetect) || s.Detected {
		t.Errorf("detected %v after a wrong detect response", s.Detected)
	}
	if s.FirmwareSupported() {
		t.Error("firmware supported before it was reported")
	}
}

func TestParserInterferenceCleared(t *testing.T) {
	var p rnode.Parser
	decodeAll(t, &p, unhex(t, "c0250000000000000000646478c0"))
	if !p.State.Has(rnode.FieldInterference) {
		t.Fatal("interference not recorded")
	}
	decodeAll(t, &p, unhex(t, "c02500000000000000006464ffc0"))
	if p.State.Has(rnode.FieldInterference) || !p.State.Has(rnode.FieldChannel) {
		t.Fatalf("known %b after a report without interference", p.State.Known)
	}
}

func TestParserDeviceErrors(t *testing.T) {
	var p rnode.Parser
	evs := decodeAll(t, &p, unhex(t, "c09005c0c00fc0c05555f8c0"))
	if len(evs) != 3 || evs[0].cmd != rnode.CmdError || evs[1].cmd != rnode.CmdReady || evs[2].cmd != rnode.CmdReset {
		t.Fatalf("events %+v", evs)
	}
	if err := error(p.State.LastError); !errors.Is(err, rnode.ErrMemoryLow) || p.State.LastError.Fatal() {
		t.Errorf("last error %v", err)
	}
	for _, tt := range []struct {
		e     rnode.DeviceError
		fatal bool
		msg   string
	}{
		{rnode.ErrInitRadio, true, "rnode: device error: radio initialisation failed"},
		{rnode.ErrTXFailed, true, "rnode: device error: transmission failed"},
		{rnode.ErrEEPROMLocked, true, "rnode: device error: EEPROM locked"},
		{rnode.ErrQueueFull, true, "rnode: device error: queue full"},
		{rnode.ErrMemoryLow, false, "rnode: device error: memory exhausted"},
		{rnode.ErrModemTimeout, false, "rnode: device error: modem communication timed out"},
		{0x7f, true, "rnode: device error 0x7f"},
	} {
		if tt.e.Fatal() != tt.fatal || tt.e.Error() != tt.msg {
			t.Errorf("%#x: fatal %v %q", uint8(tt.e), tt.e.Fatal(), tt.e.Error())
		}
	}
}

func TestParserReset(t *testing.T) {
	var p rnode.Parser
	decodeAll(t, &p, unhex(t, "c02364c0c0000102"))
	p.Reset()
	var got []rnode.Frame
	for b := unhex(t, "0304c0c00005c0"); len(b) > 0; {
		n, f, _ := p.Decode(b)
		b = b[n:]
		if f.Payload != nil {
			got = append(got, f)
		}
	}
	if len(got) != 1 || string(got[0].Payload) != "\x05" || got[0].Known != 0 {
		t.Fatalf("after Reset: %+v, want frame 05 without signal values", got)
	}
	if !p.State.Has(rnode.FieldRSSI) {
		t.Error("Reset dropped State")
	}
}

func TestFirmwareSupported(t *testing.T) {
	for _, tt := range []struct {
		maj, min byte
		ok       bool
	}{{1, 51, false}, {1, 52, true}, {1, 82, true}, {2, 0, true}, {0, 99, false}} {
		var p rnode.Parser
		decodeAll(t, &p, []byte{0xc0, rnode.CmdFWVersion, tt.maj, tt.min, 0xc0})
		if p.State.FirmwareSupported() != tt.ok {
			t.Errorf("%d.%d supported = %v", tt.maj, tt.min, !tt.ok)
		}
	}
}

func TestLinkQuality(t *testing.T) {
	for _, tt := range []struct {
		snr  float64
		sf   uint8
		want float64
	}{
		{-2.5, 8, 50},     // the vector: (8.5/17)*100
		{6, 7, 100},       // top of the scale
		{10, 7, 100},      // clamped
		{-9, 7, 0},        // bottom of the scale
		{-20, 12, 0},      // clamped
		{0, 7, 60},        // 9/15
		{-1.25, 10, 65.5}, // (13.75/21)*100 = 65.476...
		{-8.75, 12, 41},   // (10.25/25)*100
	} {
		if got := rnode.LinkQuality(tt.snr, tt.sf); math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("LinkQuality(%v, %d) = %v, want %v", tt.snr, tt.sf, got, tt.want)
		}
	}
}

func TestBitrate(t *testing.T) {
	var p rnode.Parser
	if _, ok := p.State.Bitrate(); ok {
		t.Fatal("bitrate without parameters")
	}
	decodeAll(t, &p, unhex(t, "c0020001e848c0c00408c0c00505c0"))
	bps, ok := p.State.Bitrate()
	// 8 * (0.8 / (256/125)) * 1000 = 3125 bit/s
	if !ok || math.Abs(bps-3125) > 1e-6 {
		t.Fatalf("bitrate %v %v, want 3125", bps, ok)
	}
}

func TestCommands(t *testing.T) {
	for _, tt := range []struct {
		name string
		got  []byte
		want string
	}{
		{"airtime negative", rnode.AppendSTALock(nil, -3), "c00b0000c0"},
		{"airtime NaN", rnode.AppendSTALock(nil, math.NaN()), "c00b0000c0"},
		{"airtime over 100", rnode.AppendLTALock(nil, 250), "c00c2710c0"},
		{"airtime 100", rnode.AppendLTALock(nil, 100), "c00c2710c0"},
		{"airtime 0.29 truncates", rnode.AppendSTALock(nil, 0.29), "c00b001cc0"},
		{"frequency with FESC", rnode.AppendFrequency(nil, 0xdb00dbc0), "c001dbdd00dbdddbdcc0"},
		{"data", rnode.AppendData(nil, []byte{0xc0}), "c000dbdcc0"},
		{"fb ext on", rnode.AppendFBExt(nil, true), "c04101c0"},
		{"fb ext off", rnode.AppendFBExt(nil, false), "c04100c0"},
		{"fb read", rnode.AppendFBRead(nil), "c04201c0"},
		{"display read", rnode.AppendDispRead(nil), "c06601c0"},
		{"fb write", rnode.AppendFBWrite(nil, 0xc0, []byte{1, 0xdb}), "c043dbdc01dbddc0"},
		{"appends", rnode.AppendLeave([]byte{9}), "09c00affc0"},
	} {
		if want := unhex(t, tt.want); !bytes.Equal(tt.got, want) {
			t.Errorf("%s: %x, want %x", tt.name, tt.got, want)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	pct := func(v float64) *float64 { return &v }
	good := rnode.Config{Frequency: 868000000, Bandwidth: 125000, TXPower: 14, SpreadingFactor: 8, CodingRate: 5}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		mod  func(*rnode.Config)
	}{
		{"frequency low", func(c *rnode.Config) { c.Frequency = rnode.FrequencyMin - 1 }},
		{"frequency high", func(c *rnode.Config) { c.Frequency = rnode.FrequencyMax + 1 }},
		{"bandwidth low", func(c *rnode.Config) { c.Bandwidth = 7799 }},
		{"bandwidth high", func(c *rnode.Config) { c.Bandwidth = 1625001 }},
		{"txpower", func(c *rnode.Config) { c.TXPower = 38 }},
		{"sf low", func(c *rnode.Config) { c.SpreadingFactor = 4 }},
		{"sf high", func(c *rnode.Config) { c.SpreadingFactor = 13 }},
		{"cr low", func(c *rnode.Config) { c.CodingRate = 4 }},
		{"cr high", func(c *rnode.Config) { c.CodingRate = 9 }},
		{"st lock negative", func(c *rnode.Config) { c.STALock = pct(-1) }},
		{"lt lock over 100", func(c *rnode.Config) { c.LTALock = pct(100.5) }},
		{"lt lock NaN", func(c *rnode.Config) { c.LTALock = pct(math.NaN()) }},
	} {
		c := good
		tt.mod(&c)
		if err := c.Validate(); !errors.Is(err, rnode.ErrInvalidConfig) {
			t.Errorf("%s: %v, want ErrInvalidConfig", tt.name, err)
		}
	}
}

func TestAllocs(t *testing.T) {
	payload := bytes.Repeat([]byte{0x11, 0xc0, 0x22}, 160)
	stream := unhex(t, "c02364c0c024f6c0c00408c0")
	stream = rnode.AppendData(stream, payload)
	buf := make([]byte, 0, 2048)
	c := rnode.Config{Frequency: 868000000, Bandwidth: 125000, TXPower: 14, SpreadingFactor: 8, CodingRate: 5}

	t.Run("builders", func(t *testing.T) {
		testutil.MaxAllocs(t, 100, 0, func() {
			buf = rnode.AppendDetect(buf[:0])
			buf = rnode.AppendInitRadio(buf, &c)
			buf = rnode.AppendSTALock(buf, 10)
			buf = rnode.AppendData(buf, payload)
		})
	})
	t.Run("parser", func(t *testing.T) {
		var p rnode.Parser
		decodeAll(t, &p, stream)
		testutil.MaxAllocs(t, 100, 0, func() {
			frames := 0
			for b := stream; len(b) > 0; {
				n, f, _ := p.Decode(b)
				b = b[n:]
				if f.Command == rnode.CmdData && len(f.Payload) == len(payload) {
					frames++
				}
			}
			if frames != 1 {
				t.Fatal("no data frame")
			}
		})
	})
}

func BenchmarkParserData(b *testing.B) {
	payload := bytes.Repeat([]byte{0x11, 0xc0, 0x22, 0x7e, 0x55}, 100)
	stream := []byte{0xc0, rnode.CmdStatRSSI, 0x64, 0xc0, 0xc0, rnode.CmdStatSNR, 0xf6, 0xc0}
	stream = rnode.AppendData(stream, payload)
	var p rnode.Parser
	decodeAll(b, &p, unhex(b, "c00408c0"))
	b.ReportAllocs()
	b.SetBytes(int64(len(payload)))
	for b.Loop() {
		for s := stream; len(s) > 0; {
			n, _, _ := p.Decode(s)
			s = s[n:]
		}
	}
}
