package plugins_test

import (
	"context"
	"errors"
	"net"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mehr-net/mehr/interfaces/udp"
	"github.com/mehr-net/mehr/plugins/host"
	"github.com/mehr-net/mehr/rns/iface"
)

// benchPacket is the size of the packets the benchmarks send: a full
// Reticulum packet at the base MTU.
const benchPacket = 500

// udpInProcess returns two in-process UDP interfaces on loopback that
// reach each other: the baseline for the plugin path.
func udpInProcess(tb testing.TB) (a, b iface.Interface) {
	tb.Helper()
	pa, pb := freeUDPPort(tb), freeUDPPort(tb)
	ua, err := udp.New(udp.Config{Name: "a", ListenAddr: addr(pa), ForwardAddr: addr(pb)})
	if err != nil {
		tb.Fatal(err)
	}
	ub, err := udp.New(udp.Config{Name: "b", ListenAddr: addr(pb), ForwardAddr: addr(pa)})
	if err != nil {
		tb.Fatal(err)
	}
	return ua, ub
}

func addr(port int) string { return net.JoinHostPort("127.0.0.1", itoa(port)) }

func itoa(n int) string {
	var b [20]byte
	i := len(b)
	for n >= 10 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	i--
	b[i] = byte('0' + n)
	return string(b[i:])
}

type pairFunc func(testing.TB) (iface.Interface, iface.Interface)

func pluginPair(tb testing.TB) (iface.Interface, iface.Interface) {
	a, b := udpPair(tb, host.Config{Logf: func(string, ...any) {}})
	return a, b
}

var modes = []struct {
	name string
	pair pairFunc
}{
	{"in-process", udpInProcess},
	{"plugin", pluginPair},
}

// BenchmarkUDPThroughput sends b.N 500-byte packets from one UDP
// interface to another on loopback and reports the packets delivered per
// second, in process and through two plugin processes (host → plugin A →
// UDP → plugin B → host). The plugin sender retries while the send queue
// is full, so the figure is the path's capacity; UDP itself may drop
// when the receiver falls behind, in both modes.
func BenchmarkUDPThroughput(b *testing.B) {
	for _, m := range modes {
		b.Run(m.name, func(b *testing.B) {
			ia, ib := m.pair(b)
			defer ia.Close()
			defer ib.Close()
			var got atomic.Int64
			var last atomic.Int64 // UnixNano of the last delivery
			done := make(chan struct{})
			go func() {
				defer close(done)
				buf := make([]byte, ib.MTU()+64)
				for {
					if _, err := ib.Receive(buf); err != nil {
						return
					}
					got.Add(1)
					last.Store(time.Now().UnixNano())
				}
			}()
			pkt := make([]byte, benchPacket)
			b.ReportAllocs()
			b.SetBytes(benchPacket)
			b.ResetTimer()
			start := time.Now()
			for i := 0; i < b.N; i++ {
				for {
					err := ia.Send(pkt)
					if err == nil {
						break
					}
					if !errors.Is(err, host.ErrQueueFull) {
						b.Fatal(err)
					}
					time.Sleep(50 * time.Microsecond)
				}
			}
			// Wait for the stragglers: until all arrived or nothing
			// arrived for 200 ms.
			for got.Load() < int64(b.N) {
				n := got.Load()
				time.Sleep(200 * time.Millisecond)
				if got.Load() == n {
					break
				}
			}
			b.StopTimer()
			end := time.Unix(0, last.Load())
			if n := got.Load(); n > 0 && end.After(start) {
				b.ReportMetric(float64(n)/end.Sub(start).Seconds(), "delivered-pkts/s")
				b.ReportMetric(100*float64(n)/float64(b.N), "delivered-%")
			}
			ia.Close()
			ib.Close()
			<-done
		})
	}
}

// oneWay measures the one-way delay of n packets sent one at a time from
// a to b and returns the delays.
func oneWay(tb testing.TB, a, b iface.Interface, n int) []time.Duration {
	arrived := make(chan time.Time, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, b.MTU()+64)
		for {
			if _, err := b.Receive(buf); err != nil {
				return
			}
			select {
			case arrived <- time.Now():
			default:
			}
		}
	}()
	defer func() { a.Close(); b.Close(); <-done }()
	pkt := make([]byte, benchPacket)
	// Warm up: the first packets pay for lazy setup on both sides.
	var out []time.Duration
	for i := 0; i < n+50; i++ {
		t0 := time.Now()
		if err := a.Send(pkt); err != nil {
			tb.Fatal(err)
		}
		select {
		case t1 := <-arrived:
			if i >= 50 {
				out = append(out, t1.Sub(t0))
			}
		case <-time.After(time.Second):
			// Lost datagram: skip the sample.
		}
	}
	return out
}

func median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	return d[len(d)/2]
}

// loopPlugin starts the test plugin's loopback interface: every packet
// sent comes back, so a and b are the same interface.
func loopPlugin(tb testing.TB) (iface.Interface, iface.Interface) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	i, err := host.Start(ctx, host.Config{Name: "loop", Path: bins[testPluginPkg], Logf: func(string, ...any) {},
		Config: []byte("behaviour = \"loop\"\n")})
	if err != nil {
		tb.Fatal(err)
	}
	return i, closeOnce{i}
}

// closeOnce lets one interface be both ends of a benchmark pair.
type closeOnce struct{ iface.Interface }

func (closeOnce) Close() error { return nil }

// BenchmarkPluginPath measures the plugin data path alone, without a
// medium: packets go from the host to a loopback plugin and back (two
// stream crossings). It reports the packets delivered per second and the
// median round trip.
func BenchmarkPluginPath(b *testing.B) {
	b.Run("throughput", func(b *testing.B) {
		ia, ib := loopPlugin(b)
		defer ia.Close()
		var got atomic.Int64
		done := make(chan struct{})
		go func() {
			defer close(done)
			buf := make([]byte, ib.MTU()+64)
			for {
				if _, err := ib.Receive(buf); err != nil {
					return
				}
				got.Add(1)
			}
		}()
		pkt := make([]byte, benchPacket)
		b.ReportAllocs()
		b.SetBytes(benchPacket)
		b.ResetTimer()
		start := time.Now()
		for i := 0; i < b.N; i++ {
			for ia.Send(pkt) != nil {
				time.Sleep(50 * time.Microsecond)
			}
		}
		for got.Load() < int64(b.N) {
			n := got.Load()
			time.Sleep(100 * time.Millisecond)
			if got.Load() == n {
				break
			}
		}
		el := time.Since(start)
		b.StopTimer()
		b.ReportMetric(float64(got.Load())/el.Seconds(), "delivered-pkts/s")
		ia.Close()
		<-done
	})
	b.Run("latency", func(b *testing.B) {
		ia, ib := loopPlugin(b)
		b.ReportAllocs()
		b.ResetTimer()
		rt := median(oneWay(b, ia, ib, b.N))
		b.StopTimer()
		b.ReportMetric(float64(rt.Nanoseconds())/1e3, "round-trip-µs")
	})
}

// BenchmarkUDPLatency sends b.N packets one at a time, waiting for each,
// in process and through the plugins, and reports the median one-way
// delay of each and the median the plugin path adds.
func BenchmarkUDPLatency(b *testing.B) {
	ia, ib := udpInProcess(b)
	pa, pb := pluginPair(b)
	b.ReportAllocs()
	b.ResetTimer()
	in := median(oneWay(b, ia, ib, b.N))
	pl := median(oneWay(b, pa, pb, b.N))
	b.StopTimer()
	b.ReportMetric(float64(in.Nanoseconds())/1e3, "in-process-µs")
	b.ReportMetric(float64(pl.Nanoseconds())/1e3, "plugin-µs")
	b.ReportMetric(float64((pl-in).Nanoseconds())/1e3, "added-µs")
}
