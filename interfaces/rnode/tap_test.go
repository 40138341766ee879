package rnode_test

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mehr-net/mehr/interfaces/rnode"
	"github.com/mehr-net/mehr/interfaces/rnode/sim"
	"github.com/mehr-net/mehr/internal/testutil"
)

// tapPort is the host end of a pipe to a simulated radio that also lets a
// test inject device bytes and discard host writes, for fuzzing and
// benchmarking the driver's read and write paths.
type tapPort struct {
	conn    net.Conn
	data    chan []byte
	done    chan struct{}
	once    sync.Once
	wg      sync.WaitGroup
	discard atomic.Bool
	pending []byte
}

func newTapPort(conn net.Conn) *tapPort {
	p := &tapPort{conn: conn, data: make(chan []byte, 16), done: make(chan struct{})}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			buf := make([]byte, 4096)
			n, err := conn.Read(buf)
			if err != nil {
				p.Close()
				return
			}
			select {
			case p.data <- buf[:n]:
			case <-p.done:
				return
			}
		}
	}()
	return p
}

// inject delivers b as if the device had sent it; false if the port is
// closed.
func (p *tapPort) inject(b []byte) bool {
	select {
	case p.data <- b:
		return true
	case <-p.done:
		return false
	}
}

func (p *tapPort) Read(b []byte) (int, error) {
	if len(p.pending) == 0 {
		select {
		case p.pending = <-p.data:
		case <-p.done:
			return 0, net.ErrClosed
		}
	}
	n := copy(b, p.pending)
	p.pending = p.pending[n:]
	return n, nil
}

func (p *tapPort) Write(b []byte) (int, error) {
	if p.discard.Load() {
		return len(b), nil
	}
	return p.conn.Write(b)
}

func (p *tapPort) Close() error {
	p.once.Do(func() {
		close(p.done)
		p.conn.Close()
	})
	return nil
}

// tapped is a driver on a tapPort to a simulated radio.
type tapped struct {
	i     *rnode.Interface
	ports chan *tapPort
	radio *sim.Radio
	wg    sync.WaitGroup
}

func newTapped(tb testing.TB) *tapped {
	tp := &tapped{ports: make(chan *tapPort, 64), radio: sim.NewRadio(sim.NewChannel(false), sim.Options{StatsInterval: -1})}
	cfg := testConfig(tb, "tap")
	cfg.Logf = nil
	cfg.ReconnectWait = time.Hour
	cfg.Open = func(string) (rnode.Port, error) {
		host, dev := net.Pipe()
		tp.wg.Add(1)
		go func() {
			defer tp.wg.Done()
			tp.radio.Serve(dev)
			dev.Close()
		}()
		p := newTapPort(host)
		tp.ports <- p
		return p, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	i, err := rnode.New(ctx, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tp.i = i
	return tp
}

// port returns the port of the current session.
func (tp *tapped) port() *tapPort {
	var p *tapPort
	for {
		select {
		case p = <-tp.ports:
		default:
			return p
		}
	}
}

func (tp *tapped) close() {
	tp.i.Close()
	for p := tp.port(); p != nil; p = tp.port() {
		p.Close()
	}
	tp.wg.Wait()
	tp.radio.Close()
}

// FuzzDriverRead feeds arbitrary device bytes to an online driver: it
// never panics, delivers only packets within DataMTU, and a data frame
// after the garbage still arrives unless the garbage took the device down.
func FuzzDriverRead(f *testing.F) {
	f.Add([]byte{0xc0, rnode.CmdStatRSSI, 0x64, 0xc0, 0xc0, rnode.CmdStatSNR, 0xf6, 0xc0, 0xc0, 0x00, 'h', 'i', 0xc0}, uint8(3))
	f.Add([]byte{0xc0, rnode.CmdError, 0x05, 0xc0, 0xc0, rnode.CmdReady, 0x01, 0xc0, 0xc0, rnode.CmdReset, 0xf8, 0xc0}, uint8(1))
	f.Add([]byte{0xc0, rnode.CmdError, 0x02, 0xc0}, uint8(0))
	f.Add([]byte{0xc0, 0x00, 0xdb}, uint8(2))
	f.Add([]byte{0xc0, rnode.CmdStatChannel, 1, 2, 3, 0xc0, 0xc0, rnode.CmdFrequency, 0xdb, 0xdc, 0xc0}, uint8(5))
	f.Fuzz(func(t *testing.T, in []byte, split uint8) {
		tp := newTapped(t)
		defer tp.close()
		p := tp.port()
		// Receive runs from the start, so that the rx ring never fills.
		got := make(chan bool, 1)
		go func() {
			buf := make([]byte, rnode.DataMTU)
			for {
				n, err := tp.i.Receive(buf)
				if err != nil {
					got <- false
					return
				}
				if string(buf[:n]) == "sentinel" {
					got <- true
					return
				}
			}
		}()
		chunk := int(split)%32 + 1
		for b := in; len(b) > 0; {
			n := min(chunk, len(b))
			if !p.inject(b[:n]) {
				break
			}
			b = b[n:]
		}
		p.inject(rnode.AppendData([]byte{0xc0}, []byte("sentinel")))
		deadline := time.After(10 * time.Second)
		for {
			select {
			case <-got:
				return
			case <-deadline:
				if tp.i.Online() {
					t.Fatal("sentinel lost while online")
				}
				return
			case <-time.After(5 * time.Millisecond):
				if !tp.i.Online() {
					return
				}
			}
		}
	})
}

// BenchmarkDriverReceive measures the read path: device bytes through the
// parser, the rx ring and Receive.
func BenchmarkDriverReceive(b *testing.B) {
	tp := newTapped(b)
	defer tp.close()
	p := tp.port()
	payload := make([]byte, 400)
	for k := range payload {
		payload[k] = byte(k)
	}
	chunk := []byte{0xc0, rnode.CmdStatRSSI, 0x64, 0xc0, 0xc0, rnode.CmdStatSNR, 0x26, 0xc0}
	chunk = rnode.AppendData(chunk, payload)
	buf := make([]byte, rnode.DataMTU)
	b.ReportAllocs()
	b.SetBytes(int64(len(payload)))
	for b.Loop() {
		p.inject(chunk)
		if n, err := tp.i.Receive(buf); err != nil || n != len(payload) {
			b.Fatal(n, err)
		}
	}
}

// BenchmarkDriverSend measures the write path: framing into the reused
// buffer and one port write.
func BenchmarkDriverSend(b *testing.B) {
	tp := newTapped(b)
	defer tp.close()
	tp.port().discard.Store(true)
	payload := make([]byte, 400)
	for k := range payload {
		payload[k] = byte(k)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(payload)))
	for b.Loop() {
		if err := tp.i.Send(payload); err != nil {
			b.Fatal(err)
		}
	}
}

// TestStalledFrameDropped: a frame cut short and followed by silence is
// dropped, as the reference's read timeout drops it, so that it cannot
// swallow the next frame's opening FEND.
func TestStalledFrameDropped(t *testing.T) {
	tp := newTapped(t)
	defer tp.close()
	p := tp.port()
	p.inject([]byte{0xc0, 0x00, 's', 't', 'a', 'l', 'l'})
	time.Sleep(3 * rnode.StallTimeout) // the silence under test
	p.inject(rnode.AppendData(nil, []byte("next")))
	if got, _ := receive(t, tp.i); string(got) != "next" {
		t.Fatalf("got %q, want the frame after the stall", got)
	}
}

func TestDriverAllocs(t *testing.T) {
	tp := newTapped(t)
	defer tp.close()
	p := tp.port()
	payload := make([]byte, 300)
	chunk := []byte{0xc0, rnode.CmdStatRSSI, 0x64, 0xc0, 0xc0, rnode.CmdStatSNR, 0x26, 0xc0}
	chunk = rnode.AppendData(chunk, payload)
	buf := make([]byte, rnode.DataMTU)
	testutil.MaxAllocs(t, 200, 0, func() {
		p.inject(chunk)
		if n, err := tp.i.Receive(buf); err != nil || n != len(payload) {
			t.Fatal(n, err)
		}
	})
	p.discard.Store(true)
	testutil.MaxAllocs(t, 200, 0, func() {
		if err := tp.i.Send(payload); err != nil {
			t.Fatal(err)
		}
	})
}
