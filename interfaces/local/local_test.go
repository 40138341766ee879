package local_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mehr-net/mehr/interfaces/local"
	"github.com/mehr-net/mehr/internal/testutil"
	"github.com/mehr-net/mehr/rns/iface"
)

// waitFor bounds every wait in these tests.
const waitFor = 10 * time.Second

var nameSeq atomic.Uint64

// uniqueInstance returns an instance name no real shared instance uses.
func uniqueInstance(t *testing.T) string {
	return fmt.Sprintf("mehrtest-%d-%s-%d", os.Getpid(), strings.ReplaceAll(t.Name(), "/", "-"), nameSeq.Add(1))
}

// configs returns a server configuration per socket type supported here:
// an abstract Unix socket with a unique name, and TCP on a kernel-chosen
// loopback port.
func configs(t *testing.T) map[string]local.Config {
	m := map[string]local.Config{
		"tcp": {Type: local.TypeTCP, Addr: "127.0.0.1:0"},
	}
	if runtime.GOOS == "linux" || runtime.GOOS == "android" {
		m["unix"] = local.Config{Type: local.TypeUnix, InstanceName: uniqueInstance(t)}
	}
	return m
}

// clientConfig returns the configuration that attaches to srv.
func clientConfig(cfg local.Config, srv *local.Server) local.Config {
	if cfg.Type == local.TypeTCP {
		cfg.Addr = srv.Addr().String()
	}
	return cfg
}

type result struct {
	pkt []byte
	err error
}

// receiver runs Receive in a loop on its own goroutine, as transport does,
// and hands packets over on a channel.
type receiver struct {
	ch   chan result
	done chan struct{}
}

func startReceiver(ifc iface.Interface) *receiver {
	r := &receiver{ch: make(chan result, 64), done: make(chan struct{})}
	go func() {
		defer close(r.done)
		buf := make([]byte, ifc.MTU())
		for {
			n, err := ifc.Receive(buf)
			if err != nil {
				r.ch <- result{err: err}
				return
			}
			r.ch <- result{pkt: bytes.Clone(buf[:n])}
		}
	}()
	return r
}

func (r *receiver) next(t *testing.T) result {
	t.Helper()
	select {
	case res := <-r.ch:
		return res
	case <-time.After(waitFor):
		t.Fatal("timed out waiting for Receive")
		return result{}
	}
}

func (r *receiver) packet(t *testing.T) []byte {
	t.Helper()
	res := r.next(t)
	if res.err != nil {
		t.Fatalf("Receive: %v", res.err)
	}
	return res.pkt
}

func (r *receiver) wait(t *testing.T) {
	t.Helper()
	select {
	case <-r.done:
	case <-time.After(waitFor):
		t.Fatal("receive loop did not stop")
	}
}

type accepted struct {
	ifc iface.Interface
	err error
}

func acceptAsync(s iface.Listener) <-chan accepted {
	ch := make(chan accepted, 1)
	go func() {
		ifc, err := s.Accept()
		ch <- accepted{ifc, err}
	}()
	return ch
}

func accept(t *testing.T, s iface.Listener) iface.Interface {
	t.Helper()
	select {
	case a := <-acceptAsync(s):
		if a.err != nil {
			t.Fatalf("Accept: %v", a.err)
		}
		return a.ifc
	case <-time.After(waitFor):
		t.Fatal("timed out in Accept")
		return nil
	}
}

// packet returns a test packet of n bytes that starts with tag and
// contains both HDLC special bytes.
func packet(tag string, n int) []byte {
	p := make([]byte, n)
	for i := range p {
		p[i] = byte(i * 7)
	}
	copy(p, tag)
	p[len(tag)] = 0x7E
	p[len(tag)+1] = 0x7D
	p[n-1] = 0x7E
	return p
}

func TestServerSeveralClients(t *testing.T) {
	for name, cfg := range configs(t) {
		t.Run(name, func(t *testing.T) {
			defer testutil.LeakCheck(t)()
			srv, err := local.Listen(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()

			const clients = 3
			var cls [clients]*local.Client
			var crx [clients]*receiver
			conns := map[string]iface.Interface{}
			srx := map[string]*receiver{}
			for i := range cls {
				c, err := local.Dial(context.Background(), clientConfig(cfg, srv))
				if err != nil {
					t.Fatal(err)
				}
				cls[i], crx[i] = c, startReceiver(c)
				conn := accept(t, srv)
				if l, ok := conn.(iface.Local); !ok || !l.IsLocalClient() {
					t.Fatalf("%s: spawned interface is not a local client", conn.Name())
				}
				if conn.MTU() != local.HWMTU || conn.Bitrate() != local.Bitrate || conn.Mode() != iface.ModeFull {
					t.Fatalf("%s: MTU %d bitrate %d mode %v", conn.Name(), conn.MTU(), conn.Bitrate(), conn.Mode())
				}
				if _, dup := conns[conn.Name()]; dup {
					t.Fatalf("duplicate interface name %q", conn.Name())
				}
				// Identify which client this is by a first packet.
				hello := packet(fmt.Sprintf("hello from %d", i), 40)
				if err := c.Send(hello); err != nil {
					t.Fatal(err)
				}
				r := startReceiver(conn)
				if got := r.packet(t); !bytes.Equal(got, hello) {
					t.Fatalf("server got %x, want %x", got, hello)
				}
				conns[fmt.Sprint(i)] = conn
				srx[fmt.Sprint(i)] = r
			}

			sizes := []int{20, 21, 500, 1196, 4095, 4096, 70000, local.HWMTU}
			for i, c := range cls {
				for _, n := range sizes {
					up := packet(fmt.Sprintf("up %d %d", i, n), n)
					if err := c.Send(up); err != nil {
						t.Fatal(err)
					}
					if got := srx[fmt.Sprint(i)].packet(t); !bytes.Equal(got, up) {
						t.Fatalf("client %d size %d: server got %d bytes, want %d", i, n, len(got), len(up))
					}
					down := packet(fmt.Sprintf("down %d %d", i, n), n)
					if err := conns[fmt.Sprint(i)].Send(down); err != nil {
						t.Fatal(err)
					}
					if got := crx[i].packet(t); !bytes.Equal(got, down) {
						t.Fatalf("client %d size %d: client got %d bytes, want %d", i, n, len(got), len(down))
					}
				}
			}
			if err := cls[0].Send(make([]byte, local.HWMTU+1)); !errors.Is(err, local.ErrTooLarge) {
				t.Fatalf("oversized Send: %v", err)
			}

			// A client leaving detaches its interface on the server.
			cls[0].Close()
			crx[0].wait(t)
			res := srx["0"].next(t)
			if !errors.Is(res.err, local.ErrDetached) || !errors.Is(res.err, net.ErrClosed) {
				t.Fatalf("after the client left, Receive = %v", res.err)
			}
			if err := conns["0"].Send(packet("late", 30)); err == nil {
				t.Fatal("Send to a departed client succeeded")
			}
			st := conns["1"].(iface.Stats).Counters()
			if st.RxPackets != uint64(len(sizes)+1) || st.TxPackets != uint64(len(sizes)) {
				t.Fatalf("counters %+v", st)
			}

			for i := 1; i < clients; i++ {
				cls[i].Close()
				crx[i].wait(t)
				conns[fmt.Sprint(i)].Close()
				srx[fmt.Sprint(i)].wait(t)
			}
			conns["0"].Close()
			srv.Close()
		})
	}
}

func TestClientReattachesAfterServerRestart(t *testing.T) {
	for name, cfg := range configs(t) {
		t.Run(name, func(t *testing.T) {
			defer testutil.LeakCheck(t)()
			srv, err := local.Listen(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			ccfg := clientConfig(cfg, srv)
			if cfg.Type == local.TypeTCP {
				cfg.Addr = ccfg.Addr // restart on the same port
			}
			detached := make(chan struct{}, 4)
			reattached := make(chan struct{}, 4)
			failed := make(chan struct{}, 1)
			ccfg.ReconnectWait = 20 * time.Millisecond
			ccfg.OnDetach = func() { detached <- struct{}{} }
			ccfg.OnReattach = func() { reattached <- struct{}{} }
			ccfg.Logf = func(format string, args ...any) {
				if strings.Contains(format, "attempt") {
					select {
					case failed <- struct{}{}:
					default:
					}
				}
			}
			c, err := local.Dial(context.Background(), ccfg)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			crx := startReceiver(c)
			conn := accept(t, srv)

			// The daemon exits: listener and connections go away.
			srv.Close()
			conn.Close()
			select {
			case <-detached:
			case <-time.After(waitFor):
				t.Fatal("client did not notice the shared instance going away")
			}
			if c.Attached() {
				t.Fatal("Attached() is true after the shared instance went away")
			}
			if err := c.Send(packet("while detached", 40)); !errors.Is(err, local.ErrDetached) {
				t.Fatalf("Send while detached: %v", err)
			}
			// Let a few attempts fail before the daemon comes back.
			for range 2 {
				select {
				case <-failed:
				case <-time.After(waitFor):
					t.Fatal("no failed reconnection attempts seen")
				}
			}

			srv2, err := local.Listen(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer srv2.Close()
			conn2 := accept(t, srv2)
			defer conn2.Close()
			select {
			case <-reattached:
			case <-time.After(waitFor):
				t.Fatal("client did not report reattachment")
			}
			if !c.Attached() {
				t.Fatal("Attached() is false after reattaching")
			}
			srx := startReceiver(conn2)
			up := packet("after restart", 300)
			if err := c.Send(up); err != nil {
				t.Fatal(err)
			}
			if got := srx.packet(t); !bytes.Equal(got, up) {
				t.Fatalf("server got %x", got)
			}
			down := packet("welcome back", 300)
			if err := conn2.Send(down); err != nil {
				t.Fatal(err)
			}
			if got := crx.packet(t); !bytes.Equal(got, down) {
				t.Fatalf("client got %x", got)
			}
			c.Close()
			if res := crx.next(t); !errors.Is(res.err, net.ErrClosed) {
				t.Fatalf("Receive after Close = %v", res.err)
			}
			crx.wait(t)
			conn2.Close()
			srx.wait(t)
		})
	}
}

func TestCloseUnblocks(t *testing.T) {
	cfg := configs(t)["tcp"]
	if u, ok := configs(t)["unix"]; ok {
		cfg = u
	}
	defer testutil.LeakCheck(t)()
	srv, err := local.Listen(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	ccfg := clientConfig(cfg, srv)
	ccfg.ReconnectWait = time.Hour
	c, err := local.Dial(context.Background(), ccfg)
	if err != nil {
		t.Fatal(err)
	}
	conn := accept(t, srv)
	crx, srx := startReceiver(c), startReceiver(conn)

	// Close unblocks a Receive waiting for data, on both sides.
	conn.Close()
	if res := srx.next(t); !errors.Is(res.err, net.ErrClosed) {
		t.Fatalf("server Receive after Close = %v", res.err)
	}
	if err := conn.Send(packet("x", 30)); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Send after Close = %v", err)
	}
	// The client now waits an hour before reconnecting; Close ends that.
	c.Close()
	c.Close()
	if res := crx.next(t); !errors.Is(res.err, net.ErrClosed) {
		t.Fatalf("client Receive after Close = %v", res.err)
	}
	if err := c.Send(packet("x", 30)); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Send after Close = %v", err)
	}
	if n, err := c.Receive(make([]byte, local.HWMTU)); n != 0 || !errors.Is(err, net.ErrClosed) {
		t.Fatalf("second Receive after Close = %d, %v", n, err)
	}

	// Close unblocks Accept.
	ch := acceptAsync(srv)
	srv.Close()
	srv.Close()
	select {
	case a := <-ch:
		if !errors.Is(a.err, net.ErrClosed) {
			t.Fatalf("Accept after Close = %v", a.err)
		}
	case <-time.After(waitFor):
		t.Fatal("Close did not unblock Accept")
	}
}

func TestListenInUse(t *testing.T) {
	for name, cfg := range configs(t) {
		t.Run(name, func(t *testing.T) {
			srv, err := local.Listen(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			cfg2 := clientConfig(cfg, srv)
			if _, err := local.Listen(context.Background(), cfg2); !errors.Is(err, local.ErrInUse) {
				t.Fatalf("second Listen: %v, want ErrInUse", err)
			}
		})
	}
}

func TestDialNothing(t *testing.T) {
	cfg := local.Config{Type: local.TypeTCP, Addr: "127.0.0.1:1"}
	if runtime.GOOS == "linux" {
		cfg = local.Config{Type: local.TypeUnix, InstanceName: uniqueInstance(t)}
	}
	if c, err := local.Dial(context.Background(), cfg); err == nil {
		c.Close()
		t.Fatal("Dial succeeded with no shared instance")
	}
}

func TestEndpoint(t *testing.T) {
	tests := []struct {
		name          string
		cfg           local.Config
		network, addr string
	}{
		{"tcp default", local.Config{Type: local.TypeTCP}, "tcp", "127.0.0.1:37428"},
		{"tcp port", local.Config{Type: local.TypeTCP, Port: 4242}, "tcp", "127.0.0.1:4242"},
		{"tcp ignores instance name", local.Config{Type: local.TypeTCP, InstanceName: "x"}, "tcp", "127.0.0.1:37428"},
		{"override", local.Config{Type: local.TypeTCP, Addr: "127.0.0.1:0"}, "tcp", "127.0.0.1:0"},
	}
	if runtime.GOOS == "linux" || runtime.GOOS == "android" {
		tests = append(tests, []struct {
			name          string
			cfg           local.Config
			network, addr string
		}{
			{"platform default", local.Config{}, "unix", "@rns/default"},
			{"unix default", local.Config{Type: local.TypeUnix}, "unix", "@rns/default"},
			{"instance name", local.Config{InstanceName: "alice"}, "unix", "@rns/alice"},
			{"unix ignores port", local.Config{Type: local.TypeUnix, Port: 1}, "unix", "@rns/default"},
		}...)
	} else {
		tests = append(tests, struct {
			name          string
			cfg           local.Config
			network, addr string
		}{"platform default", local.Config{}, "tcp", "127.0.0.1:37428"})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			network, addr, err := tt.cfg.Endpoint()
			if err != nil || network != tt.network || addr != tt.addr {
				t.Fatalf("Endpoint() = %q, %q, %v; want %q, %q", network, addr, err, tt.network, tt.addr)
			}
		})
	}
	if _, _, err := (local.Config{Type: local.TypeTCP, Port: 70000}).Endpoint(); err == nil {
		t.Fatal("port 70000 accepted")
	}
	if _, _, err := (local.Config{Type: 9}).Endpoint(); err == nil {
		t.Fatal("unknown type accepted")
	}
}

func TestParseType(t *testing.T) {
	for s, want := range map[string]local.Type{"": local.TypeDefault, "unix": local.TypeUnix, "tcp": local.TypeTCP} {
		if got, ok := local.ParseType(s); !ok || got != want {
			t.Errorf("ParseType(%q) = %v, %v", s, got, ok)
		}
		if s != "" && want.String() != s {
			t.Errorf("%v.String() = %q", want, want.String())
		}
	}
	if _, ok := local.ParseType("udp"); ok {
		t.Error("ParseType accepted udp")
	}
}

// TestSendReceiveAllocs checks that a packet's trip from Send on one side
// to Receive on the other does not allocate.
func TestSendReceiveAllocs(t *testing.T) {
	cfg := configs(t)["tcp"]
	if u, ok := configs(t)["unix"]; ok {
		cfg = u
	}
	srv, err := local.Listen(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	c, err := local.Dial(context.Background(), clientConfig(cfg, srv))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	conn := accept(t, srv)
	defer conn.Close()
	pkt := packet("alloc test", 500)
	buf := make([]byte, local.HWMTU)
	roundTrip := func() {
		if err := c.Send(pkt); err != nil {
			t.Fatal(err)
		}
		if n, err := conn.Receive(buf); err != nil || n != len(pkt) {
			t.Fatalf("Receive = %d, %v", n, err)
		}
		if err := conn.Send(pkt); err != nil {
			t.Fatal(err)
		}
		if n, err := c.Receive(buf); err != nil || n != len(pkt) {
			t.Fatalf("Receive = %d, %v", n, err)
		}
	}
	roundTrip() // grow the scratch buffers
	testutil.MaxAllocs(t, 100, 0, roundTrip)
}

func BenchmarkRoundTrip(b *testing.B) {
	srv, err := local.Listen(context.Background(), local.Config{Type: local.TypeTCP, Addr: "127.0.0.1:0"})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	c, err := local.Dial(context.Background(), local.Config{Type: local.TypeTCP, Addr: srv.Addr().String()})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	ifc, err := srv.Accept()
	if err != nil {
		b.Fatal(err)
	}
	defer ifc.Close()
	pkt := packet("bench", 500)
	buf := make([]byte, local.HWMTU)
	b.ReportAllocs()
	b.SetBytes(int64(len(pkt)))
	for b.Loop() {
		if err := c.Send(pkt); err != nil {
			b.Fatal(err)
		}
		if _, err := ifc.Receive(buf); err != nil {
			b.Fatal(err)
		}
	}
}
