package link_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/mehr-net/mehr/interfaces/ifacetest"
	"github.com/mehr-net/mehr/internal/testutil"
	"github.com/mehr-net/mehr/rns/dest"
	"github.com/mehr-net/mehr/rns/identity"
	"github.com/mehr-net/mehr/rns/link"
	"github.com/mehr-net/mehr/rns/transport"
	"github.com/mehr-net/mehr/rns/wire"
)

type testNode struct {
	t    *transport.Transport
	id   *identity.Identity // destination identity
	hash wire.Hash          // destination hash
}

// newPair builds two transports joined by an in-memory interface pair.
func newPair(t *testing.T) (a, b *testNode) {
	t.Helper()
	nodes := make([]*testNode, 2)
	for i := range nodes {
		tid, err := identity.FromPrivateKey(bytes.Repeat([]byte{byte(0x10 + i)}, 64))
		if err != nil {
			t.Fatal(err)
		}
		tr, err := transport.New(transport.Config{Identity: tid, NoJobs: true})
		if err != nil {
			t.Fatal(err)
		}
		id, err := identity.FromPrivateKey(bytes.Repeat([]byte{byte(0x20 + i)}, 64))
		if err != nil {
			t.Fatal(err)
		}
		ih := wire.Hash(id.Hash())
		h, err := dest.Hash(&ih, "linktest", fmt.Sprint(i))
		if err != nil {
			t.Fatal(err)
		}
		nodes[i] = &testNode{t: tr, id: id, hash: h}
		t.Cleanup(func() { tr.Close() })
	}
	pa, pb := ifacetest.NewPair(ifacetest.Config{Name: "a"}, ifacetest.Config{Name: "b"})
	if _, err := nodes[0].t.AddInterface(pa, transport.InterfaceOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := nodes[1].t.AddInterface(pb, transport.InterfaceOptions{}); err != nil {
		t.Fatal(err)
	}
	return nodes[0], nodes[1]
}

func wait[T any](t *testing.T, what string, c <-chan T) T {
	t.Helper()
	select {
	case v := <-c:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
	}
	var zero T
	return zero
}

func TestLinkEstablish(t *testing.T) {
	t.Cleanup(testutil.LeakCheck(t))
	a, b := newPair(t)
	for _, dir := range []struct {
		name     string
		from, to *testNode
	}{{"a->b", a, b}, {"b->a", b, a}} {
		t.Run(dir.name, func(t *testing.T) {
			testEstablish(t, dir.from, dir.to)
		})
	}
}

func testEstablish(t *testing.T, from, to *testNode) {
	toResponder := make(chan []byte, 8)
	toInitiator := make(chan []byte, 8)
	identified := make(chan *identity.Identity, 1)
	closed := make(chan link.TeardownReason, 2)
	ln, err := link.Listen(to.t, to.id, to.hash, link.Config{
		ProveAll:     true,
		OnPacket:     func(_ *link.Link, pt []byte) { toResponder <- append([]byte(nil), pt...) },
		OnIdentified: func(_ *link.Link, who *identity.Identity) { identified <- who },
		OnClosed:     func(_ *link.Link, r link.TeardownReason) { closed <- r },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	destPub, _ := identity.FromPublicKey(func() []byte { k := to.id.PublicKey(); return k[:] }())
	ini, err := link.Establish(ctx, from.t, destPub, to.hash, link.Config{
		ProveAll: true,
		OnPacket: func(_ *link.Link, pt []byte) { toInitiator <- append([]byte(nil), pt...) },
		OnClosed: func(_ *link.Link, r link.TeardownReason) { closed <- r },
	})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := ln.Accept(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if ini.ID() != resp.ID() || ini.Status() != link.StatusActive || resp.Status() != link.StatusActive {
		t.Fatalf("ids %s %s, statuses %v %v", ini.ID(), resp.ID(), ini.Status(), resp.Status())
	}
	if ini.MTU() != wire.MTU || ini.MDU() != wire.LinkMDU || resp.MDU() != wire.LinkMDU {
		t.Errorf("mtu %d mdu %d/%d", ini.MTU(), ini.MDU(), resp.MDU())
	}
	if ini.RTT() <= 0 || resp.RTT() < ini.RTT()/2 {
		t.Errorf("rtt %v / %v", ini.RTT(), resp.RTT())
	}

	// Data both ways, proved by the receiver.
	r, err := ini.Send([]byte("hello responder"))
	if err != nil {
		t.Fatal(err)
	}
	if got := wait(t, "packet at responder", toResponder); string(got) != "hello responder" {
		t.Errorf("responder got %q", got)
	}
	wait(t, "receipt", r.Done())
	if !r.Delivered() {
		t.Error("initiator receipt not delivered")
	}
	r, err = resp.Send(bytes.Repeat([]byte{7}, resp.MDU()))
	if err != nil {
		t.Fatal(err)
	}
	if got := wait(t, "packet at initiator", toInitiator); len(got) != resp.MDU() {
		t.Errorf("initiator got %d bytes", len(got))
	}
	wait(t, "receipt", r.Done())
	if !r.Delivered() {
		t.Error("responder receipt not delivered")
	}
	if _, err := resp.Send(make([]byte, resp.MDU()+1)); !errors.Is(err, link.ErrTooLarge) {
		t.Errorf("oversized send: %v", err)
	}

	// Identify.
	who, _ := identity.FromPrivateKey(bytes.Repeat([]byte{0x42}, 64))
	if err := ini.Identify(who); err != nil {
		t.Fatal(err)
	}
	if got := wait(t, "identify", identified); got.Hash() != who.Hash() {
		t.Errorf("identified %s", got)
	}
	if resp.RemoteIdentity().Hash() != who.Hash() || ini.RemoteIdentity().Hash() != to.id.Hash() {
		t.Error("remote identities")
	}

	// Close from the initiator.
	if err := ini.Close(); err != nil {
		t.Fatal(err)
	}
	wait(t, "responder close", resp.Done())
	got := []link.TeardownReason{wait(t, "close", closed), wait(t, "close", closed)}
	for _, r := range got {
		if r != link.ReasonInitiatorClosed {
			t.Errorf("teardown reasons %v", got)
		}
	}
	if resp.TeardownReason() != link.ReasonInitiatorClosed || resp.Status() != link.StatusClosed {
		t.Errorf("responder %v %v", resp.Status(), resp.TeardownReason())
	}
	if _, err := ini.Send([]byte("x")); !errors.Is(err, link.ErrClosed) {
		t.Errorf("send after close: %v", err)
	}
	ini.Wait()
	resp.Wait()
}

func TestEstablishTimeout(t *testing.T) {
	t.Cleanup(testutil.LeakCheck(t))
	a, b := newPair(t)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	// Nobody listens on b's destination.
	_, err := link.Establish(ctx, a.t, b.id, b.hash, link.Config{})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("establish: %v", err)
	}
}

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	return c.now
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestKeepaliveStale(t *testing.T) {
	t.Cleanup(testutil.LeakCheck(t))
	a, b := newPair(t)
	clk := &fakeClock{now: time.Unix(1700000000, 0)}
	cfg := link.Config{Now: clk.Now, TickInterval: time.Hour}
	ln, err := link.Listen(b.t, b.id, b.hash, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ini, err := link.Establish(ctx, a.t, b.id, b.hash, cfg)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := ln.Accept(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Wait()
	defer resp.Close()

	// No traffic for twice the keepalive interval (RTT 0: the minimum):
	// the initiator goes stale and sends a keepalive, whose reply makes
	// the link active again.
	ini.Tick(clk.Advance(link.StaleFactor * link.KeepaliveMin))
	waitFor(t, "keepalive reply", func() bool { return ini.Status() == link.StatusActive })

	// With the responder gone, the link goes stale and then times out.
	b.t.Deregister(resp.ID())
	ini.Tick(clk.Advance(link.StaleFactor * link.KeepaliveMin))
	if ini.Status() != link.StatusStale {
		t.Fatalf("status %v, want STALE", ini.Status())
	}
	ini.Tick(clk.Advance(link.StaleGrace))
	if ini.Status() != link.StatusClosed || ini.TeardownReason() != link.ReasonTimeout {
		t.Fatalf("status %v reason %v", ini.Status(), ini.TeardownReason())
	}
	ini.Wait()
}
