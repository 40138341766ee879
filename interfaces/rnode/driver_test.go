package rnode_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mehr-net/mehr/interfaces/rnode"
	"github.com/mehr-net/mehr/interfaces/rnode/sim"
	"github.com/mehr-net/mehr/internal/testutil"
	"github.com/mehr-net/mehr/rns/iface"
)

// testConfig is a fast LoRa setting (SF7 at 500 kHz: about 21.9 kbit/s)
// with the driver's waits shortened for tests.
func testConfig(t testing.TB, name string) rnode.Config {
	return rnode.Config{
		Name: name, Port: "sim:" + name,
		Frequency: 868000000, Bandwidth: 500000, TXPower: 14, SpreadingFactor: 7, CodingRate: 5,
		BootDelay: -1, ReconnectWait: 20 * time.Millisecond,
		DetectTimeout: 10 * time.Second, ValidateTimeout: 10 * time.Second,
		Logf: t.Logf,
	}
}

// pipeDevice serves a simulated radio on one end of an in-memory pipe for
// every open, as if the port were plugged in again each time.
type pipeDevice struct {
	radio *sim.Radio
	wg    sync.WaitGroup

	mu    sync.Mutex
	conns []net.Conn
	fail  bool // opens fail, as for an unplugged device
	opens int
}

func newPipeDevice(t testing.TB, ch *sim.Channel, opts sim.Options) *pipeDevice {
	d := &pipeDevice{radio: sim.NewRadio(ch, opts)}
	t.Cleanup(d.close)
	return d
}

func (d *pipeDevice) open(string) (rnode.Port, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.opens++
	if d.fail {
		return nil, errors.New("no such device")
	}
	host, dev := net.Pipe()
	d.conns = append(d.conns, dev)
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		d.radio.Serve(dev)
		dev.Close()
	}()
	return host, nil
}

// unplug closes every open connection and makes opens fail or not.
func (d *pipeDevice) unplug(fail bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.fail = fail
	for _, c := range d.conns {
		c.Close()
	}
	d.conns = nil
}

func (d *pipeDevice) close() {
	d.unplug(true)
	d.wg.Wait()
	d.radio.Close()
}

func newDriver(t testing.TB, cfg rnode.Config, d *pipeDevice) (*rnode.Interface, error) {
	cfg.Open = d.open
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	i, err := rnode.New(ctx, cfg)
	if err == nil {
		t.Cleanup(func() { i.Close() })
	}
	return i, err
}

func mustDriver(t testing.TB, cfg rnode.Config, d *pipeDevice) *rnode.Interface {
	t.Helper()
	i, err := newDriver(t, cfg, d)
	if err != nil {
		t.Fatal(err)
	}
	if !i.Online() {
		t.Fatal("interface not online after New")
	}
	return i
}

func waitCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// receive reads one packet from i within a generous deadline.
func receive(t testing.TB, i *rnode.Interface) ([]byte, rnode.Signal) {
	t.Helper()
	type result struct {
		b   []byte
		sig rnode.Signal
		err error
	}
	c := make(chan result, 1)
	go func() {
		buf := make([]byte, rnode.DataMTU)
		n, sig, err := i.ReceiveSignal(buf)
		c <- result{buf[:n], sig, err}
	}()
	select {
	case r := <-c:
		if r.err != nil {
			t.Fatal(r.err)
		}
		return r.b, r.sig
	case <-time.After(20 * time.Second):
		t.Fatal("no packet received")
	}
	return nil, rnode.Signal{}
}

func TestDetectAndConfigure(t *testing.T) {
	t.Cleanup(testutil.LeakCheck(t))
	ch := sim.NewChannel(false)
	d := newPipeDevice(t, ch, sim.Options{Name: "a"})
	cfg := testConfig(t, "a")
	pct := 25.0
	cfg.STALock = &pct
	i := mustDriver(t, cfg, d)
	st := i.DeviceState()
	if !st.Detected || st.FirmwareMajor != sim.DefaultFirmwareMajor || st.FirmwareMinor != sim.DefaultFirmwareMinor ||
		st.Platform != rnode.PlatformESP32 || st.MCU != sim.DefaultMCU {
		t.Errorf("identity %+v", st)
	}
	if st.Frequency != cfg.Frequency || st.Bandwidth != cfg.Bandwidth || st.TXPower != cfg.TXPower ||
		st.SpreadingFactor != cfg.SpreadingFactor || st.CodingRate != cfg.CodingRate || st.RadioState != rnode.RadioStateOn ||
		st.STALock != 25 {
		t.Errorf("echoes %+v", st)
	}
	// 7 * ((4/5) / (128/500)) * 1000
	if got := i.Bitrate(); got != 21875 {
		t.Errorf("bitrate %d, want 21875", got)
	}
	if i.MTU() != 508 || i.Mode() != iface.ModeFull || !i.IngressExempt() || i.Name() != "a" || i.DefaultIFACSize() != 8 {
		t.Errorf("mtu %d mode %v", i.MTU(), i.Mode())
	}
	tun, on := d.radio.Tuning()
	if !on || tun != (sim.Tuning{Frequency: 868000000, Bandwidth: 500000, SpreadingFactor: 7}) {
		t.Errorf("radio %+v on %v", tun, on)
	}
	i.Close()
	if _, err := i.Receive(make([]byte, 600)); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Receive after Close: %v", err)
	}
	if err := i.Send([]byte("x")); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Send after Close: %v", err)
	}
	// Close switched the radio off.
	for range 200 {
		if _, on := d.radio.Tuning(); !on {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, on := d.radio.Tuning(); on {
		t.Error("radio still on after Close")
	}
}

func TestRefusals(t *testing.T) {
	t.Cleanup(testutil.LeakCheck(t))
	for _, tt := range []struct {
		name string
		opts sim.Options
		mod  func(*rnode.Config)
		want error
		msg  string
	}{
		{"firmware too old", sim.Options{FirmwareMajor: 1, FirmwareMinor: 51}, nil, rnode.ErrFirmwareTooOld, "firmware 1.51, at least 1.52"},
		{"tx power clamped", sim.Options{MaxTXPower: 17}, func(c *rnode.Config) { c.TXPower = 22 }, rnode.ErrConfigMismatch, "TX power 17 dBm, configured 22 dBm"},
		{"radio init fails", sim.Options{FailRadioInit: true}, nil, rnode.ErrInitRadio, "radio initialisation failed"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ch := sim.NewChannel(false)
			d := newPipeDevice(t, ch, tt.opts)
			cfg := testConfig(t, "x")
			if tt.mod != nil {
				tt.mod(&cfg)
			}
			i, err := newDriver(t, cfg, d)
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("New: %v, %v; want %v containing %q", i, err, tt.want, tt.msg)
			}
		})
	}
	t.Run("invalid config", func(t *testing.T) {
		cfg := testConfig(t, "x")
		cfg.SpreadingFactor = 13
		if _, err := rnode.New(context.Background(), cfg); !errors.Is(err, rnode.ErrInvalidConfig) {
			t.Fatal(err)
		}
		cfg = testConfig(t, "x")
		cfg.Port = ""
		if _, err := rnode.New(context.Background(), cfg); !errors.Is(err, rnode.ErrInvalidConfig) {
			t.Fatal(err)
		}
	})
}

// TestNotDetectedRetries: a device that does not answer leaves the
// interface down and retrying, as the reference does.
func TestNotDetectedRetries(t *testing.T) {
	t.Cleanup(testutil.LeakCheck(t))
	ch := sim.NewChannel(false)
	d := newPipeDevice(t, ch, sim.Options{Silent: true})
	cfg := testConfig(t, "x")
	cfg.DetectTimeout = 50 * time.Millisecond
	i, err := newDriver(t, cfg, d)
	if err != nil {
		t.Fatal(err)
	}
	if i.Online() {
		t.Fatal("online without a detect answer")
	}
	if err := i.Send([]byte("x")); !errors.Is(err, rnode.ErrNotConnected) {
		t.Fatalf("Send while down: %v", err)
	}
	for range 1000 {
		d.mu.Lock()
		n := d.opens
		d.mu.Unlock()
		if n >= 3 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.opens < 3 {
		t.Fatalf("%d opens, want retries", d.opens)
	}
}

func TestExchangeAndSeparation(t *testing.T) {
	t.Cleanup(testutil.LeakCheck(t))
	ch := sim.NewChannel(false)
	a := mustDriver(t, testConfig(t, "a"), newPipeDevice(t, ch, sim.Options{Name: "a"}))
	b := mustDriver(t, testConfig(t, "b"), newPipeDevice(t, ch, sim.Options{Name: "b", RSSI: -90, SNR: -2.5}))
	other := testConfig(t, "c")
	other.SpreadingFactor = 8
	dc := newPipeDevice(t, ch, sim.Options{Name: "c"})
	c := mustDriver(t, other, dc)

	big := make([]byte, rnode.DataMTU)
	for k := range big {
		big[k] = byte(k) // includes FEND and FESC
	}
	for _, p := range [][]byte{[]byte("hello over LoRa"), big} {
		if err := a.Send(p); err != nil {
			t.Fatal(err)
		}
		got, sig := receive(t, b)
		if string(got) != string(p) {
			t.Fatalf("got %d bytes, want %d", len(got), len(p))
		}
		if sig.Known != rnode.FieldRSSI|rnode.FieldSNR|rnode.FieldLinkQuality || sig.RSSI != -90 || sig.SNR != -2.5 ||
			sig.LinkQuality != 43.3 { // (6.5/15)*100
			t.Errorf("signal %+v", sig)
		}
	}
	// c, on SF8, heard nothing; b answers and a hears it.
	if err := b.Send([]byte("reply")); err != nil {
		t.Fatal(err)
	}
	if got, _ := receive(t, a); string(got) != "reply" {
		t.Fatalf("got %q", got)
	}
	if s := dc.radio.Stats(); s.RX != 0 || c.Stats().Parser.DataFrames != 0 {
		t.Errorf("radio on another spreading factor received %d packets", s.RX)
	}
	if s := a.Stats(); s.TxPackets != 2 || s.TxBytes != uint64(15+rnode.DataMTU) || s.RxPackets != 1 {
		t.Errorf("a stats %+v", s)
	}
	if err := a.Send(make([]byte, rnode.DataMTU+1)); !errors.Is(err, rnode.ErrTooLarge) {
		t.Errorf("oversize Send: %v", err)
	}
	// A buffer too short for a packet drops it, counted.
	if err := a.Send([]byte("0123456789")); err != nil {
		t.Fatal(err)
	}
	if err := a.Send([]byte("ok")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4)
	n, err := b.Receive(buf)
	if err != nil || string(buf[:n]) != "ok" || b.Stats().Oversize != 1 {
		t.Errorf("short buffer: %q %v, stats %+v", buf[:n], err, b.Stats())
	}
}

func TestDeviceErrors(t *testing.T) {
	t.Cleanup(testutil.LeakCheck(t))
	ch := sim.NewChannel(false)
	d := newPipeDevice(t, ch, sim.Options{})
	i := mustDriver(t, testConfig(t, "a"), d)
	ctx := waitCtx(t)

	// A non-fatal report is counted and recorded; the interface stays up.
	d.radio.InjectError(rnode.ErrMemoryLow)
	for range 2000 {
		if i.Stats().DeviceErrors == 1 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if s := i.Stats(); s.DeviceErrors != 1 || !i.Online() || i.DeviceState().LastError != rnode.ErrMemoryLow {
		t.Fatalf("after memory low: online %v, stats %+v, last %v", i.Online(), s, i.DeviceState().LastError)
	}
	// A fatal one takes it down; it comes back by reconnecting.
	d.radio.InjectError(rnode.ErrTXFailed)
	if err := i.WaitOffline(ctx); err != nil {
		t.Fatal(err)
	}
	if err := i.WaitOnline(ctx); err != nil {
		t.Fatal(err)
	}
	if s := i.Stats(); s.DeviceErrors != 2 || s.Connects != 2 {
		t.Errorf("stats %+v", s)
	}
	// An ESP32 reset while online reinitialises the device.
	d.radio.InjectReset()
	if err := i.WaitOffline(ctx); err != nil {
		t.Fatal(err)
	}
	if err := i.WaitOnline(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestUnplug: Receive keeps blocking while the device is away, Send
// fails, and the interface comes back when the device does.
func TestUnplug(t *testing.T) {
	t.Cleanup(testutil.LeakCheck(t))
	ch := sim.NewChannel(false)
	da := newPipeDevice(t, ch, sim.Options{Name: "a"})
	a := mustDriver(t, testConfig(t, "a"), da)
	b := mustDriver(t, testConfig(t, "b"), newPipeDevice(t, ch, sim.Options{Name: "b"}))
	ctx := waitCtx(t)

	got := make(chan string, 1)
	go func() {
		buf := make([]byte, rnode.DataMTU)
		n, err := a.Receive(buf)
		if err != nil {
			got <- err.Error()
			return
		}
		got <- string(buf[:n])
	}()
	da.unplug(true)
	if err := a.WaitOffline(ctx); err != nil {
		t.Fatal(err)
	}
	if err := a.Send([]byte("x")); !errors.Is(err, rnode.ErrNotConnected) {
		t.Fatalf("Send while unplugged: %v", err)
	}
	select {
	case s := <-got:
		t.Fatalf("Receive returned %q while unplugged", s)
	case <-time.After(50 * time.Millisecond):
	}
	da.mu.Lock()
	da.fail = false
	da.mu.Unlock()
	if err := a.WaitOnline(ctx); err != nil {
		t.Fatal(err)
	}
	if err := b.Send([]byte("back")); err != nil {
		t.Fatal(err)
	}
	select {
	case s := <-got:
		if s != "back" {
			t.Fatalf("got %q", s)
		}
	case <-ctx.Done():
		t.Fatal("nothing received after replug")
	}
}

func TestFlowControl(t *testing.T) {
	t.Cleanup(testutil.LeakCheck(t))
	ch := sim.NewChannel(false)
	cfg := testConfig(t, "a")
	cfg.FlowControl = true
	a := mustDriver(t, cfg, newPipeDevice(t, ch, sim.Options{Name: "a"}))
	b := mustDriver(t, testConfig(t, "b"), newPipeDevice(t, ch, sim.Options{Name: "b"}))
	const n = 6
	for k := range n {
		if err := a.Send([]byte{'p', byte('0' + k)}); err != nil {
			t.Fatal(err)
		}
	}
	for k := range n {
		got, _ := receive(t, b)
		if string(got) != string([]byte{'p', byte('0' + k)}) {
			t.Fatalf("packet %d: %q", k, got)
		}
	}
	if s := a.Stats(); s.ReadyTimeouts != 0 || s.TxPackets != n {
		t.Errorf("stats %+v", s)
	}
}

func TestIDBeacon(t *testing.T) {
	t.Cleanup(testutil.LeakCheck(t))
	ch := sim.NewChannel(false)
	cfg := testConfig(t, "a")
	cfg.IDCallsign = "MEHR-1"
	cfg.IDInterval = 100 * time.Millisecond
	a := mustDriver(t, cfg, newPipeDevice(t, ch, sim.Options{Name: "a"}))
	b := mustDriver(t, testConfig(t, "b"), newPipeDevice(t, ch, sim.Options{Name: "b"}))
	if err := a.Send([]byte("data")); err != nil {
		t.Fatal(err)
	}
	if got, _ := receive(t, b); string(got) != "data" {
		t.Fatalf("got %q", got)
	}
	if got, _ := receive(t, b); string(got) != "MEHR-1" {
		t.Fatalf("got %q, want the callsign", got)
	}
	if s := a.Stats(); s.IDs != 1 {
		t.Errorf("IDs %d", s.IDs)
	}
}

// TestFlowControlReadyTimeout: with a device that never reports ready,
// flow control goes on after ReadyTimeout instead of stalling.
func TestFlowControlReadyTimeout(t *testing.T) {
	t.Cleanup(testutil.LeakCheck(t))
	ch := sim.NewChannel(false)
	cfg := testConfig(t, "a")
	cfg.FlowControl = true
	cfg.ReadyTimeout = 20 * time.Millisecond
	a := mustDriver(t, cfg, newPipeDevice(t, ch, sim.Options{Name: "a", NoReady: true}))
	b := mustDriver(t, testConfig(t, "b"), newPipeDevice(t, ch, sim.Options{Name: "b"}))
	for k := range 3 {
		if err := a.Send([]byte{'q', byte('0' + k)}); err != nil {
			t.Fatal(err)
		}
	}
	for k := range 3 {
		if got, _ := receive(t, b); string(got) != string([]byte{'q', byte('0' + k)}) {
			t.Fatalf("packet %d: %q", k, got)
		}
	}
	if s := a.Stats(); s.ReadyTimeouts < 2 {
		t.Errorf("ready timeouts %d, want at least 2", s.ReadyTimeouts)
	}
}
