package plugins_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/mehr-net/mehr/internal/testutil"
	"github.com/mehr-net/mehr/plugins/host"
	"github.com/mehr-net/mehr/plugins/plugintest"
	"github.com/mehr-net/mehr/rns"
	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/link"
	"github.com/mehr-net/mehr/rns/transport"
	"github.com/mehr-net/mehr/rns/wire"
)

const (
	udpPluginPkg  = "github.com/mehr-net/mehr/cmd/mehr-plugin-udp"
	pipePluginPkg = "github.com/mehr-net/mehr/examples/plugin-pipe"
	testPluginPkg = "github.com/mehr-net/mehr/plugins/internal/testplugin"
)

var bins map[string]string

func TestMain(m *testing.M) {
	if p := os.Getenv(helperEnv); p != "" {
		runHelperHost(p)
		return
	}
	dir, err := os.MkdirTemp("", "plugins-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bins, err = plugintest.Build(dir, udpPluginPkg, pipePluginPkg, testPluginPkg)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// freeUDPPort returns a loopback UDP port that was free a moment ago.
func freeUDPPort(tb testing.TB) int {
	tb.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

// udpPlugin starts the UDP plugin receiving on listen and sending to
// forward, both on loopback.
func udpPlugin(tb testing.TB, name string, listen, forward int, cfg host.Config) *host.Interface {
	tb.Helper()
	cfg.Name = name
	cfg.Path = bins[udpPluginPkg]
	cfg.Config = fmt.Appendf(nil, "name = %q\ntype = \"UDPInterface\"\nlisten_ip = \"127.0.0.1\"\nlisten_port = %d\n"+
		"forward_ip = \"127.0.0.1\"\nforward_port = %d\n", name, listen, forward)
	if cfg.Logf == nil {
		cfg.Logf = tb.Logf
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	i, err := host.Start(ctx, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return i
}

// udpPair returns two UDP plugin interfaces that reach each other.
func udpPair(tb testing.TB, cfg host.Config) (a, b *host.Interface) {
	pa, pb := freeUDPPort(tb), freeUDPPort(tb)
	a = udpPlugin(tb, "udp-a", pa, pb, cfg)
	b = udpPlugin(tb, "udp-b", pb, pa, cfg)
	return a, b
}

// nodes returns two nodes joined by the interfaces ia and ib.
func nodes(t *testing.T, ia, ib *host.Interface) (a, b *rns.Node) {
	t.Helper()
	var err error
	if a, err = rns.NewNode(rns.Options{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	if b, err = rns.NewNode(rns.Options{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	if _, err := a.AddInterface(ia, transport.InterfaceOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.AddInterface(ib, transport.InterfaceOptions{}); err != nil {
		t.Fatal(err)
	}
	return a, b
}

// linkedPair announces a destination on a, finds it from b and opens a
// link to it; OnPacket of a's end delivers to the returned channel.
func linkedPair(t *testing.T, ctx context.Context, a, b *rns.Node) (wire.Hash, *link.Link, <-chan string) {
	t.Helper()
	id, err := identity.Generate(nil)
	if err != nil {
		t.Fatal(err)
	}
	d, err := a.NewDestination(id, rns.In, wire.Single, "mehrtest", "plugins")
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan string, 256)
	ln := link.NewListener(a.Transport(), id, d.Hash(), link.Config{
		OnPacket: func(_ *link.Link, pt []byte) {
			select {
			case got <- string(pt):
			default:
			}
		},
	})
	t.Cleanup(func() { ln.Close() })
	d.SetLinkRequestHandler(func(p *transport.Packet) { _, _ = ln.HandleRequest(p) })
	if err := d.Announce(nil); err != nil {
		t.Fatal(err)
	}
	if err := b.AwaitPath(ctx, d.Hash()); err != nil {
		t.Fatalf("no path over the plugin interfaces: %v", err)
	}
	l, err := link.Establish(ctx, b.Transport(), id, d.Hash(), link.Config{})
	if err != nil {
		t.Fatalf("link over the plugin interfaces: %v", err)
	}
	t.Cleanup(func() { l.Close(); l.Wait() })
	al, err := ln.Accept(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { al.Close(); al.Wait() })
	return d.Hash(), l, got
}

func expect(t *testing.T, ctx context.Context, got <-chan string, want string) {
	t.Helper()
	for {
		select {
		case s := <-got:
			if s == want {
				return
			}
		case <-ctx.Done():
			t.Fatalf("%q did not arrive", want)
		}
	}
}

// TestNodesOverUDPPlugins: two nodes whose only interfaces are UDP
// plugins on loopback exchange announces, open a link and carry data.
func TestNodesOverUDPPlugins(t *testing.T) {
	t.Cleanup(testutil.LeakCheck(t)) // registered first, so it runs after the other cleanups
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ia, ib := udpPair(t, host.Config{})
	a, b := nodes(t, ia, ib)
	_, l, got := linkedPair(t, ctx, a, b)
	if _, err := l.Send([]byte("over the plugins")); err != nil {
		t.Fatal(err)
	}
	expect(t, ctx, got, "over the plugins")
	if c := ia.Counters(); c.RxPackets == 0 || c.TxPackets == 0 {
		t.Fatalf("counters of a %+v", c)
	}
}

// TestPluginCrash: kill -9 a UDP plugin while a link carries traffic. The
// interface goes down, is back up within 5 s carrying traffic on the same
// link, and the path table still holds the path.
func TestPluginCrash(t *testing.T) {
	t.Cleanup(testutil.LeakCheck(t)) // registered first, so it runs after the other cleanups
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ia, ib := udpPair(t, host.Config{})
	a, b := nodes(t, ia, ib)
	dest, l, got := linkedPair(t, ctx, a, b)

	// Traffic from b to a throughout.
	stop := make(chan struct{})
	sent := make(chan struct{})
	var seq atomic.Int64
	go func() {
		defer close(sent)
		tk := time.NewTicker(20 * time.Millisecond)
		defer tk.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tk.C:
				l.Send(fmt.Appendf(nil, "seq %d", seq.Add(1)))
			}
		}
	}()
	defer func() { close(stop); <-sent }()
	expect(t, ctx, got, "seq 5")

	before := ia.Status()
	if err := syscall.Kill(before.PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	sawDown := false
	for {
		st := ia.Status()
		if !st.Up {
			sawDown = true
		}
		if st.Up && st.Restarts == 1 {
			break
		}
		if time.Since(killed) > 5*time.Second {
			t.Fatalf("not back up 5 s after the kill: %+v", st)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if !sawDown && ia.Status().LastError == "" {
		t.Fatal("the interface never showed down")
	}
	// Traffic sent after the restart arrives within the 5 s.
	mark := seq.Load() + 2
	deadline, dcancel := context.WithDeadline(ctx, killed.Add(5*time.Second))
	defer dcancel()
	for {
		select {
		case s := <-got:
			var n int64
			if _, err := fmt.Sscanf(s, "seq %d", &n); err == nil && n >= mark {
				goto carried
			}
		case <-deadline.Done():
			t.Fatalf("no traffic within 5 s of the kill (status %+v)", ia.Status())
		}
	}
carried:
	t.Logf("back up and carrying traffic %v after the kill", time.Since(killed))
	if !b.Transport().HasPath(dest) {
		t.Fatal("path lost across the plugin restart")
	}
	if ia.Status().PID == before.PID {
		t.Fatal("same PID after restart")
	}
}

// pipePlugin starts the example pipe plugin running command.
func pipePlugin(tb testing.TB, name, command string) *host.Interface {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	i, err := host.Start(ctx, host.Config{Name: name, Path: bins[pipePluginPkg], Logf: tb.Logf,
		Config: fmt.Appendf(nil, "name = %q\ntype = \"ExamplePipeInterface\"\ncommand = %q\nrespawn_delay = 0.2\n", name, command)})
	if err != nil {
		tb.Fatal(err)
	}
	return i
}

// TestNodesOverPipePlugins: two nodes joined by the example pipe plugin,
// whose commands are the two ends of a socat connection over a Unix
// socket, exchange announces and carry a link. The connecting end starts
// before the listening one may be ready and is respawned until it is.
func TestNodesOverPipePlugins(t *testing.T) {
	socat, err := exec.LookPath("socat")
	if err != nil {
		t.Skip("socat is not installed (apt-get install socat)")
	}
	t.Cleanup(testutil.LeakCheck(t)) // registered first, so it runs after the other cleanups
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sock := filepath.Join(t.TempDir(), "pipe.sock")
	ia := pipePlugin(t, "pipe-a", fmt.Sprintf("%s - UNIX-LISTEN:%s", socat, sock))
	ib := pipePlugin(t, "pipe-b", fmt.Sprintf("%s - UNIX-CONNECT:%s", socat, sock))
	if ia.MTU() != 1064 || ia.DefaultIFACSize() != 8 || ia.Bitrate() != 1_000_000 {
		t.Fatalf("pipe properties: MTU %d, IFAC %d, bitrate %d", ia.MTU(), ia.DefaultIFACSize(), ia.Bitrate())
	}
	a, b := nodes(t, ia, ib)
	_, l, got := linkedPair(t, ctx, a, b)
	if _, err := l.Send([]byte("through the pipes")); err != nil {
		t.Fatal(err)
	}
	expect(t, ctx, got, "through the pipes")
}

// TestGarbagePluginIsolated: a node with a plugin that sends malformed
// batches and frames above its MTU keeps running: the plugin is cut off
// and restarted again and again, and the node's other interface carries a
// link throughout.
func TestGarbagePluginIsolated(t *testing.T) {
	t.Cleanup(testutil.LeakCheck(t)) // registered first, so it runs after the other cleanups
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ia, ib := udpPair(t, host.Config{})
	a, b := nodes(t, ia, ib)
	var cutOff atomic.Int64
	bad, err := host.Start(ctx, host.Config{Name: "garbage", Path: bins[testPluginPkg], MaxGarbage: 10,
		MinBackoff: 100 * time.Millisecond, MaxBackoff: 200 * time.Millisecond,
		Config: []byte("behaviour = \"garbage\"\n"),
		Logf: func(f string, args ...any) {
			if strings.Contains(fmt.Sprintf(f, args...), "cut off") {
				cutOff.Add(1)
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.AddInterface(bad, transport.InterfaceOptions{}); err != nil {
		t.Fatal(err)
	}
	_, l, got := linkedPair(t, ctx, a, b)
	for cutOff.Load() < 3 {
		select {
		case <-ctx.Done():
			t.Fatalf("garbage plugin not cut off 3 times (status %+v)", bad.Status())
		case <-time.After(20 * time.Millisecond):
		}
	}
	if _, err := l.Send([]byte("still here")); err != nil {
		t.Fatal(err)
	}
	expect(t, ctx, got, "still here")
	if st := bad.Status(); st.Restarts < 2 || st.Garbage == 0 {
		t.Fatalf("status %+v", st)
	}
}
