package link_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mehr-net/mehr/interfaces/ifacetest"
	"github.com/mehr-net/mehr/interfaces/tcp"
	"github.com/mehr-net/mehr/internal/testutil"
	"github.com/mehr-net/mehr/rns/dest"
	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/iface"
	"github.com/mehr-net/mehr/rns/link"
	"github.com/mehr-net/mehr/rns/link/resource"
	"github.com/mehr-net/mehr/rns/transport"
	"github.com/mehr-net/mehr/rns/wire"
)

// linkPair establishes a link from a to b; resp gets rc.
func linkPair(tb testing.TB, a, b *testNode, rc link.ResourceConfig) (ini, resp *link.Link) {
	tb.Helper()
	ln, err := link.Listen(b.t, b.id, b.hash, link.Config{Resources: rc})
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ini, err = link.Establish(ctx, a.t, b.id, b.hash, link.Config{})
	if err != nil {
		tb.Fatal(err)
	}
	resp, err = ln.Accept(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	return ini, resp
}

func closeLinks(ls ...*link.Link) {
	for _, l := range ls {
		l.Close()
	}
	for _, l := range ls {
		l.Wait()
	}
}

func compressible(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = "the quick brown fox jumps over the lazy dog "[i%44] ^ byte(i/4096)
	}
	return b
}

func random(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

type result struct {
	data, meta []byte
	err        error
}

func concluded() (chan result, func(*link.Transfer)) {
	c := make(chan result, 4)
	return c, func(t *link.Transfer) {
		d, m := t.Data()
		c <- result{d, m, t.Err()}
	}
}

func TestResourceTransfer(t *testing.T) {
	defer testutil.LeakCheck(t)()
	a, b, stop := memPair(t)
	defer stop()
	done, onDone := concluded()
	started := make(chan *link.Transfer, 4)
	ini, resp := linkPair(t, a, b, link.ResourceConfig{
		Strategy:    link.AcceptAll,
		OnStarted:   func(tr *link.Transfer) { started <- tr },
		OnConcluded: onDone,
	})
	defer closeLinks(ini, resp)

	cases := []struct {
		name string
		data []byte
		meta []byte
	}{
		{"empty", nil, nil},
		{"1KB-random", random(1024), nil},
		{"1KB-meta", random(1024), []byte{0x81, 0xa1, 'k', 0xa1, 'v'}},
		{"1MB-compressible", compressible(1 << 20), nil},
		{"1MB-random", random(1 << 20), []byte{0xc0}},
		{"5MB-random", random(5 << 20), []byte{0xa3, 'a', 'b', 'c'}},
		{"3MB-compressible", compressible(3<<20 + 17), nil},
	}
	if testing.Short() {
		cases = cases[:4]
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			progress := 0
			start := time.Now()
			tr, err := ini.SendResource(ctx, c.data, link.ResourceOptions{
				Metadata:   c.meta,
				OnProgress: func(*link.Transfer) { progress++ },
			})
			if err != nil {
				t.Fatal(err)
			}
			if err := tr.Wait(ctx); err != nil {
				t.Fatalf("send: %v", err)
			}
			in := wait(t, "incoming start", started)
			r := wait(t, "incoming conclusion", done)
			if r.err != nil {
				t.Fatalf("receive: %v", r.err)
			}
			if sha256.Sum256(r.data) != sha256.Sum256(c.data) || len(r.data) != len(c.data) {
				t.Fatalf("data differs: got %d bytes, want %d", len(r.data), len(c.data))
			}
			if !bytes.Equal(r.meta, c.meta) {
				t.Fatalf("metadata %x, want %x", r.meta, c.meta)
			}
			if tr.Progress() != 1 || in.Progress() != 1 || progress == 0 {
				t.Errorf("progress %v %v, %d callbacks", tr.Progress(), in.Progress(), progress)
			}
			if tr.Hash() != in.Hash() {
				t.Errorf("hashes differ")
			}
			si, st := tr.Segments()
			ri, rt := in.Segments()
			want := max(1, (len(c.data)+len(c.meta)+resource.MaxEfficientSize-1)/resource.MaxEfficientSize)
			if st != want || rt != want || si != st || ri != rt {
				t.Errorf("segments: sender %d/%d, receiver %d/%d, want %d", si, st, ri, rt, want)
			}
			if done, total := in.Parts(); done != total || total == 0 {
				t.Errorf("receiver parts %d/%d", done, total)
			}
			el := time.Since(start)
			t.Logf("%d bytes in %v (%.2f MB/s)", len(c.data), el, float64(len(c.data))/el.Seconds()/1e6)
		})
	}
}

func TestResourceAcceptNone(t *testing.T) {
	defer testutil.LeakCheck(t)()
	a, b, stop := memPair(t)
	defer stop()
	ini, resp := linkPair(t, a, b, link.ResourceConfig{})
	defer closeLinks(ini, resp)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tr, err := ini.SendResource(ctx, []byte("unwanted"), link.ResourceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Wait(ctx); !errors.Is(err, link.ErrResourceRejected) {
		t.Fatalf("err %v, want rejected", err)
	}
}

func TestResourceTooLarge(t *testing.T) {
	defer testutil.LeakCheck(t)()
	a, b, stop := memPair(t)
	defer stop()
	ini, resp := linkPair(t, a, b, link.ResourceConfig{Strategy: link.AcceptAll, MaxSize: 1000})
	defer closeLinks(ini, resp)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tr, err := ini.SendResource(ctx, random(1001), link.ResourceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Wait(ctx); !errors.Is(err, link.ErrResourceRejected) {
		t.Fatalf("err %v, want rejected", err)
	}
}

func TestResourceLinkTeardown(t *testing.T) {
	defer testutil.LeakCheck(t)()
	a, b, stop := memPair(t)
	defer stop()
	done, onDone := concluded()
	ini, resp := linkPair(t, a, b, link.ResourceConfig{Strategy: link.AcceptAll, OnConcluded: onDone})
	defer closeLinks(ini, resp)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	halfway := make(chan struct{})
	var closed bool
	tr, err := ini.SendResource(ctx, random(1<<20), link.ResourceOptions{OnProgress: func(tr *link.Transfer) {
		if !closed && tr.Progress() > 0.3 {
			closed = true
			close(halfway)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	wait(t, "progress", halfway)
	resp.Close()
	if err := tr.Wait(ctx); !errors.Is(err, link.ErrClosed) {
		t.Errorf("sender err %v, want closed", err)
	}
	if r := wait(t, "receiver conclusion", done); !errors.Is(r.err, link.ErrClosed) {
		t.Errorf("receiver err %v, want closed", r.err)
	}
}

func TestResourceCancel(t *testing.T) {
	defer testutil.LeakCheck(t)()
	a, b, stop := memPair(t)
	defer stop()
	done, onDone := concluded()
	ini, resp := linkPair(t, a, b, link.ResourceConfig{
		Strategy:    link.AcceptApp,
		Accept:      func(_ *link.Link, info link.ResourceInfo) bool { return info.Size == 1<<20 },
		OnConcluded: onDone,
		OnProgress: func(tr *link.Transfer) {
			if tr.Progress() > 0.2 {
				tr.Cancel()
			}
		},
	})
	defer closeLinks(ini, resp)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	tr, err := ini.SendResource(ctx, random(1<<20), link.ResourceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r := wait(t, "receiver conclusion", done); !errors.Is(r.err, link.ErrResourceCanceled) {
		t.Errorf("receiver err %v", r.err)
	}
	if err := tr.Wait(ctx); !errors.Is(err, link.ErrResourceRejected) {
		t.Errorf("sender err %v, want rejected", err)
	}
	// AcceptApp refusing.
	tr, err = ini.SendResource(ctx, []byte("small"), link.ResourceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Wait(ctx); !errors.Is(err, link.ErrResourceRejected) {
		t.Errorf("sender err %v, want rejected", err)
	}
	// Sender cancel through ctx.
	sctx, scancel := context.WithCancel(ctx)
	tr, err = ini.SendResource(sctx, random(1<<20), link.ResourceOptions{NoCompress: true, OnProgress: func(*link.Transfer) { scancel() }})
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Wait(ctx); !errors.Is(err, link.ErrResourceCanceled) {
		t.Errorf("sender err %v, want canceled", err)
	}
	if r := wait(t, "receiver conclusion", done); !errors.Is(r.err, link.ErrResourceCanceled) {
		t.Errorf("receiver err %v", r.err)
	}
}

func TestResourceLossy(t *testing.T) {
	defer testutil.LeakCheck(t)()
	var n atomic.Int64
	drop := func(pkt []byte) bool {
		// Drop every 9th resource part (context byte of a HEADER_1 packet).
		return len(pkt) > 18 && pkt[18] == byte(wire.ContextResource) && n.Add(1)%9 == 0
	}
	a, b, stop := nodes(t, func(a, b *testNode) {
		pa, pb := ifacetest.NewPair(ifacetest.Config{Name: "a", Drop: drop}, ifacetest.Config{Name: "b", Drop: drop})
		addIface(t, a, pa)
		addIface(t, b, pb)
	})
	defer stop()
	done, onDone := concluded()
	ini, resp := linkPair(t, a, b, link.ResourceConfig{Strategy: link.AcceptAll, OnConcluded: onDone})
	defer closeLinks(ini, resp)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	data := random(64 << 10)
	tr, err := ini.SendResource(ctx, data, link.ResourceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	r := wait(t, "receiver", done)
	if r.err != nil || !bytes.Equal(r.data, data) {
		t.Fatalf("receive: %v, %d bytes", r.err, len(r.data))
	}
	t.Logf("%d parts dropped", n.Load()/9)
}

// nodes builds two transports joined by connect; stop closes them.
func nodes(tb testing.TB, connect func(a, b *testNode)) (a, b *testNode, stop func()) {
	tb.Helper()
	ns := make([]*testNode, 2)
	for i := range ns {
		tid, _ := identity.FromPrivateKey(bytes.Repeat([]byte{byte(0x10 + i)}, 64))
		tr, err := transport.New(transport.Config{Identity: tid, NoJobs: true})
		if err != nil {
			tb.Fatal(err)
		}
		id, _ := identity.FromPrivateKey(bytes.Repeat([]byte{byte(0x20 + i)}, 64))
		ih := wire.Hash(id.Hash())
		h, err := dest.Hash(&ih, "resourcetest", fmt.Sprint(i))
		if err != nil {
			tb.Fatal(err)
		}
		ns[i] = &testNode{t: tr, id: id, hash: h}
	}
	stop = func() {
		ns[0].t.Close()
		ns[1].t.Close()
	}
	connect(ns[0], ns[1])
	return ns[0], ns[1], stop
}

func addIface(tb testing.TB, n *testNode, in iface.Interface) {
	tb.Helper()
	if _, err := n.t.AddInterface(in, transport.InterfaceOptions{}); err != nil {
		tb.Fatal(err)
	}
}

func memPair(tb testing.TB) (a, b *testNode, stop func()) {
	return nodes(tb, func(a, b *testNode) {
		pa, pb := ifacetest.NewPair(ifacetest.Config{Name: "a"}, ifacetest.Config{Name: "b"})
		addIface(tb, a, pa)
		addIface(tb, b, pb)
	})
}

func tcpPair(tb testing.TB) (a, b *testNode, stop func()) {
	var srv *tcp.Server
	a, b, closeNodes := nodes(tb, func(a, b *testNode) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		var err error
		srv, err = tcp.Listen(ctx, tcp.Config{Name: "srv", Addr: "127.0.0.1:0"})
		if err != nil {
			tb.Fatal(err)
		}
		cli, err := tcp.NewClient(ctx, tcp.Config{Name: "cli", Addr: srv.Addr().String()})
		if err != nil {
			tb.Fatal(err)
		}
		sc, err := srv.Accept()
		if err != nil {
			tb.Fatal(err)
		}
		addIface(tb, a, cli)
		addIface(tb, b, sc)
	})
	return a, b, func() {
		closeNodes()
		srv.Close()
	}
}

// TestResourceTCP sends 1 MB over real loopback TCP.
func TestResourceTCP(t *testing.T) {
	defer testutil.LeakCheck(t)()
	a, b, stop := tcpPair(t)
	defer stop()
	done, onDone := concluded()
	ini, resp := linkPair(t, a, b, link.ResourceConfig{Strategy: link.AcceptAll, OnConcluded: onDone})
	defer closeLinks(ini, resp)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	data := random(1 << 20)
	start := time.Now()
	tr, err := ini.SendResource(ctx, data, link.ResourceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	r := wait(t, "receiver", done)
	if r.err != nil || sha256.Sum256(r.data) != sha256.Sum256(data) {
		t.Fatalf("receive: %v, %d bytes", r.err, len(r.data))
	}
	t.Logf("1 MB over TCP in %v", time.Since(start))
}

func BenchmarkResource1MB(b *testing.B) {
	for _, c := range []struct {
		name string
		data []byte
		opts link.ResourceOptions
	}{
		{"random", random(1 << 20), link.ResourceOptions{}},
		{"random-nocompress", random(1 << 20), link.ResourceOptions{NoCompress: true}},
		{"compressible", compressible(1 << 20), link.ResourceOptions{}},
	} {
		b.Run(c.name, func(b *testing.B) {
			na, nb, stop := memPair(b)
			defer stop()
			done, onDone := concluded()
			ini, resp := linkPair(b, na, nb, link.ResourceConfig{Strategy: link.AcceptAll, OnConcluded: onDone})
			defer closeLinks(ini, resp)
			ctx := context.Background()
			b.SetBytes(int64(len(c.data)))
			b.ReportAllocs()
			for b.Loop() {
				tr, err := ini.SendResource(ctx, c.data, c.opts)
				if err != nil {
					b.Fatal(err)
				}
				if err := tr.Wait(ctx); err != nil {
					b.Fatal(err)
				}
				if r := <-done; r.err != nil || len(r.data) != len(c.data) {
					b.Fatalf("receive: %v", r.err)
				}
			}
		})
	}
}

// TestLinkMTUOverTCP: with a path over TCP (an interface that
// autoconfigures its MTU), the initiator signals the interface's MTU, the
// responder grants it, and a resource moves in parts of that size.
func TestLinkMTUOverTCP(t *testing.T) {
	defer testutil.LeakCheck(t)()
	a, b, stop := tcpPair(t)
	defer stop()
	ifs := a.t.Interfaces()
	if len(ifs) != 1 {
		t.Fatalf("%d interfaces", len(ifs))
	}
	now := time.Now()
	a.t.SetPath(b.hash, transport.PathEntry{Timestamp: now, NextHop: b.hash, Hops: 1,
		Expires: now.Add(time.Hour), Interface: ifs[0], Announce: []byte{}})
	done, onDone := concluded()
	ini, resp := linkPair(t, a, b, link.ResourceConfig{Strategy: link.AcceptAll, OnConcluded: onDone})
	defer closeLinks(ini, resp)
	if ini.MTU() != 8192 || resp.MTU() != 8192 {
		t.Fatalf("negotiated MTU %d / %d, want 8192 over TCP", ini.MTU(), resp.MTU())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	data := random(5 << 20)
	start := time.Now()
	tr, err := ini.SendResource(ctx, data, link.ResourceOptions{NoCompress: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	r := wait(t, "receiver", done)
	if r.err != nil || sha256.Sum256(r.data) != sha256.Sum256(data) {
		t.Fatalf("receive: %v, %d bytes", r.err, len(r.data))
	}
	el := time.Since(start)
	t.Logf("5 MB over TCP at MTU %d in %v (%.1f MB/s)", ini.MTU(), el, float64(len(data))/el.Seconds()/1e6)
}

// TestProveFunc: Config.Prove proves the packets it approves, and only
// those.
func TestProveFunc(t *testing.T) {
	defer testutil.LeakCheck(t)()
	a, b, stop := memPair(t)
	defer stop()
	proved := make(chan wire.Context, 4)
	ln, err := link.Listen(b.t, b.id, b.hash, link.Config{
		Prove:    func(_ *link.Link, pt []byte) bool { return len(pt) > 0 && pt[0] == 1 },
		OnProved: func(_ *link.Link, p *transport.Packet) { proved <- p.Context },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ini, err := link.Establish(ctx, a.t, b.id, b.hash, link.Config{})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := ln.Accept(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer closeLinks(ini, resp)
	for _, c := range []struct {
		data []byte
		want bool
	}{{[]byte{1, 2}, true}, {[]byte{0, 2}, false}} {
		r, err := ini.Send(c.data)
		if err != nil {
			t.Fatal(err)
		}
		select {
		case <-r.Done():
		case <-time.After(3 * time.Second):
		}
		if r.Delivered() != c.want {
			t.Errorf("%x: delivered %v, want %v", c.data, r.Delivered(), c.want)
		}
	}
	if len(proved) != 1 || <-proved != wire.ContextNone {
		t.Errorf("OnProved did not report exactly the one proof")
	}
}

// TestBuildResource: a built resource matches what SendResource would
// send, and an MTU override yields more parts.
func TestBuildResource(t *testing.T) {
	defer testutil.LeakCheck(t)()
	a, b, stop := memPair(t)
	defer stop()
	ini, resp := linkPair(t, a, b, link.ResourceConfig{Strategy: link.AcceptAll})
	defer closeLinks(ini, resp)
	data := random(20000)
	r, segs, err := ini.BuildResource(data, link.ResourceOptions{Metadata: []byte{0xc0}}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if segs != 1 || r.TotalSegments != 1 || r.Flags&resource.FlagMetadata == 0 || r.Flags&resource.FlagEncrypted == 0 {
		t.Fatalf("segments %d, resource %+v", segs, r.Flags)
	}
	small, _, err := ini.BuildResource(data, link.ResourceOptions{}, 200)
	if err != nil {
		t.Fatal(err)
	}
	if small.NumParts() <= r.NumParts() || small.Hash == r.Hash {
		t.Fatalf("MTU override: %d parts, default %d", small.NumParts(), r.NumParts())
	}
	if _, segs, err := ini.BuildResource(random(3*resource.MaxEfficientSize), link.ResourceOptions{}, 0); err != nil || segs != 3 {
		t.Fatalf("3 MB: %d segments, %v", segs, err)
	}
}

// TestSetWatchdog: the keepalive and stale time can be overridden, and a
// link whose peer goes silent then times out.
func TestSetWatchdog(t *testing.T) {
	defer testutil.LeakCheck(t)()
	a, b, stop := memPair(t)
	defer stop()
	ini, resp := linkPair(t, a, b, link.ResourceConfig{})
	defer closeLinks(ini, resp)
	if in, out, _ := ini.Activity(); in.IsZero() || out.IsZero() {
		t.Fatalf("activity of an established link: in %v, out %v", in, out)
	}
	ka, stale := ini.Watchdog()
	if ka <= 0 || stale != link.StaleFactor*ka {
		t.Fatalf("defaults: keepalive %v, stale %v", ka, stale)
	}
	ini.SetWatchdog(time.Second, 2*time.Second)
	if ka, stale := ini.Watchdog(); ka != time.Second || stale != 2*time.Second {
		t.Fatalf("after set: keepalive %v, stale %v", ka, stale)
	}
	ini.SetWatchdog(0, 3*time.Second)
	if ka, stale := ini.Watchdog(); ka != time.Second || stale != 3*time.Second {
		t.Fatalf("after stale-only set: keepalive %v, stale %v", ka, stale)
	}
}
