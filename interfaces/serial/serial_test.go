//go:build linux

package serial_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/mehr-net/mehr/interfaces/serial"
	"github.com/mehr-net/mehr/interfaces/serial/serialtest"
	"github.com/mehr-net/mehr/internal/testutil"
	"github.com/mehr-net/mehr/rns/iface"
)

// open opens a driver on path with test timings: no settle wait, fast
// reconnects.
func open(t *testing.T, path string) *serial.Interface {
	t.Helper()
	i, err := serial.New(serialtest.Timeout(t), serial.Config{
		Name: "test", Port: serial.PortConfig{Path: path, Speed: 115200},
		Settle: -1, Retry: 20 * time.Millisecond, Logf: t.Logf,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { i.Close() })
	return i
}

func TestInterfaceValues(t *testing.T) {
	p := serialtest.OpenPTY(t)
	i := open(t, p.Path)
	if i.Name() != "test" || i.MTU() != 564 || i.Bitrate() != 115200 || i.Mode() != iface.ModeFull ||
		!i.IngressExempt() || i.DefaultIFACSize() != 8 || serial.DefaultIFACSize != 8 {
		t.Fatalf("name %q mtu %d bitrate %d mode %v", i.Name(), i.MTU(), i.Bitrate(), i.Mode())
	}
}

// TestSendFrames checks the bytes on the wire against what the reference
// writes: FLAG || payload with 0x7D escaped first, then 0x7E || FLAG.
func TestSendFrames(t *testing.T) {
	serialtest.LeakCheck(t)
	p := serialtest.OpenPTY(t)
	i := open(t, p.Path)
	r := serialtest.ReadPTY(t, p)
	for _, c := range []struct{ pkt, wire string }{
		{"0102030405", "7e01020304057e"},
		{"7e", "7e7d5e7e"},
		{"7d", "7e7d5d7e"},
		{"017e7d5e5d027d7e", "7e017d5e7d5d5e5d027d5d7d5e7e"},
		{"c0dbdcdd", "7ec0dbdcdd7e"}, // KISS bytes pass unescaped
	} {
		if err := i.Send(serialtest.Unhex(t, c.pkt)); err != nil {
			t.Fatal(err)
		}
		want := serialtest.Unhex(t, c.wire)
		if got := r.WaitFor(t, len(want)); !bytes.Equal(got, want) {
			t.Fatalf("send %s: wire %x, want %x", c.pkt, got, want)
		}
		r.Take()
	}
	if err := i.Send(make([]byte, serial.HWMTU+1)); !errors.Is(err, serial.ErrTooLarge) {
		t.Fatalf("oversized send: %v", err)
	}
	if err := i.Send(make([]byte, serial.HWMTU)); err != nil {
		t.Fatal(err)
	}
	r.WaitFor(t, serial.HWMTU+2)
	st := i.Stats()
	if st.TxPackets != 6 || st.TxBytes != 5+1+1+8+4+serial.HWMTU || st.TxFailed != 1 || st.Dropped != 1 {
		t.Fatalf("stats %+v", st)
	}
	i.Close()
}

// TestReceiveSplit feeds frames in pieces, byte by byte, several in one
// write and with garbage around them.
func TestReceiveSplit(t *testing.T) {
	serialtest.LeakCheck(t)
	p := serialtest.OpenPTY(t)
	i := open(t, p.Path)
	ch, done := serialtest.Receiver(i.Receive)
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

	// Garbage, then a frame in two writes split inside an escape.
	write("41427e01027d")
	write("5e037e")
	expect("01027e03")
	// Byte by byte.
	for _, b := range []string{"7e", "11", "7d", "5d", "22", "7e"} {
		write(b)
	}
	expect("117d22")
	// Three frames in one write, the last two sharing a flag.
	write("7e017e7e027e037e")
	expect("01")
	expect("02")
	expect("03")
	// A frame longer than HWMTU is dropped; the next one arrives.
	long := "7e" + strings.Repeat("55", serial.HWMTU+1) + "7e"
	write(long + "7e04057e")
	expect("0405")
	st := i.Stats()
	if st.RxPackets != 6 || st.RxBytes != 4+3+3+2 || st.TooLarge != 1 || st.Discarded != 2 {
		t.Fatalf("stats %+v", st)
	}
	i.Close()
	if r := serialtest.Next(t, ch); !errors.Is(r.Err, net.ErrClosed) {
		t.Fatalf("receive after close: %v", r.Err)
	}
	<-done
}

// TestInterByteTimeout: a partial frame followed by silence longer than
// the 100 ms timeout is discarded, as the reference discards it.
func TestInterByteTimeout(t *testing.T) {
	serialtest.LeakCheck(t)
	p := serialtest.OpenPTY(t)
	i := open(t, p.Path)
	ch, done := serialtest.Receiver(i.Receive)
	if _, err := p.Master.Write(serialtest.Unhex(t, "7e4142")); err != nil {
		t.Fatal(err)
	}
	// Wait well past the timeout, bounded.
	deadline := time.Now().Add(10 * time.Second)
	for i.Stats().ReadTimeouts == 0 {
		if time.Now().After(deadline) {
			t.Fatal("partial frame never timed out")
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Without the timeout this would complete the frame as "ABC".
	if _, err := p.Master.Write(serialtest.Unhex(t, "437e7e4445467e")); err != nil {
		t.Fatal(err)
	}
	if r := serialtest.Next(t, ch); r.Err != nil || string(r.B) != "DEF" {
		t.Fatalf("received %q, %v", r.B, r.Err)
	}
	i.Close()
	<-done
}

func TestReceiveShortBuffer(t *testing.T) {
	p := serialtest.OpenPTY(t)
	i := open(t, p.Path)
	if _, err := p.Master.Write(serialtest.Unhex(t, "7e0102030405067e7e01027e")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4)
	n, err := i.Receive(buf)
	if err != nil || !bytes.Equal(buf[:n], []byte{1, 2}) {
		t.Fatalf("received %x, %v", buf[:n], err)
	}
	if st := i.Stats(); st.Oversize != 1 || st.Dropped != 1 {
		t.Fatalf("stats %+v", st)
	}
}

// TestReconnect unplugs the device and plugs a new one in at the same
// path (a re-pointed symlink): Send fails and Receive blocks meanwhile,
// and traffic flows again once the driver has reopened the port.
func TestReconnect(t *testing.T) {
	serialtest.LeakCheck(t)
	dir := t.TempDir()
	p1 := serialtest.OpenPTY(t)
	i := open(t, p1.Link(t, dir))
	ch, done := serialtest.Receiver(i.Receive)
	if _, err := p1.Master.Write(serialtest.Unhex(t, "7e017e")); err != nil {
		t.Fatal(err)
	}
	if r := serialtest.Next(t, ch); r.Err != nil || !bytes.Equal(r.B, []byte{1}) {
		t.Fatalf("received %x, %v", r.B, r.Err)
	}

	os.Remove(p1.Link(t, dir)) // the device node goes with the device
	p1.Unplug()
	ctx := serialtest.Timeout(t)
	if err := i.WaitDown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := i.Send([]byte{1}); !errors.Is(err, serial.ErrDown) {
		t.Fatalf("send while down: %v", err)
	}
	select {
	case r := <-ch:
		t.Fatalf("receive returned while down: %x, %v", r.B, r.Err)
	case <-time.After(100 * time.Millisecond): // several failed reopen attempts
	}

	p2 := serialtest.OpenPTY(t)
	p2.Link(t, dir)
	if err := i.WaitUp(ctx); err != nil {
		t.Fatal(err)
	}
	r := serialtest.ReadPTY(t, p2)
	if err := i.Send([]byte{0x7e}); err != nil {
		t.Fatal(err)
	}
	if got := r.WaitFor(t, 4); !bytes.Equal(got, serialtest.Unhex(t, "7e7d5e7e")) {
		t.Fatalf("wire %x", got)
	}
	if _, err := p2.Master.Write(serialtest.Unhex(t, "7e027e")); err != nil {
		t.Fatal(err)
	}
	if r := serialtest.Next(t, ch); r.Err != nil || !bytes.Equal(r.B, []byte{2}) {
		t.Fatalf("received %x, %v", r.B, r.Err)
	}
	if st := i.Stats(); st.Opens != 2 || st.TxFailed != 1 {
		t.Fatalf("stats %+v", st)
	}
	i.Close()
	<-done
}

// TestCloseWhileDown: Close ends a Receive that waits for the port to come
// back, and stops the reopen attempts.
func TestCloseWhileDown(t *testing.T) {
	serialtest.LeakCheck(t)
	p := serialtest.OpenPTY(t)
	i := open(t, p.Link(t, t.TempDir()))
	ch, done := serialtest.Receiver(i.Receive)
	p.Unplug()
	if err := i.WaitDown(serialtest.Timeout(t)); err != nil {
		t.Fatal(err)
	}
	i.Close()
	i.Close()
	if r := serialtest.Next(t, ch); !errors.Is(r.Err, net.ErrClosed) {
		t.Fatalf("receive: %v", r.Err)
	}
	<-done
	if err := i.Send([]byte{1}); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("send after close: %v", err)
	}
	if _, err := i.Receive(make([]byte, 600)); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("receive after close: %v", err)
	}
}

func TestOpenFails(t *testing.T) {
	serialtest.LeakCheck(t)
	_, err := serial.New(context.Background(), serial.Config{Port: serial.PortConfig{Path: t.TempDir() + "/none"}, Settle: -1})
	if err == nil {
		t.Fatal("opened a missing device")
	}
	for _, c := range []serial.Config{
		{},
		{Port: serial.PortConfig{Path: "/dev/null", DataBits: 9}},
		{Port: serial.PortConfig{Path: "/dev/null", StopBits: 3}},
		{Port: serial.PortConfig{Path: "/dev/null", Speed: -1}},
		{Port: serial.PortConfig{Path: "/dev/null", Parity: 7}},
		{Port: serial.PortConfig{Path: "/dev/null"}, Mode: 9},
		{Port: serial.PortConfig{Path: "/dev/null"}, Bitrate: 2},
		{Port: serial.PortConfig{Path: "/dev/null"}, Retry: -1},
	} {
		if _, err := serial.New(context.Background(), c); !errors.Is(err, serial.ErrBadConfig) {
			t.Errorf("%+v: %v", c, err)
		}
	}
}

// TestSettleCancelled: New gives up waiting for the port to settle when
// its context ends.
func TestSettleCancelled(t *testing.T) {
	serialtest.LeakCheck(t)
	p := serialtest.OpenPTY(t)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := serial.New(ctx, serial.Config{Port: serial.PortConfig{Path: p.Path}, Settle: time.Hour})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("New: %v", err)
	}
}

func TestParity(t *testing.T) {
	for s, want := range map[string]serial.Parity{"": serial.ParityNone, "N": serial.ParityNone, "none": serial.ParityNone,
		"e": serial.ParityEven, "EVEN": serial.ParityEven, "o": serial.ParityOdd, "Odd": serial.ParityOdd} {
		if p, ok := serial.ParseParity(s); !ok || p != want {
			t.Errorf("%q: %v %v", s, p, ok)
		}
	}
	if _, ok := serial.ParseParity("mark"); ok {
		t.Error("mark parity accepted")
	}
	if serial.ParityOdd.String() != "odd" || serial.Parity(9).String() != "Parity(9)" {
		t.Error(serial.ParityOdd.String(), serial.Parity(9).String())
	}
}

func TestSendAllocs(t *testing.T) {
	p := serialtest.OpenPTY(t)
	i := open(t, p.Path)
	serialtest.DrainPTY(t, p)
	pkt := bytes.Repeat([]byte{0x7e, 1, 2, 3}, 100)
	testutil.MaxAllocs(t, 100, 0, func() {
		if err := i.Send(pkt); err != nil {
			t.Fatal(err)
		}
	})
}

func BenchmarkSend(b *testing.B) {
	p := serialtest.OpenPTY(b)
	serialtest.DrainPTY(b, p)
	i, err := serial.New(context.Background(), serial.Config{Port: serial.PortConfig{Path: p.Path, Speed: 115200}, Settle: -1})
	if err != nil {
		b.Fatal(err)
	}
	defer i.Close()
	pkt := bytes.Repeat([]byte{0x7e, 1, 2, 3, 4, 5, 6, 7}, 500/8)
	b.ReportAllocs()
	b.SetBytes(int64(len(pkt)))
	for b.Loop() {
		if err := i.Send(pkt); err != nil {
			b.Fatal(err)
		}
	}
}

// TestWaitForDevice: with WaitForDevice, New succeeds before the device
// exists, and the interface comes up when it appears.
func TestWaitForDevice(t *testing.T) {
	serialtest.LeakCheck(t)
	dir := t.TempDir()
	i, err := serial.New(serialtest.Timeout(t), serial.Config{
		Name: "test", Port: serial.PortConfig{Path: dir + "/ttyTEST"},
		Settle: -1, Retry: 20 * time.Millisecond, WaitForDevice: true, Logf: t.Logf,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer i.Close()
	if i.Up() {
		t.Fatal("up without a device")
	}
	if err := i.Send([]byte{1}); !errors.Is(err, serial.ErrDown) {
		t.Fatalf("send without a device: %v", err)
	}
	ch, done := serialtest.Receiver(i.Receive)
	p := serialtest.OpenPTY(t)
	p.Link(t, dir)
	if err := i.WaitUp(serialtest.Timeout(t)); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Master.Write(serialtest.Unhex(t, "7e017e")); err != nil {
		t.Fatal(err)
	}
	if r := serialtest.Next(t, ch); r.Err != nil || !bytes.Equal(r.B, []byte{1}) {
		t.Fatalf("received %x, %v", r.B, r.Err)
	}
	i.Close()
	<-done
}
