package udp_test

import (
	"bytes"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/mehr-net/mehr/interfaces/udp"
	"github.com/mehr-net/mehr/internal/testutil"
	"github.com/mehr-net/mehr/rns/iface"
)

const wait = 10 * time.Second

// freeAddrs returns n loopback UDP addresses with ports the kernel
// picked, released for the test to bind.
func freeAddrs(t testing.TB, n int) []string {
	t.Helper()
	var conns []*net.UDPConn
	var addrs []string
	for range n {
		c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		addrs = append(addrs, c.LocalAddr().String())
	}
	for _, c := range conns {
		c.Close()
	}
	return addrs
}

// newPair returns two interfaces on 127.0.0.1 that send to each other.
func newPair(t *testing.T) (*udp.Interface, *udp.Interface) {
	t.Helper()
	for try := 0; ; try++ {
		ad := freeAddrs(t, 2)
		a, err := udp.New(udp.Config{Name: "a", ListenAddr: ad[0], ForwardAddr: ad[1]})
		if err != nil {
			if try < 3 {
				continue // the port was taken meanwhile
			}
			t.Fatal(err)
		}
		b, err := udp.New(udp.Config{Name: "b", ListenAddr: ad[1], ForwardAddr: ad[0]})
		if err != nil {
			a.Close()
			if try < 3 {
				continue
			}
			t.Fatal(err)
		}
		return a, b
	}
}

// receive runs one Receive with a bounded wait.
func receive(t *testing.T, i iface.Interface, buf []byte) []byte {
	t.Helper()
	type res struct {
		n   int
		err error
	}
	ch := make(chan res, 1)
	go func() {
		n, err := i.Receive(buf)
		ch <- res{n, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			t.Fatalf("%s: Receive: %v", i.Name(), r.err)
		}
		return buf[:r.n]
	case <-time.After(wait):
		i.Close()
		<-ch
		t.Fatalf("%s: no datagram within %v", i.Name(), wait)
		return nil
	}
}

// TestExchange sends every size from 1 byte to the limit both ways, one
// datagram at a time so that no socket buffer can overflow.
func TestExchange(t *testing.T) {
	defer testutil.LeakCheck(t)()
	a, b := newPair(t)
	defer a.Close()
	defer b.Close()
	if a.MTU() != 1064 || a.Bitrate() != 10_000_000 || a.Mode() != iface.ModeFull {
		t.Errorf("MTU %d bitrate %d mode %v", a.MTU(), a.Bitrate(), a.Mode())
	}
	max := a.MTU() + udp.DefaultIFACSize
	buf := make([]byte, max+100)
	short := make([]byte, max) // exercises the scratch-buffer path
	for n := 1; n <= max; n++ {
		p := make([]byte, n)
		for i := range p {
			p[i] = byte(i * n)
		}
		if err := a.Send(p); err != nil {
			t.Fatalf("Send(%d): %v", n, err)
		}
		if got := receive(t, b, buf); !bytes.Equal(got, p) {
			t.Fatalf("a->b %d bytes: got %d bytes", n, len(got))
		}
		if err := b.Send(p); err != nil {
			t.Fatalf("Send(%d): %v", n, err)
		}
		if got := receive(t, a, short); !bytes.Equal(got, p) {
			t.Fatalf("b->a %d bytes: got %d bytes", n, len(got))
		}
	}
	want := iface.Counters{RxPackets: uint64(max), TxPackets: uint64(max), RxBytes: uint64(max * (max + 1) / 2), TxBytes: uint64(max * (max + 1) / 2)}
	for _, i := range []*udp.Interface{a, b} {
		if c := i.Counters(); c != want {
			t.Errorf("%s: counters %+v, want %+v", i.Name(), c, want)
		}
	}
}

// TestOversize drops empty datagrams and ones over the limit or over the
// caller's buffer, and counts them.
func TestOversize(t *testing.T) {
	defer testutil.LeakCheck(t)()
	u, err := udp.New(udp.Config{Name: "rx", ListenAddr: "127.0.0.1:0", IFACSize: 8})
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	raw, err := net.DialUDP("udp4", nil, u.LocalAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	good := []byte("a datagram of the right size")
	for _, d := range [][]byte{{}, make([]byte, 1064+8+1), make([]byte, 9000), good} {
		if _, err := raw.Write(d); err != nil {
			t.Fatal(err)
		}
	}
	for _, buf := range [][]byte{make([]byte, 2000), make([]byte, 100)} {
		if got := receive(t, u, buf); !bytes.Equal(got, good) {
			t.Fatalf("got %q", got)
		}
		if _, err := raw.Write(make([]byte, 1064+8+1)); err != nil {
			t.Fatal(err)
		}
		if _, err := raw.Write(good); err != nil {
			t.Fatal(err)
		}
	}
	// Longer than the caller's buffer, shorter than the limit.
	if _, err := raw.Write(make([]byte, 50)); err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Write(good); err != nil {
		t.Fatal(err)
	}
	for _, buf := range [][]byte{make([]byte, 2000), make([]byte, 40)} {
		if got := receive(t, u, buf); !bytes.Equal(got, good) {
			t.Fatalf("got %q", got)
		}
	}
	if c := u.Counters(); c.Dropped != 6 || c.RxPackets != 4 {
		t.Errorf("counters %+v, want 6 dropped and 4 received", c)
	}
	if err := u.Send(good); !errors.Is(err, udp.ErrNoForward) {
		t.Errorf("Send on a receive-only interface = %v", err)
	}
}

// TestSendErrors checks Send's size limit and behaviour after Close.
func TestSendErrors(t *testing.T) {
	defer testutil.LeakCheck(t)()
	a, b := newPair(t)
	defer b.Close()
	if err := a.Send(make([]byte, 1064+16+1)); !errors.Is(err, udp.ErrTooLarge) {
		t.Errorf("Send(oversize) = %v, want ErrTooLarge", err)
	}
	a.Close()
	if err := a.Send([]byte("x")); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Send after Close = %v, want net.ErrClosed", err)
	}
	if err := a.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
}

// TestCloseUnblocks checks that Close ends a blocked Receive, for an
// interface that listens and for one that only sends.
func TestCloseUnblocks(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  udp.Config
	}{
		{"listening", udp.Config{ListenAddr: "127.0.0.1:0"}},
		{"send only", udp.Config{ForwardAddr: "127.0.0.1:9"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer testutil.LeakCheck(t)()
			u, err := udp.New(tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			errc := make(chan error, 1)
			go func() {
				_, err := u.Receive(make([]byte, 2000))
				errc <- err
			}()
			u.Close()
			select {
			case err := <-errc:
				if !errors.Is(err, net.ErrClosed) {
					t.Errorf("Receive = %v, want net.ErrClosed", err)
				}
			case <-time.After(wait):
				t.Fatal("Receive still blocked after Close")
			}
			if _, err := u.Receive(make([]byte, 2000)); !errors.Is(err, net.ErrClosed) {
				t.Errorf("Receive after Close = %v", err)
			}
		})
	}
}

// TestConfigErrors checks the sentinel errors for bad configurations.
func TestConfigErrors(t *testing.T) {
	defer testutil.LeakCheck(t)()
	for _, tc := range []struct {
		name string
		cfg  udp.Config
		want error
	}{
		{"nothing", udp.Config{}, udp.ErrBadConfig},
		{"bitrate", udp.Config{ListenAddr: "127.0.0.1:0", Bitrate: 2}, udp.ErrBadConfig},
		{"ifac", udp.Config{ListenAddr: "127.0.0.1:0", IFACSize: 65}, udp.ErrBadConfig},
		{"mode", udp.Config{ListenAddr: "127.0.0.1:0", Mode: 0x42}, udp.ErrBadConfig},
		{"listen port", udp.Config{ListenAddr: "127.0.0.1:http"}, udp.ErrBadAddress},
		{"listen host", udp.Config{ListenAddr: "localhost:4242"}, udp.ErrBadAddress},
		{"listen form", udp.Config{ListenAddr: "127.0.0.1"}, udp.ErrBadAddress},
		{"forward port 0", udp.Config{ForwardAddr: "127.0.0.1:0"}, udp.ErrBadAddress},
		{"forward no host", udp.Config{ForwardAddr: ":4242"}, udp.ErrBadAddress},
		{"device", udp.Config{ForwardAddr: ":4242", Device: "no-such-device0"}, udp.ErrBadAddress},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u, err := udp.New(tc.cfg)
			if u != nil {
				u.Close()
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}

// TestSendReceiveAllocs proves the steady-state data path allocates
// nothing.
func TestSendReceiveAllocs(t *testing.T) {
	defer testutil.LeakCheck(t)()
	a, b := newPair(t)
	defer a.Close()
	defer b.Close()
	pkt := make([]byte, 500)
	for _, buf := range [][]byte{make([]byte, 2000), make([]byte, 600)} {
		round := func() {
			if err := a.Send(pkt); err != nil {
				t.Fatal(err)
			}
			if n, err := b.Receive(buf); err != nil || n != len(pkt) {
				t.Fatalf("Receive = %d, %v", n, err)
			}
		}
		round()
		testutil.MaxAllocs(t, 200, 0, round)
	}
}

// BenchmarkSendReceive measures 500-byte datagrams over loopback, sent
// and received in lockstep so that none is lost to a full socket buffer.
func BenchmarkSendReceive(b *testing.B) {
	ad := freeAddrs(b, 2)
	x, err := udp.New(udp.Config{Name: "x", ListenAddr: ad[0], ForwardAddr: ad[1]})
	if err != nil {
		b.Fatal(err)
	}
	defer x.Close()
	y, err := udp.New(udp.Config{Name: "y", ListenAddr: ad[1], ForwardAddr: ad[0]})
	if err != nil {
		b.Fatal(err)
	}
	defer y.Close()
	pkt := make([]byte, 500)
	buf := make([]byte, 2000)
	b.SetBytes(int64(len(pkt)))
	b.ReportAllocs()
	for b.Loop() {
		if err := x.Send(pkt); err != nil {
			b.Fatal(err)
		}
		if _, err := y.Receive(buf); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pkts/s")
}
