//go:build linux

package kiss_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/mehr-net/mehr/interfaces/kiss"
	"github.com/mehr-net/mehr/interfaces/serial"
	"github.com/mehr-net/mehr/interfaces/serial/serialtest"
	"github.com/mehr-net/mehr/internal/testutil"
	"github.com/mehr-net/mehr/rns/iface"
)

// defaultSetup is what the reference writes to a TNC with its default
// parameters: TXDELAY 35 (350 ms), TXTAIL 2, P 64, SLOTTIME 2, then the
// flow control command.
const defaultSetup = "c00123c0" + "c00402c0" + "c00240c0" + "c00302c0" + "c00f01c0"

// open opens a driver on path with test timings: no settle wait, fast
// reconnects. mod adjusts the configuration.
func open(t *testing.T, path string, mod func(*kiss.Config)) *kiss.Interface {
	t.Helper()
	c := kiss.Config{
		Name: "test", Port: serial.PortConfig{Path: path, Speed: 115200},
		Settle: -1, Retry: 20 * time.Millisecond, Logf: t.Logf,
	}
	if mod != nil {
		mod(&c)
	}
	k, err := kiss.New(serialtest.Timeout(t), c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { k.Close() })
	return k
}

// setup opens a driver on a fresh pty and returns it with a reader of the
// pty that has consumed the TNC setup commands.
func setup(t *testing.T, mod func(*kiss.Config)) (*kiss.Interface, *serialtest.PTY, *serialtest.Reader) {
	t.Helper()
	p := serialtest.OpenPTY(t)
	k := open(t, p.Path, mod)
	r := serialtest.ReadPTY(t, p)
	if got := r.WaitFor(t, len(defaultSetup)/2); len(got) != len(defaultSetup)/2 {
		t.Fatalf("setup %x", got)
	}
	r.Take()
	return k, p, r
}

func TestInterfaceValues(t *testing.T) {
	k, _, _ := setup(t, nil)
	if k.Name() != "test" || k.MTU() != 564 || k.Bitrate() != 1200 || k.Mode() != iface.ModeFull ||
		!k.IngressExempt() || k.DefaultIFACSize() != 8 || kiss.DefaultIFACSize != 8 {
		t.Fatalf("name %q mtu %d bitrate %d mode %v", k.Name(), k.MTU(), k.Bitrate(), k.Mode())
	}
}

// TestSetupCommands checks the TNC parameter frames written after the
// port opens against the bytes the reference writes.
func TestSetupCommands(t *testing.T) {
	serialtest.LeakCheck(t)
	for _, c := range []struct {
		name string
		tnc  *kiss.TNC
		want string
	}{
		{"defaults", nil, defaultSetup},
		{"configured", &kiss.TNC{Preamble: 150 * time.Millisecond, TXTail: 10 * time.Millisecond, Persistence: 200, SlotTime: 30 * time.Millisecond},
			"c0010fc0" + "c00401c0" + "c002c8c0" + "c00303c0" + "c00f01c0"},
		{"clamped and truncated", &kiss.TNC{Preamble: 5 * time.Second, TXTail: 9 * time.Millisecond, Persistence: 300, SlotTime: 2559 * time.Millisecond},
			"c001ffc0" + "c00400c0" + "c002ffc0" + "c003ffc0" + "c00f01c0"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := serialtest.OpenPTY(t)
			k := open(t, p.Path, func(cfg *kiss.Config) { cfg.TNC = c.tnc })
			r := serialtest.ReadPTY(t, p)
			want := serialtest.Unhex(t, c.want)
			if got := r.WaitFor(t, len(want)); !bytes.Equal(got, want) {
				t.Fatalf("setup %x, want %x", got, want)
			}
			k.Close()
		})
	}
}

// TestSendFrames checks data frames on the wire against what the
// reference writes: FEND, command 0, the payload with 0xDB escaped first
// and then 0xC0, FEND.
func TestSendFrames(t *testing.T) {
	serialtest.LeakCheck(t)
	k, _, r := setup(t, nil)
	for _, c := range []struct{ pkt, wire string }{
		{"0102030405", "c0000102030405c0"},
		{"c0", "c000dbdcc0"},
		{"db", "c000dbddc0"},
		{"01c0db02dcdd7e7d", "c00001dbdcdbdd02dcdd7e7dc0"},
	} {
		if err := k.Send(serialtest.Unhex(t, c.pkt)); err != nil {
			t.Fatal(err)
		}
		want := serialtest.Unhex(t, c.wire)
		if got := r.WaitFor(t, len(want)); !bytes.Equal(got, want) {
			t.Fatalf("send %s: wire %x, want %x", c.pkt, got, want)
		}
		r.Take()
	}
	if err := k.Send(make([]byte, kiss.HWMTU+1)); !errors.Is(err, kiss.ErrTooLarge) {
		t.Fatalf("oversized send: %v", err)
	}
	if err := k.Send(make([]byte, kiss.HWMTU)); err != nil {
		t.Fatal(err)
	}
	r.WaitFor(t, kiss.HWMTU+3)
	st := waitStats(t, k, func(st kiss.Stats) bool { return st.TxPackets == 5 })
	if st.TxPackets != 5 || st.TxBytes != 5+1+1+8+kiss.HWMTU || st.TxFailed != 1 || st.Dropped != 1 {
		t.Fatalf("stats %+v", st)
	}
	k.Close()
}

// TestReceive feeds frames in pieces, with other commands, TNC port
// numbers and garbage around them.
func TestReceive(t *testing.T) {
	serialtest.LeakCheck(t)
	k, p, _ := setup(t, nil)
	ch, done := serialtest.Receiver(k.Receive)
	write := func(s string) {
		t.Helper()
		if _, err := p.Master.Write(serialtest.Unhex(t, s)); err != nil {
			t.Fatal(err)
		}
	}
	expect := func(s string) {
		t.Helper()
		r := serialtest.Next(t, ch)
		if r.Err != nil || !bytes.Equal(r.B, serialtest.Unhex(t, s)) {
			t.Fatalf("received %x, %v; want %s", r.B, r.Err, s)
		}
	}
	// Garbage, then a frame split inside an escape.
	write("4142c000aadb")
	write("dcbbc0")
	expect("aac0bb")
	// Byte by byte.
	for _, b := range []string{"c0", "00", "11", "db", "dd", "22", "c0"} {
		write(b)
	}
	expect("11db22")
	// A frame for TNC port 1, a parameter frame, an empty data frame and
	// a ready report in one write with a data frame.
	write("c01033c0c00105c0c000c0c00f01c0c0004444c0")
	expect("33")
	expect("4444")
	// A frame longer than HWMTU is dropped; the next one arrives.
	write("c000" + strings.Repeat("55", kiss.HWMTU+1) + "c0c00001c0")
	expect("01")
	st := k.Stats()
	if st.RxPackets != 5 || st.RxBytes != 3+3+1+2+1 || st.TooLarge != 1 || st.Ignored != 1 || st.Empty != 1 ||
		st.ReadyReports != 1 || st.Discarded != 2 {
		t.Fatalf("stats %+v", st)
	}
	k.Close()
	if r := serialtest.Next(t, ch); !errors.Is(r.Err, net.ErrClosed) {
		t.Fatalf("receive after close: %v", r.Err)
	}
	<-done
}

// TestInterByteTimeout: a partial frame followed by more than 100 ms of
// silence is discarded, as the reference discards it.
func TestInterByteTimeout(t *testing.T) {
	serialtest.LeakCheck(t)
	k, p, _ := setup(t, nil)
	ch, done := serialtest.Receiver(k.Receive)
	if _, err := p.Master.Write(serialtest.Unhex(t, "c0004142")); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for k.Stats().ReadTimeouts == 0 {
		if time.Now().After(deadline) {
			t.Fatal("partial frame never timed out")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := p.Master.Write(serialtest.Unhex(t, "43c0c000444546c0")); err != nil {
		t.Fatal(err)
	}
	if r := serialtest.Next(t, ch); r.Err != nil || string(r.B) != "DEF" {
		t.Fatalf("received %q, %v", r.B, r.Err)
	}
	k.Close()
	<-done
}

// TestFlowControl: with flow control, each frame waits for the TNC's
// ready report after the previous one.
func TestFlowControl(t *testing.T) {
	serialtest.LeakCheck(t)
	k, p, r := setup(t, func(c *kiss.Config) { c.FlowControl = true; c.FlowControlTimeout = time.Hour })
	_, done := serialtest.Receiver(k.Receive)
	for i := byte(1); i <= 3; i++ {
		if err := k.Send([]byte{i}); err != nil {
			t.Fatal(err)
		}
	}
	frame := func(i byte) []byte { return []byte{0xc0, 0, i, 0xc0} }
	if got := r.WaitFor(t, 4); !bytes.Equal(got, frame(1)) {
		t.Fatalf("first frame %x", got)
	}
	r.Take()
	for i := byte(2); i <= 3; i++ {
		// Nothing more goes out before the ready report. (A wrong
		// driver would have sent at once; 200 ms is plenty to see it.)
		time.Sleep(200 * time.Millisecond)
		if b := r.Take(); len(b) != 0 {
			t.Fatalf("sent %x before the TNC was ready", b)
		}
		// A ready report without its parameter byte does not count.
		if _, err := p.Master.Write(serialtest.Unhex(t, "c00fc0")); err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
		if b := r.Take(); len(b) != 0 {
			t.Fatalf("sent %x on an empty ready report", b)
		}
		if _, err := p.Master.Write(serialtest.Unhex(t, "c00f01c0")); err != nil {
			t.Fatal(err)
		}
		if got := r.WaitFor(t, 4); !bytes.Equal(got, frame(i)) {
			t.Fatalf("frame %d: %x", i, got)
		}
		r.Take()
	}
	if st := waitStats(t, k, func(st kiss.Stats) bool { return st.TxPackets == 3 }); st.ReadyReports != 2 || st.FlowTimeouts != 0 || st.TxPackets != 3 {
		t.Fatalf("stats %+v", st)
	}
	k.Close()
	<-done
}

// TestFlowControlTimeout: a TNC that never reports ready gets the next
// frame after the timeout.
func TestFlowControlTimeout(t *testing.T) {
	serialtest.LeakCheck(t)
	k, _, r := setup(t, func(c *kiss.Config) { c.FlowControl = true; c.FlowControlTimeout = 50 * time.Millisecond })
	start := time.Now()
	for i := byte(1); i <= 3; i++ {
		if err := k.Send([]byte{i}); err != nil {
			t.Fatal(err)
		}
	}
	if got := r.WaitFor(t, 12); !bytes.Equal(got, serialtest.Unhex(t, "c00001c0c00002c0c00003c0")) {
		t.Fatalf("frames %x", got)
	}
	if el := time.Since(start); el < 100*time.Millisecond {
		t.Fatalf("three frames after %v, before two flow control timeouts", el)
	}
	if st := k.Stats(); st.FlowTimeouts < 2 {
		t.Fatalf("stats %+v", st)
	}
}

// TestQueueFull: packets beyond QueueLen waiting for the TNC are refused.
func TestQueueFull(t *testing.T) {
	serialtest.LeakCheck(t)
	k, _, r := setup(t, func(c *kiss.Config) {
		c.FlowControl, c.FlowControlTimeout, c.QueueLen = true, time.Hour, 2
	})
	if err := k.Send([]byte{1}); err != nil {
		t.Fatal(err)
	}
	r.WaitFor(t, 4) // taken off the queue and sent; now waiting for ready
	for i := byte(2); i <= 3; i++ {
		if err := k.Send([]byte{i}); err != nil {
			t.Fatal(err)
		}
	}
	if err := k.Send([]byte{4}); !errors.Is(err, kiss.ErrQueueFull) {
		t.Fatalf("send to a full queue: %v", err)
	}
	k.Close()
	// The two queued packets are dropped on Close.
	if st := k.Stats(); st.QueueFull != 1 || st.TxPackets != 1 || st.Flushed != 2 || st.Dropped != 3 {
		t.Fatalf("stats %+v", st)
	}
}

// TestStationID: the ID goes out IDInterval after the first transmission
// since the last ID, and not at all while the station is silent.
func TestStationID(t *testing.T) {
	serialtest.LeakCheck(t)
	const every = 300 * time.Millisecond
	k, _, r := setup(t, func(c *kiss.Config) { c.IDCallsign, c.IDInterval = "N0CALL", every })
	id := serialtest.Unhex(t, "c000"+"4e3043414c4c"+strings.Repeat("00", 9)+"c0")

	// A silent station does not identify.
	time.Sleep(2 * every)
	if b := r.Take(); len(b) != 0 {
		t.Fatalf("sent %x without transmitting", b)
	}
	for round := 0; round < 2; round++ {
		start := time.Now()
		for i := byte(1); i <= 2; i++ {
			if err := k.Send([]byte{i}); err != nil {
				t.Fatal(err)
			}
		}
		want := append(serialtest.Unhex(t, "c00001c0c00002c0"), id...)
		if got := r.WaitFor(t, len(want)); !bytes.Equal(got, want) {
			t.Fatalf("round %d: %x, want %x", round, got, want)
		}
		if el := time.Since(start); el < every {
			t.Fatalf("round %d: ID after %v, before the interval", round, el)
		}
		r.Take()
		// The ID itself does not call for another one.
		time.Sleep(2 * every)
		if b := r.Take(); len(b) != 0 {
			t.Fatalf("round %d: sent %x after the ID", round, b)
		}
	}
	if st := waitStats(t, k, func(st kiss.Stats) bool { return st.IDs == 2 }); st.IDs != 2 || st.TxPackets != 4 {
		t.Fatalf("stats %+v", st)
	}
}

// TestStationIDLong: a callsign of 15 bytes or more is sent unpadded.
func TestStationIDLong(t *testing.T) {
	k, _, r := setup(t, func(c *kiss.Config) { c.IDCallsign, c.IDInterval = "N0CALL/R MESH-NET", 10*time.Millisecond })
	if err := k.Send([]byte{1}); err != nil {
		t.Fatal(err)
	}
	want := append(serialtest.Unhex(t, "c00001c0c000"), []byte("N0CALL/R MESH-NET\xc0")...)
	if got := r.WaitFor(t, len(want)); !bytes.Equal(got, want) {
		t.Fatalf("%x, want %x", got, want)
	}
}

// TestReconnect unplugs the TNC and plugs a new one in at the same path:
// the new one gets the setup commands before any data.
func TestReconnect(t *testing.T) {
	serialtest.LeakCheck(t)
	dir := t.TempDir()
	p1 := serialtest.OpenPTY(t)
	k := open(t, p1.Link(t, dir), func(c *kiss.Config) { c.FlowControl = true; c.FlowControlTimeout = time.Hour })
	r1 := serialtest.ReadPTY(t, p1)
	r1.WaitFor(t, len(defaultSetup)/2)
	ch, done := serialtest.Receiver(k.Receive)
	if err := k.Send([]byte{1}); err != nil {
		t.Fatal(err)
	}
	if err := k.Send([]byte{2}); err != nil { // queued, waiting for ready
		t.Fatal(err)
	}
	r1.WaitFor(t, len(defaultSetup)/2+4)

	os.Remove(p1.Link(t, dir))
	p1.Unplug()
	ctx := serialtest.Timeout(t)
	if err := k.WaitDown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := k.Send([]byte{3}); !errors.Is(err, kiss.ErrDown) {
		t.Fatalf("send while down: %v", err)
	}
	select {
	case r := <-ch:
		t.Fatalf("receive returned while down: %x, %v", r.B, r.Err)
	case <-time.After(100 * time.Millisecond):
	}

	p2 := serialtest.OpenPTY(t)
	p2.Link(t, dir)
	if err := k.WaitUp(ctx); err != nil {
		t.Fatal(err)
	}
	r2 := serialtest.ReadPTY(t, p2)
	if err := k.Send([]byte{4}); err != nil {
		t.Fatal(err)
	}
	want := serialtest.Unhex(t, defaultSetup+"c00004c0")
	if got := r2.WaitFor(t, len(want)); !bytes.Equal(got, want) {
		t.Fatalf("after reconnect %x, want %x", got, want)
	}
	if _, err := p2.Master.Write(serialtest.Unhex(t, "c00005c0")); err != nil {
		t.Fatal(err)
	}
	if r := serialtest.Next(t, ch); r.Err != nil || !bytes.Equal(r.B, []byte{5}) {
		t.Fatalf("received %x, %v", r.B, r.Err)
	}
	if st := waitStats(t, k, func(st kiss.Stats) bool { return st.TxPackets == 2 }); st.Opens != 2 || st.Flushed != 1 || st.TxPackets != 2 {
		t.Fatalf("stats %+v", st)
	}
	k.Close()
	<-done
}

func TestCloseWhileDown(t *testing.T) {
	serialtest.LeakCheck(t)
	p := serialtest.OpenPTY(t)
	k := open(t, p.Link(t, t.TempDir()), nil)
	ch, done := serialtest.Receiver(k.Receive)
	p.Unplug()
	if err := k.WaitDown(serialtest.Timeout(t)); err != nil {
		t.Fatal(err)
	}
	k.Close()
	k.Close()
	if r := serialtest.Next(t, ch); !errors.Is(r.Err, net.ErrClosed) {
		t.Fatalf("receive: %v", r.Err)
	}
	<-done
	if err := k.Send([]byte{1}); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("send after close: %v", err)
	}
}

func TestNewFails(t *testing.T) {
	serialtest.LeakCheck(t)
	if _, err := kiss.New(context.Background(), kiss.Config{Port: serial.PortConfig{Path: t.TempDir() + "/none"}, Settle: -1}); err == nil {
		t.Fatal("opened a missing device")
	}
	for _, c := range []kiss.Config{
		{},
		{Port: serial.PortConfig{Path: "/dev/null", DataBits: 4}},
		{Port: serial.PortConfig{Path: "/dev/null"}, Mode: 9},
		{Port: serial.PortConfig{Path: "/dev/null"}, Bitrate: 1},
		{Port: serial.PortConfig{Path: "/dev/null"}, QueueLen: -1},
		{Port: serial.PortConfig{Path: "/dev/null"}, IDInterval: -1},
		{Port: serial.PortConfig{Path: "/dev/null"}, FlowControlTimeout: -1},
		{Port: serial.PortConfig{Path: "/dev/null"}, IDCallsign: strings.Repeat("x", 565)},
	} {
		if _, err := kiss.New(context.Background(), c); !errors.Is(err, kiss.ErrBadConfig) {
			t.Errorf("%+v: %v", c, err)
		}
	}
}

func TestSendAllocs(t *testing.T) {
	p := serialtest.OpenPTY(t)
	k := open(t, p.Path, nil)
	serialtest.DrainPTY(t, p)
	pkt := bytes.Repeat([]byte{0xc0, 1, 2, 3}, 100)
	// Fill the free list: packets are allocated until as many exist as
	// can be in flight, then recycled.
	for range 2 * kiss.DefaultQueueLen {
		sendRetry(t, k, pkt)
	}
	testutil.MaxAllocs(t, 100, 0, func() {
		sendRetry(t, k, pkt)
	})
}

// waitStats waits, bounded, until the interface's counters satisfy ok,
// and returns them.
func waitStats(t *testing.T, k *kiss.Interface, ok func(kiss.Stats) bool) kiss.Stats {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		st := k.Stats()
		if ok(st) || time.Now().After(deadline) {
			return st
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// sendRetry sends pkt, waiting for room in the queue.
func sendRetry(tb testing.TB, k *kiss.Interface, pkt []byte) {
	for {
		err := k.Send(pkt)
		if err == nil {
			return
		}
		if !errors.Is(err, kiss.ErrQueueFull) {
			tb.Fatal(err)
		}
		time.Sleep(time.Millisecond)
	}
}

// BenchmarkSend measures the send path: queueing, framing and writing.
func BenchmarkSend(b *testing.B) {
	p := serialtest.OpenPTY(b)
	serialtest.DrainPTY(b, p)
	k, err := kiss.New(context.Background(), kiss.Config{Port: serial.PortConfig{Path: p.Path, Speed: 115200}, Settle: -1})
	if err != nil {
		b.Fatal(err)
	}
	defer k.Close()
	pkt := bytes.Repeat([]byte{0xc0, 1, 2, 3, 4, 5, 6, 7}, 500/8)
	b.ReportAllocs()
	b.SetBytes(int64(len(pkt)))
	for b.Loop() {
		sendRetry(b, k, pkt)
	}
}

// TestWaitForDevice: with WaitForDevice, New succeeds before the TNC is
// plugged in, and configures it when it appears.
func TestWaitForDevice(t *testing.T) {
	serialtest.LeakCheck(t)
	dir := t.TempDir()
	k, err := kiss.New(serialtest.Timeout(t), kiss.Config{
		Name: "test", Port: serial.PortConfig{Path: dir + "/ttyTEST"},
		Settle: -1, Retry: 20 * time.Millisecond, WaitForDevice: true, Logf: t.Logf,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	if err := k.Send([]byte{1}); !errors.Is(err, kiss.ErrDown) {
		t.Fatalf("send without a device: %v", err)
	}
	p := serialtest.OpenPTY(t)
	p.Link(t, dir)
	if err := k.WaitUp(serialtest.Timeout(t)); err != nil {
		t.Fatal(err)
	}
	r := serialtest.ReadPTY(t, p)
	if err := k.Send([]byte{2}); err != nil {
		t.Fatal(err)
	}
	want := serialtest.Unhex(t, defaultSetup+"c00002c0")
	if got := r.WaitFor(t, len(want)); !bytes.Equal(got, want) {
		t.Fatalf("wire %x, want %x", got, want)
	}
	k.Close()
}
