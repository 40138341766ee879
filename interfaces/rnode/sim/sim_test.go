package sim_test

import (
	"bytes"
	"io"
	"math"
	"net"
	"testing"
	"time"

	"github.com/mehr-net/mehr/interfaces/rnode"
	"github.com/mehr-net/mehr/interfaces/rnode/sim"
	"github.com/mehr-net/mehr/internal/testutil"
)

func TestTimeOnAir(t *testing.T) {
	// Reference figures from Semtech's LoRa calculator (and the TTN
	// airtime calculator, whose LoRaWAN payload adds 13 bytes): preamble
	// 8, explicit header, CRC on.
	for _, tt := range []struct {
		name    string
		m       sim.Modulation
		payload int
		ms      float64
		symbols float64
	}{
		{"SF7 125k CR5 13 B", sim.Modulation{Bandwidth: 125000, SpreadingFactor: 7, CodingRate: 5, Preamble: 8}, 13, 46.336, 45.25},
		{"SF7 125k CR5 64 B", sim.Modulation{Bandwidth: 125000, SpreadingFactor: 7, CodingRate: 5, Preamble: 8}, 64, 118.016, 115.25},
		{"SF12 125k CR5 13 B", sim.Modulation{Bandwidth: 125000, SpreadingFactor: 12, CodingRate: 5, Preamble: 8}, 13, 1155.072, 35.25},
		{"SF12 125k CR5 64 B", sim.Modulation{Bandwidth: 125000, SpreadingFactor: 12, CodingRate: 5, Preamble: 8}, 64, 2793.472, 85.25},
		{"SF9 125k CR5 20 B", sim.Modulation{Bandwidth: 125000, SpreadingFactor: 9, CodingRate: 5, Preamble: 8}, 20, 185.344, 45.25},
		{"SF7 500k CR8 10 B", sim.Modulation{Bandwidth: 500000, SpreadingFactor: 7, CodingRate: 8, Preamble: 8}, 10, 13.376, 52.25},
		// SX126x SF5/SF6 variant: preamble + 6.25, no +8 bit term.
		{"SF5 500k CR5 10 B", sim.Modulation{Bandwidth: 500000, SpreadingFactor: 5, CodingRate: 5, Preamble: 8}, 10, 3.024, 47.25},
		{"SF12 125k CR5 no CRC implicit", sim.Modulation{Bandwidth: 125000, SpreadingFactor: 12, CodingRate: 5, Preamble: 8, NoCRC: true, ImplicitHeader: true}, 1, 401.408 + 8*32.768, 20.25},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.m.Symbols(tt.payload); got != tt.symbols {
				t.Errorf("symbols %v, want %v", got, tt.symbols)
			}
			got := float64(tt.m.TimeOnAir(tt.payload)) / float64(time.Millisecond)
			if math.Abs(got-tt.ms) > 0.001 {
				t.Errorf("time on air %.3f ms, want %.3f ms", got, tt.ms)
			}
		})
	}
	m := sim.Modulation{Bandwidth: 125000, SpreadingFactor: 11, CodingRate: 5}
	if !m.LowDataRateOptimize() {
		t.Error("SF11 at 125 kHz without low data rate optimisation")
	}
	m.SpreadingFactor = 10
	if m.LowDataRateOptimize() {
		t.Error("SF10 at 125 kHz with low data rate optimisation")
	}
	// RNode framing: a header byte per LoRa frame, two frames above 254.
	m = sim.Modulation{Bandwidth: 125000, SpreadingFactor: 7, CodingRate: 5, Preamble: 8}
	if got, want := m.PacketAirtime(100), m.TimeOnAir(101); got != want {
		t.Errorf("PacketAirtime(100) %v, want %v", got, want)
	}
	if got, want := m.PacketAirtime(508), m.TimeOnAir(255)+m.TimeOnAir(255); got != want {
		t.Errorf("PacketAirtime(508) %v, want %v", got, want)
	}
}

// host is a minimal host side of the protocol for testing the simulator
// without the driver.
type host struct {
	t       testing.TB
	conn    net.Conn
	p       rnode.Parser
	buf     []byte
	pending []byte
}

func attach(t testing.TB, r *sim.Radio) *host {
	hc, dc := net.Pipe()
	h := &host{t: t, conn: hc, buf: make([]byte, 4096)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.Serve(dc)
	}()
	t.Cleanup(func() {
		hc.Close()
		dc.Close()
		<-done
	})
	return h
}

func (h *host) write(b []byte) {
	h.t.Helper()
	h.conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if _, err := h.conn.Write(b); err != nil {
		h.t.Fatal(err)
	}
}

// next returns the next frame from the device.
func (h *host) next() rnode.Frame {
	h.t.Helper()
	for {
		for len(h.pending) > 0 {
			n, f, _ := h.p.Decode(h.pending)
			h.pending = h.pending[n:]
			if f.Payload != nil {
				f.Payload = bytes.Clone(f.Payload)
				return f
			}
		}
		h.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		n, err := h.conn.Read(h.buf)
		if err != nil {
			h.t.Fatal(err)
		}
		h.pending = h.buf[:n]
	}
}

// until returns the first frame with command cmd.
func (h *host) until(cmd byte) rnode.Frame {
	h.t.Helper()
	for range 1000 {
		if f := h.next(); f.Command == cmd {
			return f
		}
	}
	h.t.Fatalf("no frame 0x%02x", cmd)
	return rnode.Frame{}
}

func (h *host) configure(c rnode.Config) {
	h.t.Helper()
	h.write(rnode.AppendInitRadio(nil, &c))
	for range 100 {
		f := h.until(rnode.CmdRadioState)
		if f.Payload[0] == rnode.RadioStateOn {
			return
		}
	}
	h.t.Fatal("radio did not switch on")
}

var fast = rnode.Config{Frequency: 868000000, Bandwidth: 500000, TXPower: 10, SpreadingFactor: 7, CodingRate: 5}

func TestAnswers(t *testing.T) {
	t.Cleanup(testutil.LeakCheck(t))
	ch := sim.NewChannel(false)
	r := sim.NewRadio(ch, sim.Options{FirmwareMajor: 1, FirmwareMinor: 74, MaxTXPower: 17, StatsInterval: -1})
	defer r.Close()
	h := attach(t, r)
	h.write(rnode.AppendDetect(nil))
	for _, want := range []struct {
		cmd     byte
		payload string
	}{
		{rnode.CmdDetect, "\x46"}, {rnode.CmdFWVersion, "\x01\x4a"}, {rnode.CmdPlatform, "\x80"}, {rnode.CmdMCU, "\x81"},
	} {
		if f := h.next(); f.Command != want.cmd || string(f.Payload) != want.payload {
			t.Fatalf("frame %02x %x, want %02x %x", f.Command, f.Payload, want.cmd, want.payload)
		}
	}
	c := fast
	c.TXPower = 30
	c.SpreadingFactor = 12
	h.write(rnode.AppendInitRadio(nil, &c))
	want := []struct {
		cmd     byte
		payload string
	}{
		{rnode.CmdFrequency, "\x33\xbc\xa1\x00"}, {rnode.CmdBandwidth, "\x00\x07\xa1\x20"},
		{rnode.CmdTXPower, "\x11"}, // clamped to 17
		{rnode.CmdSF, "\x0c"}, {rnode.CmdCR, "\x05"},
		{rnode.CmdStatPHY, ""}, {rnode.CmdRadioState, "\x01"},
	}
	for _, w := range want {
		f := h.next()
		if f.Command != w.cmd || w.payload != "" && string(f.Payload) != w.payload {
			t.Fatalf("frame %02x %x, want %02x %x", f.Command, f.Payload, w.cmd, w.payload)
		}
	}
	st := h.p.State
	// SF12 at 500 kHz: 8.192 ms symbols, 122 baud.
	if st.PHY.SymbolTime != 8.192 || st.PHY.SymbolRate != 122 || st.PHY.PreambleSymbols != sim.DefaultPreamble {
		t.Errorf("phy %+v", st.PHY)
	}
	h.write(rnode.AppendSTALock(nil, 12.5))
	if f := h.next(); f.Command != rnode.CmdSTALock || h.p.State.STALock != 12.5 {
		t.Errorf("airtime lock echo %+v", f)
	}
	h.write([]byte{0xc0, rnode.CmdRadioLock, 0, 0xc0, 0xc0, rnode.CmdStatRX, 0, 0xc0, 0xc0, rnode.CmdReady, 0, 0xc0})
	h.until(rnode.CmdStatRX)
	if f := h.next(); f.Command != rnode.CmdReady || f.Payload[0] != 1 {
		t.Errorf("ready %+v", f)
	}
	if h.p.State.RadioLock != 0 || !h.p.State.Has(rnode.FieldRXPackets) {
		t.Errorf("state %+v", h.p.State)
	}
	// A radio switched off while unconfigured stays off.
	h.write(rnode.AppendHardReset(nil))
	h.until(rnode.CmdReset)
	h.write(rnode.AppendRadioState(nil, rnode.RadioStateOn))
	if f := h.until(rnode.CmdRadioState); f.Payload[0] != rnode.RadioStateOff {
		t.Error("unconfigured radio switched on")
	}
}

// link configures radios and returns their hosts.
func link(t *testing.T, ch *sim.Channel, cfgs ...rnode.Config) ([]*sim.Radio, []*host) {
	var rs []*sim.Radio
	var hs []*host
	for _, c := range cfgs {
		r := sim.NewRadio(ch, sim.Options{StatsInterval: -1})
		t.Cleanup(func() { r.Close() })
		h := attach(t, r)
		h.configure(c)
		rs = append(rs, r)
		hs = append(hs, h)
	}
	return rs, hs
}

func TestChannelDeliveryAndSeparation(t *testing.T) {
	t.Cleanup(testutil.LeakCheck(t))
	ch := sim.NewChannel(false)
	otherSF, otherFreq, otherBW, otherCR := fast, fast, fast, fast
	otherSF.SpreadingFactor = 8
	otherFreq.Frequency = 869000000
	otherBW.Bandwidth = 250000
	otherCR.CodingRate = 8
	rs, hs := link(t, ch, fast, fast, otherSF, otherFreq, otherBW, otherCR)
	payload := []byte("\xc0 LoRa \xdb")
	start := time.Now()
	hs[0].write(rnode.AppendData(nil, payload))
	// The second radio and the one with another coding rate hear it,
	// with RSSI and SNR before the data.
	for _, k := range []int{1, 5} {
		f := hs[k].until(rnode.CmdData)
		if !bytes.Equal(f.Payload, payload) || f.RSSI != sim.DefaultRSSI || f.SNR != sim.DefaultSNR ||
			f.Known != rnode.FieldRSSI|rnode.FieldSNR|rnode.FieldLinkQuality {
			t.Fatalf("radio %d got %+v", k, f)
		}
	}
	// It took at least its airtime to arrive.
	air := sim.Modulation{Bandwidth: 500000, SpreadingFactor: 7, CodingRate: 5, Preamble: sim.DefaultPreamble}.PacketAirtime(len(payload))
	if el := time.Since(start); el < air {
		t.Errorf("arrived after %v, airtime %v", el, air)
	}
	// The sender reports ready when its queue is empty.
	hs[0].until(rnode.CmdReady)
	for k, r := range rs {
		want := uint64(0)
		if k == 1 || k == 5 {
			want = 1
		}
		if s := r.Stats(); s.RX != want {
			t.Errorf("radio %d received %d packets, want %d", k, s.RX, want)
		}
	}
	if s := rs[0].Stats(); s.TX != 1 {
		t.Errorf("sender stats %+v", s)
	}
}

func TestCollisions(t *testing.T) {
	t.Cleanup(testutil.LeakCheck(t))
	ch := sim.NewChannel(true)
	slow := fast
	slow.Bandwidth = 125000
	slow.SpreadingFactor = 9 // 100 bytes: about 0.3 s on air
	rs, hs := link(t, ch, slow, slow, slow)
	// Two radios that start together cannot hear each other (carrier sense
	// only helps when one has started); the third hears a collision.
	p := bytes.Repeat([]byte{1}, 100)
	hs[0].write(rnode.AppendData(nil, p))
	hs[1].write(rnode.AppendData(nil, p))
	hs[0].until(rnode.CmdReady)
	hs[1].until(rnode.CmdReady)
	s := rs[2].Stats()
	if s.RX+s.Collisions == 0 {
		t.Fatal("third radio heard nothing")
	}
	// Either both went out at once and collided, or carrier sense put
	// one after the other and both arrived.
	if !(s.Collisions == 2 && s.RX == 0 || s.Collisions == 0 && s.RX == 2) {
		t.Errorf("third radio: %+v", s)
	}
}

// TestOffRadioDoesNotHear: a radio switched off hears nothing, and a host
// sending through it gets a TX failure report.
func TestOffRadio(t *testing.T) {
	t.Cleanup(testutil.LeakCheck(t))
	ch := sim.NewChannel(false)
	rs, hs := link(t, ch, fast, fast)
	hs[1].write(rnode.AppendRadioState(nil, rnode.RadioStateOff))
	hs[1].until(rnode.CmdRadioState)
	hs[0].write(rnode.AppendData(nil, []byte("x")))
	hs[0].until(rnode.CmdReady)
	if s := rs[1].Stats(); s.RX != 0 {
		t.Errorf("off radio received %d", s.RX)
	}
	hs[1].write(rnode.AppendData(nil, []byte("y")))
	if f := hs[1].until(rnode.CmdError); rnode.DeviceError(f.Payload[0]) != rnode.ErrTXFailed {
		t.Errorf("error %x", f.Payload)
	}
}

func TestStatsReports(t *testing.T) {
	t.Cleanup(testutil.LeakCheck(t))
	ch := sim.NewChannel(false)
	r := sim.NewRadio(ch, sim.Options{StatsInterval: 10 * time.Millisecond})
	defer r.Close()
	h := attach(t, r)
	h.configure(fast)
	h.write(rnode.AppendData(nil, bytes.Repeat([]byte{7}, 200)))
	h.until(rnode.CmdReady)
	for range 100 {
		h.until(rnode.CmdStatChannel)
		if h.p.State.Channel.AirtimeShort > 0 {
			break
		}
	}
	st := h.p.State
	if st.Channel.AirtimeShort <= 0 || st.Channel.LoadShort < st.Channel.AirtimeShort || st.Channel.NoiseFloor != sim.DefaultNoiseFloor ||
		st.Has(rnode.FieldInterference) {
		t.Errorf("channel %+v", st.Channel)
	}
}

// rw is a stream that yields fixed bytes, then EOF, and discards writes.
type rw struct{ r io.Reader }

func (s rw) Read(b []byte) (int, error)  { return s.r.Read(b) }
func (s rw) Write(b []byte) (int, error) { return len(b), nil }

// FuzzRadioHost feeds arbitrary host bytes to a radio: it never panics
// and keeps answering.
func FuzzRadioHost(f *testing.F) {
	f.Add(rnode.AppendDetect(nil))
	f.Add(rnode.AppendInitRadio(rnode.AppendDetect(nil), &fast))
	f.Add(rnode.AppendData(rnode.AppendInitRadio(nil, &fast), []byte("packet")))
	f.Add([]byte{0xc0, rnode.CmdFrequency, 0xc0, 0xc0, rnode.CmdSTALock, 0xff, 0xff, 0xc0, 0xc0, rnode.CmdReset, 0xf8, 0xc0})
	f.Add([]byte{0xc0, rnode.CmdFBRead, 1, 0xc0, 0xc0, rnode.CmdDispRead, 1, 0xc0, 0xc0, rnode.CmdTXPower, 0xff, 0xc0})
	ch := sim.NewChannel(true)
	peer := sim.NewRadio(ch, sim.Options{StatsInterval: -1})
	defer peer.Close()
	f.Fuzz(func(t *testing.T, in []byte) {
		r := sim.NewRadio(ch, sim.Options{StatsInterval: -1})
		defer r.Close()
		if err := r.Serve(rw{bytes.NewReader(in)}); err != io.EOF {
			t.Fatalf("Serve: %v", err)
		}
		if tun, on := r.Tuning(); on && (tun.SpreadingFactor < rnode.SFMin || tun.SpreadingFactor > rnode.SFMax) {
			t.Fatalf("radio on with %+v", tun)
		}
	})
}
