package tcp_test

import (
	"testing"

	"github.com/mehr-net/mehr/interfaces/tcp"
	"github.com/mehr-net/mehr/internal/testutil"
)

// BenchmarkSendReceive measures 500-byte packets (Reticulum's MTU) from a
// client to the server's interface over loopback: one goroutine sends,
// the benchmark goroutine receives.
func BenchmarkSendReceive(b *testing.B) {
	for _, f := range framings {
		b.Run(f.name, func(b *testing.B) {
			srv, err := tcp.Listen(b.Context(), tcp.Config{Name: "srv", Addr: "127.0.0.1:0", KISSFraming: f.kiss})
			if err != nil {
				b.Fatal(err)
			}
			defer srv.Close()
			c, err := tcp.NewClient(b.Context(), tcp.Config{Name: "cli", Addr: srv.Addr().String(), KISSFraming: f.kiss})
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			i, err := srv.Accept()
			if err != nil {
				b.Fatal(err)
			}
			defer i.Close()
			pkt := make([]byte, 500)
			for j := range pkt {
				pkt[j] = byte(j) // includes the framing bytes
			}
			buf := make([]byte, i.MTU())
			b.SetBytes(int64(len(pkt)))
			b.ReportAllocs()
			errc := make(chan error, 1)
			b.ResetTimer()
			go func() {
				for range b.N {
					if err := c.Send(pkt); err != nil {
						errc <- err
						return
					}
				}
				errc <- nil
			}()
			for range b.N {
				if _, err := i.Receive(buf); err != nil {
					b.Fatal(err)
				}
			}
			if err := <-errc; err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pkts/s")
		})
	}
}

// TestSendReceiveAllocs proves the steady-state data path allocates
// nothing: Send frames into a reused buffer, Receive decodes in place.
func TestSendReceiveAllocs(t *testing.T) {
	for _, f := range framings {
		t.Run(f.name, func(t *testing.T) {
			defer testutil.LeakCheck(t)()
			srv, c, sp := pair(t, tcp.Config{KISSFraming: f.kiss})
			defer srv.Close()
			defer c.Close()
			defer sp.Close()
			pkt := make([]byte, 500)
			for j := range pkt {
				pkt[j] = byte(j)
			}
			buf := make([]byte, sp.MTU())
			round := func() {
				if err := c.Send(pkt); err != nil {
					t.Fatal(err)
				}
				if n, err := sp.Receive(buf); err != nil || n != len(pkt) {
					t.Fatalf("Receive = %d, %v", n, err)
				}
			}
			round() // grow the buffers
			testutil.MaxAllocs(t, 200, 0, round)
		})
	}
}
