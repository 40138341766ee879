package tun_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/mehr-net/mehr/interfaces/tcp"
	"github.com/mehr-net/mehr/internal/testutil"
	"github.com/mehr-net/mehr/rns"
	"github.com/mehr-net/mehr/rns/transport"
	"github.com/mehr-net/mehr/tun"
)

// joinTCP connects x (server) and y (client) over TCP on loopback.
func joinTCP(tb testing.TB, x, y *rns.Node) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	srv, err := tcp.Listen(context.Background(), tcp.Config{Name: "srv", Addr: "127.0.0.1:0"})
	if err != nil {
		tb.Fatal(err)
	}
	before := len(x.Transport().Interfaces())
	x.AddListener(srv, transport.InterfaceOptions{})
	cli, err := tcp.NewClient(context.Background(), tcp.Config{Name: "cli", Addr: srv.Addr().String()})
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := y.AddInterface(cli, transport.InterfaceOptions{}); err != nil {
		tb.Fatal(err)
	}
	if err := cli.WaitConnected(ctx); err != nil {
		tb.Fatal(err)
	}
	waitFor(tb, "the server to attach the connection", func() bool { return len(x.Transport().Interfaces()) > before })
}

// lineTCP builds A — B — C over TCP on loopback, transport on B only.
func lineTCP(tb testing.TB) (a, c *ipNode) {
	tb.Helper()
	b, err := rns.NewNode(rns.Options{TransportEnabled: true})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { b.Close() })
	quiet := tun.Config{Logf: func(string, ...any) {}}
	a = newIPNode(tb, false, quiet)
	c = newIPNode(tb, false, quiet)
	joinTCP(tb, b, a.n)
	joinTCP(tb, b, c.n)
	announceAll(tb, a, c)
	return a, c
}

// TestPingOverTCP runs the ping of TestPingThroughTransport over real TCP
// connections: the link MTU follows the TCP interfaces, so 1280-byte
// packets go whole.
func TestPingOverTCP(t *testing.T) {
	if testing.Short() {
		t.Skip("real sockets")
	}
	defer testutil.LeakCheck(t)()
	t.Run("line", func(t *testing.T) {
		a, c := lineTCP(t)
		for seq := range uint16(3) {
			ping(t, a, c, seq, 1280)
		}
		st := a.a.Status()
		if st.Peers[0].LinkMTU < 1280+tun.WholeHeaderLen || st.Counters.Fragmented != 0 {
			t.Errorf("link MTU %d, %d packets fragmented", st.Peers[0].LinkMTU, st.Counters.Fragmented)
		}
	})
}

// BenchmarkThroughputTCP pushes 1280-byte packets from A's device to C's
// through B over TCP on loopback, as fast as A's read routine takes them,
// and reports the delivered rate. Packets may be lost under overload (C's
// fake device drops when its queue is full); the loss is reported too.
func BenchmarkThroughputTCP(b *testing.B) {
	a, c := lineTCP(b)
	const size = 1280
	pkt := tun.EchoPacket(a.a.Address(), c.a.Address(), false, 1, 1, size-48)
	a.dev.Inbound <- pkt
	if got := recv(b, c.dev, "first packet"); !bytes.Equal(got, pkt) {
		b.Fatal("first packet changed")
	}
	// Delivered counts what C's adapter wrote to its device; the fake
	// device's queue overflowing (its reader is a test goroutine sharing
	// the CPUs) is not the mesh's loss.
	rx0 := c.a.Status().Peers[0].RxPackets
	delivered := func() int64 { return int64(c.a.Status().Peers[0].RxPackets - rx0) }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-c.dev.Outbound:
			case <-ctx.Done():
				return
			}
		}
	}()
	b.ReportAllocs()
	b.SetBytes(size)
	start := time.Now()
	n := 0
	for b.Loop() {
		a.dev.Inbound <- pkt
		n++
	}
	// Let the tail arrive, within a bound.
	deadline := time.Now().Add(5 * time.Second)
	for delivered() < int64(n) && time.Now().Before(deadline) {
		time.Sleep(100 * time.Microsecond)
	}
	elapsed := time.Since(start)
	cancel()
	<-done
	b.ReportMetric(float64(delivered())*size*8/elapsed.Seconds()/1e6, "Mbit/s")
	b.ReportMetric(100*float64(int64(n)-delivered())/float64(n), "%lost")
}
