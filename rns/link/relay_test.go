package link_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/mehr-net/mehr/interfaces/tcp"
	"github.com/mehr-net/mehr/interfaces/udp"
	"github.com/mehr-net/mehr/internal/testutil"
	"github.com/mehr-net/mehr/rns/announce"
	"github.com/mehr-net/mehr/rns/dest"
	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/iface"
	"github.com/mehr-net/mehr/rns/link"
	"github.com/mehr-net/mehr/rns/transport"
	"github.com/mehr-net/mehr/rns/wire"
)

// tcpLink joins two transports with a loopback TCP connection.
func tcpLink(t testing.TB, server, client *transport.Transport) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	srv, err := tcp.Listen(ctx, tcp.Config{Name: "srv", Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	cli, err := tcp.NewClient(ctx, tcp.Config{Name: "cli", Addr: srv.Addr().String()})
	if err != nil {
		t.Fatal(err)
	}
	sc, err := srv.Accept()
	if err != nil {
		t.Fatal(err)
	}
	attach(t, server, sc)
	attach(t, client, cli)
}

// udpLink joins two transports with a pair of loopback UDP sockets (a
// fixed 1064-byte MTU that does not autoconfigure: links over it get 500).
func udpLink(t testing.TB, x, y *transport.Transport) {
	t.Helper()
	free := func() string {
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return c.LocalAddr().String()
	}
	ax, ay := free(), free()
	ux, err := udp.New(udp.Config{Name: "udp-x", ListenAddr: ax, ForwardAddr: ay})
	if err != nil {
		t.Fatal(err)
	}
	uy, err := udp.New(udp.Config{Name: "udp-y", ListenAddr: ay, ForwardAddr: ax})
	if err != nil {
		t.Fatal(err)
	}
	attach(t, x, ux)
	attach(t, y, uy)
}

func attach(t testing.TB, tr *transport.Transport, in iface.Interface) {
	t.Helper()
	if _, err := tr.AddInterface(in, transport.InterfaceOptions{}); err != nil {
		t.Fatal(err)
	}
}

// TestResourceThroughRelay: A and B are joined only through a transport
// node R. B announces; A finds the path (2 hops), opens a link through R
// and sends resources. Over TCP on both legs the link negotiates 8192;
// with a UDP leg, R strips the MTU signalling and the link uses 500.
func TestResourceThroughRelay(t *testing.T) {
	defer testutil.LeakCheck(t)()
	for _, c := range []struct {
		name    string
		udpLeg  bool
		wantMTU int
		sizes   []int
	}{
		{"tcp-tcp", false, 8192, []int{0, 1024, 1 << 20, 8 << 20}},
		{"tcp-udp", true, wire.MTU, []int{1024, 1 << 20}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var trs []*transport.Transport
			for i := range 3 {
				tid, _ := identity.FromPrivateKey(bytes.Repeat([]byte{byte(0x50 + i)}, 64))
				tr, err := transport.New(transport.Config{Identity: tid, Enabled: i == 1})
				if err != nil {
					t.Fatal(err)
				}
				trs = append(trs, tr)
			}
			a, r, b := trs[0], trs[1], trs[2]
			tcpLink(t, r, a)
			if c.udpLeg {
				udpLink(t, r, b)
			} else {
				tcpLink(t, r, b)
			}

			id, _ := identity.FromPrivateKey(bytes.Repeat([]byte{0x61}, 64))
			d, err := dest.New(id, dest.In, wire.Single, nil, "relaytest", c.name)
			if err != nil {
				t.Fatal(err)
			}
			done, onDone := concluded()
			ln, err := link.Listen(b, id, d.Hash, link.Config{Resources: link.ResourceConfig{
				Strategy: link.AcceptAll, MaxSize: 64 << 20, OnConcluded: onDone}})
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			raw, _ := announce.Append(nil, &announce.Params{Destination: d,
				RandomHash: announce.RandomHash([]byte(c.name), time.Now())})
			if _, err := b.Send(raw, nil); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
			defer cancel()
			for !a.HasPath(d.Hash) {
				select {
				case <-ctx.Done():
					t.Fatal("no path through the relay")
				case <-time.After(20 * time.Millisecond):
				}
			}
			if hops := a.HopsTo(d.Hash); hops != 2 {
				t.Fatalf("path is %d hops, want 2", hops)
			}
			ini, err := link.Establish(ctx, a, id, d.Hash, link.Config{})
			if err != nil {
				t.Fatal(err)
			}
			resp, err := ln.Accept(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if ini.MTU() != c.wantMTU || resp.MTU() != c.wantMTU {
				t.Fatalf("link MTU %d / %d, want %d", ini.MTU(), resp.MTU(), c.wantMTU)
			}
			for _, n := range c.sizes {
				data := random(n)
				start := time.Now()
				tr, err := ini.SendResource(ctx, data, link.ResourceOptions{NoCompress: true})
				if err != nil {
					t.Fatal(err)
				}
				if err := tr.Wait(ctx); err != nil {
					t.Fatalf("%d bytes: %v", n, err)
				}
				got := wait(t, "receiver", done)
				if got.err != nil || sha256.Sum256(got.data) != sha256.Sum256(data) {
					t.Fatalf("%d bytes: %v", n, got.err)
				}
				t.Logf("%d bytes through the relay at MTU %d in %v", n, ini.MTU(), time.Since(start).Round(time.Millisecond))
			}
			closeLinks(ini, resp)
			for _, tr := range trs {
				tr.Close()
			}
		})
	}
}

// TestResourceRelayRestart: the relay between A and B goes down in the
// middle of a transfer and comes back on the same port. The transfer must
// end with an error on both sides within bounded time, not hang and not
// deliver corrupt data.
func TestResourceRelayRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for resource timeouts")
	}
	defer testutil.LeakCheck(t)()
	newT := func(b byte, enabled bool) *transport.Transport {
		tid, _ := identity.FromPrivateKey(bytes.Repeat([]byte{b}, 64))
		tr, err := transport.New(transport.Config{Identity: tid, Enabled: enabled})
		if err != nil {
			t.Fatal(err)
		}
		return tr
	}
	a, r, b := newT(0x71, false), newT(0x72, true), newT(0x73, false)
	defer a.Close()
	defer b.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 180*time.Second)
	defer cancel()

	// R serves both A and B on one TCP port, so it can come back on it.
	srv, err := tcp.Listen(ctx, tcp.Config{Name: "relay", Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	addr := srv.Addr().String()
	serve := func(tr *transport.Transport, s *tcp.Server) {
		go func() {
			for {
				c, err := s.Accept()
				if err != nil {
					return
				}
				if _, err := tr.AddInterface(c, transport.InterfaceOptions{}); err != nil {
					c.Close()
				}
			}
		}()
	}
	serve(r, srv)
	for _, tr := range []*transport.Transport{a, b} {
		cli, err := tcp.NewClient(ctx, tcp.Config{Name: "to-relay", Addr: addr, ReconnectMin: 100 * time.Millisecond, ReconnectMax: 500 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		attach(t, tr, cli)
	}

	id, _ := identity.FromPrivateKey(bytes.Repeat([]byte{0x74}, 64))
	d, _ := dest.New(id, dest.In, wire.Single, nil, "relaytest", "restart")
	done, onDone := concluded()
	ln, err := link.Listen(b, id, d.Hash, link.Config{Resources: link.ResourceConfig{
		Strategy: link.AcceptAll, MaxSize: 64 << 20, OnConcluded: onDone}})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	raw, _ := announce.Append(nil, &announce.Params{Destination: d, RandomHash: announce.RandomHash([]byte("restart"), time.Now())})
	for !a.HasPath(d.Hash) {
		b.Send(raw, nil)
		select {
		case <-ctx.Done():
			t.Fatal("no path through the relay")
		case <-time.After(100 * time.Millisecond):
		}
	}
	ini, err := link.Establish(ctx, a, id, d.Hash, link.Config{})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := ln.Accept(ctx)
	if err != nil {
		t.Fatal(err)
	}
	data := random(32 << 20)
	started := make(chan struct{})
	var once sync.Once
	tr, err := ini.SendResource(ctx, data, link.ResourceOptions{NoCompress: true,
		OnProgress: func(t *link.Transfer) {
			if t.Progress() > 0.05 {
				once.Do(func() { close(started) })
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-started:
	case <-ctx.Done():
		t.Fatal("transfer did not start")
	}
	// The relay restarts: its transport and all its tables are gone.
	srv.Close()
	r.Close()
	r2 := newT(0x72, true)
	defer r2.Close()
	srv2, err := tcp.Listen(ctx, tcp.Config{Name: "relay", Addr: addr})
	if err != nil {
		t.Fatal(err)
	}
	defer srv2.Close()
	serve(r2, srv2)

	start := time.Now()
	werr := tr.Wait(ctx)
	if werr == nil && tr.Err() == nil {
		t.Fatal("the sender reported success through a restarted relay")
	}
	t.Logf("sender failed after %v: %v", time.Since(start).Round(time.Millisecond), tr.Err())
	got := wait(t, "receiver", done)
	if got.err == nil {
		t.Fatal("the receiver reported success")
	}
	t.Logf("receiver failed: %v", got.err)
	closeLinks(ini, resp)
	a.Close()
	b.Close()
	r2.Close()
}
